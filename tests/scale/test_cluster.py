"""Two Rasa replicas behind HAProxy, sharing PostgreSQL and Redis, as deploy/ runs them.

One cluster for the module: HAProxy (deploy/haproxy/haproxy.cfg) in front of two Rasa
servers (deploy/endpoints.yml: PostgreSQL tracker store, Redis lock store) and one action
server, an app database on PostgreSQL, and the fake Telegram Bot API and SMS gateway both
replicas send through. The tests walk what a national deployment lives through: a burst of
conversations through the balancer, a retried delivery reaching both replicas, and a replica
killed with SIGKILL while it holds accepted messages. The kill test comes last (it leaves one
replica).
"""

from __future__ import annotations

import asyncio
import json
import os
import urllib.parse
import uuid
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from typing import Any, Iterator, Optional

import pytest
import redis
from twilio.request_validator import RequestValidator

from bot.inbox.store import DONE
from tests.assistant import (
    TWILIO_AUTH_TOKEN,
    TWILIO_PUBLIC_URL,
    TWILIO_TO,
    Webhook,
    new_chat_id,
    new_number,
    new_sender,
    post_form,
    telegram_message,
    wait_for,
)
from tests.channels.fake_sms_gateway import FakeSmsGateway
from tests.channels.fake_telegram import FakeTelegram
from tests.cluster import HAPROXY, REDIS_URL, Cluster, running_cluster
from tests.databases import new_postgres_database, services_required

# A replica that dies loses its messages to the other after this long (renewed every third).
LEASE_SECONDS = 3
CONVERSATIONS = 200
TURNS = {  # five turns each, languages in rotation
    "en": [
        "hello",
        "what does a landmine look like",
        "what should I do if I find a mine",
        "thank you",
        "bye",
    ],
    "fr": ["bonjour", "à quoi ressemble une mine", "que faire si je trouve une mine", "merci", "au revoir"],
    "uk": ["привіт", "як виглядає міна", "що робити якщо я знайшов міну", "дякую", "бувай"],
}
TURN_SPACING_S = 0.005


def _require(condition: bool, reason: str) -> None:
    if condition:
        return
    if services_required():
        pytest.fail(f"{reason} (REQUIRE_SERVICES=1)")
    pytest.skip(reason)


def _redis_reachable() -> bool:
    try:
        return bool(redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping())
    except redis.RedisError:
        return False


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    """HAProxy + two Rasa replicas + one action server + PostgreSQL + Redis + the fakes."""
    _require(os.path.exists(HAPROXY), "HAProxy is not installed (apt-get install haproxy)")
    _require(_redis_reachable(), f"Redis not reachable at {REDIS_URL}")
    folder = tmp_path_factory.mktemp("cluster")
    with ExitStack() as cleanup:
        app_db = cleanup.enter_context(new_postgres_database())
        tracker_db = cleanup.enter_context(new_postgres_database())
        telegram = FakeTelegram().start()
        cleanup.callback(telegram.stop)
        gateway = FakeSmsGateway().start()
        cleanup.callback(gateway.stop)
        yield cleanup.enter_context(
            running_cluster(folder, app_db, tracker_db, telegram, gateway, lease_seconds=LEASE_SECONDS)
        )


def twilio_form(number: str, body: str, sid: Optional[str] = None) -> tuple[dict[str, str], dict[str, str]]:
    """A Twilio webhook form and its signature header."""
    form = {"From": number, "To": TWILIO_TO, "Body": body, "MessageSid": sid or f"SM{uuid.uuid4().hex}"}
    signature = RequestValidator(TWILIO_AUTH_TOKEN).compute_signature(TWILIO_PUBLIC_URL, form)
    return form, {"X-Twilio-Signature": signature}


async def _request(url: str, body: dict[str, Any]) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    """Open a connection and write one JSON POST whole; the reader for its answer."""
    parts = urllib.parse.urlsplit(url)
    payload = json.dumps(body).encode()
    reader, writer = await asyncio.open_connection(parts.hostname, parts.port)
    head = (
        f"POST {parts.path} HTTP/1.1\r\nHost: {parts.netloc}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(payload)}\r\nConnection: close\r\n\r\n"
    )
    writer.write(head.encode() + payload)
    await writer.drain()
    return reader, writer


async def _answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> Any:
    """The JSON answer of a request written by `_request` (HTTP/1.1, Connection: close)."""
    raw = await reader.read()
    writer.close()
    head, _, body = raw.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200"), raw[:300]
    if b"transfer-encoding: chunked" in head.lower():
        body = _unchunk(body)
    return json.loads(body)


def _unchunk(body: bytes) -> bytes:
    out = b""
    while body:
        size_line, _, rest = body.partition(b"\r\n")
        size = int(size_line.split(b";")[0], 16)
        if size == 0:
            break
        out, body = out + rest[:size], rest[size + 2 :]
    return out


async def _converse(url: str, sender: str, turns: list[str]) -> list[Any]:
    """Send the turns in order, each written whole 5 ms after the one before, without waiting
    for answers (as a client whose messages overtake their answers); the answers, in turn order."""
    pending = []
    for index, text in enumerate(turns):
        if index:
            await asyncio.sleep(TURN_SPACING_S)
        pending.append(
            asyncio.create_task(_answer(*await _request(url, {"sender": sender, "message": text})))
        )
    return list(await asyncio.gather(*pending))


async def _burst(url: str, conversations: dict[str, list[str]]) -> dict[str, list[Any]]:
    answers = await asyncio.gather(
        *(_converse(url, sender, turns) for sender, turns in conversations.items())
    )
    return dict(zip(conversations, answers, strict=True))


def _turns_of(events: list[dict[str, Any]]) -> list[tuple[str, list[str], str]]:
    """Each user message with the bot texts and the last action that followed it."""
    turns: list[tuple[str, list[str], str]] = []
    for event in events:
        if event.get("event") == "user":
            turns.append((event.get("text") or "", [], ""))
        elif turns and event.get("event") == "bot":
            turns[-1][1].append((event.get("text") or "").strip())
        elif turns and event.get("event") == "action":
            turns[-1] = (turns[-1][0], turns[-1][1], event.get("name") or "")
    return turns


def test_conversations_through_the_balancer_end_complete_and_in_order(cluster: Cluster):
    languages = list(TURNS)
    conversations = {
        new_sender(f"scale-{languages[n % 3]}"): TURNS[languages[n % 3]] for n in range(CONVERSATIONS)
    }
    answers = asyncio.run(_burst(f"{cluster.balancer}/webhooks/rest/webhook", conversations))
    rows = cluster.query(
        cluster.tracker_db,
        "SELECT sender_id, data FROM events WHERE sender_id LIKE 'scale-%' ORDER BY id",
    )
    events: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for sender, data in rows:
        events[sender].append(json.loads(data))
    broken = {}
    for sender, turns in conversations.items():
        stored = _turns_of(events[sender])
        answered = [
            "\n\n".join(str(m.get("text") or "") for m in answer).strip() for answer in answers[sender]
        ]
        # Every turn stored once, in the order sent, with the bot's answer the person got for
        # it, and the turn finished (the last action waits for the next message).
        if [text for text, _, _ in stored] != turns:
            broken[sender] = ("user messages", [text for text, _, _ in stored], turns)
        elif ["\n\n".join(bot).strip() for _, bot, _ in stored] != answered:
            broken[sender] = ("answers", ["\n\n".join(bot).strip() for _, bot, _ in stored], answered)
        elif any(last != "action_listen" for _, _, last in stored):
            broken[sender] = ("unfinished turn", [last for _, _, last in stored], [])
    assert len(broken) == 0, (len(broken), list(broken.items())[:3])
    assert len(answers) == CONVERSATIONS


def _post_json(url: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    return Webhook(url).post(json.dumps(body).encode())


def test_the_same_telegram_update_and_sms_to_both_replicas_is_answered_once(cluster: Cluster):
    chats = [new_chat_id() for _ in range(21)]  # the first is the reference, sent to one replica
    updates = {
        chat: {"update_id": 10**12 + chat % 10**9, **telegram_message(chat, "hello")} for chat in chats
    }
    hooks = [f"{url}/webhooks/telegram/webhook" for url in cluster.replicas]
    numbers = [new_number("ukraine") for _ in range(21)]
    forms = {number: twilio_form(number, "hello") for number in numbers}
    sms_hooks = [f"{url}/webhooks/twilio/webhook" for url in cluster.replicas]

    assert _post_json(hooks[0], updates[chats[0]])[1] == {"status": "accepted"}
    assert post_form(sms_hooks[0], *forms[numbers[0]])[0] == 200
    with ThreadPoolExecutor(8) as pool:  # each delivery reaches both replicas at the same moment
        telegram = list(
            pool.map(lambda pair: _post_json(*pair), [(h, updates[c]) for c in chats[1:] for h in hooks])
        )
        sms = list(
            pool.map(
                lambda pair: post_form(pair[0], *forms[pair[1]]),
                [(h, n) for n in numbers[1:] for h in sms_hooks],
            )
        )
    answers = sorted(json.dumps(body) for _, body in telegram)
    assert answers == sorted(
        [json.dumps({"status": "accepted"}), json.dumps({"status": "duplicate, ignored"})] * 20
    )
    assert [status for status, _ in sms] == [200] * 40

    update_ids = [str(updates[chat]["update_id"]) for chat in chats]
    sids = [forms[number][0]["MessageSid"] for number in numbers]
    wait_for(
        lambda: cluster.all_done("telegram", update_ids) and cluster.all_done("twilio", sids), timeout=120
    )
    reference = [m["text"] for m in cluster.telegram.sent_to(chats[0])]
    assert reference  # the update was answered
    assert {chat: [m["text"] for m in cluster.telegram.sent_to(chat)] for chat in chats[1:]} == {
        chat: reference for chat in chats[1:]
    }
    sms_reference = cluster.gateway.bodies_to(numbers[0])
    assert sms_reference
    assert {number: cluster.gateway.bodies_to(number) for number in numbers[1:]} == {
        number: sms_reference for number in numbers[1:]
    }


def test_a_replica_killed_under_load_loses_no_accepted_message(cluster: Cluster):
    balancer_hook = f"{cluster.balancer}/webhooks/twilio/webhook"
    reference_number = new_number("ukraine")
    assert (
        post_form(balancer_hook, *twilio_form(reference_number, "what does a landmine look like"))[0] == 200
    )
    reference = wait_for(lambda: cluster.gateway.bodies_to(reference_number), timeout=60)

    numbers = [new_number("ukraine") for _ in range(80)]
    forms = {number: twilio_form(number, "what does a landmine look like") for number in numbers}
    with ThreadPoolExecutor(16) as pool:
        statuses = list(pool.map(lambda number: post_form(balancer_hook, *forms[number])[0], numbers))
    assert statuses == [200] * len(numbers)  # every message accepted (stored before the 200)
    sids = [forms[number][0]["MessageSid"] for number in numbers]
    at_kill = cluster.inbox("twilio", sids)
    cluster.processes[0].kill()  # rasa-1: SIGKILL, nothing flushed
    cluster.processes[0].wait(timeout=30)
    held_by_the_dead = [
        sid for sid, (status, owner) in at_kill.items() if status != DONE and owner.startswith("rasa-1/")
    ]
    assert held_by_the_dead, "rasa-1 held no unanswered message when killed: the test proves nothing"

    wait_for(lambda: cluster.all_done("twilio", sids), timeout=180, interval=0.2)
    after = cluster.inbox("twilio", sids)
    assert {sid: after[sid][1].split("/")[0] for sid in held_by_the_dead} == {
        sid: "rasa-2" for sid in held_by_the_dead
    }
    # Every accepted message answered: its reply arrived whole (twice at most, when rasa-1 died
    # after sending and before marking it answered: the gateway has it, the inbox did not).
    received = {number: cluster.gateway.bodies_to(number) for number in numbers}
    assert {n: bodies for n, bodies in received.items() if bodies not in (reference, reference * 2)} == {}
