"""The conversation's language in the action server, decided as the NLG decides it.

Same inputs, same function (`bot.i18n.resolve_locale`): the language chosen,
then what the person typed, then the channel's hint, then the country default.
"""

from __future__ import annotations

import functools
from typing import Optional

from rasa_sdk import Tracker

from bot.i18n import SUPPORTED_LANGUAGES, LanguageDetector, locale_inputs, resolve_locale
from bot.nlg import LANGUAGE_SLOT


@functools.lru_cache(maxsize=1)
def detector() -> LanguageDetector:
    """The offline language identifier, loaded once per action server."""
    return LanguageDetector.offline()


def conversation_language(tracker: Tracker, country_default: Optional[str]) -> str:
    """The language to answer in (a supported one)."""
    messages = ((e.get("text"), e.get("metadata")) for e in tracker.events if e.get("event") == "user")
    inputs = locale_inputs(messages, tracker.get_slot(LANGUAGE_SLOT), country_default)
    language = resolve_locale(inputs, detector())
    return language if language in SUPPORTED_LANGUAGES else "en"
