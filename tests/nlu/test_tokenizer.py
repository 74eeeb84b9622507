from __future__ import annotations

import pytest
from rasa.shared.nlu.training_data.message import Message

from bot.nlu.tokenizer import ScriptAwareTokenizer


@pytest.fixture(scope="module")
def tokenizer() -> ScriptAwareTokenizer:
    return ScriptAwareTokenizer(ScriptAwareTokenizer.get_default_config())


def tokens(tokenizer, text):
    return tokenizer.tokenize(Message({"text": text}), "text")


def test_khmer_without_spaces_is_segmented_into_words(tokenizer):
    words = [t.text for t in tokens(tokenizer, "ខ្ញុំរកឃើញគ្រាប់បែកដៃ")]
    assert len(words) >= 3
    assert "".join(words) == "ខ្ញុំរកឃើញគ្រាប់បែកដៃ"


def test_khmer_zero_width_spaces_separate_words(tokenizer):
    found = tokens(tokenizer, "ខ្ញុំ\u200bរកឃើញ")
    assert [t.text for t in found] == ["ខ្ញុំ", "រកឃើញ"]
    assert found[1].start == 6


def test_french_elision_and_accents(tokenizer):
    found = tokens(tokenizer, "J’ai trouvé l’obus!!")
    assert [t.lemma for t in found] == ["j'", "ai", "trouve", "l'", "obus"]
    assert found[2].text == "trouvé"


def test_arabic_diacritics_and_tatweel_are_removed_from_lemmas(tokenizer):
    found = tokens(tokenizer, "وَجَدْتُ لغـــماً")
    assert [t.lemma for t in found] == ["وجدت", "لغما"]
    assert found[1].start == 9


def test_offsets_point_into_the_original_text(tokenizer):
    text = "Я знайшов пам’ятку, mine near ភូមិ"
    for token in tokens(tokenizer, text):
        assert text[token.start : token.end] == token.text


def test_empty_and_emoji_only_messages_still_get_a_token(tokenizer):
    assert len(tokens(tokenizer, "🙂🙂")) == 1
    assert len(tokens(tokenizer, "")) == 1
