"""A message that is exactly a keyword is that command, with certainty, in every language."""

from __future__ import annotations

import pytest
from rasa.shared.nlu.constants import INTENT, TEXT
from rasa.shared.nlu.training_data.message import Message

from bot.nlu.keyword_intents import KeywordIntents, keyword_intent
from bot.sms.keywords import Keywords
from tests.factories import PROJECT_ROOT

KEYWORDS = Keywords.load(PROJECT_ROOT / "content" / "sms_keywords.yml")


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("help", "help"),
        ("Aide !", "help"),
        ("ayuda", "help"),
        ("Допомога", "help"),
        ("مساعدة", "help"),
        ("ជំនួយ", "help"),
        ("LANG", "change_language"),
        ("мова", "change_language"),
        ("STOP", "unsubscribe"),
        ("ឈប់", "unsubscribe"),
        ("effacer", "delete_my_data"),
        ("حذف", "delete_my_data"),
    ],
)
def test_a_keyword_alone_is_its_command(text, intent):
    assert keyword_intent(KEYWORDS, text) == intent


@pytest.mark.parametrize("text", ["yes", "oui", "так", "បាទ", "aide-moi à trouver un médecin", "stop it"])
def test_start_words_and_sentences_are_left_to_the_classifier(text):
    assert keyword_intent(KEYWORDS, text) is None


def test_the_component_sets_the_intent_with_certainty_and_leaves_payloads_alone():
    component = KeywordIntents({}, KEYWORDS)
    unsure = {"name": "find_services", "confidence": 0.49}
    typed = Message(data={TEXT: "допомога", INTENT: unsure})
    payload = Message(data={TEXT: "/find_services", INTENT: unsure})
    component.process([typed, payload])
    assert typed.get(INTENT) == {"name": "help", "confidence": 1.0}
    assert payload.get(INTENT) == unsure
