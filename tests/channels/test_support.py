"""bot.channels.support on its own, and the SMS channel's per-number order through it."""

from __future__ import annotations

import asyncio
import functools
import logging
from typing import Any, Awaitable, Callable

import aiohttp
import pytest

from bot.channels import sms as sms_channel
from bot.channels.sms import SmsInput
from bot.channels.support import (
    BoundedDict,
    BoundedSet,
    KeyedLocks,
    SenderOrder,
    SharedSession,
    TrackedTasks,
)
from bot.channels.telegram_limits import CallbackPayloads
from bot.channels.telegram_updates import SeenUpdates
from bot.inbox.store import InboxItem
from bot.sms.gateways import Twilio


def run_async(test: Callable[..., Awaitable[None]]) -> Callable[..., None]:
    """Run an async test body on a fresh event loop (the suite has no asyncio plugin)."""

    @functools.wraps(test)
    def run(*args: Any, **kwargs: Any) -> None:
        asyncio.run(test(*args, **kwargs))  # type: ignore[arg-type]

    return run


# Yields inside each turn, so an overlapping turn would get the loop in between.
STEPS = 3


async def three_in_a_row(run: Any) -> list[str]:
    """Turns "a", "b", "c" on one key, where "c" arrives just after "a" lets go and before "b" wakes.

    "a" wakes "c" from inside its turn, so "c" runs before the woken "b" does: on a lock
    table that drops a lock nobody *holds* (though "b" waits), "c" takes a fresh lock and
    overtakes "b".
    """
    events: list[str] = []
    c_may_come = asyncio.Event()

    async def turn(name: str) -> None:
        events.append(f"enter {name}")
        for _ in range(STEPS):
            await asyncio.sleep(0)
        if name == "a":
            c_may_come.set()
        events.append(f"exit {name}")

    async def later_c() -> None:
        await c_may_come.wait()
        await run("c", turn)

    await asyncio.gather(run("a", turn), run("b", turn), later_c())
    return events


IN_ORDER = ["enter a", "exit a", "enter b", "exit b", "enter c", "exit c"]


@run_async
async def test_keyed_locks_run_one_keys_turns_strictly_in_order_and_forget_the_key():
    locks: KeyedLocks[str] = KeyedLocks()

    async def run(name: str, turn: Any) -> None:
        async with locks.hold("chat"):
            await turn(name)

    assert await three_in_a_row(run) == IN_ORDER
    assert len(locks) == 0


@run_async
async def test_keyed_locks_do_not_hold_up_other_keys():
    locks: KeyedLocks[int] = KeyedLocks()
    events: list[str] = []
    release = asyncio.Event()

    async def slow() -> None:
        async with locks.hold(1):
            events.append("1 in")
            await release.wait()
            events.append("1 out")

    async def other() -> None:
        async with locks.hold(2):
            events.append("2 in")
            release.set()

    await asyncio.gather(slow(), other())
    assert events == ["1 in", "2 in", "1 out"]
    assert len(locks) == 0


@run_async
async def test_a_cancelled_waiter_leaves_no_lock_behind():
    locks: KeyedLocks[str] = KeyedLocks()
    held = asyncio.Event()
    release = asyncio.Event()

    async def holder() -> None:
        async with locks.hold("k"):
            held.set()
            await release.wait()

    async def waiter() -> None:
        async with locks.hold("k"):
            raise AssertionError("never reached: cancelled while waiting")

    first = asyncio.create_task(holder())
    await held.wait()
    second = asyncio.create_task(waiter())
    await asyncio.sleep(0)
    second.cancel()
    release.set()
    await first
    with pytest.raises(asyncio.CancelledError):
        await second
    assert len(locks) == 0


def an_sms(message_id: str) -> InboxItem:
    return InboxItem(
        channel="twilio",
        message_id=message_id,
        conversation="sms-one-number",
        reply_to="+380501234567",
        text=message_id,
        metadata={},
    )


@run_async
async def test_the_sms_channel_answers_one_numbers_messages_strictly_in_order(monkeypatch):
    # Before: the number's lock was dropped while a message waited for it, so a third
    # message overlapped the second and could be answered before it.
    channel = SmsInput(Twilio("AC1", "token", "+15550001111", "https://bot.example.org/hook"))
    turns: dict[str, Any] = {}

    class RecordedTurn:
        def __init__(self, _channel: Any, item: InboxItem, *_: Any) -> None:
            self.name = item.message_id

        async def run(self) -> None:
            await turns["turn"](self.name)

    monkeypatch.setattr(sms_channel, "Turn", RecordedTurn)

    async def run(name: str, turn: Any) -> None:
        turns["turn"] = turn
        await channel.handle(an_sms(name), on_new_message=None, agent=None)  # type: ignore[arg-type]

    assert await three_in_a_row(run) == IN_ORDER
    assert len(channel._locks) == 0


@run_async
async def test_tracked_tasks_keep_a_task_until_done_and_log_its_failure(caplog):
    tasks = TrackedTasks("test channel")
    finish = asyncio.Event()

    async def works() -> None:
        await finish.wait()

    async def fails() -> None:
        await finish.wait()
        raise ValueError("boom")

    running = [tasks.spawn(works()), tasks.spawn(fails())]
    assert len(tasks) == 2
    finish.set()
    with caplog.at_level(logging.ERROR, logger="bot.channels.support"):
        await asyncio.wait(running)
        await asyncio.sleep(0)  # done callbacks run on the next loop step
    assert len(tasks) == 0
    failures = [r for r in caplog.records if r.name == "bot.channels.support"]
    assert [r.getMessage() for r in failures] == ["test channel: a background task failed"]
    assert isinstance(failures[0].exc_info[1], ValueError)


@run_async
async def test_tracked_tasks_wait_gives_up_after_the_timeout():
    tasks = TrackedTasks("test channel")
    never = asyncio.Event()
    task = tasks.spawn(never.wait())  # type: ignore[arg-type]
    await tasks.wait(0.01)
    assert not task.done() and len(tasks) == 1
    task.cancel()
    await asyncio.wait([task])
    await asyncio.sleep(0)  # done callbacks run on the next loop step
    assert task.cancelled() and len(tasks) == 0


@run_async
async def test_shared_session_is_opened_once_and_closed_at_stop():
    opened: list[aiohttp.ClientSession] = []

    def factory() -> aiohttp.ClientSession:
        opened.append(aiohttp.ClientSession())
        return opened[-1]

    shared = SharedSession(factory)
    assert opened == []  # nothing before the first use
    first = shared.get()
    assert shared.get() is first and shared.get() is first
    await shared.close()
    assert first.closed and len(opened) == 1
    again = shared.get()  # a use after stop opens a new one rather than failing
    assert again is not first
    await shared.close()
    await shared.close()  # closing twice is harmless
    assert again.closed and len(opened) == 2


@run_async
async def test_the_sms_channel_sends_every_message_through_one_session():
    sessions: list[aiohttp.ClientSession] = []

    class Recording(Twilio):
        async def send(self, session: aiohttp.ClientSession, to: str, body: str) -> None:
            sessions.append(session)

    channel = SmsInput(Recording("AC1", "token", "+15550001111", "https://bot.example.org/hook"))
    outgoing = sms_channel.compose("hello", [], 3)
    assert await channel.send_all("+380501234567", [outgoing, outgoing])
    assert await channel.send_all("+380501234568", [outgoing])
    assert len(sessions) == 3 and len({id(s) for s in sessions}) == 1
    await channel.close()
    assert sessions[0].closed


def test_bounded_dict_never_grows_past_its_size_and_forgets_the_oldest_write():
    bounded: BoundedDict[int, str] = BoundedDict(3)
    sizes = []
    for key in range(10):
        bounded[key] = str(key)
        sizes.append(len(bounded))
    assert sizes == [1, 2, 3, 3, 3, 3, 3, 3, 3, 3]
    bounded[7] = "again"  # a write makes the key the newest
    bounded[10] = "10"
    assert list(bounded.items()) == [(9, "9"), (7, "again"), (10, "10")]
    with pytest.raises(ValueError, match="size must be at least 1"):
        BoundedDict(0)


def test_bounded_set_never_grows_past_its_size():
    seen: BoundedSet[int] = BoundedSet(2)
    for member in (1, 2, 3):
        seen.add(member)
    assert len(seen) == 2 and 1 not in seen and 2 in seen and 3 in seen


def test_per_chat_state_of_the_telegram_channel_is_bounded():
    seen = SeenUpdates(size=5)
    for update_id in range(1000):
        seen.mark(update_id)
    assert len(seen) == 5 and 994 not in seen and 999 in seen
    callbacks = CallbackPayloads(size=4)
    keys = [callbacks.data_for("/find_services" + "{" + f'"place": "{n:080d}"' + "}") for n in range(50)]
    assert len(callbacks._long) == 4
    assert callbacks.payload_for(keys[-1]).endswith(f'"{49:080d}"' + "}")


async def _numbered(order: SenderOrder, ran: list[int], sender: str, number: int) -> None:
    async with order.turn(sender, number):
        ran.append(number)
        await asyncio.sleep(0)  # let the others try to overtake


@run_async
async def test_sender_order_runs_numbered_turns_in_their_numbers_order_whatever_the_arrival():
    order, ran = SenderOrder(wait=60), list[int]()
    tasks = []
    for number in (1, 4, 3, 5, 2):  # 4, 3 and 5 reach the replica before 2
        tasks.append(asyncio.create_task(_numbered(order, ran, "alice", number)))
        await asyncio.sleep(0)
    await asyncio.wait_for(asyncio.gather(*tasks), 5)
    assert ran == [1, 2, 3, 4, 5]


@run_async
async def test_sender_order_goes_on_without_a_turn_that_never_comes():
    order, ran = SenderOrder(wait=0.05), list[int]()
    await _numbered(order, ran, "bob", 1)
    await asyncio.wait_for(_numbered(order, ran, "bob", 3), 5)  # 2 was lost before this replica
    await asyncio.wait_for(_numbered(order, ran, "bob", 2), 5)  # a straggler runs at once
    await asyncio.wait_for(_numbered(order, ran, "bob", 4), 5)  # after 3: no wait
    assert ran == [1, 3, 2, 4]


@run_async
async def test_sender_order_takes_a_lower_number_as_a_new_start_and_keeps_senders_apart():
    order, ran = SenderOrder(wait=60), list[int]()
    for number in (1, 2, 3):
        await _numbered(order, ran, "carol", number)
    # The balancer forgot the idle conversation: 1 again, then 2, without waiting a minute.
    await asyncio.wait_for(_numbered(order, ran, "carol", 1), 5)
    await asyncio.wait_for(_numbered(order, ran, "carol", 2), 5)
    await asyncio.wait_for(_numbered(order, ran, "dave", 1), 5)  # another sender: its own numbers
    assert ran == [1, 2, 3, 1, 2, 1]


@run_async
async def test_sender_order_keeps_unnumbered_turns_in_arrival_order():
    order, ran = SenderOrder(), list[int]()

    async def unnumbered(label: int) -> None:
        async with order.turn("erin", None):
            await asyncio.sleep(0)
            ran.append(label)

    await asyncio.gather(*(unnumbered(n) for n in range(5)))
    assert ran == [0, 1, 2, 3, 4]
