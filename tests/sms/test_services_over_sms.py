"""The services listing by SMS, through the real Rasa and action servers and the Twilio webhook:
each example service is one SMS within the budget, labelled as an example in the person's
language inside it (before: a separate English note that could arrive late), and "Emergency
care" from the numbered menu gives the injured-person answer first, with no referral offer."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Iterator

import pytest

from bot.nlg import ResponseContext
from bot.paths import ProjectPaths
from bot.services.commands import import_services
from bot.sms import DEFAULT_SEGMENT_BUDGET
from bot.sms.compose import compose
from bot.sms.segments import count_segments
from bot.store.db import Database
from tests.channels.fake_sms_gateway import FakeSmsGateway
from tests.channels.test_sms import AT_KEY, AUTH_TOKEN, PUBLIC_URL, RENDERER, SmsServer, new_number
from tests.factories import PROJECT_ROOT, africastalking_credentials, twilio_credentials
from tests.servers import rasa_with_actions

pytestmark = pytest.mark.server

LABEL_UK = "ПРИКЛАД, не справжня служба:"


@pytest.fixture(scope="module")
def sms(tmp_path_factory) -> Iterator[SmsServer]:
    """Both servers with the SMS channels and an app database holding the example directory."""
    gateway = FakeSmsGateway().start()
    folder: Path = tmp_path_factory.mktemp("sms-services")
    database = Database.from_url(f"sqlite:///{folder / 'app.db'}")
    try:
        out = io.StringIO()
        assert import_services(ProjectPaths(PROJECT_ROOT), database=database, out=out) == 0, out.getvalue()
    finally:
        database.dispose()
    credentials = twilio_credentials(AUTH_TOKEN, PUBLIC_URL, gateway.url) + africastalking_credentials(
        AT_KEY, gateway.url
    )
    try:
        with rasa_with_actions(folder, credentials) as url:
            yield SmsServer(url, gateway, folder / "tracker.db")
    finally:
        gateway.stop()


def expected(key: str) -> str:
    rendered = RENDERER.render(key, ResponseContext("uk", RENDERER.profile("ukraine")), "sms", {})
    assert rendered is not None
    return compose(str(rendered["text"]), rendered.get("buttons") or [], DEFAULT_SEGMENT_BUDGET).body


def test_each_example_service_is_one_sms_in_budget_with_its_label_in_ukrainian(sms):
    number = new_number("ukraine", 1401)
    sent = 0

    def say(text: str) -> list[str]:
        nonlocal sent
        assert sms.twilio(number, text) == 200
        new = sms.replies(number, sent + 1)
        sent = len(new)
        return new

    say("Я втратила ногу, де отримати протез?")
    said = say("Харків")
    # Wait for the whole listing: services then the referral offer.
    said = sms.replies(number, len(said) + 2)
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
    number = new_number("ukraine", 1402)
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
