"""deploy/haproxy/haproxy.cfg: valid with its variables, sticky by sender, and it leaves unready replicas.

The real HAProxy runs in front of two small local servers standing in for Rasa
replicas: each records which conversation keys it received and answers /ready
and /health as the test says. Without HAProxy the tests skip, unless
REQUIRE_SERVICES=1 (CI), where they fail.
"""

from __future__ import annotations

import csv
import io
import json
import os
import random
import re
import shutil
import socket
import struct
import subprocess
import threading
import urllib.parse
from collections import defaultdict
from pathlib import Path
from typing import Dict, Iterator, List, Mapping, Optional, Set, Tuple

import pytest
import requests
import yaml
from aiohttp import web
from rasa.shared.utils.common import class_from_module_path

from bot.serve import free_port
from tests.assistant import wait_for
from tests.channels.local_server import LocalServer
from tests.databases import services_required
from tests.deploy.files import DEPLOY
from tests.factories import PROJECT_ROOT

CONFIG = PROJECT_ROOT / "deploy" / "haproxy" / "haproxy.cfg"
SENDERS = 50
MESSAGES_PER_SENDER = 3
# Supergroup-sized chat ids: a float conversion would round them all to one key.
TELEGRAM_CHAT_BASE = -1001234567000
KINDS = ("rest", "twilio", "africastalking", "telegram")


def haproxy_binary() -> str:
    """The haproxy executable, or skip (fail under REQUIRE_SERVICES=1) with the reason."""
    found = shutil.which("haproxy") or next(
        (path for path in ("/usr/sbin/haproxy",) if os.access(path, os.X_OK)), None
    )
    if found:
        return found
    reason = "HAProxy is not installed (apt-get install haproxy)"
    if services_required():
        pytest.fail(f"{reason}, and REQUIRE_SERVICES=1")
    pytest.skip(reason)


def haproxy_env(**variables: str) -> Dict[str, str]:
    """Only PATH and the given variables: no stray RASA_n from the calling environment."""
    return {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), **variables}


def check_config(env: Mapping[str, str]) -> subprocess.CompletedProcess[str]:
    """`haproxy -c -f deploy/haproxy/haproxy.cfg` with `env`."""
    return subprocess.run(
        [haproxy_binary(), "-c", "-f", str(CONFIG)], env=dict(env), capture_output=True, text=True, timeout=30
    )


# ---------------------------------------------------------------- configuration check


@pytest.mark.parametrize("replicas", [1, 2, 3, 8])
def test_the_config_is_valid_with_one_to_eight_replicas(replicas: int) -> None:
    variables = {f"RASA_{n}": f"127.0.0.1:{5004 + n}" for n in range(1, replicas + 1)}
    checked = check_config(haproxy_env(HAPROXY_BIND="127.0.0.1:8080", **variables))
    assert checked.returncode == 0, checked.stderr
    assert "Configuration file is valid" in checked.stdout


def test_empty_optional_replicas_are_left_out() -> None:
    variables = {"RASA_1": "127.0.0.1:5005", "RASA_2": "127.0.0.1:5006", "RASA_3": "", "RASA_8": ""}
    checked = check_config(
        haproxy_env(HAPROXY_BIND="127.0.0.1:8080", HAPROXY_STATS_BIND="127.0.0.1:8404", **variables)
    )
    assert checked.returncode == 0, checked.stderr


@pytest.mark.parametrize("nameserver", [{}, {"HAPROXY_NAMESERVER": "10.96.0.10:53"}])
def test_the_config_is_valid_with_replicas_found_in_dns(nameserver: Dict[str, str]) -> None:
    dns = {"RASA_DNS": "eore-rasa-headless.eore.svc.cluster.local:5005", **nameserver}
    checked = check_config(haproxy_env(HAPROXY_BIND="0.0.0.0:8080", **dns))
    assert checked.returncode == 0, checked.stderr


@pytest.mark.parametrize(
    ("variables", "named"),
    [
        ({"HAPROXY_BIND": "127.0.0.1:8080"}, "RASA_1 is not set"),
        ({"RASA_1": "127.0.0.1:5005"}, "HAPROXY_BIND is not set"),
    ],
)
def test_a_missing_required_variable_stops_the_check_naming_it(variables: Dict[str, str], named: str) -> None:
    checked = check_config(haproxy_env(**variables))
    assert checked.returncode != 0
    assert named in checked.stderr


def test_every_channel_of_the_deploy_credentials_has_a_sender_rule() -> None:
    config = CONFIG.read_text(encoding="utf-8")
    channels = yaml.safe_load((DEPLOY / "credentials.yml").read_text(encoding="utf-8"))
    names = [class_from_module_path(path).name() for path in channels]
    assert names == ["rest", "ops", "telegram", "twilio", "africastalking"]
    for name in names[:1] + names[2:]:  # ops serves /health and /ready: no conversation
        acl = re.search(rf"^    acl (\w+) path_beg /webhooks/{name}/$", config, re.MULTILINE)
        assert acl, name
        assert re.search(
            rf"^    http-request set-var\(txn.sender\) .* if {acl.group(1)}\b", config, re.MULTILINE
        ), name


# ---------------------------------------------------------------- a real run


class FakeReplica(LocalServer):
    """A stand-in Rasa replica: records the conversation key of every webhook it gets."""

    def __init__(self, name: str, host: str = "127.0.0.1", port: Optional[int] = None) -> None:
        super().__init__()
        self.name = name
        self.host = host
        self.port = port or self.port
        self.ready = True
        self.alive = True
        # Like a replica killed mid-turn: take the next webhook request, then close the
        # connection without answering.
        self.die_mid_turn = False
        self.keys: List[Tuple[str, str]] = []
        # (channel, conversation key, X-Sender-Seq or None) of each webhook request.
        self.numbers: List[Tuple[str, str, Optional[str]]] = []
        self._record = threading.Lock()

    def add_routes(self, app: web.Application) -> None:
        app.router.add_get("/ready", self._ready)
        app.router.add_get("/health", self._health)
        app.router.add_post("/webhooks/{channel}/webhook", self._webhook)
        app.router.add_post("/webhooks/{channel}/webhook/{key}", self._webhook)

    @property
    def address(self) -> str:
        """host:port, as HAProxy's statistics show it."""
        return f"{self.host}:{self.port}"

    async def _start(self) -> None:
        # LocalServer's, on this replica's own loopback address.
        app = web.Application()
        self.add_routes(app)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        await web.TCPSite(self._runner, self.host, self.port).start()

    async def _ready(self, _: web.Request) -> web.Response:
        return web.json_response(
            {"status": "ready" if self.ready else "not ready"}, status=200 if self.ready else 503
        )

    async def _health(self, _: web.Request) -> web.Response:
        return web.json_response({"status": "ok"}, status=200 if self.alive else 503)

    async def _webhook(self, request: web.Request) -> web.Response:
        channel = request.match_info["channel"]
        body = await request.read()
        with self._record:
            self.keys.append((channel, conversation_key(channel, body)))
            self.numbers.append(
                (channel, conversation_key(channel, body), request.headers.get("X-Sender-Seq"))
            )
            dying, self.die_mid_turn = self.die_mid_turn, False
        if dying and request.transport is not None:
            request.transport.abort()
        return web.json_response([])

    def conversations(self, kind: str) -> Set[str]:
        """The keys of `kind` this replica received."""
        with self._record:
            return {key for channel, key in self.keys if channel == kind}

    def clear(self) -> None:
        """Forget what was received."""
        with self._record:
            self.keys.clear()


def conversation_key(channel: str, body: bytes) -> str:
    """What the real channel would take as the conversation: sender, chat id or phone number."""
    if channel == "rest":
        return str(json.loads(body)["sender"])
    if channel == "telegram":
        update = json.loads(body)
        message = update.get("message") or update["callback_query"]["message"]
        return str(message["chat"]["id"])
    form = urllib.parse.parse_qs(body.decode())
    return form["From" if channel == "twilio" else "from"][0]


def requests_for(kind: str, sender: int, turn: int) -> Tuple[str, Dict[str, object]]:
    """The path and requests keyword arguments of turn `turn` of conversation `sender` of `kind`."""
    if kind == "rest":
        return "/webhooks/rest/webhook", {"json": {"sender": f"web-{sender}", "message": f"turn {turn}"}}
    if kind == "twilio":
        form = {
            "MessageSid": f"SM{sender}x{turn}",
            "From": f"+2557000{sender:05d}",
            "To": "+1555",
            "Body": "hi",
        }
        return "/webhooks/twilio/webhook", {"data": form}
    if kind == "africastalking":
        form = {"id": f"at-{sender}-{turn}", "from": f"+2547000{sender:05d}", "to": "12345", "text": "hi"}
        return "/webhooks/africastalking/webhook?key=k", {"data": form}
    chat = {"id": TELEGRAM_CHAT_BASE - sender, "type": "private"}
    message = {"message_id": turn, "from": {"id": 900 + sender}, "chat": chat, "date": 0, "text": "hi"}
    # The second turn is a pressed button: the chat id is one level deeper.
    if turn == 1:
        query = {"id": f"q{sender}", "from": {"id": 900 + sender}, "message": message, "data": "/greet"}
        return "/webhooks/telegram/webhook", {
            "json": {"update_id": sender * 10 + turn, "callback_query": query}
        }
    return "/webhooks/telegram/webhook", {"json": {"update_id": sender * 10 + turn, "message": message}}


def expected_key(kind: str, sender: int) -> str:
    """The conversation key FakeReplica records for `sender` of `kind`."""
    return {
        "rest": f"web-{sender}",
        "twilio": f"+2557000{sender:05d}",
        "africastalking": f"+2547000{sender:05d}",
        "telegram": str(TELEGRAM_CHAT_BASE - sender),
    }[kind]


class Balancer:
    """HAProxy running deploy/haproxy/haproxy.cfg in front of the fake replicas."""

    def __init__(self, variables: Dict[str, str], log: Path) -> None:
        self.port = free_port()
        self.stats_port = free_port()
        self.variables = variables
        env = haproxy_env(
            HAPROXY_BIND=f"127.0.0.1:{self.port}",
            HAPROXY_STATS_BIND=f"127.0.0.1:{self.stats_port}",
            **variables,
        )
        self._log = log.open("w")
        self.process = subprocess.Popen(  # noqa: S603 (our binary, our config)
            [haproxy_binary(), "-db", "-f", str(CONFIG)], env=env, stdout=self._log, stderr=subprocess.STDOUT
        )
        self.session = requests.Session()

    def servers(self) -> List[Dict[str, str]]:
        """Every server row of the statistics page (pxname, svname, addr, status...)."""
        try:
            answer = requests.get(f"http://127.0.0.1:{self.stats_port}/;csv", timeout=5)
        except requests.ConnectionError:
            return []
        rows = csv.DictReader(io.StringIO(answer.text.lstrip("# ")))
        return [row for row in rows if row["svname"] not in ("FRONTEND", "BACKEND")]

    def status(self, backend: str, replica: FakeReplica) -> str:
        """UP / DOWN / ... of `replica` in `backend` ("" while HAProxy does not know it)."""
        rows = self.servers()
        states = [row["status"] for row in rows if (row["pxname"], row["addr"]) == (backend, replica.address)]
        return states[0] if states else ""

    def wait_until(self, state: str, *replicas: FakeReplica, backends: Tuple[str, ...] = ("rasa",)) -> None:
        """Until the health checks have put `replicas` in `state` in every one of `backends`."""
        wait_for(lambda: all(self.status(b, r).startswith(state) for b in backends for r in replicas), 30)

    def send(self, kind: str, sender: int, turn: int, new_connection: bool = False) -> int:
        """Send one turn through the balancer (on a kept-alive connection unless told); its HTTP status."""
        path, arguments = requests_for(kind, sender, turn)
        post = requests.post if new_connection else self.session.post
        answer = post(f"http://127.0.0.1:{self.port}{path}", timeout=10, **arguments)  # type: ignore[arg-type]
        return answer.status_code

    def send_all(self) -> List[int]:
        """Every conversation of every kind, MESSAGES_PER_SENDER turns each, turn by turn.

        Each turn in another order, so that no regular order (round robin) could keep
        a conversation on one replica by chance.
        """
        statuses = []
        for turn in range(MESSAGES_PER_SENDER):
            order = [(kind, sender) for kind in KINDS for sender in range(SENDERS)]
            random.Random(turn).shuffle(order)
            statuses += [self.send(kind, sender, turn) for kind, sender in order]
        return statuses

    def stop(self) -> None:
        """Stop HAProxy (again is a no-op)."""
        if self._log.closed:
            return
        self.session.close()
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self._log.close()


class FakeDns:
    """A DNS server on 127.0.0.1 answering A queries for one name with fixed addresses."""

    def __init__(self, name: str, addresses: List[str]) -> None:
        self.name = name
        self.addresses = addresses
        self.socket = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.socket.bind(("127.0.0.1", 0))
        self.socket.settimeout(0.1)
        self.port = int(self.socket.getsockname()[1])
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)

    def start(self) -> FakeDns:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        self._thread.join(timeout=5)
        self.socket.close()

    def _serve(self) -> None:
        while not self._stopping.is_set():
            try:
                query, client = self.socket.recvfrom(4096)
            except TimeoutError:
                continue
            answer = self.answer(query)
            if answer:
                self.socket.sendto(answer, client)

    def answer(self, query: bytes) -> Optional[bytes]:
        """The response to one query: A records for our name, else an empty NOERROR or NXDOMAIN."""
        if len(query) < 12:
            return None
        end = 12
        labels = []
        while end < len(query) and query[end]:
            labels.append(query[end + 1 : end + 1 + query[end]].decode("ascii", "replace"))
            end += 1 + query[end]
        question = query[12 : end + 5]
        qtype = struct.unpack("!H", query[end + 1 : end + 3])[0]
        ours = ".".join(labels).lower() == self.name
        records = self.addresses if ours and qtype == 1 else []
        flags = 0x8180 if ours else 0x8183  # response, recursion available; NXDOMAIN if not ours
        header = struct.pack("!HHHHHH", struct.unpack("!H", query[:2])[0], flags, 1, len(records), 0, 0)
        answers = b"".join(
            struct.pack("!HHHIH", 0xC00C, 1, 1, 5, 4) + socket.inet_aton(address) for address in records
        )
        return header + question + answers


def replicas_on_one_port() -> Tuple[FakeReplica, FakeReplica]:
    """Two replicas on 127.0.0.1 and 127.0.0.2, the same port (as pods behind a Service)."""
    port = free_port()
    return FakeReplica("rasa1", "127.0.0.1", port).start(), FakeReplica("rasa2", "127.0.0.2", port).start()


@pytest.fixture(params=["listed", "dns"])
def cluster(
    request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[Tuple[Balancer, FakeReplica, FakeReplica]]:
    """HAProxy and two fake replicas, both up: listed as RASA_1 and RASA_2, or found in DNS (RASA_DNS)."""
    haproxy_binary()
    dns: Optional[FakeDns] = None
    if request.param == "listed":
        first, second = FakeReplica("rasa1").start(), FakeReplica("rasa2").start()
        variables = {"RASA_1": first.address, "RASA_2": second.address}
    else:
        first, second = replicas_on_one_port()
        dns = FakeDns("rasa.eore.test", [first.host, second.host]).start()
        variables = {
            "RASA_DNS": f"rasa.eore.test:{first.port}",
            "HAPROXY_NAMESERVER": f"127.0.0.1:{dns.port}",
        }
    balancer = Balancer(variables, tmp_path / "haproxy.log")
    try:
        balancer.wait_until("UP", first, second, backends=("rasa", "rasa_gateways", "rasa_alive"))
        yield balancer, first, second
    finally:
        balancer.stop()
        first.stop()
        second.stop()
        if dns is not None:
            dns.stop()


def owners(replicas: List[FakeReplica], kind: str) -> Dict[str, List[str]]:
    """Conversation key → the replicas that received any of its messages."""
    found: Dict[str, List[str]] = defaultdict(list)
    for replica in replicas:
        for key in replica.conversations(kind):
            found[key].append(replica.name)
    return found


def received(replicas: List[FakeReplica]) -> int:
    return sum(len(replica.keys) for replica in replicas)


def test_each_conversation_sticks_to_one_replica_and_both_replicas_serve(
    cluster: Tuple[Balancer, FakeReplica, FakeReplica],
) -> None:
    balancer, first, second = cluster
    statuses = balancer.send_all()
    assert statuses == [200] * (SENDERS * MESSAGES_PER_SENDER * len(KINDS))
    assert received([first, second]) == len(statuses)
    for kind in KINDS:
        by_key = owners([first, second], kind)
        assert sorted(by_key) == sorted(expected_key(kind, s) for s in range(SENDERS)), kind
        split = {key: names for key, names in by_key.items() if len(names) != 1}
        assert split == {}, f"{kind}: conversations served by both replicas"
        # Both replicas serve some conversations of every kind: the key is really hashed.
        assert first.conversations(kind) and second.conversations(kind), kind


def test_the_same_conversation_goes_to_the_same_replica_across_balancer_runs(
    cluster: Tuple[Balancer, FakeReplica, FakeReplica], tmp_path: Path
) -> None:
    balancer, first, second = cluster
    balancer.send_all()
    before = {kind: owners([first, second], kind) for kind in KINDS}
    first.clear()
    second.clear()
    balancer.stop()
    again = Balancer(balancer.variables, tmp_path / "again.log")
    try:
        again.wait_until("UP", first, second, backends=("rasa", "rasa_gateways", "rasa_alive"))
        again.send_all()
        assert {kind: owners([first, second], kind) for kind in KINDS} == before
    finally:
        again.stop()


def test_a_replica_that_is_not_ready_gets_nothing_and_comes_back(
    cluster: Tuple[Balancer, FakeReplica, FakeReplica],
) -> None:
    balancer, first, second = cluster
    balancer.send_all()
    owned_by_first = {kind: first.conversations(kind) for kind in KINDS}
    first.clear()
    second.clear()

    second.ready = False
    balancer.wait_until("DOWN", second, backends=("rasa", "rasa_gateways"))
    statuses = balancer.send_all()
    assert statuses == [200] * len(statuses)
    assert len(first.keys) == len(statuses)
    assert second.keys == []
    # Consistent hashing: the first replica's own conversations did not move.
    for kind in KINDS:
        assert owned_by_first[kind] <= first.conversations(kind), kind

    first.clear()
    second.ready = True
    balancer.wait_until("UP", second, backends=("rasa", "rasa_gateways"))
    balancer.send_all()
    assert {kind: first.conversations(kind) for kind in KINDS} == owned_by_first


def test_with_no_replica_ready_the_live_ones_still_answer_sticky(
    cluster: Tuple[Balancer, FakeReplica, FakeReplica],
) -> None:
    balancer, first, second = cluster
    first.ready = second.ready = False  # say the action server is down: safety answers still work
    balancer.wait_until("DOWN", first, second)
    statuses = balancer.send_all()
    assert statuses == [200] * len(statuses)
    for kind in KINDS:
        assert all(len(names) == 1 for names in owners([first, second], kind).values()), kind
        assert first.conversations(kind) and second.conversations(kind), kind

    first.clear()
    second.clear()
    second.alive = False  # and one of them stops serving at all
    balancer.wait_until("DOWN", second, backends=("rasa_alive",))
    statuses = balancer.send_all()
    assert statuses == [200] * len(statuses)
    assert (len(first.keys), second.keys) == (len(statuses), [])


@pytest.mark.parametrize(("kind", "replayed"), [("telegram", True), ("twilio", True), ("rest", False)])
def test_a_turn_cut_off_by_a_dying_replica_is_replayed_elsewhere_only_when_it_carries_an_id(
    cluster: Tuple[Balancer, FakeReplica, FakeReplica], kind: str, replayed: bool
) -> None:
    balancer, first, second = cluster
    assert balancer.send(kind, 7, 0) == 200
    owner, other = (first, second) if first.conversations(kind) else (second, first)
    owner.die_mid_turn = True

    # A new client connection: HAProxy answers a cut-off turn on a connection it reused by
    # closing the client's too (for the client to retry), not with a status.
    status = balancer.send(kind, 7, 2, new_connection=True)

    key = expected_key(kind, 7)
    assert [k for c, k in owner.keys if c == kind] == [key, key]
    if replayed:  # Telegram and SMS: the inbox stops a second answer to the same update or SMS id
        assert (status, [k for c, k in other.keys if c == kind]) == (200, [key])
    else:  # REST carries no id: replaying it could run the turn twice
        assert (status, other.keys) == (502, [])


def test_rest_messages_are_numbered_per_conversation_by_the_balancer_only(
    cluster: Tuple[Balancer, FakeReplica, FakeReplica],
) -> None:
    balancer, first, second = cluster
    url = f"http://127.0.0.1:{balancer.port}"
    for turn in range(3):
        for sender in range(6):
            path, _ = requests_for("rest", sender, turn)
            body = {"sender": expected_key("rest", sender), "message": f"turn {turn}"}
            # A client's own number is replaced, never trusted.
            answer = balancer.session.post(url + path, json=body, headers={"X-Sender-Seq": "99"}, timeout=10)
            assert answer.status_code == 200
        assert balancer.send("twilio", 0, turn) == 200
    numbers: Dict[Tuple[str, str], List[Optional[str]]] = defaultdict(list)
    for replica in (first, second):
        for channel, key, number in replica.numbers:
            numbers[(channel, key)].append(number)
    expected: Dict[Tuple[str, str], List[Optional[str]]] = {
        ("rest", expected_key("rest", sender)): ["1", "2", "3"] for sender in range(6)
    }
    expected[("twilio", expected_key("twilio", 0))] = [None, None, None]
    assert dict(numbers) == expected
