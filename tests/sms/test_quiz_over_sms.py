"""The quiz by SMS (issue 14, item 6): every quiz message is one SMS within the budget, the
questions end with numbered Yes/No in the person's language, and a whole quiz answered by
number through the real Rasa server and the Twilio webhook ends with the score."""

from __future__ import annotations

import pytest

from bot.i18n import SUPPORTED_LANGUAGES
from bot.sms.segments import gsm7_spelling
from tests.assistant import Sms, new_number
from tests.sms.expected import RENDERER, composed

QUIZ = sorted(key for key in RENDERER.responses if key.startswith("utter_quiz_"))
QUESTIONS = [f"utter_quiz_q{n}" for n in range(1, 6)]


def pages(key: str, language: str, country: str, score: tuple[int, int] = (5, 5)) -> list[str]:
    """The SMS pages the channel sends for `key`; every option kept, every page within the budget."""
    sms_ = composed(key, language, country, values={"score": score[0], "total": score[1]})
    assert not sms_.options_dropped and all(page.fits for page in sms_.pages), (key, language)
    return [page.body for page in sms_.pages]


def translated(title: str, language: str) -> str:
    return RENDERER.catalogs.gettext(language, title)


def ends_with(body: str, options: str) -> bool:
    """`body` ends with `options`, as written or in the GSM-7 spelling used for fr/es (ç→c, í→i)."""
    return body.endswith(options) or body.endswith(gsm7_spelling(options) or options)


@pytest.mark.parametrize("language", SUPPORTED_LANGUAGES)
@pytest.mark.parametrize("country", sorted(RENDERER.profiles))
def test_every_quiz_message_is_one_sms_and_questions_end_with_numbered_yes_no(language, country):
    assert len(QUIZ) == 1 + 5 * 3 + 2  # intro, 5 questions and their 2 feedbacks, score, end
    for key in QUIZ:
        assert len(pages(key, language, country)) == 1, (key, language, country)
    yes_no = f"\n1 {translated('Yes', language)}\n2 {translated('No', language)}"
    for key in QUESTIONS:
        assert ends_with(pages(key, language, country)[0], yes_no), (key, language)
    end = pages("utter_quiz_end", language, country)[0]
    lessons, menu = translated("Safety lessons", language), translated("Menu", language)
    assert ends_with(end, f"\n1 {lessons}\n2 {menu}")


@pytest.mark.server
def test_a_whole_quiz_answered_by_number(sms: Sms) -> None:
    number = new_number("ukraine")
    # q1 yes (right), q2 yes (wrong), q3 yes (right), q4 no (wrong), q5 yes (right): 3 of 5.
    steps = [
        ("/start_quiz", ["utter_quiz_intro", "utter_quiz_q1"]),
        ("1", ["utter_quiz_q1_right", "utter_quiz_q2"]),
        ("1", ["utter_quiz_q2_wrong", "utter_quiz_q3"]),
        ("1", ["utter_quiz_q3_right", "utter_quiz_q4"]),
        ("2", ["utter_quiz_q4_wrong", "utter_quiz_q5"]),
        ("1", ["utter_quiz_q5_right", "utter_quiz_score", "utter_quiz_end"]),
    ]
    [menu] = pages("utter_help", "uk", "ukraine")
    assert sms.say(number, "HELP", 1) == [menu]
    quiz_option = next(
        line.split(" ", 1)[0] for line in menu.splitlines() if line.endswith(" " + translated("Quiz", "uk"))
    )
    said: list[str] = []
    for text, keys in steps:
        expected = [pages(key, "uk", "ukraine", score=(3, 5))[0] for key in keys]
        assert sms.say(number, quiz_option if text == "/start_quiz" else text, len(keys)) == expected, text
        said += expected
    assert "Правильних відповідей: 3 з 5." in said
