"""Keywords typed alone are commands on every channel: "aide", "ayuda", "допомога", "ជំនួយ".

The SMS channel answers HELP, LANG, STOP and DELETE (content/sms_keywords.yml,
NGO staff add local words there) before any NLU. On REST and Telegram the same
one-word messages went to the classifier, which spread them over close intents
("допомога" was a services question at 0.49, "ayuda" a help request at 0.45):
below the forms' command threshold, so at a form question the word was taken as
an answer. A message that is exactly a keyword is that command, with certainty.
START is left out: its words are "yes" in each language.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.shared.nlu.constants import INTENT, TEXT
from rasa.shared.nlu.training_data.message import Message

from bot.nlu.content_component import ContentComponent
from bot.sms.keywords import Keywords

# Keyword -> the intent whose rules answer it (the same as the SMS payloads).
KEYWORD_INTENTS = {
    "help": "help",
    "language": "change_language",
    "stop": "unsubscribe",
    "delete": "delete_my_data",
}


def keyword_intent(keywords: Keywords, text: str) -> Optional[str]:
    """The intent of a message that is exactly a keyword (not START), else None."""
    keyword = keywords.keyword(text)
    return KEYWORD_INTENTS.get(keyword) if keyword else None


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False)
class KeywordIntents(ContentComponent[Keywords]):
    """Gives a one-keyword message its command intent with confidence 1.0."""

    @staticmethod
    def get_default_config() -> Dict[str, Any]:
        """keywords_file: the keyword lists NGO staff edit (shared with the SMS channel)."""
        return {"keywords_file": "content/sms_keywords.yml"}

    CONTENT_KEY = "keywords_file"
    read = staticmethod(Keywords.load)

    def process(self, messages: List[Message]) -> List[Message]:
        """Set the command intent of messages that are a keyword and nothing else."""
        for message in messages:
            text = message.get(TEXT)
            if not text or text.startswith("/"):
                continue
            intent = keyword_intent(self.content, text)
            if intent is not None:
                message.set(INTENT, {"name": intent, "confidence": 1.0}, add_to_output=True)
        return messages
