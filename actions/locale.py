"""The conversation's language and country in the action server, decided as the NLG decides them.

Same inputs, same function (`bot.conversation.decide`): the language and
country chosen, then the channels' hints, then the country's default.
"""

from __future__ import annotations

import functools
from typing import Mapping

from rasa_sdk import Tracker

from bot.content.countries import CountryProfile
from bot.conversation import ConversationContext, decide, slots_of
from bot.i18n import LanguageDetector
from bot.paths import project_paths


@functools.lru_cache(maxsize=1)
def detector() -> LanguageDetector:
    """The offline language identifier with the project's short-message evidence, loaded once."""
    return LanguageDetector.offline(project_paths().root)


def conversation_context(tracker: Tracker, profiles: Mapping[str, CountryProfile]) -> ConversationContext:
    """The language to answer in and the country profile of this conversation."""
    messages = ((e.get("text"), e.get("metadata")) for e in tracker.events if e.get("event") == "user")
    return decide(slots_of(tracker.get_slot), messages, profiles, detector())
