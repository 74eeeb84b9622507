"""KAP surveys: one form whose one slot is asked once per question of the survey file.

Started by typing ("take the survey") or by a button ('/start_survey{"survey": "kap-basic",
"survey_run": "..."}', e.g. a campaign's invitation). The survey's texts come from
content/surveys/<name>.yml, translated with the catalogs; the answer buttons carry
'/start_survey{"survey_option": "<question>:<option>"}' (numbered menus on SMS), and typed
numbers or option words are read too. Commands and safety messages interrupt as in every form
(actions/forms.py). The answers (option ids only) wait in the `survey_state` slot and are stored
in one transaction, under the conversation's pseudonym, when the last question is answered.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import functools
import logging
import uuid
from typing import Any, Dict, List, Optional

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.forms import SAFETY_INTENTS, Answer, InterruptibleForm
from actions.locale import conversation_context
from actions.runtime import UsesRuntime
from bot.clock import utc_now
from bot.outreach.survey_answers import SurveyResponse, save_response
from bot.outreach.surveys import DEFAULT_SURVEY, Question, Survey, exact_option, typed_option
from bot.sms.menu import choose

logger = logging.getLogger(__name__)

SURVEY_SLOT = "survey"
RUN_SLOT = "survey_run"
STATE_SLOT = "survey_state"
ANSWER_SLOT = "survey_answer"
OPTION_ENTITY = "survey_option"
# The answer slot's value when there is nothing (left) to ask: the form ends at once.
NOTHING = "none"
# Messages the safety rules answer in the middle of a survey (then the question again).
INTERRUPTING = SAFETY_INTENTS | {"protection_concern"}
MAX_RUN_ID = 160


def _reset() -> List[EventType]:
    return [
        SlotSet(SURVEY_SLOT, None),
        SlotSet(RUN_SLOT, None),
        SlotSet(STATE_SLOT, None),
        SlotSet(ANSWER_SLOT, None),
    ]


def option_payload(question: Question, option_id: str) -> str:
    """The answer button's payload (read back by validate_survey_form)."""
    return f'/start_survey{{"{OPTION_ENTITY}": "{question.id}:{option_id}"}}'


class _SurveyAction(UsesRuntime):
    """What the survey actions share: the survey in progress and the conversation's language."""

    def current(self, tracker: Tracker) -> tuple[dict[str, Any], Optional[Survey]]:
        """The survey state slot and its survey (None when there is none or it was removed)."""
        state = tracker.get_slot(STATE_SLOT)
        if not isinstance(state, dict) or not isinstance(state.get("answers"), dict):
            return {}, None
        return state, self.runtime.surveys.get(str(state.get("survey")))

    def translate(self, tracker: Tracker, text: str) -> str:
        """`text` in the conversation's language (the English text when not translated)."""
        language = conversation_context(tracker, self.runtime.profiles).language
        return self.runtime.catalogs.gettext(language, text)


class ActionStartSurvey(_SurveyAction, Action):
    """Starts the survey the button names (the default one when typed): its intro, a new state."""

    def name(self) -> str:
        """Run by the start rule, before the form."""
        return "action_start_survey"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        """Intro and a fresh state; "not available" (and the form ends at once) for an unknown survey."""
        name = tracker.get_slot(SURVEY_SLOT) or DEFAULT_SURVEY
        survey = self.runtime.surveys.get(str(name))
        if survey is None:
            dispatcher.utter_message(response="utter_survey_unavailable")
            return [*_reset(), SlotSet(ANSWER_SLOT, NOTHING)]
        run = tracker.get_slot(RUN_SLOT)
        state: dict[str, Any] = {
            "survey": survey.name,
            "id": str(uuid.uuid4()),
            "run": str(run)[:MAX_RUN_ID] if run else None,
            "started_at": utc_now().isoformat(),
            "answers": {},
        }
        dispatcher.utter_message(
            response="utter_survey_intro",
            survey_title=self.translate(tracker, survey.title),
            survey_intro=self.translate(tracker, survey.intro),
        )
        return [SlotSet(STATE_SLOT, state), SlotSet(ANSWER_SLOT, None)]


class AskSurveyAnswer(_SurveyAction, Action):
    """Asks the first question not answered yet, with one button per option."""

    def name(self) -> str:
        """The form's question for `survey_answer`."""
        return "action_ask_survey_answer"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        """ "2/6: question" and the options in the conversation's language."""
        state, survey = self.current(tracker)
        question = survey.next_question(state["answers"]) if survey else None
        if survey is None or question is None:
            return []
        buttons = [
            {"title": self.translate(tracker, option.text), "payload": option_payload(question, option.id)}
            for option in question.options
        ]
        dispatcher.utter_message(
            response="utter_survey_question",
            survey_number=len(state["answers"]) + 1,
            survey_total=len(survey.questions),
            survey_question=self.translate(tracker, question.text),
            buttons=buttons,
        )
        return []


class ValidateSurveyForm(_SurveyAction, InterruptibleForm):
    """Reads each answer: a button, a typed number or an option's words; a safety message is
    left to the safety rules (then the question again)."""

    def name(self) -> str:
        """The validation action of `survey_form`."""
        return "validate_survey_form"

    def extract_survey_answer(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[str, Any]:
        """The option id chosen for the current question."""
        if tracker.get_slot("requested_slot") != ANSWER_SLOT:
            return {}
        state, survey = self.current(tracker)
        question = survey.next_question(state["answers"]) if survey else None
        if question is None:
            return {ANSWER_SLOT: NOTHING}
        answer = Answer.of(tracker)
        chosen = answer.entities.get(OPTION_ENTITY)
        if isinstance(chosen, str):
            question_id, _, option_id = chosen.partition(":")
            if question_id == question.id and question.option(option_id) is not None:
                return {ANSWER_SLOT: option_id}
            # A button of an earlier question (pressed late or twice): this question again.
            return {ANSWER_SLOT: None}
        if answer.typed:
            # A number or an option's whole text is an answer; else a safety message is not.
            translate = functools.partial(self.translate, tracker)
            by_number = choose(answer.text, [o.id for o in question.options])
            exact = by_number or exact_option(question, answer.text, translate)
            if exact is not None:
                return {ANSWER_SLOT: exact}
            if answer.interrupts(INTERRUPTING):
                return {}
            typed = typed_option(question, answer.text, translate)
            if typed is not None:
                return {ANSWER_SLOT: typed}
        if answer.intent in INTERRUPTING:
            # Not an answer, and NLU hears a safety message (however unsure): the safety rules answer.
            return {}
        dispatcher.utter_message(response="utter_survey_choose_one")
        return {ANSWER_SLOT: None}

    def validate_survey_answer(
        self, slot_value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[str, Any]:
        """Record the answer; the slot stays empty (the form asks the next question) until the last."""
        if slot_value is None or slot_value == NOTHING:
            return {}
        state, survey = self.current(tracker)
        question = survey.next_question(state["answers"]) if survey else None
        if survey is None or question is None or question.option(str(slot_value)) is None:
            return {ANSWER_SLOT: NOTHING}
        answers = {**state["answers"], question.id: str(slot_value)}
        updated = {**state, "answers": answers}
        if survey.next_question(answers) is not None:
            return {ANSWER_SLOT: None, STATE_SLOT: updated}
        return {ANSWER_SLOT: str(slot_value), STATE_SLOT: updated}


class SubmitSurvey(_SurveyAction, Action):
    """Stores the completed survey (pseudonym, option ids, score), then the score and the closing."""

    def name(self) -> str:
        """Run by the rule once the form is complete."""
        return "action_submit_survey"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        """Store, then thank; a database failure is said, and the survey still ends."""
        state, survey = self.current(tracker)
        if survey is None or survey.next_question(state["answers"]) is not None:
            return _reset()
        answers = {str(q): str(a) for q, a in state["answers"].items()}
        context = conversation_context(tracker, self.runtime.profiles)
        score = survey.score(answers) if survey.knowledge_total else None
        response = SurveyResponse(
            id=str(state.get("id") or uuid.uuid4()),
            survey=survey.name,
            pseudonym=self.runtime.pseudonyms.of(tracker.sender_id),
            language=context.language,
            country=context.country,
            run_id=state.get("run") or None,
            started_at=_started(state),
            completed_at=utc_now(),
            score=score,
            answers=answers,
        )
        try:
            await asyncio.to_thread(self._save, response)
        except Exception as error:  # noqa: BLE001  (any database failure: say it, end the survey)
            logger.error("A survey response could not be stored (%s)", type(error).__name__)
            logger.debug("Survey store failure", exc_info=True)
            dispatcher.utter_message(response="utter_survey_not_saved")
        if score is not None:
            dispatcher.utter_message(
                response="utter_survey_score", survey_score=score, survey_knowledge=survey.knowledge_total
            )
        dispatcher.utter_message(
            response="utter_survey_closing", survey_closing=self.translate(tracker, survey.closing)
        )
        return _reset()

    def _save(self, response: SurveyResponse) -> None:
        with self.runtime.database.sessions.begin() as session:
            save_response(session, response)


def _started(state: dict[str, Any]) -> dt.datetime:
    try:
        started = dt.datetime.fromisoformat(str(state.get("started_at")))
    except ValueError:
        return utc_now()
    return started if started.tzinfo else started.replace(tzinfo=dt.timezone.utc)


class ResetSurvey(Action):
    """Forgets the survey in progress (its answers were never stored)."""

    def name(self) -> str:
        """Run by the rules that stop the survey."""
        return "action_reset_survey"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        """Clear the survey slots."""
        return _reset()
