"""Answers to the assistant's yes/no questions are read as yes or no first.

The referral offer ("Would you like an organisation to contact you?") and the
erase question ("Do you want me to erase this conversation...?") are answered
in people's own words, which often repeat the question: "yes, please have them
contact me" was classified as cancel_referral (its examples are full of
"contact") and the person was told they had no referral; "yes, delete it" was
delete_my_data, so the erase question was asked again and again.

Right after one of the configured questions this policy reads the answer: the
words it begins with (bot.nlu.yes_no, content/yes_no.yml) first, then its
intent (affirm, or one the question lists as meaning yes or no). A yes or a no
takes the rest of the turn: the question's actions for that answer, in order,
then listening. A safety message, or any intent the question does not list, is
left to the rules. When an action of the answer ran and produced nothing (the
action server is down), the question's `failed` response is said, in-process:
the person is never told "Done" for an erasure that did not happen.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any, Dict, List, Mapping, Optional

from rasa.core.constants import RULE_POLICY_PRIORITY
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.shared.core.constants import ACTION_LISTEN_NAME
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, Event, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.exceptions import InvalidConfigException

from bot.nlu.yes_no import YesNoReader
from bot.paths import project_paths
from bot.policies.base import ConfigOnlyPolicy
from bot.policies.safety import current_turn, loop_failed

QUESTIONS_KEY = "questions"
WORDS_KEY = "words"


@dataclass(frozen=True)
class Question:
    """One yes/no question: which intents answer it, and what each answer does.

    In config.yml the actions are `on_yes` and `on_no` (YAML 1.1 reads a bare
    `yes:` key as true).
    """

    yes: tuple[str, ...]
    no: tuple[str, ...]
    yes_intents: frozenset[str]
    no_intents: frozenset[str]
    # Intents whose words are read for a yes or a no but that mean neither by themselves.
    read_intents: frozenset[str]
    failed: Optional[str]

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> Question:
        """From one entry of the policy's `questions`."""
        return cls(
            yes=tuple(config.get("on_yes") or ()),
            no=tuple(config.get("on_no") or ()),
            yes_intents=frozenset(config.get("yes_intents") or ("affirm",)),
            no_intents=frozenset(config.get("no_intents") or ("deny",)),
            read_intents=frozenset(config.get("read_intents") or ()),
            failed=config.get("failed"),
        )

    def answer(self, intent: str, text: str, reader: YesNoReader) -> Optional[bool]:
        """True (yes), False (no) or None (not an answer to this question)."""
        if intent not in self.yes_intents | self.no_intents | self.read_intents:
            return None
        said = reader.read(text)
        if said is not None:
            return said
        if intent in self.yes_intents:
            return True
        if intent in self.no_intents:
            return False
        return None


def question_asked(events: List[Event]) -> Optional[str]:
    """The bot action right before the latest user message (None before any)."""
    index = max((i for i, e in enumerate(events) if isinstance(e, UserUttered)), default=None)
    if index is None:
        return None
    for event in reversed(events[:index]):
        if isinstance(event, ActionExecuted) and event.action_name != ACTION_LISTEN_NAME:
            return event.action_name
        if isinstance(event, UserUttered):
            return None
    return None


def next_action(
    tracker: DialogueStateTracker, questions: Mapping[str, Question], reader: YesNoReader
) -> Optional[str]:
    """The action to take in a turn that answers a configured question; None when not such a turn."""
    events = list(tracker.events)
    asked = question_asked(events)
    question = questions.get(asked or "")
    message = tracker.latest_message
    if question is None or message is None:
        return None
    intent = str((message.intent or {}).get("name") or "")
    said = question.answer(intent, str(message.text or ""), reader)
    if said is None:
        return None
    turn = current_turn(tracker)
    done = [e.action_name for e in turn if isinstance(e, ActionExecuted)]
    for action in question.yes if said else question.no:
        if action not in done:
            return action
        # Only an action of the action server can fail silently: responses are rendered
        # here, and leave no event in a test story either.
        if question.failed and not str(action).startswith("utter_") and loop_failed(turn, str(action)):
            # The action server did not answer: say so, from a response.
            return question.failed if question.failed not in done else ACTION_LISTEN_NAME
    return ACTION_LISTEN_NAME


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.POLICY_WITHOUT_END_TO_END_SUPPORT, is_trainable=True)
class YesNoAnswers(ConfigOnlyPolicy):
    """Takes the turn after a configured yes/no question when the answer says yes or no."""

    @staticmethod
    def get_default_config() -> Dict[str, Any]:
        """questions: question action -> answers; words: the yes/no words file; above RulePolicy."""
        return {QUESTIONS_KEY: {}, WORDS_KEY: "content/yes_no.yml", "priority": RULE_POLICY_PRIORITY + 1}

    @cached_property
    def questions(self) -> Dict[str, Question]:
        """The configured questions, by the action that asks them."""
        return {str(k): Question.from_config(v) for k, v in (self.config[QUESTIONS_KEY] or {}).items()}

    @cached_property
    def reader(self) -> YesNoReader:
        """The yes/no words, read from the content file on first use (NGO staff edit it)."""
        return YesNoReader.from_file(project_paths().root / self.config[WORDS_KEY])

    def check_domain(self, domain: Domain) -> None:
        """Every configured question, action and intent exists."""
        actions = set(domain.action_names_or_texts)
        missing = [name for name in self.questions if name not in actions]
        for question in self.questions.values():
            missing += [a for a in question.yes + question.no if a not in actions]
            missing += [question.failed] if question.failed and question.failed not in actions else []
            intents = question.yes_intents | question.no_intents | question.read_intents
            missing += [i for i in intents if i not in domain.intents]
        if missing or not self.questions:
            raise InvalidConfigException(f"{type(self).__name__}: unknown or no questions: {missing}")

    def choose_action(self, tracker: DialogueStateTracker, domain: Domain) -> Optional[str]:
        """The answer's next action when the turn answers a configured question, else None."""
        return next_action(tracker, self.questions, self.reader)
