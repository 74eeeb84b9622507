"""The report form's answers and its submission, with real databases, spool and content."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any, Optional, cast

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

import actions.hazard_report as hazard
from actions.runtime import Runtime
from bot.paths import ProjectPaths
from bot.privacy import erase_app_data
from bot.reports import store
from bot.store.db import Database
from tests.actions.runtimes import make_runtime
from tests.factories import PROJECT_ROOT

SENDER = "telegram-4242"
DOMAIN = cast(DomainDict, {"forms": {"report_hazard_form": {"required_slots": list(hazard.REPORT_SLOTS)}}})


@pytest.fixture()
def runtime(app_database: Database, tmp_path: Path) -> Runtime:
    return make_runtime(tmp_path, app_database)


@pytest.fixture()
def content(tmp_path: Path) -> Runtime:
    """The runtime for extraction tests: shipped content, a SQLite database never touched."""
    return make_runtime(tmp_path, Database.from_url(f"sqlite:///{tmp_path / 'unused.db'}"))


def tracker(
    text: str,
    intent: str = "nlu_fallback",
    confidence: float = 0.9,
    entities: Optional[dict[str, Any]] = None,
    slots: Optional[dict[str, Any]] = None,
    metadata: Optional[dict[str, Any]] = None,
) -> Tracker:
    latest = {
        "text": text,
        "intent": {"name": intent, "confidence": confidence},
        "entities": [{"entity": k, "value": v} for k, v in (entities or {}).items()],
    }
    events = [{"event": "user", "text": text, "metadata": metadata or {}}]
    loop = {"name": hazard.FORM}
    return Tracker(SENDER, dict(slots or {}), latest, events, False, None, loop, "action_listen")


def extract(runtime: Runtime, slot: str, current: Tracker) -> tuple[dict, list[Optional[str]]]:
    dispatcher = CollectingDispatcher()
    form = hazard.ValidateReportHazardForm(runtime)
    result = getattr(form, f"extract_{slot}")(dispatcher, current, DOMAIN)
    return result, [m.get("response") for m in dispatcher.messages]


def asked(slot: str, **slots: Any) -> dict[str, Any]:
    return {"requested_slot": slot, **slots}


def test_a_type_button_or_the_persons_own_words(content):
    payload = '/report_hazard{"hazard_type": "cluster"}'
    pressed = tracker(payload, "report_hazard", 1.0, {"hazard_type": "cluster"}, asked("hazard_type"))
    assert extract(content, "hazard_type", pressed) == ({"hazard_type": "cluster"}, [])
    # "I found a grenade" is an answer here, not an interruption.
    typed = tracker("a small green grenade by the well", "found_object", 0.98, slots=asked("hazard_type"))
    assert extract(content, "hazard_type", typed) == (
        {"hazard_type": "unknown", "hazard_description": "a small green grenade by the well"},
        [],
    )


@pytest.mark.parametrize("intent", ["cancel", "in_hazard_area", "someone_injured", "protection_concern"])
def test_cancel_and_urgent_messages_are_not_answers(content, intent):
    for slot in ("hazard_type", "hazard_description", "hazard_place", "hazard_seen", "hazard_consent"):
        assert extract(content, slot, tracker(f"/{intent}", intent, 1.0, slots=asked(slot))) == ({}, [])


def test_found_object_interrupts_only_button_questions(content):
    message = ("/found_object", "found_object", 1.0)
    assert extract(content, "hazard_seen", tracker(*message, slots=asked("hazard_seen"))) == ({}, [])
    assert extract(content, "hazard_consent", tracker(*message, slots=asked("hazard_consent"))) == ({}, [])


def test_unsure_urgent_intent_on_a_free_text_question_is_the_answer(content):
    place = "by the old minefield fence near Izium"
    # the trained model gives this place 0.47 (a danger word, no urgent term)
    unsure = tracker(place, "in_hazard_area", 0.47, slots=asked("hazard_place"))
    assert extract(content, "hazard_place", unsure) == ({"hazard_place": place}, [])
    sure = tracker("I am inside a minefield now", "in_hazard_area", 0.97, slots=asked("hazard_place"))
    assert extract(content, "hazard_place", sure) == ({}, [])


def test_a_place_that_names_a_region_answers_the_region_question_too(content):
    slots = asked("hazard_place", country="ukraine")
    assert extract(
        content, "hazard_place", tracker("біля школи в Ізюмі", "nlu_fallback", 0.3, slots=slots)
    ) == (
        {"hazard_place": "біля школи в Ізюмі", "hazard_region": "Kharkiv"},
        [],
    )
    assert extract(content, "hazard_place", tracker("by the old well", "nlu_fallback", 0.3, slots=slots)) == (
        {"hazard_place": "by the old well"},
        [],
    )


def test_a_shared_location_fills_where_at_any_question(content):
    entities = {"latitude": 49.9, "longitude": 36.3, "place": "Bus stop"}
    payload = '/report_hazard{"latitude": 49.9, "longitude": 36.3, "place": "Bus stop"}'
    located = tracker(payload, "report_hazard", 1.0, entities, asked("hazard_seen"))
    assert extract(content, "hazard_place", located) == (
        {"hazard_place": "Bus stop", "hazard_region": ""},
        ["utter_location_received"],
    )
    assert extract(content, "hazard_seen", located) == ({}, [])


def test_when_needs_a_button_and_asks_again_otherwise(content):
    pressed = tracker(
        '/report_hazard{"hazard_seen": "this_week"}',
        "report_hazard",
        1.0,
        {"hazard_seen": "this_week"},
        asked("hazard_seen"),
    )
    assert extract(content, "hazard_seen", pressed) == ({"hazard_seen": "this_week"}, [])
    typed = tracker("hmm maybe", "nlu_fallback", 0.2, slots=asked("hazard_seen"))
    assert extract(content, "hazard_seen", typed) == ({"hazard_seen": None}, ["utter_hazard_choose_one"])


@pytest.mark.parametrize(
    ("text", "language", "seen"),
    [
        ("today", "en", "today"),
        ("yesterday", "en", "this_week"),
        ("last week", "en", "earlier"),
        ("ម្សិលមិញ", "km", "this_week"),
        ("вчора", "uk", "this_week"),
        ("hier", "fr", "this_week"),
        ("hoy", "es", "today"),
        ("أمس", "ar", "this_week"),
        ("3 days ago", "uk", "this_week"),  # English is read in every language
    ],
)
def test_a_typed_day_answers_when(content, text, language, seen):
    typed = tracker(text, "out_of_scope", 0.4, slots=asked("hazard_seen", language=language))
    assert extract(content, "hazard_seen", typed) == ({"hazard_seen": seen}, [])


def test_only_a_past_day_answers_when(content):
    def typed(text: str) -> Tracker:
        return tracker(text, "out_of_scope", 0.4, slots=asked("hazard_seen", language="en"))

    assert extract(content, "hazard_seen", typed("2 days ago")) == ({"hazard_seen": "this_week"}, [])
    for text in ("tomorrow", "12", "a rusty shell"):
        assert extract(content, "hazard_seen", typed(text)) == (
            {"hazard_seen": None},
            ["utter_hazard_choose_one"],
        )


@pytest.mark.parametrize(
    ("text", "intent", "confidence"),
    [
        # What the trained model and the safety net made of these before negations were read.
        ("no, nobody is hurt", "someone_injured", 0.52),
        ("Non, personne n'est blessé", "someone_injured", 1.0),
        ("Ні, ніхто не поранений", "someone_injured", 1.0),
        ("No, nadie está herido", "someone_injured", 1.0),
        ("ទេ គ្មាននរណាម្នាក់រងរបួសទេ", "someone_injured", 0.29),
        ("لا، ما في مصابين", "someone_injured", 1.0),
    ],
)
def test_no_in_the_persons_words_is_no_even_with_an_injury_word(content, text, intent, confidence):
    result = extract(
        content, "hazard_injured", tracker(text, intent, confidence, slots=asked("hazard_injured"))
    )
    assert result == ({"hazard_injured": "no"}, [])
    # An emergency after a "no" is still an emergency.
    for urgent in ("no, he is bleeding", "no he stepped on a mine", "no respira despues de la explosion"):
        typed = tracker(urgent, "someone_injured", 1.0, slots=asked("hazard_injured"))
        assert extract(content, "hazard_injured", typed) == (
            {"hazard_injured": "yes"},
            ["utter_someone_injured"],
        )


def run_form(runtime: Runtime, current: Tracker) -> list[dict[str, Any]]:
    return asyncio.run(hazard.ValidateReportHazardForm(runtime).run(CollectingDispatcher(), current, DOMAIN))


@pytest.mark.parametrize(
    ("slot", "text", "intent", "confidence"),
    [
        ("hazard_description", "menu", "help", 1.0),
        ("hazard_place", "delete my data", "delete_my_data", 1.0),
        ("hazard_description", "help", "help", 0.52),
        ("hazard_seen", "/help", "help", 1.0),  # the SMS HELP keyword, Telegram's /menu
        ("hazard_injured", "/change_language", "change_language", 1.0),
        ("hazard_contact", "stop", "unsubscribe", 0.98),
        ("hazard_type", "/delete_my_data", "delete_my_data", 1.0),
    ],
)
def test_commands_are_handed_to_the_rules_at_every_question(content, slot, text, intent, confidence):
    current = tracker(text, intent, confidence, slots=asked(slot, country="ukraine"))
    assert run_form(content, current) == [
        {"event": "slot", "timestamp": None, "name": slot, "value": None},
        {
            "event": "action_execution_rejected",
            "timestamp": None,
            "name": hazard.FORM,
            "policy": None,
            "confidence": None,
        },
    ]


def test_after_a_rule_answered_the_message_the_form_reads_nothing_from_it(content):
    answered = {"hazard_type": "mine", "hazard_description": "", "hazard_place": "by the well"}
    slots = asked("hazard_seen", country="generic", **answered)
    current = tracker("/set_language", "set_language", 1.0, slots=slots)
    current.events += [
        {"event": "action", "name": "utter_language_set"},
        {"event": "bot", "text": "OK"},
        {"event": "action", "name": hazard.FORM},
    ]
    assert run_form(content, current) == [
        {"event": "slot", "timestamp": None, "name": "requested_slot", "value": "hazard_seen"}
    ]


def test_someone_hurt_gets_the_first_aid_answer_and_the_form_goes_on(content):
    for message in (("/affirm", "affirm", 1.0), ("my brother is bleeding", "someone_injured", 0.99)):
        result = extract(content, "hazard_injured", tracker(*message, slots=asked("hazard_injured")))
        assert result == ({"hazard_injured": "yes"}, ["utter_someone_injured"])
    assert extract(content, "hazard_injured", tracker("/deny", "deny", 1.0, slots=asked("hazard_injured")))[
        0
    ] == {"hazard_injured": "no"}


def test_regions_by_button_or_typed_name(content):
    slots = asked("hazard_region", country="ukraine")
    button = tracker(
        '/report_hazard{"hazard_region": "kharkiv"}',
        "report_hazard",
        1.0,
        {"hazard_region": "kharkiv"},
        slots,
    )
    assert extract(content, "hazard_region", button) == ({"hazard_region": "Kharkiv"}, [])
    assert extract(content, "hazard_region", tracker("Харків", "nlu_fallback", 0.3, slots=slots)) == (
        {"hazard_region": "Kharkiv"},
        [],
    )
    unknown = tracker(
        '/report_hazard{"hazard_region": "unknown"}',
        "report_hazard",
        1.0,
        {"hazard_region": "unknown"},
        slots,
    )
    assert extract(content, "hazard_region", unknown) == ({"hazard_region": ""}, [])


def test_region_question_only_with_regions_and_contact_only_with_consent(content):
    def required(**slots: Any) -> list[str]:
        current = tracker("x", slots=slots)
        slots_of_form = list(hazard.REPORT_SLOTS)
        return asyncio.run(
            hazard.ValidateReportHazardForm(content).required_slots(
                slots_of_form, CollectingDispatcher(), current, DOMAIN
            )
        )

    assert "hazard_region" in required(country="ukraine")
    assert "hazard_region" not in required(country="generic")
    assert "hazard_contact" not in required(country="ukraine", hazard_consent="no")
    assert "hazard_contact" in required(country="ukraine", hazard_consent="yes")


def test_region_buttons_in_the_conversations_language(content):
    dispatcher = CollectingDispatcher()
    current = tracker("/report_hazard", "report_hazard", 1.0, slots={"country": "ukraine", "language": "uk"})
    asyncio.run(hazard.AskHazardRegion(content).run(dispatcher, current, DOMAIN))
    [message] = dispatcher.messages
    assert message["response"] == "utter_ask_hazard_region"
    titles = [b["title"] for b in message["buttons"]]
    assert "Харківська область" in titles and "Kharkiv" not in titles


COMPLETE = {
    "country": "ukraine",
    "language": "uk",
    "hazard_type": "uxo",
    "hazard_description": "rusty shell, half buried",
    "hazard_place": "",
    "hazard_region": "",
    "hazard_seen": "today",
    "hazard_injured": "no",
    "hazard_consent": "yes",
    "hazard_contact": "+380501234567",
    "latitude": "49.98",
    "longitude": "36.25",
}


def submit(runtime: Runtime, slots: dict[str, Any]) -> tuple[list, list]:
    dispatcher = CollectingDispatcher()
    current = tracker("+380501234567", slots=slots)
    events = asyncio.run(hazard.SubmitHazardReport(runtime).run(dispatcher, current, DOMAIN))
    return events, dispatcher.messages


def test_submit_stores_then_confirms_with_the_reference(runtime: Runtime):
    events, messages = submit(runtime, COMPLETE)
    with runtime.database.sessions.begin() as session:
        [report] = store.list_reports(session)
    assert [m["response"] for m in messages] == ["utter_hazard_report_saved"]
    assert messages[0]["reference"] == report.reference
    assert (report.country, report.language, report.hazard_type, report.seen) == ("UA", "uk", "uxo", "today")
    assert (report.latitude, report.longitude, report.contact) == (49.98, 36.25, "+380501234567")
    assert report.conversation == runtime.pseudonyms.of(SENDER) and SENDER not in report.conversation
    assert {e["name"] for e in events if e["value"] is None} >= set(hazard.REPORT_SLOTS)


def test_submit_with_the_database_down_spools_and_still_confirms(tmp_path: Path):
    down = Database.from_url("postgresql://postgres@127.0.0.1:1/eore_down")
    built = make_runtime(tmp_path, down)
    _, messages = submit(built, {**COMPLETE, "hazard_consent": "no", "hazard_contact": "should not be kept"})
    [spooled] = built.spool.reports()
    assert messages[0]["response"] == "utter_hazard_report_saved"
    assert messages[0]["reference"] == spooled.reference
    assert spooled.contact is None and spooled.contact_consent is False
    down.dispose()


def test_delete_my_data_erases_report_contacts_but_keeps_the_hazard(runtime: Runtime, app_database: Database):
    submit(runtime, COMPLETE)
    assert erase_app_data(runtime.app_data, runtime.pseudonyms.of(SENDER)) == []
    with app_database.sessions.begin() as session:
        [report] = store.list_reports(session)
    assert report.contact is None and report.description == "rusty shell, half buried"


QUESTIONS = [
    "utter_report_safety_first",
    "utter_ask_hazard_type",
    "utter_ask_hazard_description",
    "utter_ask_hazard_place",
    "utter_ask_hazard_region",
    "utter_ask_hazard_seen",
    "utter_ask_hazard_injured",
    "utter_ask_hazard_consent",
    "utter_ask_hazard_contact",
    "utter_hazard_choose_one",
    "utter_hazard_report_saved",
    "utter_hazard_report_not_saved",
    "utter_hazard_report_cancelled",
]


@pytest.mark.parametrize("language", ["en", "fr", "es", "uk", "ar", "km"])
def test_every_report_message_fits_the_sms_budget_with_all_its_answers(language):
    from bot.nlg import build_renderer
    from bot.sms import DEFAULT_SEGMENT_BUDGET
    from bot.sms.compose import compose
    from tests.factories import tracker as rasa_tracker

    renderer = build_renderer(ProjectPaths(PROJECT_ROOT))
    for country in ("ukraine", "generic"):
        context = renderer.context(rasa_tracker(language=language, country=country))
        for key in QUESTIONS:
            message = renderer.render(key, context, "sms", {"reference": "K7M2QX"})
            assert message is not None
            sms = compose(message["text"], message.get("buttons") or [], DEFAULT_SEGMENT_BUDGET)
            assert sms.fits and sms.options_dropped == 0, (language, country, key, sms.cost)
