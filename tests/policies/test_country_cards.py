"""CountryCards on real Rasa trackers and the project's profiles: which card comes next."""

from __future__ import annotations

from typing import Any, Optional

import pytest
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, ActiveLoop, Event, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot.content.countries import CountryProfile, load_profiles
from bot.paths import ProjectPaths
from bot.policies.country_cards import next_card
from tests.factories import PROJECT_ROOT

NONE = "utter_country_cards_none"


@pytest.fixture(scope="module")
def domain() -> Domain:
    return Domain.load(PROJECT_ROOT / "domain.yml")


@pytest.fixture(scope="module")
def profiles() -> dict[str, CountryProfile]:
    return load_profiles(ProjectPaths(PROJECT_ROOT).countries)


def said(intent: str, entities: Optional[list[dict[str, Any]]] = None, metadata: Any = None) -> UserUttered:
    return UserUttered(
        f"/{intent}", intent={"name": intent, "confidence": 1.0}, entities=entities or [], metadata=metadata
    )


ASKED = [{"entity": "topic_country", "value": "yes"}]


def tracker(domain: Domain, *events: Event) -> DialogueStateTracker:
    return DialogueStateTracker.from_events(
        "t", [ActionExecuted("action_listen"), *events], slots=domain.slots
    )


def step(domain: Domain, profiles: dict[str, CountryProfile], *events: Event) -> Optional[str]:
    return next_card(tracker(domain, *events), profiles, "topic_country", NONE, "next")


def test_the_profile_cards_come_in_order_then_the_rules_take_over(domain, profiles):
    events: list[Event] = [SlotSet("country", "ukraine"), said("help", ASKED)]
    shown = []
    while (card := step(domain, profiles, *events)) is not None:
        shown.append(card)
        assert step(domain, profiles, *events, ActionExecuted(card)) == "action_listen"
        events += [ActionExecuted(card), ActionExecuted("action_listen"), said("next")]
    assert shown == ["utter_card_ukraine_1", "utter_card_ukraine_2", "utter_card_ukraine_3"]


def test_the_country_comes_from_the_channel_hint_and_generic_has_none(domain, profiles):
    assert step(domain, profiles, said("help", ASKED, {"country": "lebanon"})) == "utter_card_lebanon_1"
    assert step(domain, profiles, said("help", ASKED)) == NONE
    assert step(domain, profiles, said("help", ASKED), ActionExecuted(NONE)) == "action_listen"


def test_nothing_to_say_without_the_question_inside_a_form_or_after_another_lesson(domain, profiles):
    assert step(domain, profiles, SlotSet("country", "cambodia"), said("help")) is None
    form = [ActiveLoop("report_hazard_form"), SlotSet("country", "cambodia"), said("help", ASKED)]
    assert step(domain, profiles, *form) is None
    after_lesson = [ActionExecuted("utter_lesson_signs_1"), ActionExecuted("action_listen"), said("next")]
    assert step(domain, profiles, SlotSet("country", "cambodia"), *after_lesson) is None
