"""Seasons and weather, after floods, and the country's own lessons, through the real REST server
(issue 14: item 2, Climate, Country context cards), in all six languages.

The action server is killed before the first message: these lessons are rendered and sequenced
in-process (rules, bot.policies.country_cards, the localized NLG).
On main: the second floods card told people to "stay on paths people use every day" right after
the first said floods move mines onto paths; there was no seasonal lesson and no country card.
"""

from __future__ import annotations

from typing import Any, Iterator, Optional

import pytest

from bot.i18n import SUPPORTED_LANGUAGES
from bot.nlg import ResponseContext, ResponseRenderer, build_renderer
from bot.paths import project_paths
from tests.assistant import Assistant, new_sender, texts
from tests.factories import PROJECT_ROOT
from tests.servers import server_stack

pytestmark = pytest.mark.server

LESSONS_MENU = '/help{"lessons_menu": "yes"}'
SEASONS_BUTTON = '/ask_safe_behaviour{"topic_climate": "yes"}'
COUNTRY_BUTTON = '/help{"topic_country": "yes"}'
NEXT = ["/next", "/help"]
END = [LESSONS_MENU, "/start_quiz", "/help"]

CLIMATE = [
    "utter_lesson_climate_1",
    "utter_lesson_climate_2",
    "utter_lesson_climate_3",
    "utter_lesson_climate_4",
]
CARDS = {
    "ukraine": ["utter_card_ukraine_1", "utter_card_ukraine_2", "utter_card_ukraine_3"],
    "lebanon": ["utter_card_lebanon_1", "utter_card_lebanon_2"],
    "cambodia": ["utter_card_cambodia_1", "utter_card_cambodia_2"],
    "colombia": ["utter_card_colombia_1", "utter_card_colombia_2"],
    "generic": ["utter_country_cards_none"],
}
FLOODS_2 = (
    "After a flood, no path is known to be clear, even one you used before, and warning signs may be "
    "washed away. Wait until the authorities have checked the area. Keep out of flooded places and away "
    "from new mud and debris. Do not touch objects left by the water. Report anything suspicious."
)
# Typed questions (the conversation's language is chosen first). The floods lesson has no
# button of its own any more ("Seasons and weather" replaced "After floods" in the menu, and the
# channels take only offered payloads): it is reached by typing.
FLOODS_TYPED = {
    "en": "is it safe to walk after the flood?",
    "fr": "est-ce dangereux après une inondation ?",
    "es": "¿después de la inundación es peligroso?",
    "uk": "чи безпечно ходити після повені?",
    "ar": "هل المشي آمن بعد الفيضان؟",
    "km": "តើមានគ្រោះថ្នាក់ទេក្រោយទឹកជំនន់?",
}
SEASONS_TYPED = {
    "en": "is it safe after a wildfire?",
    "fr": "est-ce dangereux après un incendie ?",
    "es": "¿es peligroso después de un incendio?",
    "uk": "чи небезпечно після пожежі?",
    "ar": "هل الأرض خطرة بعد الحريق؟",
    "km": "តើមានគ្រោះថ្នាក់ទេក្រោយភ្លើងឆេះព្រៃ?",
}
MY_COUNTRY_TYPED = {
    "en": "mines in my country",
    "fr": "les mines dans mon pays",
    "es": "minas en mi país",
    "uk": "міни в моїй країні",
    "ar": "الألغام في بلدي",
    "km": "មីននៅប្រទេសខ្ញុំ",
}
# A question naming the country, in a language of that country.
NAMED_TYPED = [
    ("en", "ukraine", "what about mines in Ukraine?"),
    ("uk", "ukraine", "розкажіть про міни в Україні"),
    ("fr", "ukraine", "et les mines en Ukraine ?"),
    ("es", "colombia", "¿y las minas en Colombia?"),
    ("ar", "lebanon", "ماذا عن الألغام في لبنان؟"),
    ("km", "cambodia", "ចុះមីននៅកម្ពុជាវិញ?"),
]


@pytest.fixture(scope="module")
def rest(tmp_path_factory) -> Iterator[Assistant]:
    """Servers of its own: the cards need no action server, so it is killed first."""
    folder = tmp_path_factory.mktemp("context")
    with server_stack(folder, "bot.channels.rest.RestInput:\n") as stack:
        stack.kill_actions()
        yield stack.rest(folder)


@pytest.fixture(scope="module")
def expected() -> ResponseRenderer:
    return build_renderer(project_paths(PROJECT_ROOT))


def rendered(expected: ResponseRenderer, key: str, language: str, country: Optional[str]) -> dict[str, Any]:
    reply = expected.render(key, ResponseContext(language, expected.profile(country)), "rest", {})
    assert reply is not None, key
    return reply


def start(rest: Assistant, language: str, country: Optional[str] = None) -> str:
    """A new conversation in `language` (chosen with the language menu's button), in `country`."""
    sender = new_sender()
    rest.send(sender, f'/set_language{{"language": "{language}"}}')
    if country:
        rest.send(sender, f'/set_country{{"country": "{country}"}}')
    return sender


def payloads(reply: dict[str, Any]) -> list[str]:
    return [b["payload"] for b in reply.get("buttons") or []]


def follow(
    rest: Assistant,
    expected: ResponseRenderer,
    sender: str,
    first: str,
    keys: list[str],
    language: str,
    country: str,
) -> None:
    """`first` shows keys[0]; each Next shows the following key; Next on all but the last."""
    message = first
    for index, key in enumerate(keys):
        replies = rest.send(sender, message)
        want = rendered(expected, key, language, country)
        assert texts(replies) == [want["text"]], (language, country, key)
        last = index == len(keys) - 1
        assert payloads(replies[0]) == (
            payloads(want) if key == "utter_country_cards_none" else END if last else NEXT
        )
        message = "/next"


@pytest.mark.parametrize("language", SUPPORTED_LANGUAGES)
def test_the_second_floods_card_says_no_path_is_known_to_be_clear(rest, expected, language):
    sender = start(rest, language)
    replies = rest.send(sender, FLOODS_TYPED[language])
    assert texts(replies) == [rendered(expected, "utter_lesson_floods_1", language, None)["text"]]
    card = rest.send(sender, "/next")
    assert texts(card) == [rendered(expected, "utter_lesson_floods_2", language, None)["text"]]
    assert payloads(card[0]) == END
    # Exactly the new text, translated (a translation of the old text would not do).
    translation = expected.catalogs.gettext(language, FLOODS_2)
    assert card[0]["text"] == translation
    assert (translation == FLOODS_2) == (language == "en")


@pytest.mark.parametrize("language", SUPPORTED_LANGUAGES)
def test_seasons_and_weather_from_the_lessons_menu(rest, expected, language):
    sender = start(rest, language)
    menu = rest.send(sender, LESSONS_MENU)
    assert texts(menu) == [rendered(expected, "utter_lessons_menu", language, None)["text"]]
    buttons = {b["payload"]: b["title"] for b in menu[0]["buttons"]}
    titles = {
        b["payload"]: b["title"] for b in rendered(expected, "utter_lessons_menu", language, None)["buttons"]
    }
    assert buttons[SEASONS_BUTTON] == titles[SEASONS_BUTTON]
    assert buttons[COUNTRY_BUTTON] == titles[COUNTRY_BUTTON]
    follow(rest, expected, sender, SEASONS_BUTTON, CLIMATE, language, "generic")


@pytest.mark.parametrize("language", SUPPORTED_LANGUAGES)
def test_seasons_and_weather_by_typing(rest, expected, language):
    follow(rest, expected, start(rest, language), SEASONS_TYPED[language], CLIMATE, language, "generic")


@pytest.mark.parametrize("country", sorted(CARDS))
@pytest.mark.parametrize("language", SUPPORTED_LANGUAGES)
def test_your_country_in_the_lessons_menu_shows_the_profiles_cards_in_order(
    rest, expected, language, country
):
    sender = start(rest, language, country)
    follow(rest, expected, sender, COUNTRY_BUTTON, CARDS[country], language, country)


@pytest.mark.parametrize("country", sorted(CARDS))
@pytest.mark.parametrize("language", SUPPORTED_LANGUAGES)
def test_mines_in_my_country_typed_shows_the_profiles_cards(rest, expected, language, country):
    sender = start(rest, language, country)
    follow(rest, expected, sender, MY_COUNTRY_TYPED[language], CARDS[country], language, country)


@pytest.mark.parametrize(("language", "country", "question"), NAMED_TYPED)
def test_a_question_naming_the_country_shows_its_cards(rest, expected, language, country, question):
    sender = start(rest, language, country)
    follow(rest, expected, sender, question, CARDS[country], language, country)


def test_next_after_the_last_card_is_the_menu_and_the_cards_follow_the_chosen_country(rest, expected):
    sender = start(rest, "uk", "ukraine")
    follow(rest, expected, sender, COUNTRY_BUTTON, CARDS["ukraine"], "uk", "ukraine")
    assert texts(rest.send(sender, "/next")) == [rendered(expected, "utter_help", "uk", "ukraine")["text"]]
    rest.send(sender, '/set_country{"country": "cambodia"}')
    follow(rest, expected, sender, COUNTRY_BUTTON, CARDS["cambodia"], "uk", "cambodia")


def test_choosing_a_country_by_typing_is_still_a_choice_not_the_cards(rest, expected):
    sender = start(rest, "en")
    assert texts(rest.send(sender, "I am in Ukraine")) == ["OK: Ukraine. Emergency number: 101."]
