"""The warning-signs lesson over SMS stays text (issue 14, "Pictures"): the same SMS as before the
pictures, in the person's language, and no picture or caption, through the real Rasa server and the
Twilio webhook."""

from __future__ import annotations

import pytest

from bot.content.pictures import alt_key
from bot.nlg import ResponseContext
from tests.assistant import Sms, new_number
from tests.sms.expected import RENDERER, pages

pytestmark = pytest.mark.server

STEPS = [
    ("HELP", "utter_help"),
    ("4", "utter_lessons_menu"),
    ("1", "utter_lesson_signs_1"),
    ("1", "utter_lesson_signs_2"),
    ("1", "utter_lesson_signs_3"),
]


@pytest.mark.parametrize(
    ("language", "country"),
    [
        ("en", "generic"),  # a number of no profile's country: English, the generic profile
        ("uk", "ukraine"),
        ("km", "cambodia"),
    ],
)
def test_the_signs_lesson_is_text_only_on_sms(sms: Sms, language: str, country: str) -> None:
    number = new_number(country)
    expected: list[str] = []
    for text, key in STEPS:
        first_page = pages(key, language, country)[0]
        assert sms.say(number, text, 1) == [first_page], text
        expected.append(first_page)
    # The cards are their SMS variants, which carry no pictures; no caption is sent either.
    context = ResponseContext(language, RENDERER.profile(country))
    for key in ("utter_lesson_signs_1", "utter_lesson_signs_2"):
        rendered = RENDERER.render(key, context, "sms", {})
        assert rendered is not None and "metadata" not in rendered
    captions = [
        RENDERER.render(alt_key(name), context, None, {})["text"]
        for name in RENDERER.profile(country).warning_pictures
    ]
    assert captions and not [c for c in captions if any(c in body for body in expected)]
