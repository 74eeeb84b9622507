"""What every form does with a message that is not an answer: let the rules answer it.

At any question of any form, a person may ask for the menu, cancel, change the
language, erase their data or stop alerts (Telegram's /menu /language /delete
/stop, the SMS HELP keyword, or typed words). Such a message is never taken as
an answer: the form's validation rejects the turn (an `ActionExecutionRejected`
event, which Rasa treats like a form that extracted nothing), and the rules in
data/rules.yml answer it: they stop the form, or, for a language, show the
language menu and ask the question again once one is chosen. Safety messages
are read by each form (a description of an object is not an emergency), and the
safety rules answer them, then the question is asked again.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any, List, Mapping, Optional

from rasa_sdk import FormValidationAction, Tracker
from rasa_sdk.events import ActionExecutionRejected, EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

# Requests the rules answer at any question of any form (domain.yml keeps the same
# list as `not_intent` of the services and referral slots; a test checks it).
COMMANDS = frozenset(
    {"cancel", "help", "change_language", "set_language", "delete_my_data", "unsubscribe", "cancel_referral"}
)
SAFETY_INTENTS = frozenset({"found_object", "in_hazard_area", "someone_injured"})
# A typed command is a command when NLU is at least this sure ("help" alone is 0.5;
# a description or a place classified as a command is far below).
COMMAND_CONFIDENCE = 0.5
# A typed answer to a free-text question is taken as the answer unless NLU is this sure
# it is an interruption ("near the minefield by the river" is a place, not an emergency).
# The linear intent classifier spreads probability over close intents (half of its
# correct safety predictions are under 0.7); an urgent term makes it 1.0 (the safety net).
FREE_TEXT_INTERRUPT_CONFIDENCE = 0.6
# Actions that may run between the person's message and the form's validation of it.
_SAME_TURN = frozenset({"action_listen", "action_extract_slots"})


@dataclass(frozen=True)
class Answer:
    """The person's latest message, as a form reads it."""

    intent: str
    confidence: float
    text: str
    entities: Mapping[str, Any]

    @classmethod
    def of(cls, tracker: Tracker) -> Answer:
        """Read the latest message of `tracker`."""
        message = tracker.latest_message or {}
        intent = message.get("intent") or {}
        entities = {
            str(e.get("entity")): e.get("value") for e in message.get("entities") or [] if isinstance(e, dict)
        }
        return cls(
            intent=str(intent.get("name") or ""),
            confidence=float(intent.get("confidence") or 0.0),
            text=str(message.get("text") or "").strip(),
            entities=entities,
        )

    @property
    def typed(self) -> bool:
        """True for text the person wrote (not a button payload such as "/affirm")."""
        return bool(self.text) and not self.text.startswith("/")

    @property
    def location(self) -> Optional[tuple[float, float]]:
        """A shared location (latitude, longitude), if the message carries one."""
        try:
            latitude, longitude = float(self.entities["latitude"]), float(self.entities["longitude"])
        except (KeyError, TypeError, ValueError):
            return None
        if -90 <= latitude <= 90 and -180 <= longitude <= 180:
            return latitude, longitude
        return None

    @property
    def command(self) -> bool:
        """True for a request the rules answer (menu, cancel, language, erase, stop)."""
        if self.intent not in COMMANDS:
            return False
        return not self.typed or self.confidence >= COMMAND_CONFIDENCE

    def interrupts(self, intents: frozenset[str]) -> bool:
        """True when the message is one of `intents` rather than an answer to a free question."""
        if self.intent not in intents:
            return False
        return not self.typed or self.confidence >= FREE_TEXT_INTERRUPT_CONFIDENCE


def fresh_message(tracker: Tracker, form: str) -> bool:
    """True when the form runs on the person's latest message (not resumed after a rule answered it)."""
    events = list(tracker.events)
    for event in reversed(events):
        if event.get("event") == "user":
            return True
        if event.get("event") == "bot":
            return False
        if event.get("event") == "action" and event.get("name") not in _SAME_TURN | {form}:
            return False
    return True


class InterruptibleForm(FormValidationAction, ABC):
    """A form validation that hands commands to the rules (abstract: rasa-sdk does not register it)."""

    @abstractmethod
    def name(self) -> str:
        """`validate_<form name>`."""

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        """Reject a command; after a rule answered the message, read nothing from it; else validate."""
        form = self.form_name()
        requested = tracker.get_slot("requested_slot")
        asking = tracker.active_loop_name == form and requested is not None
        if asking and not fresh_message(tracker, form):
            # Resumed after a safety answer or a language choice: that message was not an answer.
            return await self._extract_validation_events(dispatcher, tracker, domain)
        if asking and Answer.of(tracker).command:
            # Undo what a from_text mapping may have taken from it, and let the rules answer.
            return [SlotSet(str(requested), None), ActionExecutionRejected(form)]
        return await super().run(dispatcher, tracker, domain)
