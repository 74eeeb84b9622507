"""Survivor assistance: find services by need and place, and consent-gated referrals.

Database work (search, referral, cancel) runs in a worker thread, off the event loop.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any, Dict, List, Optional

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict
from sqlalchemy.exc import SQLAlchemyError

from actions.forms import InterruptibleForm
from actions.locale import conversation_context
from actions.runtime import UsesRuntime
from bot.conversation import COUNTRY_SLOT
from bot.outreach.follow_up import follow_up_address
from bot.services.categories import CATEGORIES
from bot.services.conversation import ServicesContext
from bot.services.needs import category_from_text
from bot.services.referrals import ReferralRequest, cancel_referrals, create_referral
from bot.services.search import find_services

logger = logging.getLogger(__name__)

# The services form's first question when the conversation has no country (chosen or hinted).
SERVICE_COUNTRY_SLOT = "service_country"
CATEGORY_SLOT = "service_category"
REGION_SLOT = "service_region"
DISTRICT_SLOT = "service_district"
CONTACT_SLOT = "referral_contact"
# Emergency medical care is never a referral (which "can take a few days"): the injured-person
# answer, with the profile's emergency number, comes at once; the services are listed after it
# and no referral is offered.
EMERGENCY_CATEGORY = "emergency_medical"


def conversation_language(context: ServicesContext, tracker: Tracker) -> str:
    """The conversation's language (actions.locale, as the NLG decides it)."""
    return conversation_context(tracker, context.reference.profiles).language


def conversation_country(context: ServicesContext, tracker: Tracker) -> Optional[str]:
    """The conversation's country profile id (chosen, else the channel's hint), None when unknown."""
    return conversation_context(tracker, context.reference.profiles).country


def known_country(context: ServicesContext, tracker: Tracker) -> Optional[str]:
    """The country the services search can use without asking: the conversation's, or the
    "Another country" choice (then the place question searches every country)."""
    chosen = tracker.get_slot(COUNTRY_SLOT)
    return conversation_country(context, tracker) or (
        chosen if chosen in context.reference.profiles else None
    )


def _typed_text(tracker: Tracker) -> str:
    text = str(tracker.latest_message.get("text") or "")
    return "" if text.startswith("/") else text


class ActionServicesStart(UsesRuntime, Action):
    """find_services: take the need and the place from the message when it names them."""

    def name(self) -> str:
        """The action's name in domain.yml."""
        return "action_services_start"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[Dict[str, Any]]:
        """Set what the message tells; the form asks for the rest."""
        context = self.runtime.services
        text = _typed_text(tracker)
        entity = next(
            (
                e.get("value")
                for e in tracker.latest_message.get("entities") or []
                if e.get("entity") == CATEGORY_SLOT
            ),
            None,
        )
        category = (
            entity if entity in CATEGORIES else category_from_text(text, context.needs) if text else None
        )
        events: List[EventType] = [SlotSet(CATEGORY_SLOT, category)]
        place = context.find_place(text, conversation_country(context, tracker)) if text else None
        if place is not None:
            country, found = place
            events += [SlotSet(COUNTRY_SLOT, country), SlotSet(REGION_SLOT, found.region)]
            events.append(SlotSet(DISTRICT_SLOT, found.district))
        # The country question is asked first when neither the person nor the channel gave one.
        events.append(SlotSet(SERVICE_COUNTRY_SLOT, place[0] if place else known_country(context, tracker)))
        return events


class ValidateServicesForm(UsesRuntime, InterruptibleForm):
    """Turns what people type into a category id and a region id."""

    def name(self) -> str:
        """The action's name in domain.yml."""
        return "validate_services_form"

    async def validate_service_country(
        self, slot_value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[str, Any]:
        """A country from its button or its typed name (any language), or from a place typed in it."""
        if not slot_value:
            return {SERVICE_COUNTRY_SLOT: None}
        context = self.runtime.services
        answered = tracker.get_slot("requested_slot") == SERVICE_COUNTRY_SLOT
        if slot_value in context.reference.profiles:  # a button, or the conversation's (start action)
            return {SERVICE_COUNTRY_SLOT: slot_value, **({COUNTRY_SLOT: slot_value} if answered else {})}
        text = str(slot_value)
        country = context.find_country(text)
        if country is not None:
            return {SERVICE_COUNTRY_SLOT: country, COUNTRY_SLOT: country}
        place = context.find_place(text, None)  # "Izium" tells the country and the region at once
        if place is None:
            dispatcher.utter_message(response="utter_region_not_understood")
            return {SERVICE_COUNTRY_SLOT: None}
        country, found = place
        return {
            SERVICE_COUNTRY_SLOT: country,
            COUNTRY_SLOT: country,
            REGION_SLOT: found.region,
            DISTRICT_SLOT: found.district,
        }

    async def validate_service_category(
        self, slot_value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[str, Any]:
        """A category id from a button, or the category of the words typed; for emergency medical
        care, the injured-person answer at once (before any other question)."""
        if not slot_value:  # reset by action_services_start: the form asks, nothing to complain about
            return {CATEGORY_SLOT: None}
        if slot_value in CATEGORIES:
            category: Optional[str] = str(slot_value)
        else:
            category = category_from_text(str(slot_value), self.runtime.services.needs)
        if category is None:
            dispatcher.utter_message(response="utter_category_not_understood")
        elif category == EMERGENCY_CATEGORY:
            dispatcher.utter_message(response="utter_someone_injured")
        return {CATEGORY_SLOT: category}

    async def validate_service_region(
        self, slot_value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[str, Any]:
        """A region id (and district, and country when none was chosen) from what was typed."""
        if not slot_value:
            return {REGION_SLOT: None}
        context = self.runtime.services
        current = conversation_country(context, tracker)
        if isinstance(slot_value, str) and current is not None and current in context.reference.regions:
            regions = context.reference.regions[current]
            if slot_value in regions:  # already an id (set from the first message)
                return {REGION_SLOT: slot_value}
        place = context.find_place(str(slot_value or ""), current)
        if place is None:
            dispatcher.utter_message(response="utter_region_not_understood")
            return {REGION_SLOT: None}
        country, found = place
        return {REGION_SLOT: found.region, DISTRICT_SLOT: found.district, COUNTRY_SLOT: country}


class ActionAskServiceRegion(UsesRuntime, Action):
    """Asks where the person is, with the regions of their country as buttons."""

    def name(self) -> str:
        """The action's name in domain.yml."""
        return "action_ask_service_region"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[Dict[str, Any]]:
        """Region names in the conversation's language; typing a name works too."""
        context = self.runtime.services
        regions = context.reference.regions.get(conversation_country(context, tracker) or "", {})
        language = conversation_language(context, tracker)
        names = [region.name(language) for region in regions.values()]
        buttons = [{"title": name, "payload": name} for name in names]
        dispatcher.utter_message(response="utter_ask_service_region", buttons=buttons)
        return []


class ActionShowServices(UsesRuntime, Action):
    """Shows up to three services, nearest first, each in its own message."""

    def name(self) -> str:
        """The action's name in domain.yml."""
        return "action_show_services"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[Dict[str, Any]]:
        """One message per service (also what an SMS can carry); an example says so in it.
        After emergency services, listen: no referral offer follows (the rule's next step)."""
        context = self.runtime.services
        category = tracker.get_slot(CATEGORY_SLOT)
        done: List[EventType] = [FollowupAction("action_listen")] if category == EMERGENCY_CATEGORY else []
        country = conversation_country(context, tracker)
        try:
            matches = await asyncio.to_thread(
                find_services,
                context.database,
                country or "",
                category or "",
                tracker.get_slot(REGION_SLOT),
                tracker.get_slot(DISTRICT_SLOT),
            )
        except SQLAlchemyError:
            logger.exception("services search failed")
            dispatcher.utter_message(response="utter_services_unavailable")
            return done
        if not matches:
            dispatcher.utter_message(response="utter_no_services")
            return done
        language = conversation_language(context, tracker)
        for match in matches:
            key, values = context.message(match.service, language)
            dispatcher.utter_message(response=key, **values)
        return done


class ActionCreateReferral(UsesRuntime, Action):
    """Records the referral the person just agreed to, and gives its reference."""

    def name(self) -> str:
        """The action's name in domain.yml."""
        return "action_create_referral"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[Dict[str, Any]]:
        """Only reached after an explicit yes (rules: utter_referral_offer, affirm, referral_form)."""
        context = self.runtime.services
        request = ReferralRequest(
            contact=str(tracker.get_slot(CONTACT_SLOT) or ""),
            category=str(tracker.get_slot(CATEGORY_SLOT) or ""),
            country=conversation_country(context, tracker) or "",
            region=tracker.get_slot(REGION_SLOT),
            district=tracker.get_slot(DISTRICT_SLOT),
            language=conversation_language(context, tracker),
        )
        # Where the person hears what happens to it (sealed by the channel), if it gave one.
        follow_up = follow_up_address(tracker.sender_id, tracker.events)
        try:
            referral = await asyncio.to_thread(
                create_referral,
                context.database,
                context.pseudonyms,
                tracker.sender_id,
                request,
                None,
                follow_up,
            )
        except SQLAlchemyError:
            logger.exception("referral not recorded")
            dispatcher.utter_message(response="utter_services_unavailable")
            return [SlotSet(CONTACT_SLOT, None)]
        dispatcher.utter_message(response="utter_referral_created", reference=referral.reference)
        try:  # the partners are told through the outbox; `bot referrals notify` catches up a miss
            await asyncio.to_thread(self.runtime.notify_partners)
        except Exception:  # noqa: BLE001  (the person's confirmation must go out whatever failed here)
            logger.exception("partner notification left for the next `bot referrals notify`")
        # The contact lives in the referral only, not in the conversation's slots.
        return [SlotSet(CONTACT_SLOT, None)]


class ActionCancelReferral(UsesRuntime, Action):
    """ "Cancel my referral": cancels the person's open referrals and erases their contact."""

    def name(self) -> str:
        """The action's name in domain.yml."""
        return "action_cancel_referral"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[Dict[str, Any]]:
        """Tell the references cancelled, or that there was none."""
        context = self.runtime.services
        try:
            cancelled = await asyncio.to_thread(
                cancel_referrals, context.database, context.pseudonyms, tracker.sender_id
            )
        except SQLAlchemyError:
            logger.exception("referral not cancelled")
            dispatcher.utter_message(response="utter_services_unavailable")
            return []
        if cancelled:
            dispatcher.utter_message(response="utter_referral_cancelled", reference=", ".join(cancelled))
        else:
            dispatcher.utter_message(response="utter_no_referral")
        return []
