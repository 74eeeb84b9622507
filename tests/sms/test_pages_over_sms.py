"""A lesson too long for one SMS, through the real Rasa server and the Twilio webhook: its pages
come one by one on "More", and its options (Next, Menu...) answer by number."""

from __future__ import annotations

import pytest

from tests.assistant import Sms, new_number
from tests.sms.expected import pages

pytestmark = pytest.mark.server


def test_a_long_lesson_card_comes_in_pages_and_keeps_its_options(sms: Sms) -> None:
    # Before: the Ukrainian card cost 5 segments and lost "Other lessons", "Quiz" and "Menu".
    number = new_number("ukraine")
    steps = [
        ("HELP", "utter_help"),
        ("4", "utter_lessons_menu"),
        ("1", "utter_lesson_signs_1"),
        ("1", "utter_lesson_signs_2"),
        ("1", "utter_lesson_signs_3"),
    ]
    for text, key in steps:
        assert sms.say(number, text, 1) == [pages(key, "uk", "ukraine")[0]], text
    card = pages("utter_lesson_signs_3", "uk", "ukraine")
    assert len(card) == 2 and card[0].endswith("\n1 Далі")
    assert card[1].endswith("\n1 Інші уроки\n2 Вікторина\n3 Меню")
    assert sms.say(number, "1", 1) == [card[1]]  # "More"
    assert sms.say(number, "3", 1) == pages("utter_help", "uk", "ukraine")  # "Menu" of the second page
