"""Telegram end to end: real Rasa server, our channel, a local fake Bot API."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any, Iterator

import pytest

from bot.i18n import LanguageDetector
from bot.nlg import ResponseContext, build_renderer
from bot.paths import project_paths
from bot.serve import (
    stop,
)
from bot.training import rasa_environment
from tests.assistant import Webhook
from tests.assistant import telegram_message as message
from tests.channels.fake_telegram import FakeTelegram, wait_for
from tests.factories import GRENADE, PROJECT_ROOT, telegram_credentials
from tests.servers import rasa_with_actions

pytestmark = pytest.mark.server
SECRET = "s3cret-token-for-tests"


@pytest.fixture(scope="module")
def telegram() -> Iterator[FakeTelegram]:
    fake = FakeTelegram().start()
    yield fake
    fake.stop()


@pytest.fixture(scope="module")
def webhook(telegram, tmp_path_factory) -> Iterator[Webhook]:
    credentials = "rest:\n" + telegram_credentials(SECRET, telegram.base_url)
    with rasa_with_actions(tmp_path_factory.mktemp("telegram"), credentials) as url:
        yield Webhook(f"{url}/webhooks/telegram/webhook", SECRET)


@pytest.fixture(scope="module")
def found_object() -> str:
    """The found-object answer in English for a conversation with no country (the generic profile)."""
    renderer = build_renderer(project_paths(PROJECT_ROOT))
    rendered = renderer.render(
        "utter_found_object", ResponseContext("en", renderer.profile(None)), "telegram", {}
    )
    assert rendered is not None
    return str(rendered["text"])


@pytest.fixture(scope="module")
def menu() -> str:
    """The menu in English for a conversation with no country: the reply to the quiet marker."""
    renderer = build_renderer(project_paths(PROJECT_ROOT))
    rendered = renderer.render("utter_help", ResponseContext("en", renderer.profile(None)), "telegram", {})
    assert rendered is not None
    return str(rendered["text"])


def settled(
    webhook: Webhook, telegram: FakeTelegram, chat_id: int, marker: dict[str, Any], reply: str
) -> list[str]:
    """Send the update `marker` last and wait for its `reply`: the texts sent to `chat_id`, in order.

    A chat's updates are answered one at a time in arrival order, so once the marker's reply
    is out every earlier update's replies are too, however long the per-chat limiter spaced them.
    """
    before = [m["text"] for m in telegram.sent_to(chat_id)].count(reply)
    assert webhook.update(marker) == (200, {"status": "accepted"})
    return wait_for(
        lambda: (lambda t: t if t.count(reply) > before else None)(
            [m["text"] for m in telegram.sent_to(chat_id)]
        )
    )


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
    for index, sent_message in enumerate(sent):
        if str(sent_message.get("text", "")).startswith("What did you see?"):
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


def in_group(chat_id: int, text: str, **extra: Any) -> dict[str, Any]:
    update = message(chat_id, text, **extra)
    update["message"]["chat"] = {"id": chat_id, "type": "group"}
    return update


def mention(offset: int, length: int) -> dict[str, Any]:
    return {"type": "mention", "offset": offset, "length": length}


def test_groups_are_answered_only_when_addressed_by_the_entities(webhook, telegram, found_object, menu):
    # Before: the test took the first reply and stopped looking, so a wrong second reply
    # (held back a second by the per-chat limiter) passed unseen.
    chat_id = -7800
    statuses = [
        webhook.update(in_group(chat_id, "I found a grenade"))[1],
        # "@test_bot" inside another account's name is not a mention of us.
        webhook.update(in_group(chat_id, "@test_bot_helper I found a grenade", entities=[mention(0, 16)]))[1],
        # Without an entity the text only looks like a mention (Telegram marks real ones).
        webhook.update(in_group(chat_id, "@test_bot I found a grenade"))[1],
        webhook.update(in_group(chat_id, "/menu@other_bot"))[1],
        webhook.update(in_group(chat_id, "@test_bot I found a grenade", entities=[mention(0, 9)]))[1],
    ]
    assert statuses == [{"status": "ignored"}] * 4 + [{"status": "accepted"}]
    assert settled(webhook, telegram, chat_id, in_group(chat_id, "/menu"), menu) == [found_object, menu]


def test_a_text_mention_of_the_bot_addresses_it(webhook, telegram, found_object, menu):
    chat_id = -7810
    bot_user = {"id": 42, "is_bot": True, "first_name": "Test"}  # the fake API's getMe
    other = {"id": 43, "is_bot": True, "first_name": "Other"}
    text = "Helper, I found a grenade"
    webhook.update(
        in_group(chat_id, text, entities=[{"type": "text_mention", "offset": 0, "length": 6, "user": other}])
    )
    webhook.update(
        in_group(
            chat_id, text, entities=[{"type": "text_mention", "offset": 0, "length": 6, "user": bot_user}]
        )
    )
    assert settled(webhook, telegram, chat_id, in_group(chat_id, "/menu"), menu) == [found_object, menu]


def deeply_nested(depth: int) -> bytes:
    return b'{"update_id": 77, "message": ' + b"[" * depth + b"]" * depth + b"}"


MALFORMED: list[tuple[bytes, int, dict[str, Any]]] = [
    (b"", 400, {"error": "body is not JSON"}),
    (b"null", 400, {"error": "not a Telegram update (no update_id)"}),
    (b"[1, 2]", 400, {"error": "not a Telegram update (no update_id)"}),
    (b"\xff\xfe{", 400, {"error": "body is not JSON"}),
    (deeply_nested(100_000), 400, {"error": "body is not JSON"}),
    (b'{"update_id": "7"}', 400, {"error": "not a Telegram update (no update_id)"}),
    (b'{"update_id": true}', 400, {"error": "not a Telegram update (no update_id)"}),
    (b'{"update_id": NaN}', 400, {"error": "not a Telegram update (no update_id)"}),
    (b'{"update_id": 1.5}', 400, {"error": "not a Telegram update (no update_id)"}),
]
IGNORED = [
    {"callback_query": {"id": "cb", "data": "/help", "message": "a string"}},
    {"callback_query": "a string"},
    {"callback_query": {"id": ["x"], "data": {"d": 1}, "message": {"chat": {"id": "abc"}}, "from": []}},
    {"message": {"chat": {"id": "abc", "type": "private"}, "text": "hello"}},
    {"message": {"chat": {"id": "7001", "type": "private"}, "text": "hello"}},
    {"message": {"chat": {"type": "private"}, "text": "hello"}},
    {"message": {"chat": {"id": 7002.5}, "text": "hello"}},
    {"message": {"chat": {"id": 2**80}, "text": "hello"}},
    {"message": {"chat": [], "text": 5, "from": "x", "entities": "y"}},
    {"message": {"chat": {"id": 7003, "type": "private"}, "text": {"nested": [1, 2]}}},
    {
        "message": {
            "chat": {"id": 7004, "type": "private"},
            "location": {"latitude": "north", "longitude": None},
        }
    },
    {
        "message": {
            "chat": {"id": 7005, "type": "group"},
            "text": "@test_bot hi",
            "entities": [{"offset": -5}],
        }
    },
    {"message": "a string"},
    {"message": {"chat": {"id": {"id": {"id": {"id": 1}}}}, "text": "x"}},
]


def test_malformed_updates_get_a_4xx_or_are_ignored_never_a_500(webhook, telegram, found_object):
    for body, status, answer in MALFORMED:
        assert webhook.post(body) == (status, answer), body[:60]
    for number, update in enumerate(IGNORED):
        assert webhook.update(update, update_id=880_000 + number) == (200, {"status": "ignored"}), update
    chat_id = 7006
    assert webhook.update(message(chat_id, "I found a grenade near the school")) == (
        200,
        {"status": "accepted"},
    )
    assert [m["text"] for m in wait_for(lambda: telegram.sent_to(chat_id))] == [found_object]
    assert telegram.sent_to(7001) == telegram.sent_to(7003) == telegram.sent_to(7004) == []


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
