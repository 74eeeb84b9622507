"""Every safety answer's SMS version fits the default budget of 3 segments, in every language."""

from __future__ import annotations

import pytest

from bot.i18n import SUPPORTED_LANGUAGES
from bot.nlg import build_renderer
from bot.paths import project_paths
from bot.sms.segments import count_segments
from tests import factories

SMS_BUDGET = 3
SAFETY = ("utter_found_object", "utter_in_hazard_area", "utter_someone_injured", "utter_protection_concern")


@pytest.fixture(scope="module")
def renderer():
    return build_renderer(project_paths(factories.PROJECT_ROOT))


@pytest.mark.parametrize("language", SUPPORTED_LANGUAGES)
@pytest.mark.parametrize("country", ["ukraine", "cambodia", "colombia", "lebanon", "generic"])
def test_sms_safety_answers_fit_the_budget(renderer, language, country):
    context = renderer.context(factories.tracker(language=language, country=country))
    for key in SAFETY:
        reply = renderer.render(key, context, "sms", {})
        text = reply["text"]
        assert "{" not in text
        assert reply != renderer.render(key, context, "rest", {}), "the SMS variant must be used"
        count = count_segments(text)
        assert count.segments <= SMS_BUDGET, (key, language, country, count)
        if language in ("en", "fr", "es"):
            assert count.encoding == "GSM-7", (key, language, text)


@pytest.mark.parametrize("language", SUPPORTED_LANGUAGES)
def test_sms_main_menu_fits_with_every_option(renderer, language):
    from bot.sms.compose import compose

    context = renderer.context(factories.tracker(language=language, country="ukraine"))
    reply = renderer.render("utter_help", context, "sms", {})
    sms = compose(reply["text"], reply["buttons"], SMS_BUDGET)
    assert sms.fits and sms.options_dropped == 0, (language, sms.cost)
    if language in ("en", "fr", "es"):
        assert sms.cost.encoding == "GSM-7", (language, sms.body)
