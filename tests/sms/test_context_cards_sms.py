"""The seasonal lesson, the country cards and the floods cards as SMS (issue 14): every language,
every profile, within the SMS budget (at most 3 segments a page, no option dropped)."""

from __future__ import annotations

import pytest

from bot.i18n import SUPPORTED_LANGUAGES
from bot.nlg import build_renderer
from bot.paths import project_paths
from bot.sms.compose import MORE_PAYLOAD
from tests import factories

KEYS = [
    "utter_lesson_floods_1",
    "utter_lesson_floods_2",
    "utter_lesson_climate_1",
    "utter_lesson_climate_2",
    "utter_lesson_climate_3",
    "utter_lesson_climate_4",
    "utter_country_cards_none",
    "utter_lessons_menu",
    "utter_card_ukraine_1",
    "utter_card_ukraine_2",
    "utter_card_ukraine_3",
    "utter_card_lebanon_1",
    "utter_card_lebanon_2",
    "utter_card_cambodia_1",
    "utter_card_cambodia_2",
    "utter_card_colombia_1",
    "utter_card_colombia_2",
]


@pytest.fixture(scope="module")
def renderer():
    return build_renderer(project_paths(factories.PROJECT_ROOT))


@pytest.mark.parametrize("language", SUPPORTED_LANGUAGES)
def test_new_lessons_and_cards_keep_the_sms_budget(renderer, language):
    from bot.sms.budget import sms_forms

    forms = list(sms_forms(renderer, keys=KEYS, languages=[language]))
    assert {f.key for f in forms} == set(KEYS)
    assert [(f.key, f.country, f.problems) for f in forms if f.problems] == []
    for form in forms:
        *earlier, last = form.sms.pages
        assert all(page.payloads == [MORE_PAYLOAD] for page in earlier), form.key
        assert len(form.sms.pages) <= 2, (form.key, form.country, [p.body for p in form.sms.pages])
        # The options come last, every one of them, numbered.
        assert last.payloads and last.payloads[-1] == "/help", form.key
