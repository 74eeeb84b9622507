"""Safety answers inside a form whose validation could not run (the action server is down).

While a form is active, RulePolicy predicts the form, and the form's validation
runs on the action server. When that server cannot be reached, Rasa logs the
exception, records the form as executed without any event, and RulePolicy
predicts listening: a person who wrote "my friend stepped on a mine" in the
middle of a hazard report got no answer at all.

This policy sees that signature (the active loop ran in this turn and produced
nothing) when the latest message has a safety intent, and then takes the rest
of the turn: the safety answer, the form's pending question again (only a
response, rendered in-process: never an `action_ask_*` of the action server),
then listening. When the action server is up the form rejects a safety message
or takes it as an answer, never silently, so this policy stays out of the way.
"""

from __future__ import annotations

from functools import cached_property
from typing import Any, Dict, List, Mapping, Optional

from rasa.core.constants import RULE_POLICY_PRIORITY
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.shared.core.constants import ACTION_LISTEN_NAME, REQUESTED_SLOT
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, Event, LoopInterrupted, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.exceptions import InvalidConfigException

from bot.policies.base import ConfigOnlyPolicy

ANSWERS_KEY = "answers"

# Events a policy may add before the next action (RulePolicy's LoopInterrupted);
# they are not output of the loop, so they do not make its run "productive".
_POLICY_EVENTS = (LoopInterrupted,)


def current_turn(tracker: DialogueStateTracker) -> List[Event]:
    """The events since the latest user message (empty before the first one)."""
    events = list(tracker.events)
    for index in range(len(events) - 1, -1, -1):
        if isinstance(events[index], UserUttered):
            return events[index + 1 :]
    return []


def loop_failed(turn: List[Event], loop: str) -> bool:
    """True when `loop` ran in `turn` and produced no event (its action raised).

    A loop that runs always leaves events (at least its requested slot), and a
    loop that rejects leaves ActionExecutionRejected instead of ActionExecuted.
    """
    for index, event in enumerate(turn):
        if not (isinstance(event, ActionExecuted) and event.action_name == loop):
            continue
        following = turn[index + 1 :]
        output = next((e for e in following if not isinstance(e, _POLICY_EVENTS)), None)
        if output is None or isinstance(output, ActionExecuted):
            return True
    return False


def pending_question(loop: str, slot: Optional[str], domain: Domain) -> Optional[str]:
    """The response that asks for `slot` in `loop`, as the form would find it, responses only."""
    if not slot:
        return None
    names = (f"utter_ask_{loop}_{slot}", f"utter_ask_{slot}")
    return next((name for name in names if name in domain.responses), None)


def next_action(tracker: DialogueStateTracker, domain: Domain, answers: Mapping[str, str]) -> Optional[str]:
    """The action to take after a silent loop run on a safety message; None when not in that state."""
    loop = tracker.active_loop_name
    intent = (tracker.latest_message.intent or {}).get("name") if tracker.latest_message else None
    answer = answers.get(str(intent))
    if loop is None or answer is None:
        return None
    turn = current_turn(tracker)
    if not loop_failed(turn, loop):
        return None
    done = [e.action_name for e in turn if isinstance(e, ActionExecuted)]
    if answer not in done:
        return answer
    question = pending_question(loop, tracker.get_slot(REQUESTED_SLOT), domain)
    if question is not None and question not in done:
        return question
    return ACTION_LISTEN_NAME


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.POLICY_WITHOUT_END_TO_END_SUPPORT, is_trainable=True)
class SafetyWhenActionsFail(ConfigOnlyPolicy):
    """Gives the safety answer (then the pending question) when a form's validation failed."""

    # Independent of user input, like RulePolicy's loop predictions it overrides.
    no_user_prediction = True

    @staticmethod
    def get_default_config() -> Dict[str, Any]:
        """answers: safety intent -> response; priority: above RulePolicy, which predicts listening."""
        return {ANSWERS_KEY: {}, "priority": RULE_POLICY_PRIORITY + 1}

    @cached_property
    def answers(self) -> Dict[str, str]:
        """The configured safety intents and their answer responses."""
        return {str(k): str(v) for k, v in (self.config[ANSWERS_KEY] or {}).items()}

    def check_domain(self, domain: Domain) -> None:
        """Every configured intent and response exists."""
        missing = [i for i in self.answers if i not in domain.intents] + [
            r for r in self.answers.values() if r not in domain.responses
        ]
        if missing or not self.answers:
            raise InvalidConfigException(f"{type(self).__name__}: unknown or no answers: {missing}")

    def choose_action(self, tracker: DialogueStateTracker, domain: Domain) -> Optional[str]:
        """The safety answer or pending question after a failed validation."""
        return next_action(tracker, domain, self.answers)
