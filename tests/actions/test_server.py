"""The action server's entry point: every action is registered, built with the one runtime, and
database work runs off the event loop."""

from __future__ import annotations

import asyncio
import inspect
import sqlite3
import threading
from pathlib import Path
from typing import cast

import pytest
import yaml
from rasa_sdk import Action, Tracker, utils
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

import actions.privacy as privacy_actions
import actions.server as server
from actions.referral import ActionCreateReferral
from actions.runtime import Runtime
from bot.privacy import AppData
from bot.store.db import Database, Timeouts
from tests.actions.runtimes import make_runtime
from tests.factories import PROJECT_ROOT

SENDER = "rest-loop-check"
NO_DOMAIN = cast(DomainDict, {})


def test_every_action_class_is_registered_and_domain_actions_are_served(tmp_path: Path):
    concrete = {
        cls
        for cls in utils.all_subclasses(Action)
        if cls.__module__.startswith("actions.") and not inspect.isabstract(cls)
    }
    assert concrete == set(server.ACTIONS)
    runtime = make_runtime(tmp_path, Database.from_url(f"sqlite:///{tmp_path / 'unused.db'}"))
    executor = server.build_executor(runtime)
    domain = yaml.safe_load((PROJECT_ROOT / "domain.yml").read_text(encoding="utf-8"))
    assert set(executor.actions) == {a for a in domain["actions"] if not a.startswith("utter_")}
    # The instances share the one runtime.
    bound = {getattr(f, "__self__", None) for f in executor.actions.values()}
    assert all(getattr(action, "runtime", runtime) is runtime for action in bound)


def tracker(slots: dict) -> Tracker:
    return Tracker(SENDER, slots, {"text": "", "entities": []}, [], False, None, {}, "rest")


@pytest.fixture()
def runtime(tmp_path: Path) -> Runtime:
    # A short lock wait: if the action blocked the loop, the lock below would never be released
    # in time and the referral would fail (utter_services_unavailable) after this timeout.
    limits = Timeouts(connect=1.0, statement=1.0, migration=30.0)
    database = Database.from_url(f"sqlite:///{tmp_path / 'app.db'}", limits).migrate()
    return make_runtime(tmp_path, database)


def test_a_referral_waiting_for_a_database_lock_leaves_the_loop_free(runtime: Runtime, tmp_path: Path):
    slots = {"country": "ukraine", "service_category": "legal", "referral_contact": "+380 50 000 00 01"}
    dispatcher = CollectingDispatcher()

    async def scenario() -> list:
        blocker = sqlite3.connect(tmp_path / "app.db", isolation_level=None)
        blocker.execute("BEGIN EXCLUSIVE")  # another connection holds the write lock
        task = asyncio.create_task(ActionCreateReferral(runtime).run(dispatcher, tracker(slots), NO_DOMAIN))
        await asyncio.sleep(0)  # the action runs up to its first await: its database call
        blocker.execute("COMMIT")  # only possible because the loop is free while the action waits
        blocker.close()
        return await task

    events = asyncio.run(scenario())
    assert [m["response"] for m in dispatcher.messages] == ["utter_referral_created"]
    assert events == [{"event": "slot", "timestamp": None, "name": "referral_contact", "value": None}]


def test_delete_my_data_erases_in_another_thread(runtime: Runtime, monkeypatch: pytest.MonkeyPatch):
    threads: list[int] = []

    def erase(data: AppData, conversation: str) -> list[str]:
        threads.append(threading.get_ident())
        return []

    monkeypatch.setattr(privacy_actions, "erase_app_data", erase)
    dispatcher = CollectingDispatcher()

    async def scenario() -> int:
        await privacy_actions.ActionDeleteMyData(runtime).run(dispatcher, tracker({}), NO_DOMAIN)
        return threading.get_ident()

    loop_thread = asyncio.run(scenario())
    assert len(threads) == 1 and threads[0] != loop_thread
    assert [m["response"] for m in dispatcher.messages] == ["utter_data_deleted"]
