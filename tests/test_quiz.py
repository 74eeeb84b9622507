"""The quiz's content and score (issue 14, item 6), without servers.

Before: the questions stated myths as facts ("If there is no warning sign, there
are no mines. True?") and the quiz had no score.
"""

from __future__ import annotations

import asyncio
import re

import pytest
import yaml
from rasa.shared.core.events import ActionExecuted, ActionExecutionRejected, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot.i18n import SUPPORTED_LANGUAGES
from bot.nlg import LocalizedNLG, ResponseContext, build_renderer
from bot.paths import project_paths
from bot.quiz import quiz_score
from tests import factories
from tests.factories import PROJECT_ROOT

# The fact each question teaches: the last sentence of both its feedbacks, in English.
FACTS = {
    1: "Never touch them.",
    2: "Treat any unknown object as dangerous.",
    3: "Only trained deminers search the ground for mines.",
    4: "Move away the way you came first, then call from a distance.",
    5: "A place without a sign can still be dangerous.",
}
# The right answer to each question: True for yes.
RIGHT = {1: True, 2: False, 3: True, 4: True, 5: True}


@pytest.fixture(scope="module")
def renderer():
    return build_renderer(project_paths(PROJECT_ROOT))


def load(name: str) -> dict:
    return yaml.safe_load((PROJECT_ROOT / name).read_text(encoding="utf-8"))


def text(renderer, key: str, language: str = "en") -> str:
    return renderer.render(key, ResponseContext(language, renderer.profile(None)), "rest", {})["text"]


def test_the_quiz_has_the_five_positive_questions(renderer):
    questions = sorted(k for k in renderer.responses if re.fullmatch(r"utter_quiz_q\d+", k))
    assert questions == [f"utter_quiz_q{n}" for n in FACTS]
    assert [text(renderer, k) for k in questions] == [
        "Can an old, rusty shell still explode?",
        "Does every mine or bomb look like a weapon?",
        "Should only trained deminers search the ground for mines?",
        "You see a strange object near the road. Should you move away first, and then call to report it?",
        "Can there be mines where there is no warning sign?",
    ]


@pytest.mark.parametrize("number", sorted(FACTS))
def test_every_feedback_ends_with_the_fact(renderer, number):
    right, wrong = (text(renderer, f"utter_quiz_q{number}_{kind}") for kind in ("right", "wrong"))
    assert right.startswith("Right. ") and wrong.startswith("Not quite. ")
    assert right.endswith(FACTS[number]) and wrong.endswith(FACTS[number])


def last_sentence(message: str) -> str:
    """The message's last sentence or clause, without its full stop, case folded."""
    parts = [p for p in re.split(r"[.:។៖]\s*", message.strip()) if p.strip()]
    return parts[-1].strip().casefold()


@pytest.mark.parametrize("language", SUPPORTED_LANGUAGES)
@pytest.mark.parametrize("number", sorted(FACTS))
def test_both_feedbacks_end_with_the_same_fact_in_every_language(renderer, language, number):
    right, wrong = (text(renderer, f"utter_quiz_q{number}_{kind}", language) for kind in ("right", "wrong"))
    assert last_sentence(right) == last_sentence(wrong)
    assert language == "en" or right != text(renderer, f"utter_quiz_q{number}_right")  # translated
    assert not right.rstrip().endswith(("?", "؟")) and not wrong.rstrip().endswith(("?", "؟"))


def test_rules_and_the_yes_no_policy_agree_on_the_right_answers():
    rules = {r["rule"]: r["steps"] for r in load("data/rules.yml")["rules"]}
    questions = next(p for p in load("config.yml")["policies"] if p["name"].endswith("YesNoAnswers"))[
        "questions"
    ]
    for number, yes in RIGHT.items():
        after = (
            [f"utter_quiz_q{number + 1}"] if number < len(RIGHT) else ["utter_quiz_score", "utter_quiz_end"]
        )
        right, wrong = [f"utter_quiz_q{number}_right", *after], [f"utter_quiz_q{number}_wrong", *after]
        config = questions[f"utter_quiz_q{number}"]
        assert (config["on_yes"], config["on_no"]) == ((right, wrong) if yes else (wrong, right))
        for kind, answer in (("right", yes), ("wrong", not yes)):
            steps = rules[f"quiz q{number} {kind}"]
            assert steps[1] == {"intent": "affirm" if answer else "deny"}
            assert [s["action"] for s in steps[2:]] == (right if kind == "right" else wrong)


def test_the_score_counts_the_right_answers_of_the_latest_quiz():
    events = [
        ActionExecuted("utter_quiz_intro"),
        ActionExecuted("utter_quiz_q1_right"),  # an earlier quiz: not counted
        ActionExecuted("utter_quiz_intro"),
        ActionExecuted("utter_quiz_q1_right"),
        ActionExecutionRejected("utter_quiz_q2_right"),
        ActionExecuted("utter_quiz_q2_wrong"),
        UserUttered("/affirm"),
        ActionExecuted("utter_quiz_q3_right"),
    ]
    assert quiz_score(events) == {"score": 2, "total": 3}
    assert quiz_score(events[:1]) == {"score": 0, "total": 0}
    assert quiz_score([ActionExecuted("utter_quiz_q1_right")]) == {}


@pytest.mark.parametrize(
    ("language", "line"),
    [
        ("en", "You got 2 of 3 right."),
        ("fr", "Bonnes réponses : 2 sur 3."),
        ("es", "Respuestas correctas: 2 de 3."),
        ("uk", "Правильних відповідей: 2 з 3."),
        ("ar", "إجاباتك الصحيحة: 2 من 3."),
        ("km", "អ្នកឆ្លើយត្រូវ 2 ក្នុងចំណោម 3។"),
    ],
)
def test_the_nlg_says_the_score_from_the_conversation(renderer, language, line):
    events = [
        *factories.tracker(language=language).events,
        ActionExecuted("utter_quiz_intro"),
        ActionExecuted("utter_quiz_q1_wrong"),
        ActionExecuted("utter_quiz_q2_right"),
        ActionExecuted("utter_quiz_q3_right"),
    ]
    tracker = DialogueStateTracker.from_events("quiz", events, slots=factories.DOMAIN.slots)
    nlg = LocalizedNLG(renderer=renderer)
    reply = asyncio.run(nlg.generate("utter_quiz_score", tracker, "rest"))
    assert reply is not None and reply["text"] == line
