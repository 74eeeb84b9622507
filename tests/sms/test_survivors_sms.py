"""The survivors' new cards by SMS (issue 14, paragraph 7): "Your rights" is in the SMS menu,
and every new card fits one SMS of at most 3 segments with its options, in every language
with every country profile. Through the real SMS channel: the menu, then the three rights cards
by number, ending with the country's own card (Ukraine) or the general one (Cambodia).
"""

from __future__ import annotations

import pytest

from bot.i18n import SUPPORTED_LANGUAGES
from bot.sms import DEFAULT_SEGMENT_BUDGET
from bot.sms.budget import SmsForm, sms_forms
from tests.assistant import Sms, new_number
from tests.sms.expected import RENDERER, one

NEXT_MENU = ["/next", "/help"]
RIGHTS_END = ['/find_services{"service_category": "legal"}', "/find_services", "/help"]
CARDS = {
    "utter_ask_survivor_rights": NEXT_MENU,
    "utter_survivor_rights_2": NEXT_MENU,
    "utter_survivor_entitlements": RIGHTS_END,
    "utter_survivor_entitlements_ukraine": RIGHTS_END,
    "utter_psychological_first_aid": NEXT_MENU,
    "utter_psychological_first_aid_2": ['/find_services{"service_category": "psychosocial"}', "/help"],
    "utter_after_report": ["/help"],
    "utter_hazard_report_saved": ['/report_hazard{"topic_after_report": "yes"}', "/help"],
}


@pytest.fixture(scope="module")
def forms() -> list[SmsForm]:
    return list(sms_forms(RENDERER, sorted(CARDS) + ["utter_help"]))


@pytest.mark.parametrize("language", SUPPORTED_LANGUAGES)
def test_every_new_card_is_one_sms_with_all_its_options(forms: list[SmsForm], language: str) -> None:
    mine = [f for f in forms if f.language == language and f.key in CARDS]
    assert {(f.key, f.country) for f in mine} == {(k, c) for k in CARDS for c in RENDERER.profiles}
    found = {(f.key, f.country): (len(f.sms.pages), f.sms.payloads) for f in mine}
    assert {k: v for k, v in found.items() if v != (1, CARDS[k[0]])} == {}
    assert max(f.sms.pages[0].cost.segments for f in mine) <= DEFAULT_SEGMENT_BUDGET


@pytest.mark.parametrize("language", SUPPORTED_LANGUAGES)
def test_the_sms_menu_has_your_rights_and_still_fits_one_sms(forms: list[SmsForm], language: str) -> None:
    menus = [f for f in forms if f.language == language and f.key == "utter_help"]
    assert {m.country for m in menus} == set(RENDERER.profiles)
    for menu in menus:
        assert len(menu.sms.pages) == 1 and menu.problems == []
        assert menu.sms.payloads[7] == "/ask_survivor_rights"
        assert menu.sms.pages[0].cost.segments <= DEFAULT_SEGMENT_BUDGET


@pytest.mark.server
@pytest.mark.parametrize(
    ("country", "language", "last_card"),
    [
        ("ukraine", "uk", "utter_survivor_entitlements_ukraine"),
        ("cambodia", "km", "utter_survivor_entitlements"),
    ],
)
def test_your_rights_by_number_from_the_sms_menu(
    sms: Sms, country: str, language: str, last_card: str
) -> None:
    number = new_number(country)
    steps = [
        ("HELP", "utter_help"),
        ("8", "utter_ask_survivor_rights"),
        ("1", "utter_survivor_rights_2"),
        ("1", last_card),
    ]
    for text, key in steps:
        assert sms.say(number, text, 1) == [one(key, language, country)], key
    rights = RENDERER.catalogs.gettext(language, "Your rights")
    menu = one("utter_help", language, country).splitlines()
    assert [line for line in menu if line.startswith("8 ")] == [f"8 {rights}"]
