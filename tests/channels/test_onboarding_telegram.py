"""Onboarding on Telegram through the real Rasa server, our channel and the fake Bot API
(issue 14): /start asks language, country, region and "who are you learning for?" with inline
buttons; pressing them leads to a track's cards; a first safety message gets the safety answer only.
"""

from __future__ import annotations

from typing import Any

import pytest

from actions.onboarding import region_buttons
from bot.nlg import ResponseContext, build_renderer
from bot.paths import project_paths
from bot.services.regions import load_regions
from tests.assistant import Webhook, at_least, callback_data, new_chat_id, wait_for
from tests.channels.fake_telegram import FakeTelegram
from tests.factories import GRENADE, PROJECT_ROOT
from tests.servers import Shared

pytestmark = pytest.mark.server

RENDERER = build_renderer(project_paths(PROJECT_ROOT))
REGIONS = load_regions(PROJECT_ROOT / "content" / "regions")


@pytest.fixture(scope="module")
def telegram(servers: Shared) -> FakeTelegram:
    return servers.telegram


@pytest.fixture(scope="module")
def webhook(servers: Shared) -> Webhook:
    return servers.webhook


def shown(key: str, language: str, country: str | None = None, extra: tuple = ()) -> tuple[str, list[str]]:
    """The text and button titles Telegram must show for response `key`."""
    rendered = RENDERER.render(key, ResponseContext(language, RENDERER.profile(country)), "telegram", {})
    assert rendered is not None
    buttons = [*(rendered.get("buttons") or []), *extra]
    return str(rendered["text"]), [str(b["title"]) for b in buttons]


def on_screen(sent: dict[str, Any]) -> tuple[str, list[str]]:
    keyboard = (sent.get("reply_markup") or {}).get("inline_keyboard") or []
    return str(sent["text"]), [button["text"] for row in keyboard for button in row]


class Chat:
    """One person's chat, in a chat of their own."""

    def __init__(self, webhook: Webhook, telegram: FakeTelegram) -> None:
        self.webhook, self.telegram, self.chat_id = webhook, telegram, new_chat_id()
        self.seen = 0

    def replies(self, count: int) -> list[dict[str, Any]]:
        """Wait for the next `count` messages to this chat and return them."""
        sent = wait_for(at_least(self.seen + count, lambda: self.telegram.sent_to(self.chat_id)))
        new = sent[self.seen : self.seen + count]
        self.seen += count
        return new

    def say(self, text: str, language_code: str = "fr") -> None:
        self.webhook.say(self.chat_id, text, language_code)

    def press(self, sent: dict[str, Any], title: str) -> None:
        """Press the button titled `title` of message `sent`."""
        self.webhook.press(self.chat_id, callback_data(sent, title), "fr")


def test_start_onboards_language_country_region_then_the_herders_track(webhook, telegram):
    chat = Chat(webhook, telegram)
    chat.say("/start")  # a French Telegram app: asked in French
    greet, language = chat.replies(2)
    assert on_screen(greet)[0] == shown("utter_greet", "fr")[0]
    assert on_screen(language) == shown("utter_onboarding_language", "fr")
    chat.press(language, "Українська")
    (country,) = chat.replies(1)
    assert on_screen(country) == shown("utter_onboarding_country", "uk")
    chat.press(country, shown("utter_onboarding_country", "uk")[1][0])  # Україна
    (region,) = chat.replies(1)
    regions = tuple(region_buttons(REGIONS["ukraine"], "uk"))
    assert on_screen(region) == shown("utter_onboarding_region", "uk", "ukraine", regions)
    chat.press(region, regions[0]["title"])
    (tracks,) = chat.replies(1)
    assert on_screen(tracks) == shown("utter_onboarding_tracks", "uk", "ukraine")
    chat.press(tracks, "Випас худоби")
    for number in (1, 2, 3):
        (card,) = chat.replies(1)
        assert on_screen(card) == shown(f"utter_track_herders_{number}", "uk", "ukraine")
        if number < 3:
            chat.press(card, "Далі")


def test_skip_at_the_tracks_question_shows_the_menu(webhook, telegram):
    chat = Chat(webhook, telegram)
    chat.say("/start", language_code="en")
    _, language = chat.replies(2)
    chat.press(language, "English")
    (country,) = chat.replies(1)
    chat.press(country, "Another country")
    (tracks,) = chat.replies(1)  # no regions without a country: straight to the tracks
    assert on_screen(tracks) == shown("utter_onboarding_tracks", "en")
    chat.press(tracks, "Skip")
    (menu,) = chat.replies(1)
    assert on_screen(menu) == shown("utter_help", "en")


def test_menu_in_the_middle_of_onboarding_is_the_menu(webhook, telegram):
    chat = Chat(webhook, telegram)
    chat.say("/start", language_code="es")
    chat.replies(2)
    chat.say("/menu", language_code="es")
    (menu,) = chat.replies(1)
    assert on_screen(menu) == shown("utter_help", "es")


@pytest.mark.parametrize("language", sorted(GRENADE))
def test_a_first_safety_message_gets_only_the_safety_answer(webhook, telegram, language):
    chat = Chat(webhook, telegram)
    chat.say(GRENADE[language], language_code=language)
    (answer,) = chat.replies(1)
    assert on_screen(answer)[0] == shown("utter_found_object", language)[0]
    # Then /start on the same chat is a later greeting: the menu, not the onboarding questions.
    chat.say("/start", language_code=language)
    greet, menu = chat.replies(2)
    assert on_screen(menu) == shown("utter_help", language)
    assert len(telegram.sent_to(chat.chat_id)) == 3
