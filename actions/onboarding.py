"""Onboarding after a first greeting: language, country, region, then "who are you learning for?".

Each question is a response whose buttons carry the `onboarding` marker, and
the rules (data/rules.yml, "onboarding ...") call this action again after a
marked answer; it asks the first thing still unknown. Nothing waits for an
answer: a typed message or another button simply gets its own answer, so
onboarding never traps anyone and never delays a safety answer. The last
question (the tracks menu) has Skip. Telegram and SMS only: on REST and the
terminal the first greeting gets the menu, as any later one.
"""

from __future__ import annotations

from typing import Any, List, Mapping

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.locale import conversation_context
from actions.runtime import UsesRuntime
from bot.conversation import COUNTRY_SLOT, LANGUAGE_SLOT
from bot.services.regions import Region

REGION_SLOT = "region"
# Channels without onboarding (integrations, tests, the terminal): the first greeting shows the menu.
NO_ONBOARDING = frozenset({"rest", "cmdline"})


def region_buttons(regions: Mapping[str, Region], language: str) -> list[dict[str, Any]]:
    """One button per region, named in `language`, answering with the onboarding marker."""
    return [
        {
            "title": region.name(language),
            "payload": f'/set_country{{"region": "{region_id}", "onboarding": "yes"}}',
        }
        for region_id, region in regions.items()
    ]


class Onboarding(UsesRuntime, Action):
    """Asks the first of language, country, region (if the country has regions) still unknown,
    then offers the tracks menu."""

    def name(self) -> str:
        """Called by the onboarding rules."""
        return "action_onboarding"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        """One question, as a response the NLG renders in the conversation's language."""
        if (tracker.get_latest_input_channel() or "cmdline") in NO_ONBOARDING:
            dispatcher.utter_message(response="utter_help")
            return []
        if not tracker.get_slot(LANGUAGE_SLOT):
            dispatcher.utter_message(response="utter_onboarding_language")
            return []
        if not tracker.get_slot(COUNTRY_SLOT):
            dispatcher.utter_message(response="utter_onboarding_country")
            return []
        context = conversation_context(tracker, self.runtime.profiles)
        country_regions = self.runtime.regions.get(context.profile.id, {})
        if tracker.get_slot(REGION_SLOT) is None and country_regions:
            buttons = region_buttons(country_regions, context.language)
            dispatcher.utter_message(response="utter_onboarding_region", buttons=buttons)
            return []
        dispatcher.utter_message(response="utter_onboarding_tracks")
        return []
