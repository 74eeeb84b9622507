"""Area alerts with consent: subscribe to the alerts of one region, and stop them.

`subscribe_alerts` starts alerts_form: the country first when the conversation has none (its
buttons, or its name typed in any language), then the region (buttons, SMS menu numbers, or its
name typed in any script: the services directory's matcher, bot.services.regions). A place named
in the request itself ("alerts for Izium"), or the region chosen at onboarding, is taken without
asking again. The confirmation says what will be sent and how to stop. The subscription keeps the
delivery address the channel sealed into the message (bot.outreach.store ADDRESS_METADATA_KEY):
on REST, which has none, the assistant says alerts come by Telegram or SMS and stores nothing.
`unsubscribe` (and Telegram's /stop) deletes it and stops the queued outreach messages.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any, Dict, List, Optional

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict
from sqlalchemy.exc import SQLAlchemyError

from actions.forms import InterruptibleForm
from actions.locale import conversation_context
from actions.onboarding import REGION_SLOT
from actions.runtime import UsesRuntime
from bot.conversation import COUNTRY_SLOT
from bot.outreach.subscriptions import Subscriptions, sealed_address, stop_alerts
from bot.sms import SMS_INPUT_CHANNELS

logger = logging.getLogger(__name__)

ALERTS_COUNTRY_SLOT = "alerts_country"
ALERTS_REGION_SLOT = "alerts_region"
# Fills the form's slots when nothing can be subscribed (no address, a country without regions),
# so the form ends at once and action_subscribe_alerts says why.
NOT_AVAILABLE = "-"
# The entities of the audience tracks (domain.yml: track_children, ...): the latest one the person
# chose or spoke of is the subscription's track.
TRACK_ENTITY_PREFIX = "track_"


def delivery_channel(input_channel: Optional[str]) -> Optional[str]:
    """The outreach channel of a conversation's input channel ("telegram", "sms"), None for others."""
    if input_channel == "telegram":
        return "telegram"
    if input_channel in SMS_INPUT_CHANNELS:
        return "sms"
    return None


def latest_track(tracker: Tracker) -> Optional[str]:
    """The audience track of the person's latest message that named one (onboarding's question)."""
    for event in reversed(tracker.events):
        if event.get("event") != "user":
            continue
        for entity in (event.get("parse_data") or {}).get("entities") or []:
            name = str(entity.get("entity") or "")
            if name.startswith(TRACK_ENTITY_PREFIX):
                return name[len(TRACK_ENTITY_PREFIX) :]
    return None


def _typed_text(tracker: Tracker) -> str:
    text = str(tracker.latest_message.get("text") or "")
    return "" if text.startswith("/") else text


class ActionAlertsStart(UsesRuntime, Action):
    """subscribe_alerts: take the country and region the conversation already has, or names."""

    def name(self) -> str:
        """The action's name in domain.yml."""
        return "action_alerts_start"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        """Fill what is known; alerts_form asks for the rest."""
        if not sealed_address(tracker.latest_message.get("metadata")):
            return [SlotSet(ALERTS_COUNTRY_SLOT, NOT_AVAILABLE), SlotSet(ALERTS_REGION_SLOT, NOT_AVAILABLE)]
        services = self.runtime.services
        country = conversation_context(tracker, self.runtime.profiles).country
        text = _typed_text(tracker)
        place = services.find_place(text, country) if text else None
        if place is not None:
            return [SlotSet(ALERTS_COUNTRY_SLOT, place[0]), SlotSet(ALERTS_REGION_SLOT, place[1].region)]
        if country is None:
            return [SlotSet(ALERTS_COUNTRY_SLOT, None), SlotSet(ALERTS_REGION_SLOT, None)]
        regions = self.runtime.regions.get(country, {})
        known = tracker.get_slot(REGION_SLOT)
        region = NOT_AVAILABLE if not regions else known if known in regions else None
        return [SlotSet(ALERTS_COUNTRY_SLOT, country), SlotSet(ALERTS_REGION_SLOT, region)]


class ValidateAlertsForm(UsesRuntime, InterruptibleForm):
    """Turns what people press or type into a country id and a region id."""

    def name(self) -> str:
        """The action's name in domain.yml."""
        return "validate_alerts_form"

    async def validate_alerts_country(
        self, slot_value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[str, Any]:
        """A country from its button or its typed name, or from a place typed in it."""
        if not slot_value or slot_value == NOT_AVAILABLE:
            return {ALERTS_COUNTRY_SLOT: slot_value or None}
        services = self.runtime.services
        answered = tracker.get_slot("requested_slot") == ALERTS_COUNTRY_SLOT
        if slot_value in self.runtime.profiles:  # a button, or the conversation's (start action)
            return self._country(str(slot_value), tracker, answered)
        text = str(slot_value)
        country = services.find_country(text)
        if country is not None:
            return self._country(country, tracker, True)
        place = services.find_place(text, None)  # "Izium" tells the country and the region at once
        if place is None:
            dispatcher.utter_message(response="utter_region_not_understood")
            return {ALERTS_COUNTRY_SLOT: None}
        return {ALERTS_COUNTRY_SLOT: place[0], COUNTRY_SLOT: place[0], ALERTS_REGION_SLOT: place[1].region}

    def _country(self, country: str, tracker: Tracker, chosen: bool) -> Dict[str, Any]:
        values: Dict[str, Any] = {ALERTS_COUNTRY_SLOT: country}
        if chosen:
            values[COUNTRY_SLOT] = country
        if not self.runtime.regions.get(country):  # nothing to choose: the form ends, unavailable
            values[ALERTS_REGION_SLOT] = NOT_AVAILABLE
        elif tracker.get_slot(ALERTS_REGION_SLOT) == NOT_AVAILABLE:
            values[ALERTS_REGION_SLOT] = None
        return values

    async def validate_alerts_region(
        self, slot_value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[str, Any]:
        """A region id of the chosen country, from its button, menu number or typed name."""
        if not slot_value or slot_value == NOT_AVAILABLE:
            return {ALERTS_REGION_SLOT: slot_value or None}
        country = str(tracker.get_slot(ALERTS_COUNTRY_SLOT) or "")
        if slot_value in self.runtime.regions.get(country, {}):  # already an id (start action)
            return {ALERTS_REGION_SLOT: slot_value}
        place = self.runtime.services.find_place(str(slot_value), country or None)
        if place is None or place[0] != country:
            dispatcher.utter_message(response="utter_region_not_understood")
            return {ALERTS_REGION_SLOT: None}
        return {ALERTS_REGION_SLOT: place[1].region}


class ActionAskAlertsRegion(UsesRuntime, Action):
    """Asks which region the alerts are for, with the country's regions as buttons."""

    def name(self) -> str:
        """The action's name in domain.yml."""
        return "action_ask_alerts_region"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        """Region names in the conversation's language (a press sends the name, as typing it would)."""
        context = conversation_context(tracker, self.runtime.profiles)
        regions = self.runtime.regions.get(str(tracker.get_slot(ALERTS_COUNTRY_SLOT) or ""), {})
        names = [region.name(context.language) for region in regions.values()]
        buttons = [{"title": name, "payload": name} for name in names]
        dispatcher.utter_message(response="utter_ask_alerts_region", buttons=buttons)
        return []


class ActionSubscribeAlerts(UsesRuntime, Action):
    """Stores the subscription and confirms what will be sent and how to stop."""

    def name(self) -> str:
        """The action's name in domain.yml."""
        return "action_subscribe_alerts"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        """Subscribe, or say why not; the form's slots are emptied for a next time."""
        events: List[EventType] = [SlotSet(ALERTS_COUNTRY_SLOT, None), SlotSet(ALERTS_REGION_SLOT, None)]
        address = sealed_address(tracker.latest_message.get("metadata"))
        channel = delivery_channel(tracker.get_latest_input_channel())
        if not address or channel is None:
            dispatcher.utter_message(response="utter_alerts_channel_only")
            return events
        country = str(tracker.get_slot(ALERTS_COUNTRY_SLOT) or "")
        region_id = str(tracker.get_slot(ALERTS_REGION_SLOT) or "")
        region = self.runtime.regions.get(country, {}).get(region_id)
        if region is None:
            dispatcher.utter_message(response="utter_alerts_not_available")
            return events
        language = conversation_context(tracker, self.runtime.profiles).language
        pseudonym = self.runtime.pseudonyms.of(tracker.sender_id)
        store = Subscriptions(self.runtime.database)
        try:
            await asyncio.to_thread(
                lambda: store.subscribe(
                    pseudonym,
                    channel=channel,
                    address=address,
                    language=language,
                    country=country,
                    region=region_id,
                    track=latest_track(tracker),
                )
            )
        except SQLAlchemyError:
            logger.exception("Could not store an alert subscription")
            dispatcher.utter_message(response="utter_alerts_error")
            return events
        dispatcher.utter_message(response="utter_alerts_subscribed", region=region.name(language))
        return [*events, SlotSet(COUNTRY_SLOT, country), SlotSet(REGION_SLOT, region_id)]


class ActionUnsubscribe(UsesRuntime, Action):
    """unsubscribe, Telegram's /stop: no more alerts, and nothing queued for the person is sent."""

    def name(self) -> str:
        """The action's name in domain.yml."""
        return "action_unsubscribe"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        """Delete the subscription and stop the outbox's queued rows; then say so."""
        runtime = self.runtime
        pseudonym = runtime.pseudonyms.of(tracker.sender_id)
        try:
            await asyncio.to_thread(stop_alerts, runtime.database, runtime.pseudonyms, pseudonym)
        except SQLAlchemyError:
            logger.exception("Could not delete an alert subscription")
            dispatcher.utter_message(response="utter_alerts_error")
            return []
        dispatcher.utter_message(response="utter_unsubscribe")
        return []
