"""The country's own lessons, in the order its profile lists them, with Next (in-process).

A profile lists its cards (content/countries/<id>.yml, `cards:`: response keys
of domain.yml). The lessons menu's "Your country" button and a typed question
about the country ("what about mines in Ukraine?", words NGO staff list under
`topic_country` in content/lesson_topics.yml) set the `topic_country` entity;
this policy then shows the first card of the conversation's profile (decided
by bot.conversation, like the numbers), and on "Next" after a card the card
that follows it in that list. A profile without cards (the generic one) gets
the `none` response, which points to the general lessons.

It runs inside the Rasa server, like the rules, so the country lessons are
given when the action server is down; profile edits (which cards, their order)
take effect at the next start without retraining.
"""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import Any, Dict, Mapping, Optional

from rasa.core.constants import RULE_POLICY_PRIORITY
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.shared.core.constants import ACTION_LISTEN_NAME
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.exceptions import InvalidConfigException

from bot.content.countries import CountryProfile, load_profiles
from bot.conversation import COUNTRY_SLOT, decide_profile
from bot.paths import project_paths
from bot.policies.base import ConfigOnlyPolicy
from bot.policies.safety import current_turn

ENTITY_KEY = "entity"
NONE_KEY = "none"
NEXT_KEY = "next_intent"
COUNTRIES_KEY = "countries_dir"


def previous_bot_action(tracker: DialogueStateTracker) -> Optional[str]:
    """The last action before the latest user message, other than listening."""
    seen_user = False
    for event in reversed(list(tracker.events)):
        if isinstance(event, UserUttered):
            if seen_user:
                return None
            seen_user = True
        elif seen_user and isinstance(event, ActionExecuted) and event.action_name != ACTION_LISTEN_NAME:
            return event.action_name
    return None


def next_card(
    tracker: DialogueStateTracker,
    profiles: Mapping[str, CountryProfile],
    entity: str,
    none_response: str,
    next_intent: str,
) -> Optional[str]:
    """The action to take now for the country lessons, or None when they are not asked for."""
    latest = tracker.latest_message
    if latest is None or tracker.active_loop_name:
        return None
    shown = {card for p in profiles.values() for card in p.cards} | {none_response}
    done = [e.action_name for e in current_turn(tracker) if isinstance(e, ActionExecuted)]
    if done:
        return ACTION_LISTEN_NAME if done[-1] in shown else None
    messages = [(e.text, e.metadata) for e in tracker.events if isinstance(e, UserUttered)]
    profile = decide_profile(tracker.get_slot(COUNTRY_SLOT), messages, profiles)
    if any(e.get("entity") == entity for e in latest.entities or []):
        return profile.cards[0] if profile.cards else none_response
    if (latest.intent or {}).get("name") != next_intent:
        return None
    previous = previous_bot_action(tracker)
    # The conversation's profile first; a card of a country changed since comes from its own list.
    for cards in [profile.cards] + [p.cards for p in profiles.values()]:
        if previous in cards:
            index = cards.index(previous)
            return cards[index + 1] if index + 1 < len(cards) else None
    return None


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.POLICY_WITHOUT_END_TO_END_SUPPORT, is_trainable=True)
class CountryCards(ConfigOnlyPolicy):
    """Shows the conversation's country profile's cards in order, with Next."""

    @staticmethod
    def get_default_config() -> Dict[str, Any]:
        """entity: what asks for them; none: the answer without cards; above the rules' priority."""
        return {
            ENTITY_KEY: "topic_country",
            NONE_KEY: "utter_country_cards_none",
            NEXT_KEY: "next",
            COUNTRIES_KEY: "content/countries",
            "priority": RULE_POLICY_PRIORITY + 2,
        }

    @cached_property
    def profiles(self) -> Mapping[str, CountryProfile]:
        """The country profiles, read on first use (relative to $BOT_HOME or the cwd)."""
        return load_profiles(project_paths().root / Path(self.config[COUNTRIES_KEY]))

    def check_domain(self, domain: Domain) -> None:
        """The answer without cards, every listed card and the Next intent exist."""
        wanted = [self.config[NONE_KEY]] + [c for p in self.profiles.values() for c in p.cards]
        missing = [r for r in wanted if r not in domain.responses]
        if missing or self.config[NEXT_KEY] not in domain.intents:
            raise InvalidConfigException(f"{type(self).__name__}: unknown responses or intent: {missing}")

    def choose_action(self, tracker: DialogueStateTracker, domain: Domain) -> Optional[str]:
        """The card to show when the country lessons are asked for (or continued), else None."""
        action = next_card(
            tracker,
            self.profiles,
            str(self.config[ENTITY_KEY]),
            str(self.config[NONE_KEY]),
            str(self.config[NEXT_KEY]),
        )
        return action if action in domain.action_names_or_texts else None
