"""The hazard report form: what was seen, where, when, anyone hurt, consent to be contacted.

Every answer is read here (custom slot extraction), so the form decides what an
answer is: a button payload, a typed text, a Telegram location, a numbered SMS
reply (the SMS channel turns it into the button's payload). A message that is not
an answer extracts nothing: a command (menu, cancel, language, erase, stop) is handed to
the rules by InterruptibleForm (actions/forms.py); a safety message is answered by the
safety rules, then the form resumes (data/rules.yml). Typed days are read by dateparser
("yesterday", "вчора"); "no, nobody is hurt" is a no (negation cues of the safety net).

The report is stored (database first, else the spool) before the confirmation is
sent; the confirmation carries the report number and the country's numbers.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime
from typing import Any, Dict, List, Mapping, Optional

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.forms import SAFETY_INTENTS, Answer, InterruptibleForm
from actions.locale import conversation_context
from actions.runtime import Runtime, UsesRuntime
from bot.content.countries import CountryProfile
from bot.outreach.follow_up import follow_up_address
from bot.reports.model import HAZARD_TYPES, SEEN, new_report
from bot.reports.spool import save_report
from bot.services.regions import Region, RegionIndex

logger = logging.getLogger(__name__)

FORM = "report_hazard_form"
REPORT_SLOTS = (
    "hazard_type",
    "hazard_description",
    "hazard_place",
    "hazard_region",
    "hazard_seen",
    "hazard_injured",
    "hazard_consent",
    "hazard_contact",
)
# Filled by channels (a Telegram location or venue); cleared with the report.
LOCATION_SLOTS = ("latitude", "longitude", "place")
# Safety messages that are not an answer to a free-text question: the form lets the
# safety rules answer them, then resumes (commands are handed over by InterruptibleForm).
# "A rusty shell about half a metre long" reads as found_object: at the description
# question it is the description.
# protection_concern: self-harm, violence, armed attack (answered without mine advice).
INTERRUPTING = frozenset({"cancel", "in_hazard_area", "someone_injured", "protection_concern"})
# At a button question, "I found something" is not an answer either.
INTERRUPTING_CHOICES = INTERRUPTING | SAFETY_INTENTS
# "Seen today, this week or earlier": a typed date is within this many days for "this week".
WEEK_DAYS = 7
MAX_TEXT = 1000


# ------------------------------------------------------------ reading answers


def _choose_again(dispatcher: CollectingDispatcher, slot: str) -> Dict[str, Any]:
    # Setting the slot to None (rather than nothing) keeps the form going: it asks again.
    dispatcher.utter_message(response="utter_hazard_choose_one")
    return {slot: None}


def _country_regions(rt: Runtime, tracker: Tracker) -> Mapping[str, Region]:
    return rt.regions.get(conversation_profile(rt, tracker).id, {})


def conversation_profile(rt: Runtime, tracker: Tracker) -> CountryProfile:
    """The conversation's country profile (actions.locale, as the NLG decides it)."""
    return conversation_context(tracker, rt.profiles).profile


def conversation_language(rt: Runtime, tracker: Tracker) -> str:
    """The conversation's language (actions.locale, as the NLG decides it)."""
    return conversation_context(tracker, rt.profiles).language


# ---------------------------------------------------------------------- the form


class ValidateReportHazardForm(UsesRuntime, InterruptibleForm):
    """Reads each answer of the report form (custom extraction for every slot)."""

    def name(self) -> str:
        """The validation action of `report_hazard_form`."""
        return "validate_report_hazard_form"

    async def required_slots(
        self,
        domain_slots: List[str],
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> List[str]:
        """No region question without regions for the country; contact only with consent."""
        slots = list(domain_slots)
        if not _country_regions(self.runtime, tracker):
            slots.remove("hazard_region")
        if tracker.get_slot("hazard_consent") != "yes":
            slots.remove("hazard_contact")
        return slots

    def extract_hazard_type(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[str, Any]:
        """A type button, or the person's own words (then the type is "unknown")."""
        answer = Answer.of(tracker)
        chosen = answer.entities.get("hazard_type")
        if chosen in HAZARD_TYPES:
            return {"hazard_type": chosen}
        if tracker.get_slot("requested_slot") != "hazard_type" or answer.location:
            return {}
        if answer.interrupts(INTERRUPTING):
            return {}
        if answer.typed:
            return {"hazard_type": "unknown", "hazard_description": answer.text[:MAX_TEXT]}
        return _choose_again(dispatcher, "hazard_type")

    def extract_hazard_description(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[str, Any]:
        """The person's own words; "I don't know" leaves it empty."""
        answer = Answer.of(tracker)
        if tracker.get_slot("requested_slot") != "hazard_description" or answer.location:
            return {}
        if answer.interrupts(INTERRUPTING):
            return {}
        if answer.intent == "deny" and not answer.typed:
            return {"hazard_description": ""}
        if answer.typed:
            return {"hazard_description": answer.text[:MAX_TEXT]}
        return _choose_again(dispatcher, "hazard_description")

    def extract_hazard_place(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[str, Any]:
        """A shared location (at any point of the form), or the place in the person's words."""
        answer = Answer.of(tracker)
        if answer.location and tracker.get_slot("hazard_place") is None:
            dispatcher.utter_message(response="utter_location_received")
            # Coordinates say where it is: no place or region question is needed.
            return {"hazard_place": str(answer.entities.get("place") or ""), "hazard_region": ""}
        if tracker.get_slot("requested_slot") != "hazard_place":
            return {}
        if answer.interrupts(INTERRUPTING):
            return {}
        if answer.typed:
            found: Dict[str, Any] = {"hazard_place": answer.text[:MAX_TEXT]}
            # "Near the school in Izium" names the region too: no need to ask for it.
            regions = _country_regions(self.runtime, tracker)
            match = RegionIndex(regions).match(answer.text) if regions else None
            if match and tracker.get_slot("hazard_region") is None:
                found["hazard_region"] = regions[match.region].name("en")
            return found
        return _choose_again(dispatcher, "hazard_place")

    def extract_hazard_region(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[str, Any]:
        """A region button (its English name is stored), a typed region, or "I don't know"."""
        if tracker.get_slot("requested_slot") != "hazard_region":
            return {}
        answer = Answer.of(tracker)
        regions = _country_regions(self.runtime, tracker)
        chosen = answer.entities.get("hazard_region")
        if isinstance(chosen, str) and (chosen in regions or chosen == "unknown"):
            return {"hazard_region": regions[chosen].name("en") if chosen in regions else ""}
        if answer.interrupts(INTERRUPTING_CHOICES):
            return {}
        if answer.typed:
            match = RegionIndex(regions).match(answer.text)
            return {"hazard_region": regions[match.region].name("en") if match else answer.text[:200]}
        return _choose_again(dispatcher, "hazard_region")

    def extract_hazard_seen(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[str, Any]:
        """Today, this week or earlier: a button, or a typed day ("yesterday", "вчора")."""
        answer = Answer.of(tracker)
        chosen = answer.entities.get("hazard_seen")
        if chosen in SEEN:
            return {"hazard_seen": chosen}
        if tracker.get_slot("requested_slot") != "hazard_seen" or answer.location:
            return {}
        if answer.interrupts(INTERRUPTING_CHOICES):
            return {}
        seen = seen_when(answer.text, conversation_language(self.runtime, tracker)) if answer.typed else None
        if seen is not None:
            return {"hazard_seen": seen}
        return _choose_again(dispatcher, "hazard_seen")

    def extract_hazard_injured(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[str, Any]:
        """Yes gets the first-aid safety answer at once; then the form goes on."""
        answer = Answer.of(tracker)
        if tracker.get_slot("requested_slot") != "hazard_injured" or answer.location:
            return {}
        if answer.typed:
            terms = self.runtime.terms
            match = terms.match(answer.text)
            urgent = match is not None and match.urgent
            # "No, nobody is hurt" is a no, even though NLU hears "hurt"; "no, he is bleeding" is not.
            if not urgent and terms.negative(answer.text):
                return {"hazard_injured": "no"}
        if answer.intent in ("affirm", "someone_injured"):
            dispatcher.utter_message(response="utter_someone_injured")
            return {"hazard_injured": "yes"}
        if answer.intent == "deny":
            return {"hazard_injured": "no"}
        if answer.interrupts(INTERRUPTING_CHOICES):
            return {}
        return _choose_again(dispatcher, "hazard_injured")

    def extract_hazard_consent(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[str, Any]:
        """May the authority contact the person (yes/no)."""
        answer = Answer.of(tracker)
        if tracker.get_slot("requested_slot") != "hazard_consent" or answer.location:
            return {}
        if answer.intent in ("affirm", "deny"):
            return {"hazard_consent": "yes" if answer.intent == "affirm" else "no"}
        if answer.interrupts(INTERRUPTING_CHOICES):
            return {}
        return _choose_again(dispatcher, "hazard_consent")

    def extract_hazard_contact(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[str, Any]:
        """How to reach the person, in their words; "No" withdraws the consent."""
        answer = Answer.of(tracker)
        if tracker.get_slot("requested_slot") != "hazard_contact" or answer.location:
            return {}
        if answer.interrupts(INTERRUPTING):
            return {}
        if answer.intent == "deny" and not answer.typed:
            return {"hazard_consent": "no", "hazard_contact": ""}
        if answer.typed:
            return {"hazard_contact": answer.text[:200]}
        return _choose_again(dispatcher, "hazard_contact")


def seen_when(text: str, language: str, now: Optional[datetime] = None) -> Optional[str]:
    """A typed day as today, this_week or earlier (dateparser, in the conversation's language
    and English); None for anything that is not a past day ("a rusty shell", "tomorrow", "12")."""
    if not any(c.isalpha() for c in text):
        return None
    now = now or datetime.now().astimezone()  # the person's "today": the server's local date, tz-aware
    languages = [language] if language == "en" else [language, "en"]
    try:
        when = _parse_date(text, languages, now)
    except Exception:  # noqa: BLE001  (a parser bug must not break the form: ask again)
        logger.exception("dateparser failed on a typed date")
        return None
    if when is None or when.date() > now.date():
        return None
    if when.date() == now.date():
        return "today"
    return "this_week" if (now.date() - when.date()).days < WEEK_DAYS else "earlier"


def _parse_date(text: str, languages: List[str], now: datetime) -> Optional[datetime]:
    import dateparser  # imported on first use: its language data loads lazily

    base = now.replace(tzinfo=None)  # dateparser works on wall-clock time: the local date and time
    settings = {"RELATIVE_BASE": base, "PREFER_DATES_FROM": "past", "RETURN_AS_TIMEZONE_AWARE": False}
    return dateparser.parse(text[:100], languages=languages, settings=settings)


class AskHazardRegion(UsesRuntime, Action):
    """Asks for the region with one button per region of the conversation's country."""

    def name(self) -> str:
        """The form's question for `hazard_region`."""
        return "action_ask_hazard_region"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        """Region names in the conversation's language; "I don't know" comes from the response."""
        language = conversation_language(self.runtime, tracker)
        buttons = [
            {"title": region.name(language), "payload": f'/report_hazard{{"hazard_region": "{region_id}"}}'}
            for region_id, region in _country_regions(self.runtime, tracker).items()
        ]
        dispatcher.utter_message(response="utter_ask_hazard_region", buttons=buttons)
        return []


def _reset_events() -> List[EventType]:
    return [SlotSet(slot, None) for slot in (*REPORT_SLOTS, *LOCATION_SLOTS)]


class ResetHazardReport(Action):
    """Forgets the answers of a cancelled report."""

    def name(self) -> str:
        """Run by the cancel rule."""
        return "action_reset_hazard_report"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        """Clear every report slot."""
        return _reset_events()


def _float(value: Any) -> Optional[float]:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


class SubmitHazardReport(UsesRuntime, Action):
    """Stores the report (database, else spool), then confirms with its number."""

    def name(self) -> str:
        """Run when the form is complete."""
        return "action_submit_hazard_report"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        """Save first; the confirmation is only sent for a report that is stored."""
        rt = self.runtime
        slots = tracker.slots
        latitude, longitude = _float(slots.get("latitude")), _float(slots.get("longitude"))
        if latitude is None or longitude is None:
            latitude = longitude = None
        consent = slots.get("hazard_consent") == "yes"
        injured = {"yes": True, "no": False}.get(str(slots.get("hazard_injured")))
        # With consent, where the person hears what the team found (sealed by the channel).
        follow_up = follow_up_address(tracker.sender_id, tracker.events) if consent else None
        try:
            report = new_report(
                hazard_type=slots.get("hazard_type") or "unknown",
                description=slots.get("hazard_description") or "",
                place=slots.get("hazard_place") or "",
                region=slots.get("hazard_region") or "",
                seen=slots.get("hazard_seen") or "today",
                injured=injured,
                contact_consent=consent,
                contact=(slots.get("hazard_contact") or None) if consent else None,
                country=conversation_profile(self.runtime, tracker).iso2 or "",
                language=conversation_language(self.runtime, tracker),
                conversation=rt.pseudonyms.of(tracker.sender_id),
                latitude=latitude,
                longitude=longitude,
                follow_up_channel=follow_up.channel if follow_up else None,
                follow_up_address=follow_up.address if follow_up else None,
            )
            outcome = await asyncio.to_thread(save_report, report, rt.database, rt.spool)
        except Exception:  # noqa: BLE001  (whatever failed, the person must be told to call)
            logger.exception("A hazard report could not be stored (database and spool failed)")
            dispatcher.utter_message(response="utter_hazard_report_not_saved")
            return _reset_events()
        logger.info("Hazard report %s stored in the %s", outcome.report.id, outcome.where)
        dispatcher.utter_message(response="utter_hazard_report_saved", reference=outcome.report.reference)
        rt.report_saved(outcome.where)
        return _reset_events()
