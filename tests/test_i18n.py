from __future__ import annotations

import logging
from typing import Any, Optional

import pytest

from bot.i18n import (
    LATIN_CONFIDENCE,
    Catalogs,
    LanguageDetector,
    LocaleInputs,
    language_name,
    locale_inputs,
    normalise_language,
    resolve_locale,
    territory_name,
    text_direction,
)
from tests.factories import PROJECT_ROOT, catalog


@pytest.fixture(scope="module")
def detector() -> LanguageDetector:
    return LanguageDetector.offline()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ខ្ញុំរកឃើញគ្រាប់បែក", "km"),
        ("وجدت لغم قرب البيت", "ar"),
        ("Я знайшов міну біля дороги", "uk"),
        ("я нашел мину", "uk"),
        ("I found something that looks like a grenade near the road", "en"),
        ("J'ai trouvé quelque chose qui ressemble à une grenade", "fr"),
        ("Encontré algo que parece una granada en la finca", "es"),
        ("jai trouve un obus dans mon champ", "fr"),
    ],
)
def test_detects_the_language_of_real_messages(detector, text, expected):
    detection = detector.detect(text)
    assert detection is not None
    assert detection.language == expected


def test_short_latin_message_is_not_trusted(detector):
    detection = detector.detect("ok")
    assert detection is not None and detection.confidence < 0.8


def test_no_letters_no_detection(detector):
    assert detector.detect("123 !!! 🙂") is None


class FixedClassifier:
    def __init__(self, language: str, probability: float) -> None:
        self.result = (language, probability)

    def classify(self, text: str) -> tuple[str, float]:
        return self.result


@pytest.mark.parametrize(
    ("inputs", "expected"),
    [
        (LocaleInputs(chosen="km", user_texts=["hello there my friend"]), "km"),
        (LocaleInputs(user_texts=["Здрастуйте"], channel_hint="fr"), "uk"),
        (LocaleInputs(user_texts=["ok"], channel_hint="fr-CA"), "fr"),
        (LocaleInputs(user_texts=[], channel_hint=None, country_default="es"), "es"),
        (LocaleInputs(user_texts=["!!!"], channel_hint="de"), "en"),
        (LocaleInputs(user_texts=["ok", "مرحبا"], channel_hint="fr"), "ar"),
        (LocaleInputs(chosen="xx", user_texts=["مرحبا"]), "ar"),
    ],
)
def test_resolution_order(detector, inputs, expected):
    assert resolve_locale(inputs, detector) == expected


def test_confident_latin_detection_beats_the_hint():
    detector = LanguageDetector(FixedClassifier("es", 0.99))
    assert (
        resolve_locale(LocaleInputs(user_texts=["necesito ayuda ahora"], channel_hint="en"), detector) == "es"
    )


def test_first_confident_message_decides_the_language(detector):
    inputs = LocaleInputs(user_texts=["ខ្ញុំរកឃើញមីន", "I found a mine near my house"])
    assert resolve_locale(inputs, detector) == "km"


@pytest.mark.parametrize(
    ("hint", "expected"),
    [("fr_FR", "fr"), ("UK", "uk"), ("ru", "uk"), ("de", None), ("", None), (None, None)],
)
def test_normalise_language(hint: Optional[str], expected: Optional[str]):
    assert normalise_language(hint) == expected


def test_language_names_come_from_cldr_in_their_own_language():
    assert language_name("km") == "ខ្មែរ"
    assert language_name("uk") == "Українська"
    assert language_name("ar") == "العربية"
    assert language_name("fr") == "Français"


def test_territory_names_and_direction():
    assert territory_name("KH", "fr") == "Cambodge"
    assert territory_name("UA", "uk") == "Україна"
    assert text_direction("ar") == "rtl"
    assert text_direction("km") == "ltr"


def test_missing_translation_falls_back_to_english_and_logs_once(caplog):
    catalogs = Catalogs({"fr": catalog("fr", {"Yes": "Oui"})})
    with caplog.at_level(logging.WARNING, logger="bot.i18n"):
        assert catalogs.gettext("fr", "Yes") == "Oui"
        assert catalogs.gettext("fr", "No") == "No"
        assert catalogs.gettext("fr", "No") == "No"
    missing = [r for r in caplog.records if "Missing fr translation" in r.getMessage()]
    assert len(missing) == 1


def test_catalogs_load_compiled_files(tmp_path):
    from babel.messages.mofile import write_mo

    folder = tmp_path / "km" / "LC_MESSAGES"
    folder.mkdir(parents=True)
    with (folder / "messages.mo").open("wb") as handle:
        write_mo(handle, catalog("km", {"Next": "បន្ទាប់"}))
    catalogs = Catalogs.load(tmp_path, ["en", "km"])
    assert catalogs.gettext("km", "Next") == "បន្ទាប់"


def test_inputs_keep_typed_text_and_the_first_hint():
    events: list[dict[str, Any]] = [
        {"event": "user", "text": "/report_hazard", "metadata": {"language_code": "fr"}},
        {"event": "bot", "text": "ignored"},
        {"event": "user", "text": "j'ai vu une mine", "metadata": {"language": "es"}},
    ]
    inputs = locale_inputs(
        ((e.get("text"), e.get("metadata")) for e in events if e["event"] == "user"), None, "uk"
    )
    assert inputs.user_texts == ["j'ai vu une mine"]
    assert inputs.channel_hint == "fr" and inputs.country_default == "uk"


@pytest.fixture(scope="module")
def short() -> LanguageDetector:
    return LanguageDetector.offline(PROJECT_ROOT)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("bonjour", "fr"),
        ("salut", "fr"),
        ("merci", "fr"),
        ("aide", "fr"),
        ("hola", "es"),
        ("ayuda", "es"),
        ("yes, delete it", "en"),
        ("hello", "en"),
        ("ana la2et 2onbole", "ar"),
        ("shu lezem a3mel", "ar"),
        ("dobryi den", "uk"),
        ("znaishov minu", "uk"),
        ("chumreap suor bong", "km"),
        ("khnhom rok khernh min", "km"),
    ],
)
def test_short_latin_messages_are_told_apart(short, text, expected):
    found = short.evidence(text)
    assert found is not None and (found.language, found.confidence >= LATIN_CONFIDENCE) == (expected, True)


@pytest.mark.parametrize("text", ["12", "+380501234567", "Battambang", "Kharkiv", "ok", "menu", "no"])
def test_numbers_places_and_shared_words_carry_no_language(short, text):
    assert short.evidence(text) is None


def test_a_negated_language_name_declines_it(short):
    assert short.declines_language("no hablo ingles", "es")
    assert short.declines_language("je ne parle pas anglais", "fr")
    assert not short.declines_language("en inglés por favor", "es")
