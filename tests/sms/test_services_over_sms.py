"""The services listing by SMS, through the real Rasa and action servers and the Twilio webhook:
each example service is one SMS within the budget, labelled as an example in the person's
language inside it (before: a separate English note that could arrive late), and "Emergency
care" from the numbered menu gives the injured-person answer first, with no referral offer."""

from __future__ import annotations

import pytest

from bot.nlg import ResponseContext, build_renderer
from bot.paths import project_paths
from bot.sms import DEFAULT_SEGMENT_BUDGET
from bot.sms.compose import compose
from bot.sms.segments import count_segments
from tests.assistant import Sms, new_number
from tests.factories import PROJECT_ROOT
from tests.servers import Shared

pytestmark = pytest.mark.server

RENDERER = build_renderer(project_paths(PROJECT_ROOT))
LABEL_UK = "ПРИКЛАД, не справжня служба:"


@pytest.fixture(scope="module")
def sms(servers: Shared) -> Sms:
    """The shared servers' SMS channels; their app database holds the example directory."""
    return servers.sms


def expected(key: str) -> str:
    rendered = RENDERER.render(key, ResponseContext("uk", RENDERER.profile("ukraine")), "sms", {})
    assert rendered is not None
    return compose(str(rendered["text"]), rendered.get("buttons") or [], DEFAULT_SEGMENT_BUDGET).body


def test_each_example_service_is_one_sms_in_budget_with_its_label_in_ukrainian(sms):
    number = new_number("ukraine")
    sms.say(number, "Я втратила ногу, де отримати протез?", 1)
    # The whole listing: the region's answer, the services, then the referral offer.
    said = sms.say(number, "Харків", 3)
    listing = [body for body in said if body.startswith(LABEL_UK)]
    assert listing[0] == (
        f"{LABEL_UK}\n"
        "Приклад реабілітаційного центру: Протези, ортези, візки, фізтерапія\n"
        "Пн-Пт 9:00-17:00\n"
        "українська, російська, англійська\n"
        "Без сходинок; жестова мова\n"
        "Безкоштовно"
    )
    assert len(listing) == 2  # the Kharkiv centre, then the national network
    assert all(count_segments(body).segments <= DEFAULT_SEGMENT_BUDGET for body in listing)
    assert not any("EXAMPLE" in body for body in said)


def test_emergency_care_from_the_numbered_menu_gives_the_injured_answer_first(sms):
    number = new_number("ukraine")
    assert sms.twilio(number, "Де знайти допомогу для постраждалих?") == 200
    menu = sms.replies(number, 1)
    assert menu[-1].endswith("\n8 Громада\n9 Втрата рідних")
    assert menu[-1].split("\n")[1] == "1 Невідкладна допомога"
    assert sms.twilio(number, "1") == 200
    said = sms.replies(number, len(menu) + 2)
    assert said[len(menu)] == expected("utter_someone_injured")
    region_question = RENDERER.render(
        "utter_ask_service_region", ResponseContext("uk", RENDERER.profile("ukraine")), "sms", {}
    )
    assert said[len(menu) + 1].startswith(str(region_question["text"]) + "\n1 ")
