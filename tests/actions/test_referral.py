"""The referral actions against a real SQLite app database and the shipped content."""

from __future__ import annotations

import asyncio
import io
import shutil
from pathlib import Path
from typing import cast

import pytest
import sqlalchemy as sa
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.privacy import ActionDeleteMyData
from actions.referral import (
    ActionAskServiceRegion,
    ActionCancelReferral,
    ActionCreateReferral,
    ActionServicesStart,
    ActionShowServices,
    ValidateServicesForm,
)
from actions.runtime import Runtime
from bot.paths import ProjectPaths
from bot.services.commands import import_services
from bot.services.store import referrals
from bot.store.db import Database
from tests.actions.runtimes import make_runtime
from tests.factories import PROJECT_ROOT

SENDER = "telegram-12345"
NO_DOMAIN = cast(DomainDict, {})


@pytest.fixture()
def context(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Runtime:
    """The runtime of a project copy with the shipped directory imported into a SQLite database."""
    shutil.copytree(PROJECT_ROOT / "content", tmp_path / "content")
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'app.db'}")
    assert import_services(ProjectPaths(tmp_path), out=io.StringIO()) == 0
    database = Database.from_url(f"sqlite:///{tmp_path / 'app.db'}").migrate()
    return make_runtime(tmp_path, database, root=tmp_path)


def tracker(text: str = "", slots: dict | None = None, entities: list | None = None) -> Tracker:
    latest = {"text": text, "entities": entities or [], "intent": {"name": "find_services"}}
    events = [{"event": "user", "text": text, "metadata": {"language": "uk"}}]
    return Tracker(SENDER, slots or {}, latest, events, False, None, {}, "rest")


def run(action, current: Tracker) -> tuple[list, list]:
    dispatcher = CollectingDispatcher()
    events = asyncio.run(action.run(dispatcher, current, NO_DOMAIN))
    return events, dispatcher.messages


def slot_values(events: list) -> dict:
    return {e["name"]: e["value"] for e in events if e.get("event") == "slot"}


def test_need_and_place_are_taken_from_the_first_message(context):
    events, _ = run(
        ActionServicesStart(context), tracker("I lost my leg, I live in Izium", {"country": "ukraine"})
    )
    assert slot_values(events) == {
        "service_category": "rehabilitation",
        "country": "ukraine",
        "service_region": "kharkiv",
        "service_district": "izium",
        "service_country": "ukraine",
    }
    button = [{"entity": "service_category", "value": "legal"}]
    events, _ = run(ActionServicesStart(context), tracker("/find_services", entities=button))
    # No country chosen nor hinted: the form asks it first.
    assert slot_values(events) == {"service_category": "legal", "service_country": None}
    events, _ = run(ActionServicesStart(context), tracker("/find_services", {"country": "generic"}))
    assert slot_values(events) == {"service_category": None, "service_country": "generic"}


@pytest.mark.parametrize(
    ("typed", "country"),
    [
        ("Ukraine", "ukraine"),
        ("Cambodge", "cambodia"),
        ("Líbano", "lebanon"),
        ("Колумбія", "colombia"),
        ("اوكرانيا", "ukraine"),
        ("ខ្ញុំនៅកម្ពុជា", "cambodia"),
        ("I'm in Lebanon", "lebanon"),
    ],
)
def test_a_typed_country_name_answers_the_country_question(context, typed, country):
    form = ValidateServicesForm(context)
    current = tracker(typed, {"requested_slot": "service_country"})
    found = asyncio.run(form.validate_service_country(typed, CollectingDispatcher(), current, NO_DOMAIN))
    assert found == {"service_country": country, "country": country}


def test_a_town_at_the_country_question_gives_country_and_region_and_nonsense_is_not_taken(context):
    form = ValidateServicesForm(context)
    dispatcher = CollectingDispatcher()
    current = tracker("Izium", {"requested_slot": "service_country"})
    assert asyncio.run(form.validate_service_country("Izium", dispatcher, current, NO_DOMAIN)) == {
        "service_country": "ukraine",
        "country": "ukraine",
        "service_region": "kharkiv",
        "service_district": "izium",
    }
    assert asyncio.run(form.validate_service_country("Atlantis", dispatcher, current, NO_DOMAIN)) == {
        "service_country": None
    }
    assert [m["response"] for m in dispatcher.messages] == ["utter_region_not_understood"]
    # A button's id is the choice; the id action_services_start set is not a new choice.
    assert asyncio.run(form.validate_service_country("generic", dispatcher, current, NO_DOMAIN)) == {
        "service_country": "generic",
        "country": "generic",
    }
    started = tracker("/find_services", {"country": "lebanon"})
    assert asyncio.run(form.validate_service_country("lebanon", dispatcher, started, NO_DOMAIN)) == {
        "service_country": "lebanon"
    }


def test_typed_region_is_validated_and_region_buttons_are_in_the_language(context):
    form = ValidateServicesForm(context)
    dispatcher = CollectingDispatcher()
    current = tracker("Харків", {"country": "ukraine"})
    found = asyncio.run(form.validate_service_region("Харків", dispatcher, current, NO_DOMAIN))
    assert found == {"service_region": "kharkiv", "service_district": None, "country": "ukraine"}
    assert asyncio.run(form.validate_service_region("Atlantis", dispatcher, current, NO_DOMAIN)) == {
        "service_region": None
    }
    assert dispatcher.messages[-1]["response"] == "utter_region_not_understood"
    _, messages = run(ActionAskServiceRegion(context), tracker("", {"country": "ukraine", "language": "uk"}))
    assert messages[0]["response"] == "utter_ask_service_region"
    assert {"title": "Харківська область", "payload": "Харківська область"} in messages[0]["buttons"]


def test_services_are_shown_one_per_message_nearest_first_with_examples_labelled(context):
    # Before: a separate "EXAMPLES ONLY" note first, and the directory's text in English.
    slots = {"country": "ukraine", "service_category": "rehabilitation", "service_region": "kharkiv"}
    events, messages = run(ActionShowServices(context), tracker("", {**slots, "language": "en"}))
    assert [(m["response"], m["organisation"], m["phone"]) for m in messages] == [
        ("utter_service_example_free", "Example Rehabilitation Centre", ""),
        ("utter_service_example_free", "Example National Rehabilitation Network", ""),
    ]
    assert events == []  # the referral offer follows (data/rules.yml)
    _, messages = run(ActionShowServices(context), tracker("", {**slots, "language": "uk"}))
    assert [(m["organisation"], m["service"]) for m in messages] == [
        ("Приклад реабілітаційного центру", "Протези, ортези, візки, фізтерапія"),
        ("Приклад національної мережі реабілітації", "Реабілітація і допоміжні засоби по всій Україні"),
    ]
    # Emergency care: no phone of an example, and no referral offer after the list.
    slots["service_category"] = "emergency_medical"
    events, messages = run(ActionShowServices(context), tracker("", {**slots, "language": "en"}))
    assert [(m["response"], m["organisation"], m["phone"]) for m in messages] == [
        ("utter_service_example_free", "Example Emergency Hospital", "")
    ]
    assert events == [{"event": "followup", "timestamp": None, "name": "action_listen"}]


def test_emergency_care_gives_the_injured_answer_at_once(context):
    form = ValidateServicesForm(context)
    for value in ("emergency_medical", "my leg is bleeding, where is a hospital"):
        dispatcher = CollectingDispatcher()
        current = tracker(value, {"country": "ukraine"})
        found = asyncio.run(form.validate_service_category(value, dispatcher, current, NO_DOMAIN))
        assert found == {"service_category": "emergency_medical"}
        assert [m["response"] for m in dispatcher.messages] == ["utter_someone_injured"]
    dispatcher = CollectingDispatcher()
    asyncio.run(form.validate_service_category("legal", dispatcher, tracker("", {}), NO_DOMAIN))
    assert dispatcher.messages == []


def test_referral_is_pseudonymous_then_cancelled_then_deleted(context):
    slots = {
        "country": "ukraine",
        "service_category": "rehabilitation",
        "service_region": "kharkiv",
        "referral_contact": "+380 50 765 43 21",
        "language": "uk",
    }
    events, messages = run(ActionCreateReferral(context), tracker("", slots))
    assert slot_values(events) == {"referral_contact": None}
    reference = messages[0]["reference"]
    with context.database.engine.connect() as connection:
        [row] = connection.execute(sa.select(referrals)).mappings().all()
    assert row["reference"] == reference and row["conversation"] == context.pseudonyms.of(SENDER)
    assert SENDER not in " ".join(str(v) for v in row.values())
    assert (row["contact"], row["category"], row["region"], row["language"]) == (
        "+380 50 765 43 21",
        "rehabilitation",
        "kharkiv",
        "uk",
    )
    _, messages = run(ActionCancelReferral(context), tracker())
    assert messages == [{**messages[0], "response": "utter_referral_cancelled", "reference": reference}]
    _, messages = run(ActionCancelReferral(context), tracker())
    assert messages[0]["response"] == "utter_no_referral"
    run(ActionDeleteMyData(context), tracker())
    with context.database.engine.connect() as connection:
        assert connection.execute(sa.select(referrals)).all() == []


def test_an_empty_slot_is_asked_for_without_complaint(context):
    """action_services_start resets the need; validating that reset says nothing."""
    form = ValidateServicesForm(context)
    dispatcher = CollectingDispatcher()
    current = tracker("/find_services", {"country": "ukraine"})
    assert asyncio.run(form.validate_service_category(None, dispatcher, current, NO_DOMAIN)) == {
        "service_category": None
    }
    assert asyncio.run(form.validate_service_region(None, dispatcher, current, NO_DOMAIN)) == {
        "service_region": None
    }
    assert dispatcher.messages == []
    assert asyncio.run(form.validate_service_category("a lawyer", dispatcher, current, NO_DOMAIN)) == {
        "service_category": "legal"
    }


def test_a_services_languages_are_named_in_the_readers_language(context):
    slots = {"country": "ukraine", "service_category": "rehabilitation", "service_region": "kharkiv"}
    _, messages = run(ActionShowServices(context), tracker("", {**slots, "language": "en"}))
    assert messages[0]["languages"] == "Ukrainian, Russian, English"
    _, messages = run(ActionShowServices(context), tracker("", {**slots, "language": "fr"}))
    assert messages[0]["languages"] == "ukrainien, russe, anglais"


def test_a_referral_keeps_the_channels_sealed_address_and_its_partners_are_told(context):
    from bot.outreach.store import ADDRESS_METADATA_KEY, outreach_messages
    from bot.services.partners import Partner

    context.partners = {
        "rehab": Partner("rehab", "Rehab", ("ukraine",), ("rehabilitation",), "r@example.org")
    }
    slots = {
        "country": "ukraine",
        "service_category": "rehabilitation",
        "referral_contact": "+380",
        "language": "uk",
    }
    events = [{"event": "user", "text": "yes", "metadata": {ADDRESS_METADATA_KEY: "sealed-chat-id"}}]
    current = Tracker(
        "tg-0123abcd", slots, {"text": "yes", "intent": {"name": "affirm"}}, events, False, None, {}, "x"
    )
    _, messages = run(ActionCreateReferral(context), current)
    reference = messages[0]["reference"]
    with context.database.engine.connect() as connection:
        [row] = connection.execute(sa.select(referrals)).mappings().all()
        sent = connection.execute(sa.select(outreach_messages.c.key, outreach_messages.c.channel)).all()
    assert (row["follow_up_channel"], row["follow_up_address"]) == ("telegram", "sealed-chat-id")
    assert sent == [(f"partner:{reference}:new|rehab:email", "email")]
