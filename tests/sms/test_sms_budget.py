"""Every response, in every language, with every country profile's numbers, keeps the SMS budget.

The budget (bot/sms/budget.py, README "SMS"): every SMS costs at most 3 segments (the default
`segment_budget`); a longer message goes out in pages that end with a numbered "More", and no
option is ever dropped; a safety answer is one SMS of at most 2 segments (all its steps at once).
French and Spanish use a GSM-7 spelling (á→a, ç→c; é and ñ stay) where it saves segments.
Responses added later are covered without touching this test.
"""

from __future__ import annotations

import pytest

from bot.i18n import SUPPORTED_LANGUAGES
from bot.nlg import build_renderer
from bot.paths import project_paths
from bot.sms.budget import SAFETY_RESPONSES, SAFETY_SEGMENT_BUDGET, sms_forms
from bot.sms.compose import MORE_PAYLOAD
from bot.sms.segments import gsm7_spelling
from tests import factories

LESSON_NEXT = ["/next", "/help"]
LESSON_END = ['/help{"lessons_menu": "yes"}', "/start_quiz", "/help"]


@pytest.fixture(scope="module")
def renderer():
    return build_renderer(project_paths(factories.PROJECT_ROOT))


@pytest.fixture(scope="module")
def forms(renderer):
    return list(sms_forms(renderer))


@pytest.mark.parametrize("language", SUPPORTED_LANGUAGES)
def test_every_response_keeps_the_budget_with_every_profile(forms, renderer, language):
    mine = [f for f in forms if f.language == language]
    assert {f.key for f in mine} == set(renderer.responses)
    assert {f.country for f in mine} == set(renderer.profiles)
    broken = [(f.key, f.country, f.variation, f.problems) for f in mine if f.problems]
    assert broken == []


@pytest.mark.parametrize("language", SUPPORTED_LANGUAGES)
def test_safety_answers_are_one_sms_of_two_segments(forms, language):
    safety = [f for f in forms if f.language == language and f.key in SAFETY_RESPONSES]
    assert {f.key for f in safety} >= {"utter_found_object", "utter_in_hazard_area", "utter_someone_injured"}
    costs = {(f.key, f.country): [p.cost.segments for p in f.sms.pages] for f in safety}
    assert {k: c for k, c in costs.items() if len(c) > 1 or c[0] > SAFETY_SEGMENT_BUDGET} == {}


@pytest.mark.parametrize("language", SUPPORTED_LANGUAGES)
def test_lesson_cards_keep_next_and_menu_as_numbered_options(forms, language):
    # Before: the last options of a long card were dropped to fit ("Next" and "Menu" lost).
    cards = [f for f in forms if f.language == language and f.key.startswith("utter_lesson_")]
    assert len({f.key for f in cards}) == 19
    for form in cards:
        *earlier, last = form.sms.pages
        assert all(page.payloads == [MORE_PAYLOAD] for page in earlier), form.key
        assert last.payloads in (LESSON_NEXT, LESSON_END), form.key


def test_survivor_rights_fit_one_sms_with_its_three_options(forms):
    # Before: 5 to 7 segments in uk/ar/km/fr/es, options dropped.
    rights = [f for f in forms if f.key == "utter_ask_survivor_rights"]
    assert {(f.language, len(f.sms.pages), f.sms.payloads[-1]) for f in rights} == {
        (language, 1, "/help") for language in SUPPORTED_LANGUAGES
    }


@pytest.mark.parametrize("language", ["fr", "es"])
def test_french_and_spanish_are_gsm7_whenever_that_saves_a_segment(forms, language):
    # Before: one "á" or "ç" made the whole SMS UCS-2.
    costly = [
        (f.key, f.country)
        for f in forms
        if f.language == language
        for page in f.sms.pages
        if page.cost.encoding == "UCS-2" and page.cost.segments > 1 and gsm7_spelling(page.body) is not None
    ]
    assert costly == []
