"""The ops channel: /health and /ready on the real Rasa server, and what its warm-up loads."""

from __future__ import annotations

import asyncio
import gc
import json
import sys
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any, Iterator, cast

import pytest
from rasa.core.agent import Agent, load_agent
from rasa.core.utils import AvailableEndpoints

from bot.channels import ops
from bot.channels.ops import WARM_UP_RESPONSE, action_server_health_url, warm_up
from bot.i18n import _latin_identifier
from bot.nlu.tokenizer import ScriptAwareTokenizer
from bot.paths import project_paths
from bot.serve import free_port, write_local_endpoints
from bot.training import ensure_model
from tests.factories import PROJECT_ROOT
from tests.servers import rasa_with_actions

pytestmark = pytest.mark.server

CHECKS = ("model", "warm_up", "nlg", "tracker_store", "app_database", "action_server")


def get(url: str) -> tuple[int, Any]:
    """Status and JSON body of a GET (None when the body is not JSON)."""
    try:
        with urllib.request.urlopen(url, timeout=30) as answer:
            return answer.status, _json(answer.read())
    except urllib.error.HTTPError as error:
        return error.code, _json(error.read())


def _json(body: bytes) -> Any:
    try:
        return json.loads(body)
    except ValueError:
        return None


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Both servers, serving only the ops channel (the starter adds it)."""
    with rasa_with_actions(tmp_path_factory.mktemp("ops"), "") as url:
        yield url


def test_health_is_live(server: str):
    assert get(f"{server}/health") == (200, {"status": "ok"})


def test_ready_once_warm_and_every_check_passes(server: str):
    assert get(f"{server}/ready") == (
        200,
        {"status": "ready", "failed": [], "checks": {name: "ok" for name in CHECKS}},
    )


def test_the_routes_are_at_the_root_not_under_webhooks(server: str):
    assert get(f"{server}/webhooks/ops/health")[0] == 404
    assert get(f"{server}/webhooks/ops/ready")[0] == 404


@pytest.mark.parametrize(
    ("webhook", "health"),
    [
        ("http://localhost:5055/webhook", "http://localhost:5055/health"),
        ("http://actions:5055/webhook/", "http://actions:5055/health"),
        ("https://example.org/actions", "https://example.org/actions/health"),
    ],
)
def test_action_server_health_url_is_beside_its_webhook(webhook: str, health: str):
    assert action_server_health_url(webhook) == health


def _tokenizer(agent: Agent) -> ScriptAwareTokenizer:
    """The model's tokenizer component, as the graph instantiated it."""
    runner: Any = agent.processor.graph_runner if agent.processor else None
    found = [
        node._component
        for node in runner._instantiated_nodes.values()
        if isinstance(node._component, ScriptAwareTokenizer)
    ]
    assert len(found) == 1
    return found[0]


def test_warm_up_loads_segmenters_detector_and_renders_every_language(tmp_path: Path):
    model = ensure_model(project_paths(PROJECT_ROOT))
    endpoints = write_local_endpoints(
        tmp_path / "endpoints.yml", free_port(), tmp_path / "tracker.db", PROJECT_ROOT
    )
    agent = asyncio.run(
        load_agent(model_path=str(model), endpoints=AvailableEndpoints.read_endpoints(str(endpoints)))
    )
    tokenizer = _tokenizer(agent)
    assert tokenizer._segmenters is None  # lazy: the first message would have built them

    warm_up(agent, WARM_UP_RESPONSE)

    assert sorted(tokenizer._segmenters or {}) == ["arabic", "cyrillic", "khmer", "latin"]
    assert "khmernltk" in sys.modules
    assert _latin_identifier.cache_info().currsize == 1


def test_after_the_warm_up_what_the_start_loaded_is_left_out_of_collections(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(ops, "warm_up", lambda agent, response: None)
    channel = ops.OpsChannel()
    loaded_at_start = [[n] for n in range(10_000)]  # tracked by the collector until frozen
    try:

        async def warm() -> None:
            await channel._warm_up(cast(Agent, None), asyncio.get_running_loop())

        asyncio.run(warm())
        assert channel.state.warm_up == ops.OK
        assert gc.get_freeze_count() >= len(loaded_at_start)
        assert not any(loaded_at_start[0] is o for o in gc.get_objects(generation=2))
    finally:
        gc.unfreeze()
