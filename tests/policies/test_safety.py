"""SafetyWhenActionsFail on real Rasa trackers and the project's domain: what it predicts, step by step."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import pytest
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (
    ActionExecuted,
    ActionExecutionRejected,
    ActiveLoop,
    BotUttered,
    Event,
    LoopInterrupted,
    SessionStarted,
    SlotSet,
    UserUttered,
)
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.exceptions import InvalidConfigException

from bot.policies.safety import SafetyWhenActionsFail, next_action
from tests.factories import PROJECT_ROOT

ANSWERS = {
    "found_object": "utter_found_object",
    "in_hazard_area": "utter_in_hazard_area",
    "someone_injured": "utter_someone_injured",
}
FORM = "report_hazard_form"


@pytest.fixture(scope="module")
def domain() -> Domain:
    return Domain.load(PROJECT_ROOT / "domain.yml")


def said(action: str) -> list[Event]:
    """An action that ran and what it said (a response)."""
    return [ActionExecuted(action), BotUttered("...")]


def in_form(form: str = FORM, slot: str = "hazard_type") -> list[Event]:
    """A session where `form` is active and asks for `slot`."""
    return [
        ActionExecuted("action_session_start"),
        SessionStarted(),
        ActionExecuted("action_listen"),
        UserUttered("/report_hazard", intent={"name": "report_hazard", "confidence": 1.0}),
        *said("utter_report_safety_first"),
        ActionExecuted(form),
        ActiveLoop(form),
        SlotSet("requested_slot", slot),
        BotUttered("question"),
        ActionExecuted("action_listen"),
    ]


def message(intent: str, confidence: float = 0.9) -> list[Event]:
    """A typed message and the slot extraction Rasa runs after it."""
    return [
        UserUttered("my friend stepped on a mine", intent={"name": intent, "confidence": confidence}),
        ActionExecuted("action_extract_slots"),
    ]


def predict(domain: Domain, events: list[Event]) -> Optional[str]:
    tracker = DialogueStateTracker.from_events("someone", events, slots=domain.slots)
    return next_action(tracker, domain, ANSWERS)


def test_a_silent_form_run_on_a_safety_message_gets_the_answer_then_the_question_then_listens(domain):
    turn = in_form() + message("someone_injured") + [ActionExecuted(FORM)]
    assert predict(domain, turn) == "utter_someone_injured"
    turn += said("utter_someone_injured")
    assert predict(domain, turn) == "utter_ask_hazard_type"
    turn += said("utter_ask_hazard_type")
    assert predict(domain, turn) == "action_listen"


def test_a_low_confidence_safety_message_is_answered_too(domain):
    # Up, the form would have taken typed text under 0.6 as an answer; down, nothing can be stored.
    turn = in_form(slot="hazard_description") + message("found_object", 0.3) + [ActionExecuted(FORM)]
    assert predict(domain, turn) == "utter_found_object"


def test_the_region_question_is_asked_from_the_response_never_from_the_action_server(domain):
    turn = in_form(slot="hazard_region") + message("in_hazard_area") + [ActionExecuted(FORM)]
    turn += said("utter_in_hazard_area")
    assert predict(domain, turn) == "utter_ask_hazard_region"


def test_the_services_form_asks_its_question_again(domain):
    turn = in_form("services_form", "service_category") + message("someone_injured")
    turn += [ActionExecuted("services_form"), *said("utter_someone_injured")]
    assert predict(domain, turn) == "utter_ask_service_category"


def test_an_answer_given_before_the_form_failed_is_not_repeated(domain):
    # Up when the form rejected, down when it came back after the rule's answer.
    turn = in_form() + message("someone_injured")
    turn += [ActionExecutionRejected(FORM), *said("utter_someone_injured"), LoopInterrupted(True)]
    turn += [ActionExecuted(FORM)]
    assert predict(domain, turn) == "utter_ask_hazard_type"


def test_a_policy_event_after_the_silent_run_still_counts_as_silent(domain):
    turn = in_form() + message("someone_injured") + [ActionExecuted(FORM), LoopInterrupted(True)]
    assert predict(domain, turn) == "utter_someone_injured"


def test_nothing_when_the_form_rejected_the_message(domain):
    # The action server is up: the form rejects, the rules answer (data/rules.yml).
    turn = in_form() + message("someone_injured") + [ActionExecutionRejected(FORM)]
    assert predict(domain, turn) is None


def test_nothing_when_the_form_took_the_message_as_an_answer(domain):
    turn = in_form(slot="hazard_description") + message("someone_injured", 0.4)
    turn += [ActionExecuted(FORM), SlotSet("hazard_description", "x")]
    turn += [SlotSet("requested_slot", "hazard_place"), BotUttered("where?")]
    assert predict(domain, turn) is None


def test_nothing_for_a_message_that_is_not_a_safety_one(domain):
    turn = in_form() + message("greet") + [ActionExecuted(FORM)]
    assert predict(domain, turn) is None


def test_nothing_without_an_active_form(domain):
    turn = [ActionExecuted("action_listen"), *message("someone_injured")]
    assert predict(domain, turn) is None


def test_a_silent_run_in_an_earlier_turn_does_not_count(domain):
    turn = in_form() + message("greet") + [ActionExecuted(FORM), ActionExecuted("action_listen")]
    turn += message("someone_injured")
    assert predict(domain, turn) is None


def policy(tmp_path: Path, answers: dict[str, str]) -> SafetyWhenActionsFail:
    created = SafetyWhenActionsFail.create(
        {"answers": answers},
        LocalModelStorage(tmp_path),
        Resource("safety"),
        ExecutionContext(GraphSchema({}), "test"),
    )
    assert isinstance(created, SafetyWhenActionsFail)
    return created


def test_the_prediction_is_certain_and_overrides_the_loop_rules(tmp_path, domain):
    safety = policy(tmp_path, ANSWERS)
    assert safety.train([], domain) == Resource("safety")
    turn = in_form() + message("someone_injured") + [ActionExecuted(FORM)]
    tracker = DialogueStateTracker.from_events("someone", turn, slots=domain.slots)
    prediction = safety.predict_action_probabilities(tracker, domain)
    assert prediction.max_confidence == 1.0
    assert domain.action_names_or_texts[prediction.max_confidence_index] == "utter_someone_injured"
    # RulePolicy's "listen after the loop" is a no-user prediction with priority 4.
    assert (prediction.is_no_user_prediction, prediction.policy_priority) == (True, 5)


def test_no_prediction_outside_the_failure(tmp_path, domain):
    safety = policy(tmp_path, ANSWERS)
    tracker = DialogueStateTracker.from_events("someone", in_form(), slots=domain.slots)
    prediction = safety.predict_action_probabilities(tracker, domain)
    assert (prediction.max_confidence, prediction.is_no_user_prediction) == (0.0, False)


@pytest.mark.parametrize(
    "answers",
    [{}, {"someone_injured": "utter_no_such_response"}, {"no_such_intent": "utter_someone_injured"}],
)
def test_training_refuses_answers_the_domain_does_not_have(tmp_path, domain, answers):
    with pytest.raises(InvalidConfigException):
        policy(tmp_path, answers).train([], domain)
