"""Safety net: urgent terms that give the safety answer even when NLU is unsure.

Terms live in content/safety_net/<lang>.yml (NGO staff edit them); every
language's terms are checked on every message, since people mix languages and
scripts. Without any term, a message whose safety intents together come
close to NLU's top intent also gets the safety answer (`urgent_share`). The
component runs after the intent classifiers and the FallbackClassifier, so it
decides before dialogue prediction.
"""

from __future__ import annotations

from typing import Any, Dict, List

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message

from bot.nlu.content_component import ContentComponent
from bot.nlu.safety_terms import SAFETY_NET_KEY, SafetyTerms, apply_safety_net


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False)
class SafetyNet(ContentComponent[SafetyTerms]):
    """Overrides unsure predictions of messages with urgent terms with a safety intent."""

    @staticmethod
    def get_default_config() -> Dict[str, Any]:
        """terms_dir: term lists; threshold: a sure safety prediction; unsure_below: an unsure one;
        urgent_share: the share of the top intent's confidence that the safety intents together
        must reach for a safety answer, term or not."""
        return {"terms_dir": "content/safety_net", "threshold": 0.8, "unsure_below": 0.6, "urgent_share": 0.8}

    CONTENT_KEY = "terms_dir"
    read = staticmethod(SafetyTerms.load)

    def process(self, messages: List[Message]) -> List[Message]:
        """Give the safety intent to unsure messages with urgent terms, and to likely urgent ones."""
        for message in messages:
            text = message.get(TEXT)
            if not text or text.startswith("/"):
                continue
            match = self.content.match(text)
            parsed = message.get(INTENT) or {}
            override = apply_safety_net(
                parsed,
                match,
                float(self._config["threshold"]),
                float(self._config["unsure_below"]),
                message.get(INTENT_RANKING_KEY) or [],
                float(self._config["urgent_share"]),
                self.content.protection(text),
            )
            if match is not None or override is not None:
                message.set(
                    SAFETY_NET_KEY,
                    {
                        "term": match.term if match else None,
                        "intent": match.intent if match else None,
                        "fired": override is not None,
                        "nlu_intent": parsed,
                    },
                    add_to_output=True,
                )
            if override is not None:
                message.set(INTENT, override, add_to_output=True)
        return messages
