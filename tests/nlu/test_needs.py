"""Second needs beside a safety intent, and lesson topics of typed questions (bot/nlu/needs.py)."""

from __future__ import annotations

from typing import Any

import pytest
from rasa.shared.nlu.training_data.message import Message

from bot.nlu.linear_classifier import PARTS_KEY
from bot.nlu.needs import NeedDetector, TopicTerms, second_need
from tests.factories import PROJECT_ROOT

TOPICS = TopicTerms.load(PROJECT_ROOT / "content" / "lesson_topics.yml")


def part(head: str, head_confidence: float, tail: str, tail_confidence: float) -> dict[str, Any]:
    return {
        "cut": 1,
        "head": head,
        "head_confidence": head_confidence,
        "tail": tail,
        "tail_confidence": tail_confidence,
    }


INJURED_THEN_REHAB = [
    part("someone_injured", 0.9, "someone_injured", 0.6),
    part("someone_injured", 0.8, "find_services", 0.86),
]


def test_a_part_sure_of_an_offerable_need_beside_a_safety_part_is_offered() -> None:
    assert second_need(INJURED_THEN_REHAB, {}, 0.5) == ("offer_services", 0.86)
    assert second_need([part("report_hazard", 0.7, "found_object", 0.9)], {}, 0.5) == ("offer_report", 0.7)
    assert second_need([part("found_object", 0.9, "ask_survivor_rights", 0.55)], {}, 0.5) == (
        "offer_services",
        0.55,
    )


@pytest.mark.parametrize(
    "parts",
    [
        [part("someone_injured", 0.8, "find_services", 0.49)],  # not sure enough
        [part("thank", 0.8, "find_services", 0.9)],  # the other part is not a safety intent
        [part("someone_injured", 0.8, "ask_object_types", 0.9)],  # a lesson is not offered
        [],
        None,
    ],
)
def test_no_offer_without_a_sure_offerable_part_beside_a_safety_part(parts: Any) -> None:
    assert second_need(parts, {}, 0.5) is None


def test_the_need_the_safety_net_overrode_is_offered() -> None:
    net = {"fired": True, "nlu_intent": {"name": "find_services", "confidence": 0.63}}
    assert second_need(None, net, 0.5) == ("offer_services", 0.63)
    assert second_need(None, {**net, "fired": False}, 0.5) is None
    assert second_need(None, {"fired": True, "nlu_intent": {"name": "greet", "confidence": 0.9}}, 0.5) is None


@pytest.mark.parametrize(
    ("text", "topic"),
    [
        ("is it safe to go back home after the war", "track_returnees"),
        ("we are returning to our village next month", "track_returnees"),
        ("peut-on rentrer à la maison ?", "track_returnees"),
        ("podemos volver a la casa", "track_returnees"),
        ("чи безпечно повертатися додому", "track_returnees"),
        ("متى نقدر نرجع عالبيت", "track_returnees"),
        ("ពេលណាអាចត្រឡប់ទៅភូមិវិញ", "track_returnees"),
        ("can the floods move mines", "topic_floods"),
        ("les inondations déplacent les mines ?", "topic_floods"),
        ("después de la inundación es peligroso", "topic_floods"),
        ("після повені міни пливуть?", "topic_floods"),
        ("بعد الفيضان وين بتروح الالغام", "topic_floods"),
        ("ទឹកជំនន់នាំមីនមកស្រែទេ", "topic_floods"),
        ("after the flood can we go back home", "topic_floods"),
        # Issue 14: the audience tracks (tests/nlu/test_tracks_needs.py).
        ("can i burn my field", "track_farmers"),
        ("is scrap metal dangerous", "track_scrap"),
        ("how do i cross the road", None),
    ],
)
def test_typed_questions_name_their_lesson(text: str, topic: str | None) -> None:
    assert TOPICS.match(text) == topic


def message(text: str, intent: str, **data: Any) -> Message:
    return Message({"text": text, "intent": {"name": intent, "confidence": 0.9}, **data})


def detector() -> NeedDetector:
    return NeedDetector(NeedDetector.get_default_config(), TOPICS)


def entities(processed: Message) -> list[tuple[str, str]]:
    return [(e["entity"], e["value"]) for e in processed.get("entities") or []]


def test_the_detector_sets_the_offer_on_safety_messages_only() -> None:
    injured = message("my husband was injured by a mine and needs rehabilitation", "someone_injured")
    injured.set(PARTS_KEY, INJURED_THEN_REHAB)
    services = message("where can i get rehabilitation", "find_services")
    services.set(PARTS_KEY, INJURED_THEN_REHAB)
    detector().process([injured, services])
    assert entities(injured) == [("offer_services", "yes")]
    assert injured.as_dict_nlu()["entities"][0]["extractor"] == "NeedDetector"
    assert entities(services) == []


def test_the_detector_sets_the_topic_on_risky_activity_questions_only() -> None:
    home = message("is it safe to go back home", "ask_safe_behaviour")
    floods = message("after the floods is the field safe", "ask_safe_behaviour")
    burning = message("can i burn the grass", "ask_safe_behaviour")
    other = message("teach my kids about going back home", "ask_children_safety")
    button = message('/ask_safe_behaviour{"topic_home": "yes"}', "ask_safe_behaviour")
    button.set("entities", [{"entity": "topic_home", "value": "yes"}])
    detector().process([home, floods, burning, other, button])
    assert [entities(m) for m in (home, floods, burning, other, button)] == [
        [("track_returnees", "yes")],
        [("topic_floods", "yes")],
        [],
        [],
        [("topic_home", "yes")],
    ]


def test_an_unreadable_topics_file_gives_no_topic(tmp_path) -> None:
    broken = tmp_path / "lesson_topics.yml"
    broken.write_text("topic_home: [unclosed", encoding="utf-8")
    assert TopicTerms.load(broken).match("go back home") is None
    assert TopicTerms.load(tmp_path / "missing.yml").match("go back home") is None
