"""Calls to a store that must never stop an answer: off the event loop, bounded in time, skipped while down.

A database that refuses fails fast; one that accepts and never answers would
hold every message behind it. Each call gets a deadline, and after a failure
the store counts as down for a while, so the next messages are answered at
once without it (each caller says what to go on with).
"""

from __future__ import annotations

import asyncio
import logging
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable, TypeVar

from sqlalchemy.exc import SQLAlchemyError

logger = logging.getLogger(__name__)
T = TypeVar("T")

CALL_TIMEOUT_S = 5.0
DOWN_FOR_S = 30.0
# Each guard has its own threads: a queue of one kind of call never starves another (the
# webhook's inbox insert must not wait behind a burst's bookkeeping).
THREADS = 4


class StoreGuard:
    """Runs store calls in a thread with a deadline; after a failure, skips them for `down_for` seconds."""

    def __init__(
        self,
        name: str,
        timeout: float = CALL_TIMEOUT_S,
        down_for: float = DOWN_FOR_S,
        clock: Callable[[], float] = time.monotonic,
        threads: int = THREADS,
    ) -> None:
        self.name = name
        self._executor = ThreadPoolExecutor(max_workers=threads, thread_name_prefix=f"guard-{name[:16]}")
        self.timeout = timeout
        self.down_for = down_for
        self._clock = clock
        self._down_until = 0.0

    @property
    def down(self) -> bool:
        """True while the store counts as down (its calls are skipped)."""
        return self._clock() < self._down_until

    async def call(self, default: T, function: Callable[..., T], *args: Any) -> T:
        """`function(*args)` off the event loop, or `default` when the store fails, hangs or is down."""
        if self.down:
            return default
        what = getattr(function, "__name__", "call")
        try:
            running = asyncio.get_running_loop().run_in_executor(self._executor, lambda: function(*args))
            return await asyncio.wait_for(running, self.timeout)
        except SQLAlchemyError as error:
            reason = type(error).__name__
        except asyncio.TimeoutError:
            reason = f"no answer in {self.timeout:.0f} s"
        self._down_until = self._clock() + self.down_for
        # The error's text may quote the statement's parameters (a person's message): not logged.
        logger.error(
            "%s unavailable (%s: %s): going on without it for %.0f s", self.name, what, reason, self.down_for
        )
        return default
