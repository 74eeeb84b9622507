"""The action server answers only the Rasa server: a forged action call without the shared
token (or with a wrong one) is refused with 403 and stores nothing; it listens on 127.0.0.1."""

from __future__ import annotations

import json
import subprocess
import urllib.error
import urllib.request
from typing import Iterator, Optional

import pytest

from bot.reports.store import count_reports
from bot.serve import ServerSettings, action_server_command, free_port, stop, wait_until_up
from bot.store.db import Database
from bot.training import rasa_environment
from tests.factories import PROJECT_ROOT

TOKEN = "the-shared-action-server-token"
FORGED_REPORT = {
    "next_action": "action_submit_hazard_report",
    "sender_id": "forger",
    "version": "3.6.0",
    "domain": {},
    "tracker": {
        "sender_id": "forger",
        "slots": {"hazard_type": "mine", "hazard_description": "fake", "hazard_region": "x"},
        "latest_message": {"text": "", "intent": {}, "entities": []},
        "events": [],
        "paused": False,
        "followup_action": None,
        "active_loop": {},
        "latest_action_name": None,
    },
}


@pytest.fixture(scope="module")
def action_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[int, str]]:
    folder = tmp_path_factory.mktemp("token")
    port = free_port()
    app_db = f"sqlite:///{folder / 'app.db'}"
    env = {
        **rasa_environment(),
        "DATABASE_URL": app_db,
        "PSEUDONYM_KEY": "token-test-pseudonym-key",
        "ACTION_SERVER_TOKEN": TOKEN,
        "HAZARD_WEBHOOK_URL": "",
    }
    env.pop("SANIC_HOST", None)
    env.pop("BIND_HOST", None)
    process = subprocess.Popen(
        action_server_command(ServerSettings(actions_port=port)), cwd=PROJECT_ROOT, env=env
    )
    try:
        assert wait_until_up(f"http://127.0.0.1:{port}/health", process, 120)
        yield port, app_db
    finally:
        stop([process])


def post(port: int, token: Optional[str]) -> int:
    query = "" if token is None else f"?token={token}"
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/webhook{query}",
        data=json.dumps(FORGED_REPORT).encode(),
        headers={"Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:
            return int(answer.status)
    except urllib.error.HTTPError as error:
        return error.code


def reports(app_db: str) -> int:
    database = Database.from_url(app_db)
    try:
        with database.sessions() as session:
            return count_reports(session)
    finally:
        database.dispose()


def test_a_forged_action_call_is_refused_and_stores_nothing(action_server: tuple[int, str]):
    port, app_db = action_server
    assert post(port, None) == 403
    assert post(port, "wrong-token-of-the-right-length!") == 403
    assert post(port, TOKEN[:-1]) == 403
    assert reports(app_db) == 0
    assert post(port, TOKEN) == 200
    assert reports(app_db) == 1


def test_the_action_list_needs_the_token_and_health_does_not(action_server: tuple[int, str]):
    port, _ = action_server
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(f"http://127.0.0.1:{port}/actions", timeout=10)
    assert refused.value.code == 403
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/actions?token={TOKEN}", timeout=10) as answer:
        assert {"name": "action_submit_hazard_report"} in json.loads(answer.read())
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=10) as answer:
        assert answer.status == 200


def test_the_action_server_listens_on_loopback_only(action_server: tuple[int, str]):
    port, _ = action_server
    listening = subprocess.run(
        ["ss", "-Htln", f"sport = :{port}"], capture_output=True, text=True, check=True
    )
    addresses = {line.split()[3] for line in listening.stdout.splitlines()}
    assert addresses == {f"127.0.0.1:{port}"}


def test_without_a_token_the_action_server_does_not_start():
    env = {**rasa_environment(), "ACTION_SERVER_TOKEN": ""}
    done = subprocess.run(
        action_server_command(ServerSettings(actions_port=free_port())),
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 1
    assert "ACTION_SERVER_TOKEN is not set" in done.stderr
