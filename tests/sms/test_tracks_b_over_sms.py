"""The fishers-and-hunters, drivers, returnees, older-people and disability tracks by SMS (issue 14).

Every card, in every language with every country profile, is one SMS within the budget whose
options are numbered Next/Menu (or Other lessons/Quiz/Menu on the last card); and a person on a
basic phone goes through a track by typing a question and then the option numbers.
"""

from __future__ import annotations

import pytest

from bot.i18n import SUPPORTED_LANGUAGES
from bot.sms import DEFAULT_SEGMENT_BUDGET
from bot.sms.budget import sms_forms
from tests.assistant import Sms, new_number
from tests.sms.expected import RENDERER, one

TRACKS = {"fishers_hunters": 3, "drivers": 3, "returnees": 3, "older": 2, "disability": 3}
KEYS = [f"utter_track_{track}_{n}" for track, cards in TRACKS.items() for n in range(1, cards + 1)]
LAST_CARDS = {f"utter_track_{track}_{cards}" for track, cards in TRACKS.items()}
NEXT_OPTIONS = ["/next", "/help"]
END_OPTIONS = ['/help{"lessons_menu": "yes"}', "/start_quiz", "/help"]


@pytest.mark.parametrize("language", SUPPORTED_LANGUAGES)
def test_every_track_card_is_one_sms_within_budget_with_numbered_options(language: str) -> None:
    forms = list(sms_forms(RENDERER, keys=KEYS, languages=[language]))
    assert {(f.key, f.country) for f in forms} == {(k, c) for k in KEYS for c in RENDERER.profiles}
    for form in forms:
        assert form.problems == [], (form.key, form.country)
        assert len(form.sms.pages) == 1, (form.key, form.country)
        page = form.sms.pages[0]
        assert page.cost.segments <= DEFAULT_SEGMENT_BUDGET
        options = END_OPTIONS if form.key in LAST_CARDS else NEXT_OPTIONS
        assert page.payloads == options, form.key
        menu = page.body.splitlines()[-len(options) :]
        assert [line.split(" ", 1)[0] for line in menu] == [str(i) for i in range(1, len(options) + 1)]


@pytest.mark.server
@pytest.mark.parametrize(
    ("country", "language", "question", "track"),
    [
        ("ukraine", "uk", "я рибалю на річці, чи це небезпечно?", "fishers_hunters"),
        ("colombia", "es", "manejo un camión por caminos rurales, ¿qué riesgos hay?", "drivers"),
        ("lebanon", "ar", "نحن نعود إلى قريتنا، ماذا يجب أن نعرف؟", "returnees"),
        ("cambodia", "km", "យាយខ្ញុំជាមនុស្សចាស់ តើគាត់អាចជៀសវាងមីនដោយរបៀបណា?", "older"),
        ("ukraine", "uk", "я пересуваюся на візку, як уникнути мін?", "disability"),
    ],
)
def test_a_typed_question_then_option_1_goes_through_the_track_by_sms(
    sms: Sms, country: str, language: str, question: str, track: str
) -> None:
    number = new_number(country)
    for n in range(1, TRACKS[track] + 1):
        said = sms.say(number, question if n == 1 else "1", 1)  # "1" is Next
        assert said == [one(f"utter_track_{track}_{n}", language, country)], n
