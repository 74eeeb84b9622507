"""End to end: the real `bot serve` (Rasa + action server) over the REST channel."""

from __future__ import annotations

import json
import logging
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path
from typing import Any, Callable, Iterator

import pytest
import sqlalchemy as sa

from bot.i18n import LanguageDetector
from bot.nlg import build_renderer
from bot.paths import project_paths
from bot.serve import (
    Backoff,
    Child,
    free_port,
    wait_until_ready,
)
from bot.training import ensure_model, rasa_environment
from tests.factories import GRENADE, PROJECT_ROOT, tracker
from tests.servers import bot_serve, rasa_server_alone

pytestmark = pytest.mark.server

COUNTRY_OF = {
    "uk": ("ukraine", "101"),
    "km": ("cambodia", "117"),
    "es": ("colombia", "123"),
    "ar": ("lebanon", "112"),
    "fr": ("lebanon", "112"),
    "en": ("ukraine", "101"),
}


class Assistant:
    def __init__(self, url: str, db: Path, pid: int = 0) -> None:
        self.url = url
        self.db = db
        self.pid = pid  # `bot serve`'s

    def send(self, sender: str, message: str, metadata: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        body: dict[str, Any] = {"sender": sender, "message": message}
        if metadata:
            body["metadata"] = metadata
        request = urllib.request.Request(
            f"{self.url}/webhooks/rest/webhook",
            data=json.dumps(body).encode(),
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=60) as response:
            return list(json.loads(response.read()))

    def stored_events(self, sender: str) -> int:
        engine = sa.create_engine(f"sqlite:///{self.db}", future=True)
        with engine.connect() as connection:
            count = connection.execute(
                sa.text("SELECT count(*) FROM events WHERE sender_id = :s"), {"s": sender}
            ).scalar_one()
        engine.dispose()
        return int(count)


@pytest.fixture(scope="module")
def model() -> Path:
    return ensure_model(project_paths(PROJECT_ROOT))


@pytest.fixture(scope="module")
def assistant(model, tmp_path_factory) -> Iterator[Assistant]:
    """`bot serve` exactly as `make run` starts it, on free ports (no ACTION_SERVER_TOKEN, no BIND_HOST)."""
    folder = tmp_path_factory.mktemp("serve")
    with bot_serve(folder, env={"ACTION_SERVER_TOKEN": "", "BIND_HOST": "", "SANIC_HOST": ""}) as served:
        yield Assistant(served.url, folder / "tracker.db", served.process.pid)
    code = served.process.returncode
    assert code == 0, "bot serve did not stop cleanly on Ctrl-C"


@pytest.fixture(scope="module")
def expected():
    return build_renderer(project_paths(PROJECT_ROOT))


def texts(replies: list[dict[str, Any]]) -> str:
    return "\n".join(r.get("text", "") for r in replies)


def listening_addresses(port: int) -> set[str]:
    """The local addresses something listens on at `port` (ss)."""
    listening = subprocess.run(
        ["ss", "-Htln", f"sport = :{port}"], capture_output=True, text=True, check=True
    )
    return {line.split()[3] for line in listening.stdout.splitlines()}


def test_both_servers_listen_on_loopback_only_and_share_a_per_run_token(assistant):
    """Private by default: nothing reachable from the network, and action calls still work."""
    port = int(assistant.url.rsplit(":", 1)[1])
    actions_port = child_port(assistant.pid, "actions.server")
    assert listening_addresses(port) == {f"127.0.0.1:{port}"}
    assert listening_addresses(actions_port) == {f"127.0.0.1:{actions_port}"}
    with pytest.raises(urllib.error.HTTPError) as refused:  # a call without the run's token
        urllib.request.urlopen(f"http://127.0.0.1:{actions_port}/actions", timeout=10)
    assert refused.value.code == 403
    sender = f"t-{uuid.uuid4().hex}"  # the delete action runs on the action server, with the token
    assistant.send(sender, "please delete whatever data you have on me")
    assert assistant.send(sender, "yes") != []


def child_port(parent: int, marker: str) -> int:
    """The --port of the child of `parent` whose command line holds `marker`."""
    (argv,) = [cmdline.split() for cmdline in children_of(parent).values() if marker in cmdline]
    return int(argv[argv.index("--port") + 1])


@pytest.mark.parametrize("language", sorted(GRENADE))
def test_grenade_is_answered_in_the_language_it_was_asked_in(assistant, expected, language):
    replies = assistant.send(f"t-{uuid.uuid4().hex}", GRENADE[language])
    context = expected.context(tracker(GRENADE[language]))
    assert context.language == language
    assert texts(replies) == expected.render("utter_found_object", context, "rest", {})["text"]
    detected = LanguageDetector.offline().detect(texts(replies))
    assert detected is not None and detected.language == language


@pytest.mark.parametrize("language", sorted(GRENADE))
def test_safety_answer_carries_the_countrys_number(assistant, language):
    country, number = COUNTRY_OF[language]
    sender = f"t-{uuid.uuid4().hex}"
    assistant.send(sender, f'/set_country{{"country": "{country}"}}')
    replies = assistant.send(sender, GRENADE[language])
    assert number in texts(replies)


def test_language_menu_and_the_choice_sticks(assistant):
    sender = f"t-{uuid.uuid4().hex}"
    menu = assistant.send(sender, "/change_language")
    titles = [b["title"] for r in menu for b in r.get("buttons", [])]
    assert titles == ["English", "Français", "Español", "Українська", "العربية", "ខ្មែរ"]
    assistant.send(sender, '/set_language{"language": "km"}')
    replies = assistant.send(sender, "I found a mine near the road, what do I do?")
    assert LanguageDetector.offline().detect(texts(replies)).language == "km"


def test_lesson_cards_follow_next(assistant, expected):
    sender = f"t-{uuid.uuid4().hex}"
    context = expected.context(tracker())
    for message, key in (
        ("/ask_warning_signs", "utter_lesson_signs_1"),
        ("/next", "utter_lesson_signs_2"),
        ("/next", "utter_lesson_signs_3"),
        ("/next", "utter_help"),
    ):
        replies = assistant.send(sender, message)
        assert texts(replies) == expected.render(key, context, "rest", {})["text"], key


def test_safety_interrupts_a_quiz(assistant, expected):
    sender = f"t-{uuid.uuid4().hex}"
    assistant.send(sender, "/start_quiz")
    replies = assistant.send(sender, "/someone_injured")
    assert (
        texts(replies)
        == expected.render("utter_someone_injured", expected.context(tracker()), "rest", {})["text"]
    )


def test_delete_my_data_erases_the_conversation(assistant):
    sender = f"t-{uuid.uuid4().hex}"
    assistant.send(sender, "I found a mine in my field near Battambang")
    assert assistant.stored_events(sender) > 0
    assistant.send(sender, "/delete_my_data")
    replies = assistant.send(sender, "/affirm")
    assert "erased" in texts(replies)
    assert assistant.stored_events(sender) == 0


@pytest.fixture(scope="module")
def rasa_without_actions(model, tmp_path_factory) -> Iterator[Assistant]:
    """The Rasa server alone, its action server unreachable."""
    folder = tmp_path_factory.mktemp("alone")
    with rasa_server_alone(folder) as url:
        yield Assistant(url, folder / "tracker.db")


@pytest.mark.parametrize("message", ["/found_object", "/in_hazard_area", "/someone_injured", GRENADE["uk"]])
def test_safety_answers_never_need_the_action_server(rasa_without_actions, message):
    replies = rasa_without_actions.send(f"t-{uuid.uuid4().hex}", message)
    assert replies and "{" not in texts(replies)
    assert len(texts(replies)) > 100


@pytest.mark.parametrize(
    "message",
    [
        "",
        "   ",
        "🙂🙂🙂",
        "\u202e\u200b\u200d\ufeff",
        "mine\x00here",
        "ខ្ញុំ" * 3000,
        "I found a mine " * 2000,
        "{}[]/\\%s%d{0}",
    ],
)
def test_odd_input_gets_an_answer_not_a_crash(assistant, message):
    sender = f"t-{uuid.uuid4().hex}"
    replies = assistant.send(sender, message)
    assert isinstance(replies, list)
    again = assistant.send(sender, "/help")  # the conversation still works afterwards
    assert again and again[0].get("buttons")


def test_ready_says_the_action_server_is_what_is_missing(rasa_without_actions):
    try:
        urllib.request.urlopen(f"{rasa_without_actions.url}/ready", timeout=30)
        status, body = 200, {}
    except urllib.error.HTTPError as error:
        status, body = error.code, json.loads(error.read())
    assert status == 503
    assert body["status"] == "not ready"
    assert body["failed"] == ["action_server"]
    assert {k: v for k, v in body["checks"].items() if k != "action_server"} == {
        "model": "ok",
        "warm_up": "ok",
        "nlg": "ok",
        "tracker_store": "ok",
        "app_database": "ok",
    }
    assert body["checks"]["action_server"].startswith("failed: ClientConnectorError: ")


# ------------------------------------------------------------------ supervision


def eventually(condition: Callable[[], Any], deadline: float, what: str) -> Any:
    """Poll `condition` until it returns something truthy; fail after `deadline` seconds."""
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        value = condition()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"not after {deadline:g} s: {what}")


def children_of(pid: int) -> dict[int, str]:
    """Direct child processes of `pid` and their command lines."""
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        # The parent pid is the 2nd field after the parenthesised command name.
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            found[int(entry.name)] = cmdline
    return found


def child_pid(parent: int, marker: str) -> int | None:
    """The child of `parent` whose command line holds `marker`, if there is one now."""
    matches = [pid for pid, cmdline in children_of(parent).items() if marker in cmdline]
    return matches[0] if len(matches) == 1 else None


@pytest.mark.parametrize(
    ("backoff", "delays"),
    [
        (Backoff(first=0.01, cap=0.04, healthy_after=3600), ["0.01", "0.02", "0.04", "0.04", "0.04"]),
        (Backoff(first=0.01, cap=0.04, healthy_after=0), ["0.01", "0.01", "0.01", "0.01", "0.01"]),
    ],
)
def test_a_crashing_child_is_restarted_with_backoff_and_logged(tmp_path, caplog, backoff, delays):
    crash = [sys.executable, "-c", "import sys; sys.exit(3)"]
    child = Child("fake server", crash, "http://127.0.0.1:9/health", tmp_path, dict(os.environ), backoff)
    child.start()
    with caplog.at_level(logging.INFO, logger="bot.serve"):

        def restarted_enough() -> bool:
            child.step(time.monotonic())
            return child.restarts == len(delays)

        eventually(restarted_enough, 60, f"{len(delays)} restarts")
    assert child.process is not None
    child.process.wait(timeout=30)
    exits = [r.getMessage() for r in caplog.records if "exited" in r.getMessage()]
    assert [m.split(" s; restarting it in ")[1] for m in exits] == [f"{d} s" for d in delays]
    assert {m.split(" after ")[0] for m in exits} == {"fake server exited with code 3"}
    restarted = [r.getMessage().split(", pid")[0] for r in caplog.records if "restarted" in r.getMessage()]
    assert restarted == [f"fake server restarted (restart {n}" for n in range(1, len(delays) + 1)]


def replaced(parent: int, marker: str, old: int) -> Callable[[], int | None]:
    """A condition: the pid of a child holding `marker` other than `old`."""

    def new_pid() -> int | None:
        pid = child_pid(parent, marker)
        return pid if pid != old else None

    return new_pid


def test_bot_serve_restarts_a_killed_server_and_stops_cleanly_on_sigterm(model, expected, tmp_path):
    """kill -9 the action server, the Rasa server, then the outreach worker: each comes back,
    `bot serve` stays up."""
    context = expected.context(tracker())
    with bot_serve(tmp_path) as served:
        assistant = Assistant(served.url, tmp_path / "tracker.db")
        for marker in ("actions.server", " rasa run ", " outreach worker "):
            old = child_pid(served.process.pid, marker)
            assert old is not None, marker
            os.kill(old, signal.SIGKILL)
            new = eventually(replaced(served.process.pid, marker, old), 120, f"a new {marker} child")
            assert wait_until_ready(served.url, served.process, 300), f"{marker} did not come back"
            assert served.process.poll() is None
            # Erasing needs the action server; its answer comes after the action ran.
            sender = f"t-{uuid.uuid4().hex}"
            assistant.send(sender, "please delete whatever data you have on me")
            replies = assistant.send(sender, "yes")
            assert [r.get("text") for r in replies] == [
                expected.render("utter_data_deleted", context, "rest", {})["text"]
            ]
        survivors = set(children_of(served.process.pid))
        assert new in survivors
        served.process.send_signal(signal.SIGTERM)
        assert served.process.wait(timeout=60) == 0
    assert {pid for pid in survivors if Path(f"/proc/{pid}").exists()} == set()


# ------------------------------------------------------------------ content gate and start-up data


def test_bot_serve_refuses_content_that_fails_the_check(tmp_path):
    """A literal {numero_urgence} in a translation and text as a number: nothing starts."""
    for name in ("domain.yml", "babel.cfg"):
        (tmp_path / name).write_bytes((PROJECT_ROOT / name).read_bytes())
    for folder in ("content", "locales"):
        shutil.copytree(PROJECT_ROOT / folder, tmp_path / folder, ignore=shutil.ignore_patterns("*.mo"))
    po = tmp_path / "locales" / "fr" / "LC_MESSAGES" / "messages.po"
    lines = po.read_text(encoding="utf-8").splitlines()
    at = next(i for i, line in enumerate(lines) if line.startswith("msgstr") and "{emergency_number}" in line)
    lines[at] = lines[at].replace("{emergency_number}", "{numero_urgence}")
    po.write_text("\n".join(lines) + "\n", encoding="utf-8")
    profile = tmp_path / "content" / "countries" / "cambodia.yml"
    bad = "CMAC hotline 012-800"
    profile.write_text(profile.read_text(encoding="utf-8").replace('"117"', f'"{bad}"'), "utf-8")
    number_line = 1 + profile.read_text(encoding="utf-8").splitlines().index(f'    number: "{bad}"')
    done = subprocess.run(
        [sys.executable, "-m", "bot.cli", "--root", str(tmp_path), "serve", "--port", str(free_port())],
        capture_output=True, text=True, timeout=120, env=rasa_environment(),
    )  # fmt: skip
    assert done.returncode == 1
    assert done.stderr.splitlines()[-3:] == [
        f"content/countries/cambodia.yml:{number_line}: '{bad}' is not a valid phone number for KH",
        f"locales/fr/LC_MESSAGES/messages.po:{at}: placeholders ['numero_urgence'] "
        "differ from the source's ['emergency_number']",
        "The assistant will not start: 2 content problem(s) above (fix them, then `bot content check`).",
    ]
    assert not (tmp_path / "models").exists()  # refused before training anything


def test_the_shipped_services_directory_is_loaded_at_start_into_an_empty_database(tmp_path):
    database = tmp_path / "app.db"
    with bot_serve(tmp_path, env={"DATABASE_URL": f"sqlite:///{database}"}):
        engine = sa.create_engine(f"sqlite:///{database}", future=True)
        with engine.connect() as connection:
            rows = connection.execute(sa.text("SELECT country, count(*) FROM services GROUP BY country"))
            by_country = dict(rows.all())
        engine.dispose()
    shipped = {
        path.stem: sum(1 for line in path.read_text(encoding="utf-8").splitlines()[2:] if line.strip())
        for path in (PROJECT_ROOT / "content" / "services").glob("*.csv")
    }
    assert by_country == shipped
