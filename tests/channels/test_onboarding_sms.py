"""Onboarding and audience tracks by SMS, through the real Rasa server and the Twilio webhook
(issue 14): a first greeting asks language, country, region and "who are you learning for?"
(numbered menus, "More" pages when long); a first safety message gets the safety answer only;
menu and safety messages leave onboarding at any step; every track card fits the SMS budget.
"""

from __future__ import annotations

import pytest

from actions.onboarding import region_buttons
from bot.i18n import SUPPORTED_LANGUAGES
from bot.nlg import ResponseContext
from bot.services.regions import load_regions
from bot.sms.budget import more_title, sms_forms
from bot.sms.compose import compose
from tests.channels.test_sms import RENDERER, new_number
from tests.channels.test_sms import sms as sms  # noqa: F401  (the server fixture)
from tests.factories import GRENADE, PROJECT_ROOT

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


def pages(key: str, language: str, country: str, buttons: tuple = ()) -> list[str]:
    """The SMS pages the channel must send for `key` (with an action's extra buttons), as it composes them."""
    context = ResponseContext(language, RENDERER.profile(country))
    rendered = RENDERER.render(key, context, "sms", {})
    assert rendered is not None
    options = [*(rendered.get("buttons") or []), *buttons]
    composed = compose(str(rendered["text"]), options, 3, more_title(RENDERER, context))
    return [page.body for page in composed.pages]


def first(key: str, language: str, country: str) -> str:
    return pages(key, language, country)[0]


def test_every_track_card_and_menu_keeps_the_sms_budget_in_every_language_and_country():
    forms = list(sms_forms(RENDERER, KEYS))
    assert len(forms) >= len(KEYS) * len(SUPPORTED_LANGUAGES) * len(RENDERER.profiles)
    assert [(f.key, f.language, f.country, f.problems) for f in forms if f.problems] == []
    # A card is one SMS (no "More"), with its Next/Menu or end options.
    cards = [f for f in forms if f.key.startswith("utter_track_")]
    assert all(len(f.sms.pages) == 1 for f in cards)


@pytest.mark.server
def test_a_first_greeting_onboards_language_country_region_then_a_track(sms):  # noqa: F811
    number = new_number("colombia", 1401)
    expected: list[str] = []

    def step(text: str, *bodies: str) -> None:
        assert sms.twilio(number, text) == 200
        expected.extend(bodies)
        assert sms.replies(number, len(expected)) == expected

    # "hola" is Spanish; a language is asked all the same (none was chosen), then asked in English.
    step("hola", first("utter_greet", "es", "colombia"), first("utter_onboarding_language", "es", "colombia"))
    step("1", first("utter_onboarding_country", "en", "colombia"))  # 1 = English
    regions = region_buttons(REGIONS["colombia"], "en")
    region_pages = pages("utter_onboarding_region", "en", "colombia", tuple(regions))
    step("3", region_pages[0])  # 3 = Colombia
    assert "\n1 Skip\n2 Antioquia\n3 Cauca" in region_pages[0]
    step("2", first("utter_onboarding_tracks", "en", "colombia"))  # 2 = Antioquia
    events = sms.events_of(sms.conversation_of(number))
    slots = {e["name"]: e["value"] for e in events if e["event"] == "slot"}
    assert (slots["language"], slots["country"], slots["region"]) == ("en", "colombia", "antioquia")
    step("3", first("utter_track_farmers_1", "en", "colombia"))  # 3 = Farmers
    step("1", first("utter_track_farmers_2", "en", "colombia"))  # Next
    step("1", first("utter_track_farmers_3", "en", "colombia"))


@pytest.mark.server
def test_skip_ends_onboarding_with_the_menu(sms):  # noqa: F811
    number = new_number("cambodia", 1402)
    sms.twilio(number, "សួស្តី")
    assert sms.replies(number, 2)[1] == first("utter_onboarding_language", "km", "cambodia")
    sms.twilio(number, "6")  # ខ្មែរ
    assert sms.replies(number, 3)[2] == first("utter_onboarding_country", "km", "cambodia")
    sms.twilio(number, "2")  # Cambodia
    regions = region_buttons(REGIONS["cambodia"], "km")
    assert sms.replies(number, 4)[3] == pages("utter_onboarding_region", "km", "cambodia", tuple(regions))[0]
    sms.twilio(number, "1")  # Skip the region
    tracks = first("utter_onboarding_tracks", "km", "cambodia")
    assert sms.replies(number, 5)[4] == tracks
    # One SMS with the eleven tracks and Skip, numbered in order.
    assert tracks.endswith("\n11 ពិការភាព\n12 រំលង")
    sms.twilio(number, "12")  # Skip the tracks
    assert sms.replies(number, 6)[5] == first("utter_help", "km", "cambodia")
    events = sms.events_of(sms.conversation_of(number))
    slots = {e["name"]: e["value"] for e in events if e["event"] == "slot"}
    assert (slots["language"], slots["country"], slots["region"]) == ("km", "cambodia", "unknown")


@pytest.mark.server
@pytest.mark.parametrize("language", SUPPORTED_LANGUAGES)
def test_a_first_safety_message_gets_the_safety_answer_only(sms, language):  # noqa: F811
    number = new_number("ukraine", 1410 + SUPPORTED_LANGUAGES.index(language))
    assert sms.twilio(number, GRENADE[language]) == 200
    assert sms.replies(number, 1) == [first("utter_found_object", language, "ukraine")]
    # Nothing else came with it; a later greeting gets the menu, never the onboarding questions.
    hello = {"en": "hello", "fr": "bonjour", "es": "hola", "uk": "привіт", "ar": "مرحبا", "km": "សួស្តី"}
    assert sms.twilio(number, hello[language]) == 200
    assert sms.replies(number, 3)[1:] == [
        first("utter_greet", language, "ukraine"),
        first("utter_help", language, "ukraine"),
    ]


@pytest.mark.server
def test_menu_and_safety_messages_leave_onboarding_at_any_step(sms):  # noqa: F811
    number = new_number("ukraine", 1420)
    sms.twilio(number, "привіт")
    assert sms.replies(number, 2)[1] == first("utter_onboarding_language", "uk", "ukraine")
    sms.twilio(number, "HELP")
    assert sms.replies(number, 3)[2] == first("utter_help", "uk", "ukraine")
    other = new_number("ukraine", 1421)
    sms.twilio(other, "привіт")
    sms.twilio(other, "4")  # Українська
    assert sms.replies(other, 3)[2] == first("utter_onboarding_country", "uk", "ukraine")
    sms.twilio(other, GRENADE["uk"])
    assert sms.replies(other, 4)[3] == first("utter_found_object", "uk", "ukraine")
