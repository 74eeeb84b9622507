"""StoreGuard: a failing or hanging store never holds an answer, and is skipped while down."""

from __future__ import annotations

import asyncio
import threading

from sqlalchemy.exc import OperationalError

from bot.store.guard import StoreGuard


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def failing() -> str:
    raise OperationalError("SELECT 1", {}, Exception("connection refused"))


def test_a_working_store_answers():
    assert asyncio.run(StoreGuard("s").call("default", lambda: "value")) == "value"


def test_a_failure_gives_the_default_and_skips_the_store_while_down():
    clock = Clock()
    guard = StoreGuard("s", down_for=30, clock=clock)
    assert asyncio.run(guard.call("default", failing)) == "default"
    calls: list[int] = []

    def counted() -> str:
        calls.append(1)
        return "value"

    assert asyncio.run(guard.call("default", counted)) == "default"
    assert calls == [] and guard.down
    clock.now += 31
    assert asyncio.run(guard.call("default", counted)) == "value"
    assert calls == [1] and not guard.down


def test_a_hanging_store_gives_the_default_after_the_timeout():
    release = threading.Event()
    guard = StoreGuard("s", timeout=0.2)

    async def call_then_release() -> str:
        try:
            return await guard.call("default", lambda: "late" if release.wait(60) else "timed out")
        finally:
            release.set()  # lets the stuck thread end, so asyncio.run can shut its executor down

    assert asyncio.run(call_then_release()) == "default"
    assert guard.down
