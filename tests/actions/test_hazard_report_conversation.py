"""End to end: the hazard report form through the shared Rasa and action servers over REST.

Three languages; a Telegram-style location (the payload the Telegram channel sends);
a cancel; a safety question in the middle of the form, answered, then the form resumes.
The app database is the shared servers' (reports found by the test's own conversation).
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from bot.nlg import ResponseContext, build_renderer
from bot.paths import project_paths
from tests.assistant import Assistant
from tests.factories import PROJECT_ROOT, tracker
from tests.servers import Shared

pytestmark = pytest.mark.server


@pytest.fixture(scope="module")
def assistant(servers: Shared) -> Assistant:
    return servers.rest


@pytest.fixture(scope="module")
def renderer():
    return build_renderer(project_paths(PROJECT_ROOT))


class Expect:
    """What the assistant should say in one language and country."""

    def __init__(self, renderer, language: str, country: str) -> None:
        self.renderer = renderer
        self.context: ResponseContext = renderer.context(tracker(language=language, country=country))

    def __call__(self, key: str, channel: str = "rest", **extra: Any) -> str:
        return self.renderer.render(key, self.context, channel, extra)["text"]


def start(assistant: Assistant, sender: str, language: str, country: str) -> None:
    assistant.said(sender, f'/set_language{{"language": "{language}"}}')
    assistant.said(sender, f'/set_country{{"country": "{country}"}}')


def test_english_report_with_a_telegram_location_is_stored_then_confirmed(assistant, renderer):
    say = Expect(renderer, "en", "ukraine")
    sender = f"e2e-{uuid.uuid4().hex}"
    start(assistant, sender, "en", "ukraine")

    opening = assistant.said(sender, "/report_hazard")
    assert opening == say("utter_report_safety_first") + "\n" + say("utter_ask_hazard_type")
    uxo = assistant.said(sender, '/report_hazard{"hazard_type": "uxo"}')
    assert uxo == say("utter_ask_hazard_description")
    assert assistant.said(sender, "a rusty shell, half buried, about 40 cm") == say("utter_ask_hazard_place")
    # What bot.channels.telegram sends for a shared location: no place or region question follows.
    located = assistant.said(sender, '/report_hazard{"latitude": 49.988358, "longitude": 36.232845}')
    assert located == say("utter_location_received") + "\n" + say("utter_ask_hazard_seen")
    assert assistant.said(sender, '/report_hazard{"hazard_seen": "today"}') == say("utter_ask_hazard_injured")
    assert assistant.said(sender, "/deny") == say("utter_ask_hazard_consent")
    assert assistant.said(sender, "/affirm") == say("utter_ask_hazard_contact")
    confirmation = assistant.said(sender, "+380 50 123 4567")

    [report] = assistant.reports_of(sender)
    assert confirmation == say("utter_hazard_report_saved", reference=report.reference)
    assert "101" in confirmation and report.reference in confirmation
    assert (report.hazard_type, report.seen, report.injured, report.country) == ("uxo", "today", False, "UA")
    assert (report.latitude, report.longitude) == (49.988358, 36.232845)
    assert report.description == "a rusty shell, half buried, about 40 cm"
    assert (report.contact_consent, report.contact, report.language) == (True, "+380 50 123 4567", "en")


def test_french_report_cancelled_stores_nothing_and_starts_afresh(assistant, renderer):
    say = Expect(renderer, "fr", "lebanon")
    sender = f"e2e-{uuid.uuid4().hex}"
    start(assistant, sender, "fr", "lebanon")

    assistant.said(sender, "/report_hazard")
    assistant.said(sender, '/report_hazard{"hazard_type": "mine"}')
    assert assistant.said(sender, "/deny") == say("utter_ask_hazard_place")
    # Lebanon has regions: their buttons are in French, after "I don't know".
    buttons = assistant.buttons(sender, "près de l'école du village")
    titles = [b["title"] for b in buttons]
    assert titles[0] == "Je ne sais pas" and len(titles) > 2
    assert assistant.said(sender, "annuler") == say("utter_hazard_report_cancelled")
    assert assistant.reports_of(sender) == []
    # A new report starts from the first question again.
    again = assistant.said(sender, "/report_hazard")
    assert again == say("utter_report_safety_first") + "\n" + say("utter_ask_hazard_type")


def test_ukrainian_safety_question_mid_form_is_answered_and_the_form_resumes(assistant, renderer):
    say = Expect(renderer, "uk", "ukraine")
    sender = f"e2e-{uuid.uuid4().hex}"
    start(assistant, sender, "uk", "ukraine")

    assistant.said(sender, "/report_hazard")
    assistant.said(sender, '/report_hazard{"hazard_type": "cluster"}')
    assistant.said(sender, "маленька металева кулька в траві")
    assert assistant.said(sender, "біля зупинки автобуса в селі Кам'янка") == say("utter_ask_hazard_region")
    region = assistant.said(sender, '/report_hazard{"hazard_region": "kharkiv"}')
    assert region == say("utter_ask_hazard_seen")
    # In the middle of the form: the safety answer first, then the same question again.
    interrupted = assistant.said(sender, "/in_hazard_area")
    assert interrupted == say("utter_in_hazard_area") + "\n" + say("utter_ask_hazard_seen")
    resumed = assistant.said(sender, '/report_hazard{"hazard_seen": "this_week"}')
    assert resumed == say("utter_ask_hazard_injured")
    # Someone is hurt: the first-aid answer at once, then the form goes on.
    hurt = assistant.said(sender, "/affirm")
    assert hurt == say("utter_someone_injured") + "\n" + say("utter_ask_hazard_consent")
    confirmation = assistant.said(sender, "/deny")

    [report] = assistant.reports_of(sender)
    assert confirmation == say("utter_hazard_report_saved", reference=report.reference)
    assert (report.region, report.language) == ("Kharkiv", "uk")
    assert report.place == "біля зупинки автобуса в селі Кам'янка"
    assert (report.injured, report.contact_consent, report.contact) == (True, False, None)
    assert report.latitude is None and report.seen == "this_week"
