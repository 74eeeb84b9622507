"""The conversation's language in the action server, decided as the NLG decides it.

Same inputs, same function (`bot.i18n.resolve_locale`): the language chosen,
then what the person typed, then the channel's hint, then the country default.
"""

from __future__ import annotations

import functools
from typing import Any, Iterable, Mapping, Optional

from rasa_sdk import Tracker

from bot.i18n import SUPPORTED_LANGUAGES, LanguageDetector, LocaleInputs, resolve_locale
from bot.nlg import LANGUAGE_HINT_KEYS, LANGUAGE_SLOT


@functools.lru_cache(maxsize=1)
def detector() -> LanguageDetector:
    """The offline language identifier, loaded once per action server."""
    return LanguageDetector.offline()


def locale_inputs(
    events: Iterable[Mapping[str, Any]], chosen: Optional[str], country_default: Optional[str]
) -> LocaleInputs:
    """What the person typed and the first channel hint, from rasa-sdk's event dicts."""
    texts: list[str] = []
    hint: Optional[str] = None
    for event in events:
        if event.get("event") != "user":
            continue
        text = event.get("text") or ""
        if text and not text.startswith("/"):
            texts.append(text)
        metadata = event.get("metadata") or {}
        for key in LANGUAGE_HINT_KEYS:
            if hint is None and isinstance(metadata.get(key), str) and metadata[key]:
                hint = metadata[key]
    return LocaleInputs(chosen=chosen, user_texts=texts, channel_hint=hint, country_default=country_default)


def conversation_language(tracker: Tracker, country_default: Optional[str]) -> str:
    """The language to answer in (a supported one)."""
    inputs = locale_inputs(tracker.events, tracker.get_slot(LANGUAGE_SLOT), country_default)
    language = resolve_locale(inputs, detector())
    return language if language in SUPPORTED_LANGUAGES else "en"
