"""Audience tracks for fishers and hunters, drivers on rural roads, returnees and displaced
people, older people and persons with disabilities (issue 14), through the real REST server.

Each track is reached in every language by its button payload and by a typed question (none of
them in the training data), and every card follows on "Next" with its exact text and options.
Before, the payloads and typed questions got the general risky-activities lesson.
"""

from __future__ import annotations

from typing import Any

import pytest

from bot.i18n import SUPPORTED_LANGUAGES
from bot.nlg import ResponseContext, ResponseRenderer
from tests.assistant import Assistant, new_sender

# Track id: number of cards.
TRACKS = {"fishers_hunters": 3, "drivers": 3, "returnees": 3, "older": 2, "disability": 3}
NEXT_OPTIONS = ["/next", "/help"]
END_OPTIONS = ['/help{"lessons_menu": "yes"}', "/start_quiz", "/help"]

TYPED: dict[str, dict[str, str]] = {
    "en": {
        "fishers_hunters": "I fish in the river, is it safe?",
        "drivers": "I drive on rural roads every day, what should I watch for?",
        "returnees": "we are going back to our village next week",
        "older": "my grandmother is old, how can she stay away from mines?",
        "disability": "I use a wheelchair, how do I stay away from mines?",
    },
    "fr": {
        "fishers_hunters": "je pêche dans la rivière, est-ce dangereux ?",
        "drivers": "je conduis un camion sur les routes de campagne, quels sont les risques ?",
        "returnees": "nous rentrons dans notre village, quels sont les dangers ?",
        "older": "ma grand-mère est âgée, comment peut-elle éviter les mines ?",
        "disability": "je suis en fauteuil roulant, comment éviter les mines ?",
    },
    "es": {
        "fishers_hunters": "pesco en el río, ¿es peligroso?",
        "drivers": "manejo un camión por caminos rurales, ¿qué riesgos hay?",
        "returnees": "vamos a volver a nuestro pueblo, ¿qué debemos saber?",
        "older": "mi abuela es mayor, ¿cómo puede evitar las minas?",
        "disability": "uso silla de ruedas, ¿cómo evito las minas?",
    },
    "uk": {
        "fishers_hunters": "я рибалю на річці, чи це небезпечно?",
        "drivers": "я водій, їжджу сільськими дорогами, які ризики?",
        "returnees": "ми повертаємося в наше село, що треба знати?",
        "older": "моя бабуся літня людина, як їй уберегтися від мін?",
        "disability": "я пересуваюся на візку, як уникнути мін?",
    },
    "ar": {
        "fishers_hunters": "أنا أصطاد السمك في النهر، هل هذا خطر؟",
        "drivers": "أنا سائق على الطرق الريفية، ما هي المخاطر؟",
        "returnees": "نحن نعود إلى قريتنا، ماذا يجب أن نعرف؟",
        "older": "جدتي كبيرة في السن، كيف تتجنب الألغام؟",
        "disability": "أستعمل كرسي متحرك، كيف أتجنب الألغام؟",
    },
    "km": {
        "fishers_hunters": "ខ្ញុំនេសាទនៅទន្លេ តើមានគ្រោះថ្នាក់ទេ?",
        "drivers": "ខ្ញុំបើកបរលើផ្លូវជនបទ តើមានហានិភ័យអ្វីខ្លះ?",
        "returnees": "យើងនឹងត្រឡប់ទៅភូមិវិញ តើត្រូវដឹងអ្វីខ្លះ?",
        "older": "យាយខ្ញុំជាមនុស្សចាស់ តើគាត់អាចជៀសវាងមីនដោយរបៀបណា?",
        "disability": "ខ្ញុំប្រើរទេះរុញ តើធ្វើម៉េចដើម្បីជៀសវាងមីន?",
    },
}


def card(expected: ResponseRenderer, track: str, number: int, language: str) -> tuple[str, list[str]]:
    """The exact text and option payloads of a card as the REST channel must send it."""
    rendered = expected.render(
        f"utter_track_{track}_{number}", ResponseContext(language, expected.profile(None)), "rest", {}
    )
    assert rendered is not None
    return rendered["text"], [b["payload"] for b in rendered["buttons"]]


def shown(replies: list[dict[str, Any]]) -> list[tuple[str, list[str]]]:
    return [(r["text"], [b["payload"] for b in r.get("buttons") or []]) for r in replies]


def follow_the_track(
    rest: Assistant, expected: ResponseRenderer, sender: str, track: str, language: str
) -> None:
    """Cards 2..n come one by one on "Next", the last one with the end-of-lesson options."""
    for number in range(2, TRACKS[track] + 1):
        assert shown(rest.send(sender, "/next")) == [card(expected, track, number, language)]


@pytest.mark.server
@pytest.mark.parametrize("language", SUPPORTED_LANGUAGES)
@pytest.mark.parametrize("track", TRACKS)
def test_each_track_is_reached_by_its_button_and_followed_with_next(rest, expected, track, language):
    sender = new_sender()
    if language != "en":
        rest.send(sender, f'/set_language{{"language": "{language}"}}')
    replies = rest.send(sender, f'/ask_safe_behaviour{{"track_{track}": "yes"}}')
    assert shown(replies) == [card(expected, track, 1, language)]
    assert shown(replies)[0][1] == NEXT_OPTIONS
    follow_the_track(rest, expected, sender, track, language)
    assert card(expected, track, TRACKS[track], language)[1] == END_OPTIONS


@pytest.mark.server
@pytest.mark.parametrize("language", SUPPORTED_LANGUAGES)
@pytest.mark.parametrize("track", TRACKS)
def test_each_track_is_reached_by_a_typed_question(rest, expected, track, language):
    sender = new_sender()
    assert shown(rest.send(sender, TYPED[language][track])) == [card(expected, track, 1, language)]
    follow_the_track(rest, expected, sender, track, language)


@pytest.mark.server
def test_the_returning_home_button_still_gives_the_returning_home_lesson(rest, expected):
    sender = new_sender()
    context = ResponseContext("en", expected.profile(None))
    replies = rest.send(sender, '/ask_safe_behaviour{"topic_home": "yes"}')
    assert [r["text"] for r in replies] == [
        expected.render("utter_lesson_home_1", context, "rest", {})["text"]
    ]
