"""Telegram under load, right after a start: real Rasa server, our channel, a slow and flaky fake Bot API."""

from __future__ import annotations

import json
import threading
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import pytest

from bot.nlg import ResponseContext, build_renderer
from bot.paths import project_paths
from tests.channels.fake_telegram import FakeTelegram, wait_for
from tests.factories import PROJECT_ROOT, telegram_credentials
from tests.servers import rasa_with_actions

pytestmark = pytest.mark.server
SECRET = "s3cret-token-for-load-tests"
GRENADE_TEXT = "I found a grenade near my house"
CHATS = 50
# The fake Bot API answers every call after this long, like a distant Telegram.
API_DELAY = 0.2
# The channel's read timeout in these tests; the fake's "timeout" failures hang longer.
READ_TIMEOUT = 1.0


@pytest.fixture(scope="module")
def expected() -> list[str]:
    """The texts a new English conversation gets for the grenade message: the found-object answer."""
    renderer = build_renderer(project_paths(PROJECT_ROOT))
    rendered = renderer.render(
        "utter_found_object", ResponseContext("en", renderer.profile(None)), "telegram", {}
    )
    assert rendered is not None
    return [str(rendered["text"])]


@pytest.fixture()
def telegram() -> Iterator[FakeTelegram]:
    fake = FakeTelegram().start()
    fake.delay = API_DELAY
    fake.hang = 3 * READ_TIMEOUT
    yield fake
    fake.stop()


@contextmanager
def started(folder: Path, fake: FakeTelegram) -> Iterator[str]:
    """A Rasa server (and action server) just started with the Telegram channel; yields the webhook URL."""
    credentials = telegram_credentials(SECRET, fake.base_url) + f"  read_timeout: {READ_TIMEOUT}\n"
    with rasa_with_actions(folder, credentials) as url:
        yield f"{url}/webhooks/telegram/webhook"


def post(url: str, update_id: int, chat_id: int, text: str = GRENADE_TEXT) -> int:
    update = {
        "update_id": update_id,
        "message": {
            "message_id": 1,
            "date": 1700000000,
            "text": text,
            "chat": {"id": chat_id, "type": "private"},
            "from": {"id": chat_id, "is_bot": False, "first_name": "A", "language_code": "en"},
        },
    }
    request = urllib.request.Request(
        url,
        data=json.dumps(update).encode(),
        headers={"Content-Type": "application/json", "X-Telegram-Bot-Api-Secret-Token": SECRET},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return int(response.status)


def post_all_at_once(url: str, chats: list[int]) -> list[int]:
    """One update per chat, all released at the same moment from their own threads."""
    barrier = threading.Barrier(len(chats))

    def send(chat_id: int) -> int:
        barrier.wait()
        return post(url, chat_id, chat_id)

    with ThreadPoolExecutor(max_workers=len(chats)) as pool:
        return list(pool.map(send, chats))


def answered(fake: FakeTelegram, chats: list[int], expected: list[str]) -> bool:
    """True once every chat got (at least) as many messages as expected."""
    sends = fake.sends_per_chat()
    return all(sends[chat] >= len(expected) for chat in chats)


def replies(fake: FakeTelegram, chats: list[int]) -> dict[int, list[str]]:
    return {chat: [str(m.get("text")) for m in fake.sent_to(chat)] for chat in chats}


def test_50_chats_at_once_right_after_start_are_all_answered(
    tmp_path: Path, telegram: FakeTelegram, expected: list[str]
) -> None:
    chats = [810_000 + n for n in range(CHATS)]
    with started(tmp_path, telegram) as url:
        assert post_all_at_once(url, chats) == [200] * CHATS
        wait_for(lambda: answered(telegram, chats, expected), timeout=120)
    assert replies(telegram, chats) == {chat: expected for chat in chats}
    assert len(telegram.calls_of("getMe")) == 1  # the Bot is initialised once, at start


@pytest.mark.parametrize("mode", ["timeout", "500"])
def test_50_chats_while_the_api_fails_some_requests_are_each_answered_once(
    tmp_path, telegram, expected, mode
):
    chats = [820_000 + n for n in range(CHATS)]
    # The first six calls to the API fail, whatever they are (getMe at start, the first sends).
    telegram.fail_next(6, mode)
    with started(tmp_path, telegram) as url:
        assert post_all_at_once(url, chats) == [200] * CHATS
        wait_for(lambda: answered(telegram, chats, expected), timeout=120)
        assert telegram.failures_left() == 0
        assert len(telegram.failed_calls()) == 6
    assert replies(telegram, chats) == {chat: expected for chat in chats}


def test_200_updates_20_at_a_time_are_all_answered(
    tmp_path: Path, telegram: FakeTelegram, expected: list[str]
) -> None:
    chats = [830_000 + n for n in range(200)]
    with started(tmp_path, telegram) as url:
        with ThreadPoolExecutor(max_workers=20) as pool:
            statuses = list(pool.map(lambda chat: post(url, chat, chat), chats))
        assert statuses == [200] * len(chats)
        wait_for(lambda: answered(telegram, chats, expected), timeout=240)
    assert replies(telegram, chats) == {chat: expected for chat in chats}
    assert len(telegram.calls_of("getMe")) == 1
