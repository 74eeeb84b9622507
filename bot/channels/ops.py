"""Liveness and readiness of the Rasa server: GET /health and GET /ready (an always-on channel).

Registered in credentials.yml with no ${VARS}, so every `bot serve` and every
bare `rasa run --credentials credentials.yml` serves it. Its start listeners:

- before the server starts, migrate the app database once, under the
  cross-process migration lock (bot.store.db), so no request ever migrates;
- after the server starts (Rasa's own before-start listener has loaded the
  agent by then), warm every lazy loader: one message per language through
  the agent's NLU (script segmenters, language detector) and one response per
  language through its NLG (catalogs, CLDR names), so nobody's first message
  pays for it. The warm-up runs in a worker thread: /health answers meanwhile.

/health is 200 while the process serves. /ready is 200 only when the model is
loaded, the warm-up finished, the NLG renders, the tracker store, the app
database and the action server's /health answer; else 503, and the JSON body
says which check failed and why.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import time
from dataclasses import dataclass, field
from typing import Any, Awaitable, Callable, Dict, Optional

import aiohttp
from rasa.core.agent import Agent
from rasa.core.channels.channel import InputChannel, UserMessage
from rasa.core.tracker_store import FailSafeTrackerStore, TrackerStore
from rasa.shared.core.events import SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from sanic import Blueprint, Sanic, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.conversation import LANGUAGE_SLOT
from bot.i18n import SUPPORTED_LANGUAGES, language_name
from bot.paths import project_paths
from bot.store.db import Database, migrate_project_database

logger = logging.getLogger(__name__)

# The safety answer: the response whose first rendering matters most.
WARM_UP_RESPONSE = "utter_found_object"
# A conversation id no channel produces (channels prefix or pseudonymise theirs).
PROBE_SENDER = "__ops_probe__"
OK = "ok"


@dataclass
class OpsState:
    """What the start listeners found: the app database and how the warm-up went."""

    database: Optional[Database] = None
    warm_up: str = "not started"
    warm_up_seconds: Optional[float] = None
    checking: Optional[asyncio.Task[Dict[str, str]]] = field(default=None, repr=False)


class _RootBlueprint(Blueprint):
    """A blueprint whose routes keep their own paths (/health, not /webhooks/ops/health)."""

    def register(self, app: Sanic, options: Dict[str, Any]) -> None:
        """Register without the URL prefix Rasa gives every channel."""
        super().register(app, {**options, "url_prefix": None})


class OpsChannel(InputChannel):
    """GET /health (liveness) and GET /ready (readiness); migrates and warms up at start."""

    def __init__(self, check_timeout: float = 5.0, warm_up_response: str = WARM_UP_RESPONSE) -> None:
        self.check_timeout = float(check_timeout)
        self.warm_up_response = warm_up_response
        self.state = OpsState()

    @classmethod
    def name(cls) -> str:
        """The channel's name (also its blueprint's)."""
        return "ops"

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[str, Any]]) -> InputChannel:
        """Options (all optional): check_timeout (seconds per /ready check), warm_up_response."""
        return cls(**(credentials or {}))

    def url_prefix(self) -> str:
        """The server's root: the routes are /health and /ready."""
        return "/"

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        """Routes and start listeners."""
        ops = _RootBlueprint("ops", __name__)
        ops.listener("before_server_start")(self._migrate)
        ops.listener("after_server_start")(self._start_warm_up)

        @ops.route("/health", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @ops.route("/ready", methods=["GET"])
        async def ready(request: Request) -> HTTPResponse:
            checks = await self._checks(request.app)
            failed = [name for name, result in checks.items() if result != OK]
            body = {"status": "not ready" if failed else "ready", "failed": failed, "checks": checks}
            return response.json(body, status=503 if failed else 200)

        return ops

    # ------------------------------------------------------------ start listeners

    async def _migrate(self, app: Sanic, _loop: asyncio.AbstractEventLoop) -> None:
        """Migrate the app database before anything serves (the server is not listening yet)."""
        paths = project_paths()
        problem = migrate_project_database(paths)
        if problem:
            # /ready retries it (app_database check); the safety answers need no database.
            logger.error("%s", problem)
        self.state.database = Database.for_project(paths)

    async def _start_warm_up(self, app: Sanic, loop: asyncio.AbstractEventLoop) -> None:
        """Warm up in a worker thread, so /health answers while it runs."""
        agent = getattr(app.ctx, "agent", None)
        if agent is None or not agent.is_ready():
            self.state.warm_up = "failed: the model is not loaded"
            return
        self.state.warm_up = "running"
        app.add_task(self._warm_up(agent, loop))

    async def _warm_up(self, agent: Agent, loop: asyncio.AbstractEventLoop) -> None:
        started = time.monotonic()
        try:
            await loop.run_in_executor(None, warm_up, agent, self.warm_up_response)
        except Exception as error:  # noqa: BLE001 (any failure means "not ready", with the reason)
            logger.exception("Warm-up failed")
            self.state.warm_up = f"failed: {_reason(error)}"
            return
        self.state.warm_up_seconds = time.monotonic() - started
        freeze_startup_objects()
        self.state.warm_up = OK
        logger.info("Warm-up done in %.1f s: ready", self.state.warm_up_seconds)

    # ------------------------------------------------------------ readiness

    async def _checks(self, app: Sanic) -> Dict[str, str]:
        """Run the checks, once at a time: concurrent /ready calls share one run."""
        if self.state.checking is None or self.state.checking.done():
            self.state.checking = asyncio.ensure_future(self._run_checks(app))
        return await asyncio.shield(self.state.checking)

    async def _run_checks(self, app: Sanic) -> Dict[str, str]:
        agent: Optional[Agent] = getattr(app.ctx, "agent", None)
        if agent is None or not agent.is_ready():
            # Rasa is still loading it (or failed to): the other checks need it.
            return {"model": "failed: the model is not loaded"}
        names = ("tracker_store", "app_database", "action_server")
        results = await asyncio.gather(
            self._guard(self._tracker_store_answers(agent.tracker_store)),
            self._guard(self._database_answers()),
            self._guard(self._action_server_answers(agent)),
        )
        return {
            "model": OK,
            "warm_up": self.state.warm_up,
            "nlg": await self._guard(_renders(agent, self.warm_up_response, SUPPORTED_LANGUAGES[0])),
            **dict(zip(names, results, strict=True)),
        }

    async def _guard(self, check: Awaitable[None]) -> str:
        """OK, or why the check failed (including taking longer than check_timeout)."""
        try:
            await asyncio.wait_for(check, self.check_timeout)
        except asyncio.TimeoutError:
            return f"failed: no answer within {self.check_timeout:g} s"
        except Exception as error:  # noqa: BLE001 (a failed check is a reason, not a crash)
            return f"failed: {_reason(error)}"
        return OK

    async def _tracker_store_answers(self, store: TrackerStore) -> None:
        # Rasa wraps the store in one that swallows errors: ask the real one.
        inner = store._tracker_store if isinstance(store, FailSafeTrackerStore) else store
        # In a thread: a slow store must not hold the event loop.
        await asyncio.get_running_loop().run_in_executor(None, _retrieve_probe, inner)

    async def _database_answers(self) -> None:
        database = self.state.database
        if database is None:
            raise RuntimeError("the start listener has not run")
        # migrate() is free once the start-up migration succeeded; it retries a failed one.
        await asyncio.get_running_loop().run_in_executor(None, lambda: database.migrate().ping())

    async def _action_server_answers(self, agent: Optional[Agent]) -> None:
        endpoint = agent.action_endpoint if agent is not None else None
        if endpoint is None or not endpoint.url:
            return  # no action server configured: nothing to wait for
        url = action_server_health_url(endpoint.url)
        timeout = aiohttp.ClientTimeout(total=self.check_timeout)
        async with aiohttp.ClientSession(timeout=timeout) as session, session.get(url) as answer:
            if answer.status != 200:
                raise RuntimeError(f"{url} answered {answer.status}")


def action_server_health_url(webhook_url: str) -> str:
    """rasa-sdk's /health beside its /webhook."""
    base = webhook_url.rstrip("/")
    base = base[: -len("/webhook")] if base.endswith("/webhook") else base
    return f"{base}/health"


def warm_up(agent: Agent, response_key: str) -> None:
    """Parse one message and render one response per language (loads every lazy model)."""
    for language in SUPPORTED_LANGUAGES:
        # The language's own name is written in its script: Khmer goes through
        # khmer-nltk, Arabic and Cyrillic through spaCy, Latin through the detector.
        asyncio.run(agent.parse_message(language_name(language)))
        asyncio.run(_renders(agent, response_key, language))


async def _renders(agent: Agent, response_key: str, language: str) -> None:
    """Render `response_key` in `language` through the agent's NLG; raise if it cannot."""
    tracker = DialogueStateTracker.from_events(
        PROBE_SENDER,
        [SlotSet(LANGUAGE_SLOT, language), UserUttered(language_name(language))],
        slots=agent.domain.slots if agent.domain else None,
    )
    rendered = await agent.nlg.generate(response_key, tracker, "rest")
    if not rendered or not rendered.get("text"):
        raise RuntimeError(f"{response_key} rendered nothing in {language}")


def _retrieve_probe(store: TrackerStore) -> None:
    asyncio.run(store.retrieve(PROBE_SENDER))


def freeze_startup_objects() -> int:
    """Leave what the start loaded out of later garbage collections; how many objects that is.

    The model, TensorFlow, the catalogs: millions of objects that live as long as the
    process. Every full collection walked all of them, about 0.5 s with the event loop
    stopped, every few hundred messages (bench/PROFILE.md). Frozen, a collection walks
    only what messages create; cycles among the frozen objects are never freed, which costs
    nothing for objects kept anyway.
    """
    gc.collect()
    gc.freeze()
    return gc.get_freeze_count()


def _reason(error: BaseException) -> str:
    """The first line of an error, with its type (no stack, no message text)."""
    text = str(error).strip()
    return f"{type(error).__name__}: {text.splitlines()[0]}" if text else type(error).__name__
