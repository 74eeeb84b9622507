"""Telegram's limits and long payloads shared by replicas through a real Redis (shared_state.py)."""

from __future__ import annotations

import asyncio
import uuid
from typing import Awaitable, Callable

import pytest
import redis
import redis.asyncio as aioredis
from redis.exceptions import RedisError

from bot.channels.shared_state import RedisPayloads, RedisRateLimiter, redis_client
from tests.databases import services_required

REDIS_URL = "redis://127.0.0.1:6379/0"
LONG = '/choose_service{"service_id": "ua-kharkiv-rehabilitation-centre-0001", "need": "rehab"}'


@pytest.fixture()
def with_redis() -> Callable[[Callable[[aioredis.Redis], Awaitable[None]]], None]:
    """Runs an async test body with a client of the local Redis (skips or fails without one)."""
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except RedisError as error:
        if services_required():
            pytest.fail(f"Redis is required (REQUIRE_SERVICES=1) but unreachable: {error}")
        pytest.skip(f"Redis not reachable at {REDIS_URL}")

    def run(body: Callable[[aioredis.Redis], Awaitable[None]]) -> None:
        async def scoped() -> None:
            client = redis_client(REDIS_URL)
            try:
                await body(client)
            finally:
                await client.close()

        asyncio.run(scoped())

    return run


def prefix() -> str:
    return f"test:{uuid.uuid4().hex}"  # parallel-safe keys, expiring on their own


def test_two_replicas_never_exceed_the_overall_limit_together(with_redis: Callable[..., None]) -> None:
    async def body(client: aioredis.Redis) -> None:
        shared = prefix()
        replicas = [
            RedisRateLimiter(client, shared, per_second=5),
            RedisRateLimiter(client, shared, per_second=5),
        ]
        slots = await asyncio.gather(*(replicas[n % 2].overall_slot() for n in range(12)))
        times = sorted(at for at, _ in slots)
        # Any five consecutive sends span at least a second; the first five go at once.
        assert all(times[n] - times[n - 5] >= 1000 for n in range(5, 12))
        assert all(at == now for at, now in sorted(slots)[:5])

    with_redis(body)


def test_two_replicas_space_one_chat_and_leave_others_alone(with_redis: Callable[..., None]) -> None:
    async def body(client: aioredis.Redis) -> None:
        shared = prefix()
        first, second = RedisRateLimiter(client, shared), RedisRateLimiter(client, shared)
        chat = [await first.chat_slot(42), await second.chat_slot(42), await first.chat_slot(42)]
        other = await second.chat_slot(43)
        reserved = [at for at, _ in chat]
        assert [reserved[1] - reserved[0], reserved[2] - reserved[1]] == [1000, 1000]
        assert other[0] == other[1]  # another chat sends at once

    with_redis(body)


def test_a_redis_outage_falls_back_to_this_replicas_limits() -> None:
    async def body() -> None:
        down = aioredis.Redis.from_url("redis://127.0.0.1:1/0", socket_connect_timeout=0.5)
        limiter = RedisRateLimiter(down, prefix(), per_chat_interval=0)
        async with limiter.chat(7):
            await limiter.overall()  # no exception: the in-process limits applied
        await down.close()

    asyncio.run(body())


def test_a_long_payload_made_by_one_replica_is_read_by_another(with_redis: Callable[..., None]) -> None:
    async def body(client: aioredis.Redis) -> None:
        shared = prefix()
        sending, pressed = RedisPayloads(client, shared), RedisPayloads(client, shared)
        data = sending.data_for(LONG)
        assert data.startswith("#") and len(data.encode()) <= 64
        assert await pressed.resolve(data) == data  # not shared before the flush
        await sending.flush()
        assert await pressed.resolve(data) == LONG
        assert sending.data_for("/greet") == "/greet"
        assert await pressed.resolve("/greet") == "/greet"
        assert await pressed.resolve("#unknown") == "#unknown"

    with_redis(body)
