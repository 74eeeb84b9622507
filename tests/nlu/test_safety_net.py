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
