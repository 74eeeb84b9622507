"""Rendering a response for someone outside a conversation: a language, a country, a channel.

The same renderer as the conversation's NLG (bot.nlg ResponseRenderer: the variation for the
channel, the translation, the country's numbers), without deciding a language: outreach knows
the person's language from their subscription, report or referral.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping, Optional

from bot.content.countries import CountryProfile, load_profiles
from bot.i18n import Catalogs, LanguageDetector
from bot.nlg import ResponseContext, ResponseRenderer, load_responses
from bot.paths import ProjectPaths
from bot.sms import SMS_OUTPUT_CHANNEL
from bot.sms.segments import count_segments


@dataclass(frozen=True)
class RenderedText:
    """One message's text and what it costs: its SMS segments (1 on other channels)."""

    text: str
    segments: int


def outreach_renderer(paths: ProjectPaths) -> ResponseRenderer:
    """A renderer of the project's responses, catalogs and country profiles (no language models:
    outreach never detects a language)."""
    return ResponseRenderer(
        responses=load_responses(paths, None),
        catalogs=Catalogs.load(paths.locales),
        profiles=load_profiles(paths.countries),
        detector=LanguageDetector(),
    )


def profile_for(renderer: ResponseRenderer, country: Optional[str]) -> CountryProfile:
    """The profile of a country given as a profile id ("ukraine") or an ISO code ("UA"); the
    generic profile when unknown."""
    if country and country in renderer.profiles:
        return renderer.profiles[country]
    for profile in renderer.profiles.values():
        if country and profile.iso2 and profile.iso2.upper() == country.upper():
            return profile
    return renderer.profile(None)


def render_text(
    renderer: ResponseRenderer,
    key: str,
    language: str,
    country: Optional[str],
    channel: str,
    values: Mapping[str, Any],
) -> RenderedText:
    """Response `key` as text in `language`, with the numbers of `country`, for `channel`;
    raises LookupError when the domain has no such response."""
    context = ResponseContext(language, profile_for(renderer, country))
    rendered = renderer.render(key, context, channel, values)
    text = str((rendered or {}).get("text") or "").strip()
    if not text:
        raise LookupError(f"no text for response {key}")
    segments = count_segments(text).segments if channel == SMS_OUTPUT_CHANNEL else 1
    return RenderedText(text, segments)
