"""End to end through `bot serve` (REST): forms never trap anyone, in the six languages.

At any question: the menu, erasing one's data, alerts off (typed "stop"), a language
change and the safety answers are honoured; typed days ("yesterday", "вчора", "ម្សិលមិញ"),
a "no" that mentions an injury, an object's description and "we're in Izium" are
answers. Each test asserts the exact replies and what is stored.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from tests.actions.test_hazard_report_conversation import Expect, start
from tests.assistant import Assistant

pytestmark = pytest.mark.server


class Conversation:
    """One person's conversation: what they send and the exact replies expected."""

    def __init__(self, assistant: Assistant, renderer: Any, language: str, country: str) -> None:
        self.assistant = assistant
        self.say = Expect(renderer, language, country)
        self.sender = f"forms-{uuid.uuid4().hex}"
        start(assistant, self.sender, language, country)

    def expect(self, message: str, *keys: str) -> None:
        """Send `message`; the replies must be the responses `keys`, in this order."""
        assert self.assistant.said(self.sender, message) == "\n".join(self.say(k) for k in keys), message

    def reports(self) -> list[Any]:
        return self.assistant.reports_of(self.sender)

    def decline_contact(self) -> Any:
        """Answer "no" to the contact question: the report is stored, then confirmed."""
        confirmation = self.assistant.said(self.sender, "/deny")
        [report] = self.reports()
        assert confirmation == self.say("utter_hazard_report_saved", reference=report.reference)
        return report


TYPE = '/report_hazard{"hazard_type": "%s"}'
NO_REGION = '/report_hazard{"hazard_region": "unknown"}'


def test_english_typed_answers_are_understood_and_an_emergency_still_interrupts(rest, expected):
    talk = Conversation(rest, expected, "en", "ukraine")
    talk.expect("/report_hazard", "utter_report_safety_first", "utter_ask_hazard_type")
    talk.expect(TYPE % "uxo", "utter_ask_hazard_description")
    talk.expect(
        "my brother stepped on a mine, he is bleeding",
        "utter_someone_injured",
        "utter_ask_hazard_description",
    )
    talk.expect("a rusty shell about half a metre long", "utter_ask_hazard_place")
    talk.expect("we're in Izium", "utter_ask_hazard_seen")  # Izium names the region: no region question
    talk.expect("yesterday", "utter_ask_hazard_injured")
    talk.expect("no, nobody is hurt", "utter_ask_hazard_consent")
    report = talk.decline_contact()
    assert (report.description, report.place, report.region) == (
        "a rusty shell about half a metre long",
        "we're in Izium",
        "Kharkiv",
    )
    assert (report.seen, report.injured, report.contact_consent) == ("this_week", False, False)


def test_english_menu_delete_and_stop_end_the_report_and_store_nothing(rest, expected):
    talk = Conversation(rest, expected, "en", "ukraine")
    talk.expect("/report_hazard", "utter_report_safety_first", "utter_ask_hazard_type")
    talk.expect(TYPE % "mine", "utter_ask_hazard_description")
    # Before: "menu" was stored as the description.
    talk.expect("menu", "utter_hazard_report_stopped", "utter_help")
    talk.expect("/report_hazard", "utter_report_safety_first", "utter_ask_hazard_type")
    talk.expect(TYPE % "mine", "utter_ask_hazard_description")
    talk.expect("/deny", "utter_ask_hazard_place")
    # Before: "delete my data" was stored as the place.
    talk.expect("delete my data", "utter_hazard_report_stopped", "utter_delete_confirm")
    talk.expect("/report_hazard", "utter_report_safety_first", "utter_ask_hazard_type")
    talk.expect("stop", "utter_hazard_report_stopped", "utter_unsubscribe")
    # A new report starts from its first question: nothing was kept from the stopped ones.
    talk.expect("/report_hazard", "utter_report_safety_first", "utter_ask_hazard_type")
    assert talk.reports() == []


def test_french_no_with_an_injury_word_is_no_and_the_language_can_change(rest, expected):
    talk = Conversation(rest, expected, "fr", "lebanon")
    talk.expect("/report_hazard", "utter_report_safety_first", "utter_ask_hazard_type")
    talk.expect(TYPE % "grenade", "utter_ask_hazard_description")
    talk.expect("une grenade verte dans le fossé", "utter_ask_hazard_place")
    talk.expect("près de l'école du village", "utter_ask_hazard_region")
    talk.expect(NO_REGION, "utter_ask_hazard_seen")
    talk.expect("hier", "utter_ask_hazard_injured")
    talk.expect("Non, personne n'est blessé", "utter_ask_hazard_consent")
    # The language menu, then the same question in the chosen language.
    talk.expect("/change_language", "utter_choose_language")
    english = Expect(expected, "en", "lebanon")
    replies = rest.said(talk.sender, '/set_language{"language": "en"}')
    assert replies == english("utter_language_set") + "\n" + english("utter_ask_hazard_consent")
    confirmation = rest.said(talk.sender, "/deny")
    [report] = talk.reports()
    assert confirmation == english("utter_hazard_report_saved", reference=report.reference)
    assert (report.seen, report.injured, report.language) == ("this_week", False, "en")


def test_ukrainian_yesterday_and_nobody_hurt_are_answers(rest, expected):
    talk = Conversation(rest, expected, "uk", "ukraine")
    talk.expect("/report_hazard", "utter_report_safety_first", "utter_ask_hazard_type")
    talk.expect(TYPE % "cluster", "utter_ask_hazard_description")
    talk.expect("маленька металева кулька в траві", "utter_ask_hazard_place")
    talk.expect("біля школи в Ізюмі", "utter_ask_hazard_seen")
    talk.expect("вчора", "utter_ask_hazard_injured")
    talk.expect("Ні, ніхто не поранений", "utter_ask_hazard_consent")
    report = talk.decline_contact()
    assert (report.seen, report.injured, report.region) == ("this_week", False, "Kharkiv")


def test_spanish_no_one_hurt_and_yesterday_then_stop(rest, expected):
    talk = Conversation(rest, expected, "es", "colombia")
    talk.expect("/report_hazard", "utter_report_safety_first", "utter_ask_hazard_type")
    talk.expect(TYPE % "mine", "utter_ask_hazard_description")
    talk.expect("/deny", "utter_ask_hazard_place")
    talk.expect("cerca de la escuela de la vereda", "utter_ask_hazard_region")
    talk.expect(NO_REGION, "utter_ask_hazard_seen")
    talk.expect("ayer", "utter_ask_hazard_injured")
    talk.expect("No, nadie está herido", "utter_ask_hazard_consent")
    # Telegram's /stop arrives as /unsubscribe: the report stops, nothing is stored.
    talk.expect("/unsubscribe", "utter_hazard_report_stopped", "utter_unsubscribe")
    assert talk.reports() == []


def test_arabic_yesterday_no_one_hurt_and_the_safety_answer_mid_form(rest, expected):
    talk = Conversation(rest, expected, "ar", "lebanon")
    talk.expect("/report_hazard", "utter_report_safety_first", "utter_ask_hazard_type")
    talk.expect(TYPE % "uxo", "utter_ask_hazard_description")
    talk.expect("/deny", "utter_ask_hazard_place")
    talk.expect("قرب المدرسة", "utter_ask_hazard_region")
    talk.expect(NO_REGION, "utter_ask_hazard_seen")
    talk.expect("/in_hazard_area", "utter_in_hazard_area", "utter_ask_hazard_seen")
    talk.expect("أمس", "utter_ask_hazard_injured")
    talk.expect("لا، ما في مصابين", "utter_ask_hazard_consent")
    report = talk.decline_contact()
    assert (report.seen, report.injured) == ("this_week", False)


def test_khmer_yesterday_no_one_hurt_and_the_menu(rest, expected):
    talk = Conversation(rest, expected, "km", "cambodia")
    talk.expect("/report_hazard", "utter_report_safety_first", "utter_ask_hazard_type")
    talk.expect(TYPE % "mine", "utter_ask_hazard_description")
    talk.expect("/deny", "utter_ask_hazard_place")
    talk.expect("ជិតសាលារៀន", "utter_ask_hazard_region")
    talk.expect(NO_REGION, "utter_ask_hazard_seen")
    talk.expect("ម្សិលមិញ", "utter_ask_hazard_injured")
    talk.expect("ទេ គ្មាននរណាម្នាក់រងរបួសទេ", "utter_ask_hazard_consent")
    report = talk.decline_contact()
    assert (report.seen, report.injured) == ("this_week", False)
    # The menu (Telegram /menu, SMS HELP) at a question stops the report.
    talk.expect("/report_hazard", "utter_report_safety_first", "utter_ask_hazard_type")
    talk.expect("/help", "utter_hazard_report_stopped", "utter_help")
    assert len(talk.reports()) == 1


def test_the_services_search_changes_language_and_stops_on_stop(rest, expected):
    talk = Conversation(rest, expected, "en", "ukraine")
    talk.expect("/find_services", "utter_ask_service_category")
    talk.expect("/change_language", "utter_choose_language")
    french = Expect(expected, "fr", "ukraine")
    replies = rest.said(talk.sender, '/set_language{"language": "fr"}')
    assert replies == french("utter_language_set") + "\n" + french("utter_ask_service_category")
    replies = rest.said(talk.sender, "/unsubscribe")
    assert replies == french("utter_unsubscribe")


# A help word typed alone is the HELP keyword on every channel (bot/nlu/keyword_intents.py):
# before, "aide", "ayuda", "допомога" and "ជំនួយ" were read as find_services or
# cancel_referral, or as help below the forms' command threshold, and became the description.
HELP_WORDS = {
    ("en", "ukraine"): "help",
    ("fr", "lebanon"): "aide",
    ("es", "colombia"): "ayuda",
    ("uk", "ukraine"): "допомога",
    ("ar", "lebanon"): "مساعدة",
    ("km", "cambodia"): "ជំនួយ",
}


@pytest.mark.parametrize(("language", "country"), sorted(HELP_WORDS))
def test_a_typed_help_word_stops_the_report(rest, expected, language, country):
    talk = Conversation(rest, expected, language, country)
    talk.expect("/report_hazard", "utter_report_safety_first", "utter_ask_hazard_type")
    talk.expect(TYPE % "mine", "utter_ask_hazard_description")
    # Before: the word was stored as the description.
    talk.expect(HELP_WORDS[(language, country)], "utter_hazard_report_stopped", "utter_help")
    assert talk.reports() == []
