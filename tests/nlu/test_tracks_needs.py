"""Audience tracks of typed messages (issue 14): words of content/lesson_topics.yml under
`track_<id>` set the `track_<id>` entity (a children question only the children's or parents'
track), and make an unsure message a risky-activity question; safety intents and other lessons
are never changed."""

from __future__ import annotations

from typing import Any

import pytest
from rasa.shared.nlu.training_data.message import Message

from bot.nlu.needs import RELABELLED_KEY, NeedDetector, TopicTerms
from tests.factories import PROJECT_ROOT

TOPICS = TopicTerms.load(PROJECT_ROOT / "content" / "lesson_topics.yml")


def message(text: str, intent: str) -> Message:
    return Message({"text": text, "intent": {"name": intent, "confidence": 0.7}})


def detect(text: str, intent: str) -> tuple[str, list[tuple[str, Any]], Any]:
    processed = message(text, intent)
    NeedDetector(NeedDetector.get_default_config(), TOPICS).process([processed])
    found = [(e["entity"], e["value"]) for e in processed.get("entities") or []]
    return processed.get("intent")["name"], found, processed.get(RELABELLED_KEY)


def test_every_topic_and_track_key_of_the_file_is_read_topics_first():
    keys = TOPICS.keys
    # Flood and season words first, then the other topics that have words (topic_home has none:
    # typed going-home questions are the returnees track), then the tracks.
    assert keys[:4] == ["topic_floods", "topic_climate", "topic_country", "topic_after_report"]
    assert {
        "track_children",
        "track_parents",
        "track_farmers",
        "track_herders",
        "track_scrap",
        "track_firewood",
    } <= set(keys)
    assert all(k.startswith("track_") for k in keys[4:])


@pytest.mark.parametrize(
    ("text", "track"),
    [
        ("I am a farmer, what should I know?", "track_farmers"),
        ("I collect scrap metal", "track_scrap"),
        ("je suis berger", "track_herders"),
        ("recojo leña en el bosque", "track_firewood"),
        ("я пастух", "track_herders"),
        ("انا مزارع", "track_farmers"),
        ("ខ្ញុំរើសអេតចាយលក់", "track_scrap"),
        # The word that comes first wins among tracks: the scrap collector who farms.
        ("I collect scrap metal and I farm", "track_scrap"),
        ("I farm and I collect scrap metal", "track_farmers"),
        # A topic wins over a track: a farmer asking about the flood gets the floods lesson.
        ("I am a farmer, after the flood can I plough?", "topic_floods"),
        # Words inside other words are not tracks.
        ("what about this moment", None),
        ("les champignons", "track_firewood"),
        ("ស្រែក", None),
    ],
)
def test_track_words_in_every_language(text, track):
    assert TOPICS.match(text) == track


def test_a_risky_activity_question_gets_its_track():
    assert detect("I am a farmer, what should I know?", "ask_safe_behaviour") == (
        "ask_safe_behaviour",
        [("track_farmers", "yes")],
        None,
    )


def test_a_children_question_naming_a_child_or_a_parent_gets_their_track():
    # The intent stays (analytics); the rules answer ask_children_safety + track with the track.
    assert detect("tips for parents about mines", "ask_children_safety") == (
        "ask_children_safety",
        [("track_parents", "yes")],
        None,
    )
    assert detect("je suis un enfant, explique-moi", "ask_children_safety")[:2] == (
        "ask_children_safety",
        [("track_children", "yes")],
    )
    # "My son collects scrap" stays the children lesson: only the children's and parents' tracks.
    assert detect("my son likes to collect scrap metal", "ask_children_safety") == (
        "ask_children_safety",
        [],
        None,
    )
    # "How do I teach my kids" stays the children lesson.
    assert detect("how do i teach my kids", "ask_children_safety") == ("ask_children_safety", [], None)


def test_an_unsure_message_with_a_track_word_becomes_the_track():
    assert detect("scrap metal seller", "nlu_fallback") == (
        "ask_safe_behaviour",
        [("track_scrap", "yes")],
        "nlu_fallback",
    )


@pytest.mark.parametrize(
    "intent",
    [
        "found_object",
        "in_hazard_area",
        "someone_injured",
        "protection_concern",
        "find_services",
        "ask_warning_signs",
        "out_of_scope",
        "greet",
    ],
)
def test_safety_and_other_intents_are_never_changed(intent):
    # "I am a farmer and found a grenade in my field" is a safety message first.
    assert detect("I am a farmer and found a grenade in my field", intent) == (intent, [], None)
