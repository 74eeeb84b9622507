"""The conversation's language sticks, through the real REST server (issue 13, Language).

Each test is a flip seen on main: choosing a country switched an English
speaker to Ukrainian, then Khmer; "yes, delete it" was answered in Spanish;
"bonjour", "hola", "merci", "aide", "ayuda" in English; Arabizi in Spanish;
"no hablo ingles" switched to English.
"""

from __future__ import annotations

from typing import Optional

import pytest

from bot.nlg import ResponseContext, ResponseRenderer
from tests.assistant import new_sender, texts


def say(expected: ResponseRenderer, language: str, *keys: str, country: Optional[str] = None) -> list[str]:
    context = ResponseContext(language, expected.profile(country))
    return [expected.render(key, context, "rest", {})["text"] for key in keys]


@pytest.mark.server
def test_choosing_a_country_keeps_the_language_the_person_wrote_in(rest, expected):
    sender = new_sender()
    assert texts(rest.send(sender, "hello")) == say(expected, "en", "utter_greet", "utter_help")
    rest.send(sender, "/change_country")
    # Was "Гаразд: Україна. Екстрений номер: 101." and then the Khmer menu.
    ukraine = rest.send(sender, '/set_country{"country": "ukraine"}')
    assert texts(ukraine) == ["OK: Ukraine. Emergency number: 101."]
    cambodia = rest.send(sender, '/set_country{"country": "cambodia"}')
    assert texts(cambodia) == ["OK: Cambodia. Emergency number: 117."]
    assert texts(rest.send(sender, "/help")) == say(expected, "en", "utter_help", country="cambodia")


@pytest.mark.server
def test_yes_delete_it_in_an_english_conversation_is_answered_in_english(rest, expected):
    sender = new_sender()
    assert texts(rest.send(sender, "hi")) == say(expected, "en", "utter_greet", "utter_help")
    # py3langid calls "yes, delete it" Spanish (0.95): the question came in Spanish.
    assert texts(rest.send(sender, "yes, delete it")) == say(expected, "en", "utter_delete_confirm")


@pytest.mark.server
@pytest.mark.parametrize(
    ("message", "language", "keys"),
    [
        ("bonjour", "fr", ("utter_greet", "utter_help")),
        ("salut", "fr", ("utter_greet", "utter_help")),
        ("hola", "es", ("utter_greet", "utter_help")),
        ("merci", "fr", ("utter_thank",)),
        # "Help" typed alone is the HELP keyword on every channel: the menu.
        ("aide", "fr", ("utter_help",)),
        ("ayuda", "es", ("utter_help",)),
    ],
)
def test_one_word_greetings_and_requests_are_answered_in_their_language(
    rest, expected, message, language, keys
):
    assert texts(rest.send(new_sender(), message)) == say(expected, language, *keys)


@pytest.mark.server
def test_arabizi_is_answered_in_arabic(rest, expected):
    # "I found a bomb", in Lebanese Arabic written in Latin letters: was answered in Spanish.
    replies = rest.send(new_sender(), "ana la2et 2onbole")
    assert texts(replies) == say(expected, "ar", "utter_found_object")


@pytest.mark.server
def test_no_hablo_ingles_gets_spanish_even_after_english(rest, expected):
    # The NLU reads a choice of English in it; the person is telling us they need Spanish.
    assert texts(rest.send(new_sender(), "no hablo ingles")) == say(expected, "es", "utter_language_set")
    sender = new_sender()
    assert texts(rest.send(sender, "I found a mine near my house")) == say(
        expected, "en", "utter_found_object"
    )
    assert texts(rest.send(sender, "no hablo ingles")) == say(expected, "es", "utter_language_set")
    assert texts(rest.send(sender, "/found_object")) == say(expected, "es", "utter_found_object")
    # A language button pressed afterwards is a choice again.
    rest.send(sender, '/set_language{"language": "en"}')
    assert texts(rest.send(sender, "/found_object")) == say(expected, "en", "utter_found_object")
