"""Telegram end to end: real Rasa server, our channel, a local fake Bot API."""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.error
import urllib.request
from typing import Any, Iterator

import pytest

from bot.i18n import LanguageDetector
from bot.serve import (
    stop,
)
from bot.training import rasa_environment
from tests.channels.fake_telegram import FakeTelegram, wait_for
from tests.factories import GRENADE, PROJECT_ROOT
from tests.servers import rasa_with_actions

pytestmark = pytest.mark.server
SECRET = "s3cret-token-for-tests"


class Webhook:
    def __init__(self, url: str) -> None:
        self.url = url
        self.next_update = 1000

    def post(self, body: bytes, secret: str | None = SECRET) -> tuple[int, dict[str, Any]]:
        headers = {"Content-Type": "application/json"}
        if secret is not None:
            headers["X-Telegram-Bot-Api-Secret-Token"] = secret
        request = urllib.request.Request(self.url, data=body, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read() or b"{}")

    def update(self, payload: dict[str, Any], update_id: int | None = None) -> tuple[int, dict[str, Any]]:
        if update_id is None:
            self.next_update += 1
            update_id = self.next_update
        return self.post(json.dumps({"update_id": update_id, **payload}).encode())


def message(chat_id: int, text: str | None = None, language_code: str = "en", **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "message_id": 1,
        "date": 1700000000,
        "chat": {"id": chat_id, "type": "private"},
        "from": {"id": chat_id, "is_bot": False, "first_name": "A", "language_code": language_code},
        **extra,
    }
    if text is not None:
        body["text"] = text
    return {"message": body}


@pytest.fixture(scope="module")
def telegram() -> Iterator[FakeTelegram]:
    fake = FakeTelegram().start()
    yield fake
    fake.stop()


@pytest.fixture(scope="module")
def webhook(telegram, tmp_path_factory) -> Iterator[Webhook]:
    credentials = (
        "rest:\n"
        "bot.channels.telegram.TelegramInput:\n"
        "  token: '123:TEST'\n"
        f"  secret_token: '{SECRET}'\n"
        "  bot_username: test_bot\n"
        f"  base_url: '{telegram.base_url}'\n"
    )
    with rasa_with_actions(tmp_path_factory.mktemp("telegram"), credentials) as url:
        yield Webhook(f"{url}/webhooks/telegram/webhook")


def texts(sent: list[dict[str, Any]]) -> str:
    return "\n".join(str(m.get("text", "")) for m in sent)


@pytest.mark.parametrize("secret", [None, "wrong"])
def test_wrong_or_missing_secret_is_refused(webhook, telegram, secret):
    status, body = webhook.post(
        json.dumps({"update_id": 1, **message(7001, "hello")}).encode(), secret=secret
    )
    assert status == 403
    assert telegram.sent_to(7001) == []


def test_malformed_json_is_a_400(webhook):
    assert webhook.post(b"{not json")[0] == 400
    assert webhook.post(b'{"no_update_id": true}')[0] == 400


@pytest.mark.parametrize("language", sorted(GRENADE))
def test_text_in_each_language_is_answered_in_it(webhook, telegram, language):
    chat_id = 7100 + sorted(GRENADE).index(language)
    status, _ = webhook.update(message(chat_id, GRENADE[language], language_code="en"))
    assert status == 200
    sent = wait_for(lambda: telegram.sent_to(chat_id))
    assert LanguageDetector.offline().detect(texts(sent)).language == language


def test_button_press_round_trip(webhook, telegram):
    chat_id = 7200
    webhook.update(message(chat_id, "/language"))
    menu = wait_for(lambda: telegram.sent_to(chat_id))
    keyboard = menu[-1]["reply_markup"]["inline_keyboard"]
    titles = [row[0]["text"] for row in keyboard]
    assert "ខ្មែរ" in titles
    khmer = next(row[0]["callback_data"] for row in keyboard if row[0]["text"] == "ខ្មែរ")
    callback = {
        "callback_query": {
            "id": "cb-1",
            "from": {"id": chat_id, "is_bot": False, "first_name": "A"},
            "chat_instance": "x",
            "data": khmer,
            "message": {"message_id": 5, "date": 1700000000, "chat": {"id": chat_id, "type": "private"}},
        }
    }
    webhook.update(callback)
    wait_for(lambda: len(telegram.sent_to(chat_id)) >= 2)
    assert any(c.get("callback_query_id") == "cb-1" for c in telegram.calls_of("answerCallbackQuery"))
    assert LanguageDetector.offline().detect(texts(telegram.sent_to(chat_id)[1:])).language == "km"


def asked_what_was_seen(sent: list[dict[str, Any]]) -> list[dict[str, Any]] | None:
    """The messages up to the form's question about what was seen, once it has been sent."""
    for index, message in enumerate(sent):
        if str(message.get("text", "")).startswith("What did you see?"):
            return sent[: index + 1]
    return None


def test_shared_location_is_taken_for_a_report(webhook, telegram):
    chat_id = 7300
    webhook.update(message(chat_id, location={"latitude": 11.55, "longitude": 104.91}))
    sent = wait_for(lambda: asked_what_was_seen(telegram.sent_to(chat_id)))
    # The hazard report form starts (safety reminder, then what was seen), not "where is it?".
    assert texts(sent).startswith("Thank you for reporting. Stay well away")
    assert "reply_markup" in sent[-1]


def test_photos_get_a_polite_reply_in_the_users_language(webhook, telegram):
    chat_id = 7400
    webhook.update(
        message(
            chat_id,
            language_code="fr",
            photo=[{"file_id": "x", "file_unique_id": "y", "width": 1, "height": 1}],
        )
    )
    sent = wait_for(lambda: telegram.sent_to(chat_id))
    assert LanguageDetector.offline().detect(texts(sent)).language == "fr"


def test_a_retried_update_is_answered_once(webhook, telegram):
    chat_id = 7500
    for _ in range(3):
        status, _ = webhook.update(message(chat_id, "I found a grenade near my house"), update_id=999_001)
        assert status == 200
    wait_for(lambda: telegram.sent_to(chat_id))
    webhook.update(message(chat_id, "thank you"))  # a later update proves the first was not queued twice
    wait_for(lambda: len(telegram.sent_to(chat_id)) >= 2)
    assert texts(telegram.sent_to(chat_id)).count("STOP") == 1


def test_a_10000_character_message_is_answered(webhook, telegram):
    chat_id = 7600
    status, _ = webhook.update(message(chat_id, "I found a mine " * 700))
    assert status == 200
    assert wait_for(lambda: telegram.sent_to(chat_id))


def test_flood_control_is_retried_after_the_wait(webhook, telegram):
    chat_id = 7700
    telegram.rate_limit_next = 1
    webhook.update(message(chat_id, "I found a grenade in the field"))
    sent = wait_for(lambda: telegram.sent_to(chat_id))
    assert "STOP" in texts(sent)
    assert telegram.rate_limit_next == 0


def test_groups_are_answered_only_when_addressed(webhook, telegram):
    chat_id = -7800
    group = {"chat": {"id": chat_id, "type": "group"}}
    plain = message(chat_id, "I found a grenade")
    plain["message"].update(group)
    webhook.update(plain)
    addressed = message(chat_id, "@test_bot I found a grenade")
    addressed["message"].update(group)
    webhook.update(addressed)
    sent = wait_for(lambda: telegram.sent_to(chat_id))
    assert texts(sent).count("STOP") == 1


def test_a_shared_venue_is_taken_too(webhook, telegram):
    chat_id = 7310
    venue = {"location": {"latitude": 48.5, "longitude": 35.0}, "title": "School No. 3", "address": "Main st"}
    webhook.update(message(chat_id, venue=venue, location=venue["location"]))
    sent = wait_for(lambda: asked_what_was_seen(telegram.sent_to(chat_id)))
    assert texts(sent).startswith("Thank you for reporting. Stay well away")


def test_polling_mode_forwards_updates_to_the_same_webhook(webhook, telegram):
    chat_id = 7900
    telegram.pending_updates.append(
        {"update_id": 555_000, **message(chat_id, "I found a grenade by the river")}
    )
    env = {
        **rasa_environment(),
        "TELEGRAM_TOKEN": "123:TEST",
        "TELEGRAM_SECRET_TOKEN": SECRET,
        "TELEGRAM_API_BASE_URL": telegram.base_url,
    }
    poller = subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "telegram", "poll", "--url", webhook.url], cwd=PROJECT_ROOT, env=env
    )
    try:
        sent = wait_for(lambda: telegram.sent_to(chat_id))
        assert "STOP" in texts(sent)
        assert telegram.calls_of("deleteWebhook")
    finally:
        stop([poller])
