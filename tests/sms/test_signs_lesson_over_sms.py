"""The warning-signs lesson over SMS stays text (issue 14, "Pictures"): the same SMS as before the
pictures, in the person's language, and no picture or caption, through the real Rasa server and the
Twilio webhook."""

from __future__ import annotations

import pytest

from bot.content.pictures import alt_key
from bot.nlg import ResponseContext
from tests.channels.test_sms import RENDERER, new_number
from tests.channels.test_sms import sms as sms  # noqa: F401  (the server fixture)
from tests.sms.test_pages_over_sms import pages

pytestmark = pytest.mark.server

STEPS = [
    ("HELP", "utter_help"),
    ("4", "utter_lessons_menu"),
    ("1", "utter_lesson_signs_1"),
    ("1", "utter_lesson_signs_2"),
    ("1", "utter_lesson_signs_3"),
]


@pytest.mark.parametrize(
    ("number", "language", "country"),
    [
        ("+447700900414", "en", "generic"),  # no profile for the number: English, the generic profile
        (new_number("ukraine", 914), "uk", "ukraine"),
        (new_number("cambodia", 914), "km", "cambodia"),
    ],
)
def test_the_signs_lesson_is_text_only_on_sms(sms, number, language, country):  # noqa: F811
    expected: list[str] = []
    for text, key in STEPS:
        assert sms.twilio(number, text) == 200
        expected.append(pages(key, language, country)[0])
        assert sms.replies(number, len(expected)) == expected
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
