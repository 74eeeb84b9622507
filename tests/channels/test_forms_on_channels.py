"""Forms never trap anyone on SMS and Telegram: the SMS HELP keyword and Telegram's /menu
in the middle of a hazard report stop it and show the menu (before: "Please choose one of
the answers"). The real Rasa and action servers, a fake SMS gateway and a fake Bot API."""

from __future__ import annotations

from typing import Any

import pytest

from bot.nlg import ResponseContext, build_renderer
from bot.paths import project_paths
from bot.sms.compose import compose
from tests.assistant import at_least, callback_data, new_chat_id, new_number, wait_for
from tests.factories import PROJECT_ROOT
from tests.servers import Shared

pytestmark = pytest.mark.server
RENDERER = build_renderer(project_paths(PROJECT_ROOT))


@pytest.fixture(scope="module")
def channels(servers: Shared) -> Shared:
    return servers


def rendered(key: str, language: str, country: str, channel: str) -> dict[str, Any]:
    result = RENDERER.render(key, ResponseContext(language, RENDERER.profile(country)), channel, {})
    assert result is not None
    return result


def sms_of(key: str, language: str, country: str) -> str:
    found = rendered(key, language, country, "sms")
    return compose(str(found["text"]), found.get("buttons") or [], 3).body


def test_sms_help_inside_the_report_stops_it_and_shows_the_menu(channels):
    sms, number = channels.sms, new_number("ukraine")

    def say(*keys: str) -> list[str]:
        return [sms_of(key, "uk", "ukraine") for key in keys]

    assert sms.say(number, "HELP", 1) == say("utter_help")
    assert sms.say(number, "6", 2) == say(
        "utter_report_safety_first", "utter_ask_hazard_type"
    )  # "Report danger"
    assert sms.say(number, "1", 1) == say("utter_ask_hazard_description")  # "Mine"
    assert sms.say(number, "HELP", 2) == say("utter_hazard_report_stopped", "utter_help")


def test_telegram_menu_command_inside_the_report_stops_it_and_shows_the_menu(channels):
    telegram, webhook, chat = channels.telegram, channels.webhook, new_chat_id()
    seen = 0

    def say(*keys: str) -> list[str]:
        return [str(rendered(key, "en", "generic", "telegram")["text"]) for key in keys]

    def sent_after(count: int) -> list[str]:
        """The texts of all messages sent to the chat since the last call, once `count` more came."""
        nonlocal seen
        sent = wait_for(at_least(seen + count, lambda: telegram.sent_to(chat)))
        new, seen = sent[seen:], len(sent)
        return [str(m.get("text", "")) for m in new]

    def press(title: str) -> None:
        webhook.press(chat, callback_data(telegram.sent_to(chat)[-1], title))

    webhook.say(chat, "/menu")
    assert sent_after(1) == say("utter_help")
    press(str(rendered("utter_help", "en", "generic", "telegram")["buttons"][5]["title"]))
    assert sent_after(2) == say("utter_report_safety_first", "utter_ask_hazard_type")
    press(str(rendered("utter_ask_hazard_type", "en", "generic", "telegram")["buttons"][0]["title"]))
    assert sent_after(1) == say("utter_ask_hazard_description")
    webhook.say(chat, "/menu")
    assert sent_after(2) == say("utter_hazard_report_stopped", "utter_help")
