"""The fishers-and-hunters, drivers, returnees, older-people and disability tracks by SMS (issue 14).

Every card, in every language with every country profile, is one SMS within the budget whose
options are numbered Next/Menu (or Other lessons/Quiz/Menu on the last card); and a person on a
basic phone goes through a track by typing a question and then the option numbers.
"""

from __future__ import annotations

import pytest

from bot.i18n import SUPPORTED_LANGUAGES
from bot.nlg import ResponseContext
from bot.sms import DEFAULT_SEGMENT_BUDGET
from bot.sms.budget import more_title, sms_forms
from bot.sms.compose import compose
from tests.channels.test_sms import RENDERER, new_number
from tests.channels.test_sms import sms as sms  # noqa: F401  (the server fixture)

TRACKS = {"fishers_hunters": 3, "drivers": 3, "returnees": 3, "older": 2, "disability": 3}
KEYS = [f"utter_track_{track}_{n}" for track, cards in TRACKS.items() for n in range(1, cards + 1)]
LAST_CARDS = {f"utter_track_{track}_{cards}" for track, cards in TRACKS.items()}
NEXT_OPTIONS = ["/next", "/help"]
END_OPTIONS = ['/help{"lessons_menu": "yes"}', "/start_quiz", "/help"]


@pytest.mark.parametrize("language", SUPPORTED_LANGUAGES)
def test_every_track_card_is_one_sms_within_budget_with_numbered_options(language):
    forms = list(sms_forms(RENDERER, keys=KEYS, languages=[language]))
    assert {f.key for f in forms} == set(KEYS)
    assert {f.country for f in forms} == set(RENDERER.profiles)
    for form in forms:
        assert form.problems == [], (form.key, form.country)
        assert len(form.sms.pages) == 1, (form.key, form.country)
        page = form.sms.pages[0]
        assert page.cost.segments <= DEFAULT_SEGMENT_BUDGET
        options = END_OPTIONS if form.key in LAST_CARDS else NEXT_OPTIONS
        assert page.payloads == options, form.key
        menu = page.body.splitlines()[-len(options) :]
        assert [line.split(" ", 1)[0] for line in menu] == [str(i) for i in range(1, len(options) + 1)]


def first_page(key: str, language: str, country: str) -> str:
    """The SMS the channel must send for `key`, as it composes it."""
    context = ResponseContext(language, RENDERER.profile(country))
    rendered = RENDERER.render(key, context, "sms", {})
    assert rendered is not None
    composed = compose(str(rendered["text"]), rendered.get("buttons") or [], 3, more_title(RENDERER, context))
    assert len(composed.pages) == 1
    return composed.pages[0].body


@pytest.mark.server
@pytest.mark.parametrize(
    "country, language, serial, question, track",
    [
        ("ukraine", "uk", 1401, "я рибалю на річці, чи це небезпечно?", "fishers_hunters"),
        ("colombia", "es", 1402, "manejo un camión por caminos rurales, ¿qué riesgos hay?", "drivers"),
        ("lebanon", "ar", 1403, "نحن نعود إلى قريتنا، ماذا يجب أن نعرف؟", "returnees"),
        ("cambodia", "km", 1404, "យាយខ្ញុំជាមនុស្សចាស់ តើគាត់អាចជៀសវាងមីនដោយរបៀបណា?", "older"),
        ("ukraine", "uk", 1405, "я пересуваюся на візку, як уникнути мін?", "disability"),
    ],
)
def test_a_typed_question_then_option_1_goes_through_the_track_by_sms(
    sms,  # noqa: F811
    country,
    language,
    serial,
    question,
    track,
):
    number = new_number(country, serial)
    expected: list[str] = []
    for n in range(1, TRACKS[track] + 1):
        assert sms.twilio(number, question if n == 1 else "1") == 200  # "1" is Next
        expected.append(first_page(f"utter_track_{track}_{n}", language, country))
        assert sms.replies(number, len(expected)) == expected
