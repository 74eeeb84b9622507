"""Localized response generation, loaded by Rasa from endpoints.yml (`nlg: type:`)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, Dict, Mapping, Optional, Sequence

import yaml
from rasa.core.nlg.generator import NaturalLanguageGenerator
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.utils.endpoints import EndpointConfig

from bot import remote_actions
from bot.content.countries import GENERIC_PROFILE, CountryProfile, load_profiles, log_unverified_numbers
from bot.content.pictures import PICTURES_KEY, alt_key, card_pictures, shown
from bot.conversation import decide, slots_of
from bot.i18n import SUPPORTED_LANGUAGES, Catalogs, LanguageDetector, language_name, territory_name
from bot.paths import ProjectPaths, project_paths
from bot.quiz import QUIZ_PREFIX, quiz_score
from bot.responses import choose_variation, render

logger = logging.getLogger(__name__)


@dataclass
class ResponseContext:
    """The language and country a response is rendered for."""

    language: str
    profile: CountryProfile
    intent_ranking: Sequence[str] = ()


class ResponseRenderer:
    """Renders a response key for a conversation: choice, translation, placeholders."""

    def __init__(
        self,
        responses: Mapping[str, Any],
        catalogs: Catalogs,
        profiles: Mapping[str, CountryProfile],
        detector: LanguageDetector,
    ) -> None:
        self.responses = responses
        self.catalogs = catalogs
        self.profiles = profiles
        self.detector = detector

    def profile(self, country: Optional[str]) -> CountryProfile:
        """The conversation's country profile; the generic one when unknown."""
        if country and country in self.profiles:
            return self.profiles[country]
        return self.profiles[GENERIC_PROFILE]

    def context(self, tracker: DialogueStateTracker) -> ResponseContext:
        """The conversation's language and country (bot.conversation decides), and its ranking."""
        messages = ((e.text, e.metadata) for e in tracker.events if isinstance(e, UserUttered))
        decided = decide(slots_of(tracker.get_slot), messages, self.profiles, self.detector)
        return ResponseContext(decided.language, decided.profile, _ranking(tracker))

    def values(self, context: ResponseContext, extra: Mapping[str, Any]) -> dict[str, Any]:
        """Placeholder values: profile numbers, language and country names, then `extra`."""
        values: dict[str, Any] = dict(context.profile.placeholders())
        for code in SUPPORTED_LANGUAGES:
            values[f"language_name_{code}"] = language_name(code)
        for profile in self.profiles.values():
            if profile.iso2:
                values[f"country_name_{profile.id}"] = territory_name(profile.iso2, context.language)
        if context.profile.iso2:
            values["country_name"] = territory_name(context.profile.iso2, context.language)
        values.update({k: v for k, v in extra.items() if isinstance(v, (str, int, float))})
        return values

    def render(
        self, key: str, context: ResponseContext, channel: Optional[str], extra: Mapping[str, Any]
    ) -> Optional[Dict[str, Any]]:
        """Render response `key` (or the country's own version of it), or None when the domain
        has no such response."""
        own = context.profile.response_key(key)
        if own != key and own not in self.responses:
            logger.error(
                "No response %r in the domain (profile %s): sending %r", own, context.profile.id, key
            )
            own = key
        key = own
        variations = self.responses.get(key)
        if not variations:
            logger.error("No response %r in the domain", key)
            return None
        values = self.values(context, extra)
        variation = choose_variation(variations, channel, values)
        if variation is None:
            return None

        def translate(text: str) -> str:
            return self.catalogs.gettext(context.language, text)

        rendered = render(variation, translate, values, context.intent_ranking)
        if PICTURES_KEY in (rendered.get("metadata") or {}):
            self._resolve_pictures(rendered, context)
        return rendered

    def _resolve_pictures(self, rendered: Dict[str, Any], context: ResponseContext) -> None:
        """Replace the card's picture names by those the profile shows, each with its alt text.

        A picture without an alt text response is left out (and logged): no picture goes without one.
        """
        metadata = rendered["metadata"]
        pictures = []
        for name in shown(card_pictures(rendered), context.profile.warning_pictures):
            alt = self.render(alt_key(name), context, None, {})
            if alt and isinstance(alt.get("text"), str) and alt["text"].strip():
                pictures.append({"name": name, "alt": alt["text"]})
        if pictures:
            metadata[PICTURES_KEY] = pictures
        else:
            del metadata[PICTURES_KEY]
            if not metadata:
                del rendered["metadata"]


def _ranking(tracker: DialogueStateTracker) -> list[str]:
    """Intents of the latest message, most likely first (for "did you mean" menus)."""
    ranking = tracker.latest_message.parse_data.get("intent_ranking") if tracker.latest_message else None
    if not isinstance(ranking, list):
        return []
    names = [r.get("name") for r in ranking if isinstance(r, dict)]
    return [n for n in names if isinstance(n, str) and n != "nlu_fallback"]


def load_responses(paths: ProjectPaths, domain: Optional[Domain]) -> Mapping[str, Any]:
    """English responses from domain.yml on disk (so wording changes need no retraining).

    Falls back to the responses packed in the model when the file is missing.
    """
    if paths.domain.exists():
        with paths.domain.open(encoding="utf-8") as handle:
            data = yaml.safe_load(handle) or {}
        responses = data.get("responses")
        if isinstance(responses, dict) and responses:
            return responses
    return domain.responses if domain is not None else {}


def build_renderer(paths: ProjectPaths, domain: Optional[Domain] = None) -> ResponseRenderer:
    """Factory: read responses, catalogs and profiles from the project's files."""
    return ResponseRenderer(
        responses=load_responses(paths, domain),
        catalogs=Catalogs.load(paths.locales),
        profiles=load_profiles(paths.countries),
        detector=LanguageDetector.offline(paths.root),
    )


class LocalizedNLG(NaturalLanguageGenerator):
    """Rasa NLG that answers in the conversation's language with its country's numbers."""

    def __init__(
        self,
        endpoint_config: Optional[EndpointConfig] = None,
        domain: Optional[Domain] = None,
        renderer: Optional[ResponseRenderer] = None,
    ) -> None:
        # Rasa builds the NLG once when the server starts: the hook for checking the action
        # server's replies with a compiled schema (bot/remote_actions.py says why).
        remote_actions.install()
        root = (endpoint_config.kwargs.get("project_root") if endpoint_config else None) or None
        self.renderer = renderer or build_renderer(project_paths(root), domain)
        # The server's start-up log says which numbers people get that nobody has confirmed.
        log_unverified_numbers(self.renderer.profiles, logger)

    async def generate(
        self,
        utter_action: str,
        tracker: DialogueStateTracker,
        output_channel: str,
        **kwargs: Any,
    ) -> Optional[Dict[str, Any]]:
        """Render `utter_action` for this conversation and channel."""
        context = self.renderer.context(tracker)
        if utter_action.startswith(QUIZ_PREFIX):  # the score, counted here (bot/quiz.py says why)
            kwargs = {**quiz_score(tracker.events), **kwargs}
        return self.renderer.render(utter_action, context, output_channel, kwargs)
