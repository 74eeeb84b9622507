"""Onboarding and audience tracks by SMS, through the real Rasa server and the Twilio webhook
(issue 14): a first greeting asks language, country, region and "who are you learning for?"
(numbered menus, "More" pages when long); a first safety message gets the safety answer only;
menu and safety messages leave onboarding at any step; every track card fits the SMS budget.
"""

from __future__ import annotations

import pytest

from actions.onboarding import region_buttons
from bot.i18n import SUPPORTED_LANGUAGES
from bot.services.regions import load_regions
from bot.sms.budget import sms_forms
from tests.assistant import Sms, new_number
from tests.factories import GRENADE, PROJECT_ROOT
from tests.servers import Shared
from tests.sms.expected import RENDERER, pages

REGIONS = load_regions(PROJECT_ROOT / "content" / "regions")
TRACKS = {"children": 3, "parents": 3, "farmers": 3, "herders": 3, "scrap": 3, "firewood": 2}
KEYS = [f"utter_track_{t}_{n}" for t, count in TRACKS.items() for n in range(1, count + 1)] + [
    "utter_tracks_menu",
    "utter_lessons_menu",
    "utter_onboarding_language",
    "utter_onboarding_country",
    "utter_onboarding_region",
    "utter_onboarding_tracks",
]
HELLO = {"en": "hello", "fr": "bonjour", "es": "hola", "uk": "привіт", "ar": "مرحبا", "km": "សួស្តី"}


@pytest.fixture(scope="module")
def sms(servers: Shared) -> Sms:
    """The shared servers' SMS channels (one client per module: it counts the SMS each number got)."""
    return servers.sms


def first(key: str, language: str, country: str) -> str:
    return pages(key, language, country)[0]


def slots_of(sms: Sms, number: str) -> dict[str, object]:
    """The last value of each slot set in `number`'s conversation."""
    events = sms.assistant.events_of(sms.conversation_of(number))
    return {e["name"]: e["value"] for e in events if e["event"] == "slot"}


def test_every_track_card_and_menu_keeps_the_sms_budget_in_every_language_and_country() -> None:
    forms = list(sms_forms(RENDERER, KEYS))
    every = {(k, lang, c) for k in KEYS for lang in SUPPORTED_LANGUAGES for c in RENDERER.profiles}
    assert {(f.key, f.language, f.country) for f in forms} == every
    assert [(f.key, f.language, f.country, f.problems) for f in forms if f.problems] == []
    # A card is one SMS (no "More"), with its Next/Menu or end options.
    cards = [f for f in forms if f.key.startswith("utter_track_")]
    assert all(len(f.sms.pages) == 1 for f in cards)


@pytest.mark.server
def test_a_first_greeting_onboards_language_country_region_then_a_track(sms: Sms) -> None:
    number = new_number("colombia")

    def step(text: str, *bodies: str) -> None:
        assert sms.say(number, text, len(bodies)) == list(bodies), text

    # "hola" is Spanish; a language is asked all the same (none was chosen), then asked in English.
    step("hola", first("utter_greet", "es", "colombia"), first("utter_onboarding_language", "es", "colombia"))
    step("1", first("utter_onboarding_country", "en", "colombia"))  # 1 = English
    regions = region_buttons(REGIONS["colombia"], "en")
    region_pages = pages("utter_onboarding_region", "en", "colombia", regions)
    step("3", region_pages[0])  # 3 = Colombia
    assert region_pages[0].splitlines()[1:4] == ["1 Skip", "2 Antioquia", "3 Cauca"]
    step("2", first("utter_onboarding_tracks", "en", "colombia"))  # 2 = Antioquia
    slots = slots_of(sms, number)
    assert (slots["language"], slots["country"], slots["region"]) == ("en", "colombia", "antioquia")
    step("3", first("utter_track_farmers_1", "en", "colombia"))  # 3 = Farmers
    step("1", first("utter_track_farmers_2", "en", "colombia"))  # Next
    step("1", first("utter_track_farmers_3", "en", "colombia"))


@pytest.mark.server
def test_skip_ends_onboarding_with_the_menu(sms: Sms) -> None:
    number = new_number("cambodia")
    assert sms.say(number, HELLO["km"], 2) == [
        first("utter_greet", "km", "cambodia"),
        first("utter_onboarding_language", "km", "cambodia"),
    ]
    assert sms.say(number, "6", 1) == [first("utter_onboarding_country", "km", "cambodia")]  # ខ្មែរ
    regions = region_buttons(REGIONS["cambodia"], "km")
    region = pages("utter_onboarding_region", "km", "cambodia", regions)[0]
    assert sms.say(number, "2", 1) == [region]  # Cambodia
    tracks = first("utter_onboarding_tracks", "km", "cambodia")
    assert sms.say(number, "1", 1) == [tracks]  # Skip the region
    # One SMS with the eleven tracks and Skip, numbered in order.
    assert tracks.endswith("\n11 ពិការភាព\n12 រំលង")
    assert sms.say(number, "12", 1) == [first("utter_help", "km", "cambodia")]  # Skip the tracks
    slots = slots_of(sms, number)
    assert (slots["language"], slots["country"], slots["region"]) == ("km", "cambodia", "unknown")


@pytest.mark.server
@pytest.mark.parametrize("language", SUPPORTED_LANGUAGES)
def test_a_first_safety_message_gets_the_safety_answer_only(sms: Sms, language: str) -> None:
    number = new_number("ukraine")
    assert sms.say(number, GRENADE[language], 1) == [first("utter_found_object", language, "ukraine")]
    # Nothing else came with it; a later greeting gets the menu, never the onboarding questions.
    assert sms.say(number, HELLO[language], 2) == [
        first("utter_greet", language, "ukraine"),
        first("utter_help", language, "ukraine"),
    ]


@pytest.mark.server
def test_menu_and_safety_messages_leave_onboarding_at_any_step(sms: Sms) -> None:
    number = new_number("ukraine")
    assert sms.say(number, HELLO["uk"], 2) == [
        first("utter_greet", "uk", "ukraine"),
        first("utter_onboarding_language", "uk", "ukraine"),
    ]
    assert sms.say(number, "HELP", 1) == [first("utter_help", "uk", "ukraine")]
    other = new_number("ukraine")
    assert sms.say(other, HELLO["uk"], 2) == [
        first("utter_greet", "uk", "ukraine"),
        first("utter_onboarding_language", "uk", "ukraine"),
    ]
    assert sms.say(other, "4", 1) == [first("utter_onboarding_country", "uk", "ukraine")]  # Українська
    assert sms.say(other, GRENADE["uk"], 1) == [first("utter_found_object", "uk", "ukraine")]
