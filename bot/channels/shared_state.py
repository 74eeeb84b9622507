"""Telegram's limits and long button payloads shared by every replica, in Redis.

Telegram allows a bot about 30 messages a second overall and one a second per
chat, whichever replica sends them. Each reservation is one Lua script run by
Redis on its own clock (`TIME`), so replicas with drifting clocks and racing
reservations still get distinct slots. When Redis fails, a replica falls back
to its own in-process limits (a reply late by a rate limit beats no reply).
"""

from __future__ import annotations

import asyncio
import logging
import time
from contextlib import asynccontextmanager
from typing import Any, AsyncIterator, Dict

import redis.asyncio as aioredis
from redis.exceptions import RedisError

from bot.channels.telegram_limits import (
    GLOBAL_PER_SECOND,
    MAX_LONG_PAYLOADS,
    PER_CHAT_INTERVAL,
    CallbackPayloads,
    RateLimiter,
)

logger = logging.getLogger(__name__)

# KEYS[1]: the chat's next free time (ms); ARGV[1]: the interval (ms).
# Returns the reserved time and Redis's now (ms).
_CHAT_SLOT = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local at = math.max(now, tonumber(redis.call('GET', KEYS[1]) or '0'))
local interval = tonumber(ARGV[1])
redis.call('SET', KEYS[1], at + interval, 'PX', at - now + 2 * interval)
return {at, now}
"""

# KEYS[1]: the list of the last N reserved send times (ms); ARGV[1]: N a second; ARGV[2]: the
# window (ms, 1000 unless given: N sends at most in any window).
# Returns the reserved time and Redis's now (ms).
_GLOBAL_SLOT = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local n = tonumber(ARGV[1])
local window = tonumber(ARGV[2] or '1000')
local at = now
if redis.call('LLEN', KEYS[1]) >= n then
  at = math.max(now, tonumber(redis.call('LINDEX', KEYS[1], -n)) + window)
end
redis.call('RPUSH', KEYS[1], at)
redis.call('LTRIM', KEYS[1], -n, -1)
redis.call('PEXPIRE', KEYS[1], at - now + 2 * window)
return {at, now}
"""

# Long payloads are kept this long: a button is rarely pressed a month after it was sent.
PAYLOAD_TTL_S = 30 * 24 * 3600


def redis_client(url: str) -> aioredis.Redis:
    """An asyncio Redis client for `url` (no connection is made until the first command)."""
    return aioredis.Redis.from_url(url, socket_timeout=2.0, socket_connect_timeout=2.0)


class RedisRateLimiter(RateLimiter):
    """Telegram's per-chat and overall limits across replicas; in-process limits while Redis fails."""

    def __init__(
        self,
        client: aioredis.Redis,
        prefix: str = "eore:telegram",
        per_chat_interval: float = PER_CHAT_INTERVAL,
        per_second: int = GLOBAL_PER_SECOND,
        window: float = 1.0,
    ) -> None:
        super().__init__(per_chat_interval, per_second, window)
        self._client = client
        self._prefix = prefix
        self._chat_slot = client.register_script(_CHAT_SLOT)
        self._global_slot = client.register_script(_GLOBAL_SLOT)

    async def chat_slot(self, chat_id: int) -> tuple[int, int]:
        """Reserve the chat's next send time across replicas: (reserved, now) in Redis ms."""
        at, now = await self._chat_slot(
            keys=[f"{self._prefix}:chat:{chat_id}"], args=[int(self._per_chat_interval * 1000)]
        )
        return int(at), int(now)

    async def overall_slot(self) -> tuple[int, int]:
        """Reserve a send time under the overall limit across replicas: (reserved, now) in Redis ms."""
        at, now = await self._global_slot(
            keys=[f"{self._prefix}:overall"], args=[self._per_second, int(self._window * 1000)]
        )
        return int(at), int(now)

    @asynccontextmanager
    async def chat(self, chat_id: int) -> AsyncIterator[None]:
        """One send at a time in this chat here, and one per interval in it across replicas."""
        async with self._chats.hold(chat_id):
            try:
                at, now = await self.chat_slot(chat_id)
            except RedisError as error:
                logger.warning("Shared Telegram limits unavailable (%s): this replica's own apply", error)
                at, now = self._local_chat_slot(chat_id)
            await asyncio.sleep((at - now) / 1000)
            yield

    def _local_chat_slot(self, chat_id: int) -> tuple[int, int]:
        """The in-process per-chat spacing, in the shape of `chat_slot` (monotonic ms)."""
        now = time.monotonic()
        at = max(now, self._chat_next.get(chat_id, 0.0))
        self._chat_next[chat_id] = at + self._per_chat_interval
        return int(at * 1000), int(now * 1000)

    async def overall(self) -> None:
        """Wait for a send slot under the overall limit shared by every replica."""
        try:
            at, now = await self.overall_slot()
        except RedisError as error:
            logger.warning("Shared Telegram limits unavailable (%s): this replica's own apply", error)
            await super().overall()
            return
        await asyncio.sleep((at - now) / 1000)


class RedisPayloads(CallbackPayloads):
    """Long button payloads readable by every replica: a button sent by one may be pressed at another."""

    def __init__(
        self, client: aioredis.Redis, prefix: str = "eore:payload", size: int = MAX_LONG_PAYLOADS
    ) -> None:
        super().__init__(size)
        self._client = client
        self._prefix = prefix
        self._unsaved: Dict[str, str] = {}

    def data_for(self, payload: str) -> str:
        """callback_data for a payload (a long one is saved to Redis by the next `flush`)."""
        data = super().data_for(payload)
        if data != payload:
            self._unsaved[data] = payload
        return data

    async def flush(self) -> None:
        """Save the long payloads made since the last flush (before the buttons are sent)."""
        unsaved, self._unsaved = self._unsaved, {}
        if not unsaved:
            return
        try:
            async with self._client.pipeline(transaction=False) as pipe:
                for key, payload in unsaved.items():
                    pipe.set(f"{self._prefix}:{key}", payload, ex=PAYLOAD_TTL_S)
                await pipe.execute()
        except RedisError as error:  # this replica still knows them
            logger.warning("Long button payloads not shared (%s)", error)

    async def resolve(self, data: str) -> str:
        """The payload a pressed button stands for, from this replica or from Redis."""
        known = self.payload_for(data)
        if known != data or not data.startswith("#"):
            return known
        try:
            stored: Any = await self._client.get(f"{self._prefix}:{data}")
        except RedisError as error:
            logger.warning("Long button payloads unavailable (%s)", error)
            return data
        return stored.decode("utf-8") if isinstance(stored, bytes) else data
