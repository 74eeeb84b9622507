"""What every connector needs around its turns: keyed locks, tracked tasks, one HTTP session, bounded maps.

Pure asyncio helpers with no knowledge of Rasa, Telegram or SMS, so each can be
tested on its own; the channels (`bot.channels.telegram`, `bot.channels.sms`)
build them in their constructors and use nothing else for these jobs.
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from contextlib import asynccontextmanager
from typing import (
    AsyncIterator,
    Callable,
    Coroutine,
    Dict,
    Generic,
    Hashable,
    Iterator,
    MutableMapping,
    Optional,
    Set,
    TypeVar,
)

import aiohttp

logger = logging.getLogger(__name__)

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class KeyedLocks(Generic[K]):
    """One asyncio lock per key (a chat, a number), dropped only when nobody holds or waits for it.

    A lock is counted by its users (the holder and every waiter), not by `locked()`: between a
    release and the next waiter's wake-up the lock reads as free, and dropping it then would let
    a newcomer take a fresh lock and overtake the waiter.
    """

    def __init__(self) -> None:
        self._locks: Dict[K, asyncio.Lock] = {}
        self._users: Dict[K, int] = {}

    @asynccontextmanager
    async def hold(self, key: K) -> AsyncIterator[None]:
        """Hold `key`'s lock; waiters get it in arrival order (asyncio.Lock is fair)."""
        lock = self._locks.setdefault(key, asyncio.Lock())
        self._users[key] = self._users.get(key, 0) + 1
        try:
            async with lock:
                yield
        finally:
            self._users[key] -= 1
            if not self._users[key]:
                del self._users[key], self._locks[key]

    def __len__(self) -> int:
        """How many keys have a lock now (held or waited for)."""
        return len(self._locks)


class TrackedTasks:
    """Background tasks kept by a strong reference until done; a task's exception is logged, not lost.

    asyncio keeps only weak references to tasks, so an untracked task may be
    garbage-collected mid-way, and its exception would surface (if ever) only at exit.
    """

    def __init__(self, owner: str) -> None:
        self.owner = owner
        self._tasks: Set[asyncio.Task[None]] = set()

    def spawn(self, work: Coroutine[object, object, None]) -> asyncio.Task[None]:
        """Run `work` in the background on the running loop."""
        task: asyncio.Task[None] = asyncio.get_running_loop().create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._done)
        return task

    def _done(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            logger.error("%s: a background task failed", self.owner, exc_info=task.exception())

    async def wait(self, timeout: float) -> None:
        """Let the running tasks finish, for at most `timeout` seconds (at server stop)."""
        if self._tasks:
            await asyncio.wait(set(self._tasks), timeout=timeout)

    def __len__(self) -> int:
        """How many tasks are still running."""
        return len(self._tasks)


class SharedSession:
    """One aiohttp session for a process's lifetime, opened on first use (on the loop that serves)."""

    def __init__(self, factory: Callable[[], aiohttp.ClientSession] = aiohttp.ClientSession) -> None:
        self._factory = factory
        self._session: Optional[aiohttp.ClientSession] = None

    def get(self) -> aiohttp.ClientSession:
        """The open session; a new one when there is none yet (or it was closed)."""
        if self._session is None or self._session.closed:
            # Built here, not in a constructor: a session binds to the loop running when it is made.
            self._session = self._factory()
        return self._session

    async def close(self) -> None:
        """Close the session and its connections (at server stop); the next `get` opens a new one."""
        session, self._session = self._session, None
        if session is not None and not session.closed:
            await session.close()


class BoundedDict(MutableMapping[K, V]):
    """A dict that keeps at most `size` entries, forgetting the least recently written one first."""

    def __init__(self, size: int) -> None:
        if size < 1:
            raise ValueError("size must be at least 1")
        self.size = size
        self._items: OrderedDict[K, V] = OrderedDict()

    def __getitem__(self, key: K) -> V:
        return self._items[key]

    def __setitem__(self, key: K, value: V) -> None:
        self._items[key] = value
        self._items.move_to_end(key)
        while len(self._items) > self.size:
            self._items.popitem(last=False)

    def __delitem__(self, key: K) -> None:
        del self._items[key]

    def __iter__(self) -> Iterator[K]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)


class BoundedSet(Generic[K]):
    """A set that keeps at most `size` members, forgetting the least recently added one first."""

    def __init__(self, size: int) -> None:
        self._members: BoundedDict[K, None] = BoundedDict(size)

    def add(self, member: K) -> None:
        """Add (or refresh) `member`."""
        self._members[member] = None

    def __contains__(self, member: object) -> bool:
        return member in self._members

    def __len__(self) -> int:
        return len(self._members)


# How long a numbered turn waits for the one before it (which may never come: lost before
# this replica, or sent to another while this one was down).
ORDER_WAIT_S = 2.0
# Senders whose last numbered turn is remembered.
MAX_ORDERED_SENDERS = 100_000


class SenderOrder:
    """A sender's turns one at a time, in the order the balancer numbered them.

    HAProxy numbers each conversation's messages as they arrive (X-Sender-Seq, 1, 2, 3...,
    deploy/haproxy/haproxy.cfg). Two messages sent a few milliseconds apart can still reach a
    busy replica's event loop the other way round; a turn numbered n therefore waits, at most
    `wait` seconds, until turn n-1 has run here, then takes the sender's lock. Unnumbered turns
    (no balancer) go in arrival order. A number not above the last one run is a new start
    (the balancer forgot an idle conversation) and goes at once.
    """

    def __init__(self, wait: float = ORDER_WAIT_S, size: int = MAX_ORDERED_SENDERS) -> None:
        self.wait = wait
        self._locks: KeyedLocks[str] = KeyedLocks()
        self._done: BoundedDict[str, int] = BoundedDict(size)
        self._waiting: Dict[str, list[tuple[int, asyncio.Future[None]]]] = {}

    @asynccontextmanager
    async def turn(self, sender: str, number: Optional[int]) -> AsyncIterator[None]:
        """Hold `sender`'s turn: after its numbered predecessor (or the wait), in arrival order otherwise."""
        if number is not None:
            await self._after(sender, number - 1)
        try:
            async with self._locks.hold(sender):
                yield
        finally:
            if number is not None:
                self._ran(sender, number)

    async def _after(self, sender: str, previous: int) -> None:
        """Wait until turn `previous` of `sender` ran here (or `wait` passed)."""
        last = self._done.get(sender)
        if previous < 1 or (last is not None and last >= previous):
            return  # the first, the next, or a new start (numbered at or below the last run)
        ready: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiting.setdefault(sender, []).append((previous, ready))
        try:
            await asyncio.wait_for(asyncio.shield(ready), self.wait)
        except asyncio.TimeoutError:
            logger.info("A numbered turn went on without the one before it (lost or elsewhere)")
        finally:
            waiters = [w for w in self._waiting.get(sender, []) if w[1] is not ready]
            if waiters:
                self._waiting[sender] = waiters
            else:
                self._waiting.pop(sender, None)

    def _ran(self, sender: str, number: int) -> None:
        last = self._done.get(sender)
        # Higher numbers move on; a lower one is a new start unless it is a straggler that
        # waited out its predecessor (then the higher number stands).
        self._done[sender] = number if last is None or number > last or last > number + 1 else last
        for previous, ready in self._waiting.get(sender, []):
            if previous <= self._done[sender] and not ready.done():
                ready.set_result(None)
