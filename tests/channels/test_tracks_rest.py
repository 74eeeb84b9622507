"""Audience tracks through the real REST server (issue 14): the six tracks children, parents,
farmers, herders, scrap and firewood, in every language, from the lessons menu's "Lessons for
you" and by typing, every card through Next, asserted by exact text and buttons.
"""

from __future__ import annotations

from typing import Any, Optional

import pytest

from bot.i18n import SUPPORTED_LANGUAGES
from bot.nlg import ResponseContext, ResponseRenderer
from tests.assistant import Assistant, new_sender
from tests.factories import GRENADE

pytestmark = pytest.mark.server

# Track id: number of cards.
TRACKS = {"children": 3, "parents": 3, "farmers": 3, "herders": 3, "scrap": 3, "firewood": 2}
TRACKS_MENU = '/help{"tracks_menu": "yes"}'
LESSONS_MENU = '/help{"lessons_menu": "yes"}'
LESSON_NEXT = ["/next", "/help"]
LESSON_END = [LESSONS_MENU, "/start_quiz", "/help"]
# What people type, in each language: a message that names who they are, not a track.
TYPED = {
    "en": {
        "children": "I am a kid, teach me about mines",
        "parents": "I am a parent, what should I teach my children about mines?",
        "farmers": "I am a farmer, what should I know?",
        "herders": "I am a shepherd, what should I know?",
        "scrap": "I collect scrap metal for a living, what should I know?",
        "firewood": "I collect firewood every day, what should I know?",
    },
    "fr": {
        "children": "Je suis un enfant, explique-moi les mines",
        "parents": "Je suis parent, que dois-je apprendre à mes enfants sur les mines ?",
        "farmers": "Je suis agricultrice, que dois-je savoir ?",
        "herders": "Je suis berger, des conseils ?",
        "scrap": "Je ramasse la ferraille pour vivre, des conseils ?",
        "firewood": "Je vais chercher du bois de chauffage chaque jour, des conseils ?",
    },
    "es": {
        "children": "Soy una niña, dame consejos",
        "parents": "Soy madre, qué debo enseñar a mis hijos sobre las minas?",
        "farmers": "Soy campesino, qué debo saber?",
        "herders": "Cuido ganado en el monte, qué consejos hay?",
        "scrap": "Recojo chatarra para vivir, qué debo saber?",
        "firewood": "Voy por leña todos los días, qué debo saber?",
    },
    "uk": {
        "children": "Я дитина, розкажи мені про міни",
        "parents": "Я мама, чого навчити дітей про міни?",
        "farmers": "Я фермер, що мені треба знати?",
        "herders": "Я пастух, які поради?",
        "scrap": "Я збираю металобрухт, що треба знати?",
        "firewood": "Я збираю дрова в лісі, що треба знати?",
    },
    "ar": {
        "children": "انا طفل، شو لازم اعرف عن الالغام؟",
        "parents": "انا ام، شو لازم علم ولادي عن الالغام؟",
        "farmers": "انا مزارع، شو لازم اعرف؟",
        "herders": "انا راعي غنم، كيف بحمي القطيع من الالغام؟",
        "scrap": "بشتغل بجمع الخردة، شو لازم اعرف؟",
        "firewood": "بجمع الحطب كل يوم، شو لازم اعرف؟",
    },
    "km": {
        "children": "ខ្ញុំជាក្មេង តើខ្ញុំគួរដឹងអ្វីខ្លះពីមីន?",
        "parents": "ខ្ញុំជាម្តាយ តើគួរបង្រៀនកូនអំពីមីនយ៉ាងដូចម្តេច?",
        "farmers": "ខ្ញុំជាកសិករ តើខ្ញុំគួរដឹងអ្វីខ្លះ?",
        "herders": "ខ្ញុំឃ្វាលគោ តើត្រូវប្រយ័ត្នអ្វីខ្លះ?",
        "scrap": "ខ្ញុំរើសអេតចាយលក់ តើត្រូវដឹងអ្វីខ្លះ?",
        "firewood": "ខ្ញុំរកអុសក្នុងព្រៃរាល់ថ្ងៃ តើត្រូវប្រយ័ត្នអ្វីខ្លះ?",
    },
}
CASES = [(language, track) for language in SUPPORTED_LANGUAGES for track in TRACKS]


def shown(expected: ResponseRenderer, key: str, language: str) -> dict[str, Any]:
    """Response `key` as the REST channel must show it: text, button titles and payloads."""
    rendered = expected.render(key, ResponseContext(language, expected.profile(None)), "rest", {})
    assert rendered is not None
    return {"text": rendered["text"], "buttons": rendered.get("buttons") or []}


def seen(replies: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{"text": r.get("text"), "buttons": r.get("buttons") or []} for r in replies]


def payloads(message: dict[str, Any]) -> list[str]:
    return [b["payload"] for b in message["buttons"]]


def cards(
    rest: Assistant, expected: ResponseRenderer, sender: str, track: str, language: str, first: list
) -> None:
    """`first` is card 1; Next gives every further card; the last ends the lesson."""
    count = TRACKS[track]
    assert seen(first) == [shown(expected, f"utter_track_{track}_1", language)]
    for number in range(2, count + 1):
        assert payloads(seen(first)[0]) == LESSON_NEXT
        first = rest.send(sender, "/next")
        assert seen(first) == [shown(expected, f"utter_track_{track}_{number}", language)]
    assert payloads(seen(first)[0]) == LESSON_END


def button(message: dict[str, Any], payload: str) -> Optional[dict[str, Any]]:
    return next((b for b in message["buttons"] if b["payload"] == payload), None)


@pytest.mark.parametrize(("language", "track"), CASES)
def test_each_track_from_the_lessons_menu(rest, expected, language, track):
    sender = new_sender()
    assert len(rest.send(sender, f'/set_language{{"language": "{language}"}}')) == 1
    lessons = seen(rest.send(sender, LESSONS_MENU))
    assert lessons == [shown(expected, "utter_lessons_menu", language)]
    # "Lessons for you" comes just before Menu.
    assert payloads(lessons[0])[-2:] == [TRACKS_MENU, "/help"]
    menu = seen(rest.send(sender, TRACKS_MENU))
    assert menu == [shown(expected, "utter_tracks_menu", language)]
    chosen = button(menu[0], f'/ask_safe_behaviour{{"track_{track}": "yes"}}')
    assert chosen is not None
    cards(rest, expected, sender, track, language, rest.send(sender, chosen["payload"]))


@pytest.mark.parametrize(("language", "track"), CASES)
def test_each_track_by_typing(rest, expected, language, track):
    sender = new_sender()
    cards(rest, expected, sender, track, language, rest.send(sender, TYPED[language][track]))


def test_the_tracks_menu_lists_the_eleven_tracks_in_order_then_menu(expected):
    menu = shown(expected, "utter_tracks_menu", "en")
    ids = [
        "children",
        "parents",
        "farmers",
        "herders",
        "scrap",
        "firewood",
        "fishers_hunters",
        "drivers",
        "returnees",
        "older",
        "disability",
    ]
    assert payloads(menu) == [f'/ask_safe_behaviour{{"track_{i}": "yes"}}' for i in ids] + ["/help"]
    assert menu["text"] == "Who are you learning for?"


@pytest.mark.parametrize("language", SUPPORTED_LANGUAGES)
def test_a_track_word_never_turns_a_safety_message_into_a_lesson(rest, expected, language):
    # A farmer who found something gets the found-object answer, not the farmers' track.
    found = {
        "en": "I am a farmer and I found a grenade in my field",
        "fr": "Je suis agriculteur et j'ai trouvé une grenade dans mon champ",
        "es": "Soy campesino y encontré una granada en mi finca",
        "uk": "Я фермер, знайшов гранату в полі",
        "ar": "انا مزارع ولقيت قنبلة بالحقل",
        "km": "ខ្ញុំជាកសិករ ខ្ញុំរកឃើញគ្រាប់បែកដៃនៅក្នុងស្រែ",
    }[language]
    replies = seen(rest.send(new_sender(), found))
    assert [r["text"] for r in replies] == [shown(expected, "utter_found_object", language)["text"]]
    assert GRENADE[language]  # the same six languages as the other safety tests
