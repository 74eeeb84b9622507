"""Forms never trap anyone on SMS and Telegram: the SMS HELP keyword and Telegram's /menu
in the middle of a hazard report stop it and show the menu (before: "Please choose one of
the answers"). The real Rasa and action servers, a fake SMS gateway and a fake Bot API."""

from __future__ import annotations

from typing import Any, Iterator

import pytest

from bot.nlg import ResponseContext, build_renderer
from bot.paths import project_paths
from bot.sms.compose import compose
from tests.channels.fake_sms_gateway import FakeSmsGateway
from tests.channels.fake_telegram import FakeTelegram, wait_for
from tests.channels.test_sms import AUTH_TOKEN, PUBLIC_URL, SmsServer
from tests.channels.test_telegram import SECRET, Webhook, message
from tests.factories import PROJECT_ROOT, telegram_credentials, twilio_credentials
from tests.servers import rasa_with_actions

pytestmark = pytest.mark.server
RENDERER = build_renderer(project_paths(PROJECT_ROOT))


class Channels:
    def __init__(self, sms: SmsServer, telegram: FakeTelegram, webhook: Webhook) -> None:
        self.sms = sms
        self.telegram = telegram
        self.webhook = webhook


@pytest.fixture(scope="module")
def channels(tmp_path_factory) -> Iterator[Channels]:
    gateway = FakeSmsGateway().start()
    telegram = FakeTelegram().start()
    folder = tmp_path_factory.mktemp("forms-channels")
    credentials = twilio_credentials(AUTH_TOKEN, PUBLIC_URL, gateway.url) + telegram_credentials(
        SECRET, telegram.base_url
    )
    try:
        with rasa_with_actions(folder, credentials) as url:
            yield Channels(
                SmsServer(url, gateway, folder / "tracker.db"),
                telegram,
                Webhook(f"{url}/webhooks/telegram/webhook"),
            )
    finally:
        gateway.stop()
        telegram.stop()


def rendered(key: str, language: str, country: str, channel: str) -> dict[str, Any]:
    result = RENDERER.render(key, ResponseContext(language, RENDERER.profile(country)), channel, {})
    assert result is not None
    return result


def sms_of(key: str, language: str, country: str) -> str:
    found = rendered(key, language, country, "sms")
    return compose(str(found["text"]), found.get("buttons") or [], 3).body


def test_sms_help_inside_the_report_stops_it_and_shows_the_menu(channels):
    sms, number = channels.sms, "+380509990001"

    def say(*keys: str) -> list[str]:
        return [sms_of(key, "uk", "ukraine") for key in keys]

    sms.twilio(number, "HELP")
    assert sms.replies(number, 1) == say("utter_help")
    sms.twilio(number, "6")  # "Report danger"
    assert sms.replies(number, 3)[1:] == say("utter_report_safety_first", "utter_ask_hazard_type")
    sms.twilio(number, "1")  # "Mine"
    assert sms.replies(number, 4)[3:] == say("utter_ask_hazard_description")
    sms.twilio(number, "HELP")
    assert sms.replies(number, 6)[4:] == say("utter_hazard_report_stopped", "utter_help")


def test_telegram_menu_command_inside_the_report_stops_it_and_shows_the_menu(channels):
    telegram, webhook, chat = channels.telegram, channels.webhook, 7900

    def say(*keys: str) -> list[str]:
        return [str(rendered(key, "en", "generic", "telegram")["text"]) for key in keys]

    def sent_after(count: int) -> list[str]:
        sent = wait_for(lambda: (lambda s: s if len(s) >= count else None)(telegram.sent_to(chat)))
        return [str(m.get("text", "")) for m in sent]

    def press(title: str) -> None:
        keyboard = telegram.sent_to(chat)[-1]["reply_markup"]["inline_keyboard"]
        data = next(b["callback_data"] for row in keyboard for b in row if b["text"] == title)
        query = {
            "id": f"cb-{title}",
            "from": {"id": chat, "is_bot": False, "first_name": "A", "language_code": "en"},
            "chat_instance": "x",
            "data": data,
            "message": {"message_id": 5, "date": 1700000000, "chat": {"id": chat, "type": "private"}},
        }
        webhook.update({"callback_query": query})

    webhook.update(message(chat, "/menu"))
    assert sent_after(1) == say("utter_help")
    press(str(rendered("utter_help", "en", "generic", "telegram")["buttons"][5]["title"]))
    assert sent_after(3)[1:] == say("utter_report_safety_first", "utter_ask_hazard_type")
    press(str(rendered("utter_ask_hazard_type", "en", "generic", "telegram")["buttons"][0]["title"]))
    assert sent_after(4)[3:] == say("utter_ask_hazard_description")
    webhook.update(message(chat, "/menu"))
    assert sent_after(6)[4:] == say("utter_hazard_report_stopped", "utter_help")
