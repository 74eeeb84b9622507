"""The one place that decides a conversation's language and country profile.

Order, for both: what the person chose (the `language` / `country` slots), then
for the language what they wrote (the first message whose language is known
with confidence sticks; short ones are weighed with the channel's hint), then
what the channels said in message metadata (a language hint such as
Telegram's `language_code`, a `country` hint such as an SMS sender's number),
then the country profile's default language, then the generic profile and
English. So choosing a country never changes the language of a person who
has already written in theirs (see `bot.i18n.resolve_locale`). The NLG (Rasa's
tracker) and the action server (rasa-sdk's tracker) both call `decide`;
nothing else reads these slots or metadata keys.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable, Mapping, Optional, Sequence

from bot.content.countries import GENERIC_PROFILE, CountryProfile
from bot.i18n import LanguageDetector, locale_inputs, resolve_locale

LANGUAGE_SLOT = "language"
COUNTRY_SLOT = "country"
# Metadata key a channel sets when it knows the person's country (SMS: the number's country code).
COUNTRY_HINT_KEY = "country"

Message = tuple[Optional[str], Any]


@dataclass(frozen=True)
class ConversationContext:
    """The language to answer in and the country profile whose numbers to give."""

    language: str
    profile: CountryProfile

    @property
    def country(self) -> Optional[str]:
        """The profile's id, or None for the generic profile (no country known)."""
        return None if self.profile.id == GENERIC_PROFILE else self.profile.id


def country_hint(messages: Sequence[Message]) -> Optional[str]:
    """The latest `country` hint a channel put in a message's metadata."""
    for _, metadata in reversed(messages):
        if isinstance(metadata, Mapping):
            hint = metadata.get(COUNTRY_HINT_KEY)
            if isinstance(hint, str) and hint:
                return hint
    return None


def decide_profile(
    chosen_country: Any, messages: Sequence[Message], profiles: Mapping[str, CountryProfile]
) -> CountryProfile:
    """The chosen country's profile, else the channel's hint, else the generic profile."""
    for candidate in (chosen_country, country_hint(messages)):
        if isinstance(candidate, str) and candidate in profiles:
            return profiles[candidate]
    return profiles[GENERIC_PROFILE]


def decide(
    slots: Mapping[str, Any],
    messages: Iterable[Message],
    profiles: Mapping[str, CountryProfile],
    detector: LanguageDetector,
) -> ConversationContext:
    """Decide the conversation's context from its slots and the person's messages, oldest first."""
    history = list(messages)
    profile = decide_profile(slots.get(COUNTRY_SLOT), history, profiles)
    default = profile.default_language if profile.id != GENERIC_PROFILE else None
    inputs = locale_inputs(history, slots.get(LANGUAGE_SLOT), default, detector)
    return ConversationContext(resolve_locale(inputs, detector), profile)


def slots_of(get_slot: Any) -> dict[str, Any]:
    """The slots `decide` reads, through a tracker's `get_slot` (Rasa's or rasa-sdk's)."""
    return {name: get_slot(name) for name in (LANGUAGE_SLOT, COUNTRY_SLOT)}
