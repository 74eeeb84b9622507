"""Telegram's send limits and its 64-byte callback data, kept per process.

`bot.channels.shared_state` extends both to every replica through Redis.
"""

from __future__ import annotations

import asyncio
import hmac
import time
from collections import deque
from contextlib import asynccontextmanager
from typing import AsyncIterator, Deque

from bot.channels.support import BoundedDict, KeyedLocks

# Telegram allows about 1 message per second in one chat and 30 per second overall.
PER_CHAT_INTERVAL = 1.0
GLOBAL_PER_SECOND = 30
CALLBACK_DATA_LIMIT = 64
# Chats whose next send time is remembered (more than can send within one per-chat interval).
MAX_CHATS = 10_000
# Long button payloads remembered by their short callback key (the most recently sent ones).
MAX_LONG_PAYLOADS = 10_000


class RateLimiter:
    """Spaces messages per chat and overall; one chat waiting never holds up another."""

    def __init__(
        self,
        per_chat_interval: float = PER_CHAT_INTERVAL,
        per_second: int = GLOBAL_PER_SECOND,
        window: float = 1.0,
    ) -> None:
        self._per_chat_interval = per_chat_interval
        self._per_second = per_second
        self._window = window  # `per_second` sends at most in any `window` seconds (a margin when > 1)
        self._chats: KeyedLocks[int] = KeyedLocks()
        self._chat_next: BoundedDict[int, float] = BoundedDict(MAX_CHATS)
        self._slots: Deque[float] = deque()  # send times reserved overall, the last `per_second`

    @asynccontextmanager
    async def chat(self, chat_id: int) -> AsyncIterator[None]:
        """One send (with its retries) at a time in this chat, spaced by the per-chat interval."""
        async with self._chats.hold(chat_id):
            await _sleep_until(self._chat_next.get(chat_id, 0.0))
            try:
                yield
            finally:
                self._chat_next[chat_id] = time.monotonic() + self._per_chat_interval

    async def overall(self) -> None:
        """Wait for a send slot under the overall limit.

        The slot is reserved without awaiting (nothing else runs meanwhile on the event
        loop), then waited for without any lock, so waiting senders never queue behind
        each other's sleep.
        """
        now = time.monotonic()
        at = now
        if len(self._slots) >= self._per_second:
            at = max(now, self._slots[-self._per_second] + self._window)
        self._slots.append(at)
        while len(self._slots) > self._per_second:
            self._slots.popleft()
        await _sleep_until(at)


async def _sleep_until(moment: float) -> None:
    delay = moment - time.monotonic()
    if delay > 0:
        await asyncio.sleep(delay)


class CallbackPayloads:
    """Button payloads as callback_data; payloads over Telegram's 64 bytes get a short key."""

    def __init__(self, size: int = MAX_LONG_PAYLOADS) -> None:
        self._long: BoundedDict[str, str] = BoundedDict(size)

    def data_for(self, payload: str) -> str:
        """callback_data for a payload."""
        if len(payload.encode("utf-8")) <= CALLBACK_DATA_LIMIT:
            return payload
        key = "#" + hmac.new(b"payload", payload.encode("utf-8"), "sha256").hexdigest()[:20]
        self._long[key] = payload
        return key

    def payload_for(self, data: str) -> str:
        """The payload a pressed button stands for."""
        return self._long.get(data, data)

    async def flush(self) -> None:
        """Share the long payloads made since the last flush (kept in this process: nothing to do)."""

    async def resolve(self, data: str) -> str:
        """The payload a pressed button stands for."""
        return self.payload_for(data)
