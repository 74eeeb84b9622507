from __future__ import annotations

import pytest

from bot.sms.keywords import KEYWORDS, Keywords
from tests.factories import PROJECT_ROOT


@pytest.fixture(scope="module")
def shipped() -> Keywords:
    return Keywords.load(PROJECT_ROOT / "content" / "sms_keywords.yml")


@pytest.mark.parametrize(
    ("text", "keyword"),
    [
        ("HELP", "help"),
        ("Aide!", "help"),
        ("AYUDA", "help"),
        ("ДОПОМОГА", "help"),
        ("مساعدة", "help"),
        ("ជំនួយ", "help"),
        ("menu", "help"),
        ("Menú", "help"),
        ("LANG", "language"),
        ("stop", "stop"),
        ("Arret", "stop"),
        ("ARRÊT", "stop"),
        ("СТОП", "stop"),
        ("START", "start"),
        ("yes", "start"),
        ("DELETE", "delete"),
        ("borrar", "delete"),
        ("حذف", "delete"),
    ],
)
def test_keywords_in_every_language_any_case_and_accents(shipped, text, keyword):
    assert shipped.keyword(text) == keyword


@pytest.mark.parametrize("text", ["help me my brother stepped on a mine", "stopped", "1", ""])
def test_only_whole_messages_are_keywords(shipped, text):
    assert shipped.keyword(text) is None


def test_every_keyword_has_words_in_every_language_as_text():
    import yaml

    from bot.i18n import SUPPORTED_LANGUAGES

    data = yaml.safe_load((PROJECT_ROOT / "content" / "sms_keywords.yml").read_text(encoding="utf-8"))
    assert set(data) == set(KEYWORDS)
    for keyword in KEYWORDS:
        assert set(data[keyword]) == set(SUPPORTED_LANGUAGES), keyword
        for words in data[keyword].values():
            assert words and all(isinstance(word, str) for word in words), keyword


@pytest.mark.parametrize(
    ("text", "language"),
    [("AIDE", "fr"), ("ayuda", "es"), ("ДОПОМОГА", "uk"), ("مساعدة", "ar"), ("ជំនួយ", "km"), ("Arrêt", "fr")],
)
def test_a_local_word_tells_the_language(shipped, text, language):
    assert shipped.match(text).language == language


@pytest.mark.parametrize("text", ["HELP", "STOP", "yes", "menu"])
def test_english_or_shared_words_tell_no_language(shipped, text):
    # "menu" is English and French; English words are printed in instructions everywhere.
    assert shipped.match(text).language is None
