"""End to end: the survivor-assistance conversation through the real `bot serve` (REST channel).

Need -> region -> matches -> referral offer -> declined (nothing stored) or given (one
pseudonymous row) -> delete_my_data removes it, in English, Ukrainian and Khmer.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from bot.i18n import territory_name
from bot.nlg import ResponseContext, ResponseRenderer
from bot.services.regions import load_regions
from tests.assistant import Assistant
from tests.factories import GRENADE, PROJECT_ROOT
from tests.servers import Shared

pytestmark = pytest.mark.server


@pytest.fixture(scope="module")
def assistant(servers: Shared) -> Assistant:
    """The shared servers; their app database holds the example services directory."""
    return servers.rest


def texts(replies: list[dict[str, Any]]) -> list[str]:
    return [r.get("text", "") for r in replies]


def rendered(expected: ResponseRenderer, key: str, language: str, country: str, **extra: Any) -> str:
    context = ResponseContext(language, expected.profile(country))
    return str(expected.render(key, context, "rest", extra)["text"])


# language: (country chosen first, the need as typed, the place as typed or None to press a
# region button, the region button's title, an example organisation expected, the contact)
CONVERSATIONS = {
    "en": (None, "I lost my leg, where can I get a prosthesis?", "Kharkiv", None,
           "Example Rehabilitation Centre", "+380 50 765 43 21, after 5 pm"),
    "uk": ("ukraine", "Я втратив ногу, де отримати протез?", None, "Харківська область",
           "Приклад реабілітаційного центру", "+380 67 123 45 67"),
    "km": ("cambodia", "ខ្ញុំត្រូវការជើងសិប្បនិម្មិត", "បាត់ដំបង", None,
           "មជ្ឈមណ្ឌលស្តារនីតិសម្បទា (ឧទាហរណ៍)", "012 345 678"),
}  # fmt: skip
# The example label, in the same message as the service it labels.
EXAMPLE_LABEL = {
    "en": "EXAMPLE ONLY: this is not a real service and has no phone number.",
    "uk": "ЛИШЕ ПРИКЛАД: це не справжня служба, і в неї немає номера телефону.",
    "km": "ឧទាហរណ៍តែប៉ុណ្ណោះ៖ នេះមិនមែនជាសេវាពិតទេ ហើយគ្មានលេខទូរស័ព្ទទេ។",
}
REGION = {"en": ("ukraine", "kharkiv"), "uk": ("ukraine", "kharkiv"), "km": ("cambodia", "battambang")}
REGIONS = load_regions(PROJECT_ROOT / "content" / "regions")
# What people type at the country question (CLDR's names, Arabic without the hamza).
COUNTRY_NAMES = {
    "ukraine": {"en": "Ukraine", "fr": "Ukraine", "ar": "اوكرانيا"},
    "cambodia": {"en": "Cambodia", "km": "កម្ពុជា"},
    "lebanon": {"es": "Líbano"},
    "colombia": {"uk": "Колумбія"},
}
# language: (a need without a place, the country typed at the country question). The country is
# not the language's own (but for km): the conversation keeps the language the person wrote in.
NO_COUNTRY = {
    "en": ("I lost my leg, where can I get a prosthesis?", "cambodia"),
    "fr": ("J'ai perdu ma jambe, où trouver une prothèse ?", "ukraine"),
    "es": ("Perdí una pierna, ¿dónde consigo una prótesis?", "lebanon"),
    "uk": ("Я втратив ногу, де отримати протез?", "colombia"),
    "ar": ("فقدت ساقي، أين أحصل على طرف صناعي؟", "ukraine"),
    "km": ("ខ្ញុំត្រូវការជើងសិប្បនិម្មិត", "cambodia"),
}


@pytest.mark.parametrize("language", sorted(NO_COUNTRY))
def test_with_no_country_the_country_is_asked_first_then_its_regions_in_the_persons_language(
    assistant, expected, language
):
    # Before: the region was asked at once, with no buttons, across every country.
    need, country = NO_COUNTRY[language]
    sender = f"t-{uuid.uuid4().hex}"
    asked = assistant.send(sender, need)
    context = ResponseContext(language, expected.profile("generic"))
    question = expected.render("utter_ask_service_country", context, "rest", {})
    assert [(r.get("text"), r.get("buttons")) for r in asked] == [(question["text"], question["buttons"])]
    assert [b["payload"] for b in asked[0]["buttons"]] == [
        '/set_country{"country": "ukraine"}',
        '/set_country{"country": "cambodia"}',
        '/set_country{"country": "colombia"}',
        '/set_country{"country": "lebanon"}',
        '/set_country{"country": "generic"}',
    ]
    assert [b["title"] for b in asked[0]["buttons"]][:4] == [
        territory_name(iso2, language) for iso2 in ("UA", "KH", "CO", "LB")
    ]

    regions = assistant.send(sender, COUNTRY_NAMES[country][language])
    names = [region.name(language) for region in REGIONS[country].values()]
    assert [(r.get("text"), r.get("buttons")) for r in regions] == [
        (
            rendered(expected, "utter_ask_service_region", language, country),
            [{"title": name, "payload": name} for name in names],
        )
    ]


@pytest.mark.parametrize("language", sorted(CONVERSATIONS))
def test_need_place_matches_then_decline_then_referral_then_erasure(assistant, expected, language):
    country_chosen, need, place, button, organisation, contact = CONVERSATIONS[language]
    country, region = REGION[language]
    sender = f"t-{uuid.uuid4().hex}"
    if country_chosen:
        assistant.send(sender, f'/set_country{{"country": "{country_chosen}"}}')

    # The need is understood from the words; the place is asked (with region buttons once
    # the country is known: asked first when it is not).
    asked = assistant.send(sender, need)
    if country_chosen is None:
        assert texts(asked) == [rendered(expected, "utter_ask_service_country", language, "generic")]
        asked = assistant.send(sender, COUNTRY_NAMES[country][language])
    assert texts(asked)[-1] == rendered(expected, "utter_ask_service_region", language, country)
    if button is not None:
        titles = [b["title"] for b in asked[-1].get("buttons", [])]
        assert button in titles, titles
        place = next(b["payload"] for b in asked[-1]["buttons"] if b["title"] == button)

    # Matches, nearest first, each in its own message labelled as an example; then the offer.
    shown = assistant.send(sender, place)
    said = texts(shown)
    assert said[0].startswith(f"{EXAMPLE_LABEL[language]}\n{organisation}: ")
    assert all(text.startswith(f"{EXAMPLE_LABEL[language]}\n") for text in said[:-1])
    assert said[-1] == rendered(expected, "utter_referral_offer", language, country)
    assert [b["payload"] for b in shown[-1]["buttons"]] == ["/affirm", "/deny"]

    # Declined: nothing stored.
    declined = assistant.send(sender, "/deny")
    assert texts(declined)[0] == rendered(expected, "utter_referral_declined", language, country)
    assert assistant.referral_rows(sender) == []

    # Asked again (the region is remembered), accepted, contact given: one pseudonymous row.
    again = assistant.send(sender, '/find_services{"service_category": "rehabilitation"}')
    assert texts(again)[-1] == rendered(expected, "utter_referral_offer", language, country)
    question = assistant.send(sender, "/affirm")
    assert texts(question) == [rendered(expected, "utter_ask_referral_contact", language, country)]
    assert assistant.referral_rows(sender) == []  # nothing before the contact is given
    created = assistant.send(sender, contact)
    [row] = assistant.referral_rows(sender)
    assert texts(created)[0] == rendered(
        expected, "utter_referral_created", language, country, reference=row["reference"]
    )
    assert (row["category"], row["country"], row["region"], row["language"]) == (
        "rehabilitation",
        country,
        region,
        language,
    )
    assert (row["contact"], row["status"]) == (contact, "open")
    assert sender not in " ".join(str(value) for value in row.values())

    # delete_my_data, through the conversation: the referral and the conversation are gone.
    assistant.send(sender, "/delete_my_data")
    assistant.send(sender, "/affirm")
    assert assistant.referral_rows(sender) == []
    assert assistant.events_of(sender) == []


def test_cancel_my_referral_erases_the_contact_and_a_safety_message_interrupts_the_form(assistant, expected):
    sender = f"t-{uuid.uuid4().hex}"
    assistant.send(sender, '/set_country{"country": "ukraine"}')
    asked = assistant.send(sender, "I need a wheelchair")
    assert texts(asked)[-1] == rendered(expected, "utter_ask_service_region", "en", "ukraine")

    # A safety message in the middle of the form gets the safety answer, then the same question.
    interrupted = assistant.send(sender, GRENADE["en"])
    assert texts(interrupted) == [
        rendered(expected, "utter_found_object", "en", "ukraine"),
        rendered(expected, "utter_ask_service_region", "en", "ukraine"),
    ]

    assistant.send(sender, "Izium")
    assistant.send(sender, "/affirm")
    assistant.send(sender, "+380 50 000 11 22")
    [row] = assistant.referral_rows(sender)
    assert (row["region"], row["district"], row["status"]) == ("kharkiv", "izium", "open")

    cancelled = assistant.send(sender, "cancel my referral")
    assert texts(cancelled) == [
        rendered(expected, "utter_referral_cancelled", "en", "ukraine", reference=row["reference"])
    ]
    [row] = assistant.referral_rows(sender)
    assert (row["status"], row["contact"]) == ("cancelled", "")
    nothing = assistant.send(sender, "/cancel_referral")
    assert texts(nothing) == [rendered(expected, "utter_no_referral", "en", "ukraine")]


def test_no_at_the_contact_question_records_nothing(assistant, expected):
    sender = f"t-{uuid.uuid4().hex}"
    asked = assistant.send(sender, "I need a lawyer for my disability pension")
    assert texts(asked) == [rendered(expected, "utter_ask_service_country", "en", "generic")]
    # A town at the country question tells the country and the region: the services come.
    shown = assistant.send(sender, "Kherson")
    assert texts(shown)[-1] == rendered(expected, "utter_referral_offer", "en", "ukraine")
    assistant.send(sender, "/affirm")
    replies = assistant.send(sender, "/deny")
    assert texts(replies) == [rendered(expected, "utter_referral_declined", "en", "ukraine")]
    assert assistant.referral_rows(sender) == []


def test_the_menu_button_asks_the_category_then_typed_words_are_understood(assistant, expected):
    sender = f"t-{uuid.uuid4().hex}"
    country = assistant.send(sender, "/find_services")
    assert texts(country) == [rendered(expected, "utter_ask_service_country", "en", "generic")]
    asked = assistant.send(sender, '/set_country{"country": "generic"}')  # "Another country"
    assert texts(asked) == [rendered(expected, "utter_ask_service_category", "en", "generic")]
    assert len(asked[0]["buttons"]) == 9  # IMAS 13.10 components, with social inclusion and bereaved families
    region = assistant.send(sender, "prosthesis")
    assert texts(region) == [rendered(expected, "utter_ask_service_region", "en", "generic")]
    unknown = assistant.send(sender, "Atlantis")
    assert texts(unknown) == [
        rendered(expected, "utter_region_not_understood", "en", "generic"),
        rendered(expected, "utter_ask_service_region", "en", "generic"),
    ]
    stopped = assistant.send(sender, "cancel")
    assert texts(stopped) == [rendered(expected, "utter_help", "en", "generic")]
    assert assistant.referral_rows(sender) == []


def test_survivor_rights_are_answered(assistant, expected):
    sender = f"t-{uuid.uuid4().hex}"
    replies = assistant.send(sender, "What are my rights as a mine survivor?")
    assert texts(replies) == [rendered(expected, "utter_ask_survivor_rights", "en", "generic")]
    assert [b["payload"] for b in replies[0]["buttons"]] == ["/next", "/help"]
    assistant.send(sender, "/next")
    # The last card (the country's entitlements) leads to legal help.
    last = assistant.send(sender, "/next")
    assert texts(last) == [rendered(expected, "utter_survivor_entitlements", "en", "generic")]
    payloads = [b["payload"] for b in last[0]["buttons"]]
    assert '/find_services{"service_category": "legal"}' in payloads
