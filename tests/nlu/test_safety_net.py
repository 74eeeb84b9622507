from __future__ import annotations

from rasa.shared.nlu.training_data.message import Message

from bot.nlu.safety_net import SafetyNet
from bot.nlu.safety_terms import SafetyTerms


def test_component_overrides_and_records_why():
    net = SafetyNet({}, SafetyTerms({"someone_injured": ["stepped on"]}))
    message = Message(
        {"text": "He STEPPED ON something", "intent": {"name": "nlu_fallback", "confidence": 0.3}}
    )
    payload = Message({"text": "/stepped on", "intent": {"name": "help", "confidence": 1.0}})
    net.process([message, payload])
    assert message.get("intent") == {"name": "someone_injured", "confidence": 1.0}
    assert message.get("safety_net")["fired"] is True
    assert message.get("safety_net")["nlu_intent"]["name"] == "nlu_fallback"
    assert payload.get("intent")["name"] == "help"


def test_component_records_a_share_decision_without_a_term():
    net = SafetyNet({"urgent_share": 0.8}, SafetyTerms({}))
    ranking = [
        {"name": "ask_safe_behaviour", "confidence": 0.34},
        {"name": "found_object", "confidence": 0.33},
    ]
    message = Message({"text": "fi 2azife bel 7atab", "intent": ranking[0], "intent_ranking": ranking})
    net.process([message])
    assert message.get("intent") == {"name": "found_object", "confidence": 0.33}
    assert message.get("safety_net")["term"] is None and message.get("safety_net")["fired"] is True


def shipped_net() -> SafetyNet:
    from tests.factories import PROJECT_ROOT

    return SafetyNet({}, SafetyTerms.load(PROJECT_ROOT / "content" / "safety_net"))


def parsed(text: str, intent: str, confidence: float) -> Message:
    ranking = [{"name": intent, "confidence": confidence}]
    return Message({"text": text, "intent": ranking[0], "intent_ranking": ranking})


def test_an_injury_word_inside_a_negation_does_not_force_the_injured_answer():
    # NLU's own reading of these (the trained model) stands: before, the term forced someone_injured.
    messages = [
        parsed("Ні, ніхто не поранений", "deny", 0.48),
        parsed("No, nadie está herido", "deny", 0.35),
        parsed("Non, personne n'est blessé", "deny", 0.36),
        parsed("لا، ما في مصابين", "deny", 0.7),
    ]
    shipped_net().process(messages)
    assert [m.get("intent")["name"] for m in messages] == ["deny"] * 4
    # Without a negation right before the term, or with the term after a comma, it still does.
    urgent = [
        parsed("no, he is bleeding", "deny", 0.6),
        parsed("no he stepped on a mine", "deny", 0.6),
        parsed("une personne est blessée", "greet", 0.5),
        parsed("він поранений", "deny", 0.5),
        parsed("he is not breathing", "deny", 0.5),
    ]
    shipped_net().process(urgent)
    assert [m.get("intent") for m in urgent] == [{"name": "someone_injured", "confidence": 1.0}] * 5
