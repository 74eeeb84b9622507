"""A lesson too long for one SMS, through the real Rasa server and the Twilio webhook: its pages
come one by one on "More", and its options (Next, Menu...) answer by number."""

from __future__ import annotations

import pytest

from bot.nlg import ResponseContext
from bot.sms.budget import more_title
from bot.sms.compose import compose
from tests.channels.test_sms import RENDERER, new_number
from tests.channels.test_sms import sms as sms  # noqa: F401  (the server fixture)

pytestmark = pytest.mark.server


def pages(key: str, language: str, country: str) -> list[str]:
    """The SMS pages the channel must send for `key`, as it composes them."""
    context = ResponseContext(language, RENDERER.profile(country))
    rendered = RENDERER.render(key, context, "sms", {})
    assert rendered is not None
    sms_ = compose(str(rendered["text"]), rendered.get("buttons") or [], 3, more_title(RENDERER, context))
    return [page.body for page in sms_.pages]


def test_a_long_lesson_card_comes_in_pages_and_keeps_its_options(sms):  # noqa: F811
    # Before: the Ukrainian card cost 5 segments and lost "Other lessons", "Quiz" and "Menu".
    number = new_number("ukraine", 900)
    steps = [
        ("HELP", "utter_help"),
        ("4", "utter_lessons_menu"),
        ("1", "utter_lesson_signs_1"),
        ("1", "utter_lesson_signs_2"),
        ("1", "utter_lesson_signs_3"),
    ]
    expected: list[str] = []
    for text, key in steps:
        assert sms.twilio(number, text) == 200
        expected.append(pages(key, "uk", "ukraine")[0])
        assert sms.replies(number, len(expected)) == expected
    card = pages("utter_lesson_signs_3", "uk", "ukraine")
    assert len(card) == 2 and card[0].endswith("\n1 Далі")
    assert card[1].endswith("\n1 Інші уроки\n2 Вікторина\n3 Меню")
    assert sms.twilio(number, "1") == 200  # "More"
    expected.append(card[1])
    assert sms.replies(number, len(expected)) == expected
    assert sms.twilio(number, "3") == 200  # "Menu" of the second page
    expected.append(pages("utter_help", "uk", "ukraine")[0])
    assert sms.replies(number, len(expected)) == expected
