"""The quiz through the real REST server, in every language (issue 14, item 6).

Before: the questions stated myths as facts ("An old, rusty shell is no longer
dangerous. True?"), the right answer to three of them was "No", and the quiz
ended without a score. Now every question asks about the true fact, every
feedback ends with the fact, and the end says "You got {score} of {total}
right." (counted by the NLG, bot/quiz.py), then the key rules with the lessons
and menu buttons. Typed yes/no words answer as the buttons do.
"""

from __future__ import annotations

from typing import Iterator, Optional, Sequence

import pytest

from bot.i18n import SUPPORTED_LANGUAGES
from bot.nlg import ResponseContext, ResponseRenderer
from tests.assistant import Assistant, new_sender, texts
from tests.factories import GRENADE
from tests.servers import rasa_server_alone

pytestmark = pytest.mark.server

# The right answer to each question: q1 yes, q2 no, q3 yes, q4 yes, q5 yes.
RIGHT_ANSWERS = (True, False, True, True, True)
QUESTIONS = len(RIGHT_ANSWERS)

# Typed answers people write, in each language: yes, yes, no, yes, no.
TYPED = {
    "en": ["yes", "yeah", "no", "yes of course", "nope"],
    "fr": ["oui", "ouais", "non", "oui bien sûr", "non"],
    "es": ["sí", "si claro", "no", "sí", "no"],
    "uk": ["так", "так, звісно", "ні", "так", "ні"],
    "ar": ["نعم", "ايوه", "لا", "نعم", "لا"],
    "km": ["បាទ", "ចាស", "ទេ", "បាទ", "អត់ទេ"],
}
TYPED_SAYS = (True, True, False, True, False)  # q1 right, q2 wrong, q3 wrong, q4 right, q5 wrong: 2 of 5
BUTTONS_SAY = (True, True, True, False, True)  # q1 right, q2 wrong, q3 right, q4 wrong, q5 right: 3 of 5


def say(
    expected: ResponseRenderer, language: str, *keys: str, score: Optional[tuple[int, int]] = None
) -> list[str]:
    """The texts of `keys` in `language` (generic profile); `score` fills the score line."""
    context = ResponseContext(language, expected.profile(None))
    extra = {"score": score[0], "total": score[1]} if score else {}
    return [expected.render(key, context, "rest", extra)["text"] for key in keys]


def expected_turns(said: Sequence[bool]) -> list[tuple[str, ...]]:
    """The response keys after each answer, for answers `said` (True for yes)."""
    turns = []
    right = 0
    for number, (answer, correct) in enumerate(zip(said, RIGHT_ANSWERS, strict=True), start=1):
        verdict = "right" if answer == correct else "wrong"
        right += verdict == "right"
        after = (
            (f"utter_quiz_q{number + 1}",) if number < QUESTIONS else ("utter_quiz_score", "utter_quiz_end")
        )
        turns.append((f"utter_quiz_q{number}_{verdict}", *after))
    return turns


def start(rest: Assistant, expected: ResponseRenderer, language: str) -> str:
    sender = new_sender()
    rest.send(sender, f'/set_language{{"language": "{language}"}}')
    assert texts(rest.send(sender, "/start_quiz")) == say(
        expected, language, "utter_quiz_intro", "utter_quiz_q1"
    )
    return sender


def play(
    rest: Assistant, expected: ResponseRenderer, language: str, answers: Sequence[str], said: Sequence[bool]
) -> None:
    sender = start(rest, expected, language)
    score = sum(a == r for a, r in zip(said, RIGHT_ANSWERS, strict=True))
    turns = expected_turns(said)
    for message, keys in zip(answers, turns, strict=True):
        replies = texts(rest.send(sender, message))
        assert replies == say(expected, language, *keys, score=(score, QUESTIONS)), (message, keys)
    # What follows each answer starts with its feedback, which ends with the fact (tests/test_quiz.py).


@pytest.mark.parametrize("language", SUPPORTED_LANGUAGES)
def test_the_whole_quiz_by_buttons_gives_the_facts_and_the_score(rest, expected, language):
    answers = ["/affirm" if yes else "/deny" for yes in BUTTONS_SAY]
    play(rest, expected, language, answers, BUTTONS_SAY)


@pytest.mark.parametrize("language", SUPPORTED_LANGUAGES)
def test_the_whole_quiz_by_typed_yes_and_no_words(rest, expected, language):
    play(rest, expected, language, TYPED[language], TYPED_SAYS)


def test_the_score_line_says_how_many_were_right(expected):
    assert say(expected, "en", "utter_quiz_score", score=(3, 5)) == ["You got 3 of 5 right."]
    assert say(expected, "uk", "utter_quiz_score", score=(3, 5)) == ["Правильних відповідей: 3 з 5."]
    assert say(expected, "en", "utter_quiz_q1") == ["Can an old, rusty shell still explode?"]


def test_a_new_quiz_counts_from_zero(rest, expected):
    sender = start(rest, expected, "en")
    for message in ("/affirm", "/deny", "/affirm", "/affirm"):
        rest.send(sender, message)
    assert texts(rest.send(sender, "/affirm"))[-2] == "You got 5 of 5 right."
    rest.send(sender, "/start_quiz")
    for message in ("/deny", "/affirm", "/deny", "/deny"):
        rest.send(sender, message)
    assert texts(rest.send(sender, "/deny")) == say(
        expected, "en", "utter_quiz_q5_wrong", "utter_quiz_score", "utter_quiz_end", score=(0, 5)
    )


@pytest.mark.parametrize("language", SUPPORTED_LANGUAGES)
def test_a_safety_message_in_the_middle_of_the_quiz_gets_the_safety_answer(rest, expected, language):
    sender = start(rest, expected, language)
    rest.send(sender, TYPED[language][0])
    assert texts(rest.send(sender, GRENADE[language])) == say(expected, language, "utter_found_object")
    # The quiz is left: a "yes" now is not an answer to question 2.
    assert texts(rest.send(sender, TYPED[language][0])) == say(expected, language, "utter_help")


@pytest.mark.parametrize("language", SUPPORTED_LANGUAGES)
def test_menu_leaves_the_quiz(rest, expected, language):
    menu = {"en": "menu", "fr": "menu", "es": "menú", "uk": "меню", "ar": "قائمة", "km": "ម៉ឺនុយ"}[language]
    sender = start(rest, expected, language)
    assert texts(rest.send(sender, menu)) == say(expected, language, "utter_help")
    assert texts(rest.send(sender, "/affirm")) == say(expected, language, "utter_help")


def test_stop_leaves_the_quiz(rest, expected):
    sender = start(rest, expected, "en")
    replies = texts(rest.send(sender, "stop"))
    assert replies == say(expected, "en", "utter_unsubscribe")
    assert texts(rest.send(sender, "yes")) == say(expected, "en", "utter_help")


@pytest.fixture(scope="module")
def rasa_alone(tmp_path_factory) -> Iterator[Assistant]:
    """The Rasa server without its action server (which is not started at all)."""
    folder = tmp_path_factory.mktemp("quiz-alone")
    with rasa_server_alone(folder) as url:
        yield Assistant(url, folder / "tracker.db", "sqlite://", "")


def test_the_quiz_and_its_score_need_no_action_server(rasa_alone, expected):
    play(rasa_alone, expected, "en", ["/affirm" if yes else "/deny" for yes in BUTTONS_SAY], BUTTONS_SAY)
