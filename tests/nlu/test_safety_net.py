from __future__ import annotations

from rasa.shared.nlu.training_data.message import Message

from bot.nlu.safety_net import SafetyNet
from bot.nlu.safety_terms import SafetyTerms


def test_component_overrides_and_records_why():
    net = SafetyNet({}, terms=SafetyTerms({"someone_injured": ["stepped on"]}))
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
    net = SafetyNet({"urgent_share": 0.8}, terms=SafetyTerms({}))
    ranking = [
        {"name": "ask_safe_behaviour", "confidence": 0.34},
        {"name": "found_object", "confidence": 0.33},
    ]
    message = Message({"text": "fi 2azife bel 7atab", "intent": ranking[0], "intent_ranking": ranking})
    net.process([message])
    assert message.get("intent") == {"name": "found_object", "confidence": 0.33}
    assert message.get("safety_net")["term"] is None and message.get("safety_net")["fired"] is True
