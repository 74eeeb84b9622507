"""Typed questions name the fishers-and-hunters, drivers, returnees, older-people and disability
tracks (content/lesson_topics.yml, read by bot/nlu/needs.py), in every language (issue 14)."""

from __future__ import annotations

import pytest

from bot.nlu.needs import TopicTerms
from tests.factories import PROJECT_ROOT

TOPICS = TopicTerms.load(PROJECT_ROOT / "content" / "lesson_topics.yml")


@pytest.mark.parametrize(
    ("text", "track"),
    [
        ("we go fishing at the lake every morning", "track_fishers_hunters"),
        ("is hunting in the hills dangerous", "track_fishers_hunters"),
        ("on va à la chasse dans la forêt", "track_fishers_hunters"),
        ("mi hermano es pescador", "track_fishers_hunters"),
        ("ми ходимо на полювання в ліс", "track_fishers_hunters"),
        ("بدي روح عالصيد بالجبل", "track_fishers_hunters"),
        ("ពួកយើងទៅប្រមាញ់សត្វក្នុងព្រៃ", "track_fishers_hunters"),
        ("I am a truck driver on dirt roads", "track_drivers"),
        ("je suis chauffeur de taxi", "track_drivers"),
        ("conducir por la carretera del pueblo", "track_drivers"),
        ("я водій вантажівки", "track_drivers"),
        ("أسوق سيارتي على طريق ترابي", "track_drivers"),
        ("ខ្ញុំជិះម៉ូតូតាមផ្លូវលំ", "track_drivers"),
        ("we are displaced and want to return", "track_returnees"),
        ("somos desplazados", "track_returnees"),
        ("ми переселенці", "track_returnees"),
        ("my grandfather is elderly", "track_older"),
        ("les personnes âgées du village", "track_older"),
        ("mi abuelo es jubilado", "track_older"),
        ("мій дідусь пенсіонер", "track_older"),
        ("أبي رجل مسن", "track_older"),
        ("ជីដូនខ្ញុំចាស់ជរាហើយ", "track_older"),
        ("my son is blind", "track_disability"),
        ("ma sœur est malvoyante", "track_disability"),
        ("mi papá tiene discapacidad", "track_disability"),
        ("я людина з інвалідністю", "track_disability"),
        ("أنا كفيف", "track_disability"),
        ("ខ្ញុំជាជនពិការ", "track_disability"),
        # Not a track: "woman" (ស្ត្រី) holds the letters of "fish" (ត្រី); old objects are not old people.
        ("ស្ត្រីម្នាក់រកឃើញវត្ថុចម្លែក", None),
        ("can an old rusty shell explode", None),
        # Floods still come first.
        ("after the flood can we fish in the river", "topic_floods"),
    ],
)
def test_typed_questions_name_their_track(text: str, track: str | None) -> None:
    assert TOPICS.match(text) == track


def test_the_returning_home_button_topic_has_no_typed_words_any_more() -> None:
    # Typed going-home questions get the fuller returnees track; the lesson menu's
    # "Returning home" button (topic_home) keeps its two-card lesson.
    assert TOPICS.match("we want to go back home") == "track_returnees"
