"""Clients of the running assistant for server tests: REST, Telegram webhook, SMS webhooks.

Every client keeps the tests that share one server apart: new senders, chat ids and
phone numbers are unique in the session, and database reads are filtered by the
test's own conversation.
"""

from __future__ import annotations

import itertools
import json
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Optional, TypeVar

import sqlalchemy as sa
from twilio.request_validator import RequestValidator

from bot.channels.telegram import telegram_conversation
from bot.reports import store as reports_store
from bot.reports.model import HazardReport
from bot.services.store import referrals
from bot.store.db import Database
from bot.store.pseudonym import Pseudonymizer
from tests.channels.fake_sms_gateway import FakeSmsGateway

T = TypeVar("T")

# Secrets of the test channels (credentials of the servers the tests start).
TELEGRAM_SECRET = "s3cret-token-for-tests"
TWILIO_AUTH_TOKEN = "twilio-test-auth-token"
AT_KEY = "africas-talking-webhook-key-0123"
TWILIO_PUBLIC_URL = "https://bot.example.org/webhooks/twilio/webhook"
TWILIO_TO = "+15550001111"

# Telegram update ids and SMS message ids: one server dedupes them, so they are unique per process.
_UPDATE_IDS = itertools.count(10**12 + uuid.uuid4().int % 10**12)  # far from fuzzed and fixed ids
_SMS_IDS = itertools.count(1)
_CALLBACK_IDS = itertools.count(1)


def wait_for(condition: Callable[[], Optional[T]], timeout: float = 60.0, interval: float = 0.05) -> T:
    """Poll `condition` until it returns something truthy (no fixed sleeps)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = condition()
        if result:
            return result
        time.sleep(interval)
    raise AssertionError("condition not met in time")


def at_least(count: int, items: Callable[[], list[T]]) -> Callable[[], Optional[list[T]]]:
    """A `wait_for` condition: `items()` once it holds `count` or more."""
    return lambda: (lambda found: found if len(found) >= count else None)(items())


def new_sender(prefix: str = "test") -> str:
    """A REST sender id nobody else in the session uses."""
    return f"{prefix}-{uuid.uuid4().hex[:16]}"


def new_chat_id() -> int:
    """A Telegram chat id nobody else in the session uses (positive, below 2**52 like real ones)."""
    return 10**9 + uuid.uuid4().int % 10**14


def new_number(country: str) -> str:
    """A phone number of `country` nobody else in the session uses."""
    # "generic": a UK number, a country without a profile (English, the generic profile).
    prefix, digits = {
        "cambodia": ("+85512", 7),
        "ukraine": ("+38050", 7),
        "colombia": ("+57300", 7),
        "lebanon": ("+9613", 6),
        "generic": ("+447700", 6),
    }[country]
    return f"{prefix}{uuid.uuid4().int % 10**digits:0{digits}d}"


def texts(replies: list[dict[str, Any]]) -> list[str]:
    """The texts of REST replies, in order ("" for a reply without text)."""
    return [str(r.get("text", "")) for r in replies]


def _read(database_url: str, query: Callable[[sa.engine.Connection], T]) -> T:
    engine = sa.create_engine(database_url, future=True)
    try:
        with engine.connect() as connection:
            return query(connection)
    finally:
        engine.dispose()


@dataclass
class Assistant:
    """The running Rasa server over REST, with its tracker store and app database."""

    url: str
    tracker_db: Path
    app_db: str
    pseudonym_key: str

    def post(self, body: bytes, query: str = "", timeout: float = 120) -> tuple[int, Any]:
        """POST a raw body to the REST webhook: (status, the JSON answer; one per line when streamed)."""
        request = urllib.request.Request(
            f"{self.url}/webhooks/rest/webhook{query}",
            data=body,
            headers={"Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                raw, status = response.read().decode(), response.status
        except urllib.error.HTTPError as error:
            raw, status = error.read().decode(), error.code
        if query and status == 200:
            return status, [json.loads(line) for line in raw.splitlines() if line.strip()]
        return status, json.loads(raw)

    def send(self, sender: Any, message: Any, **extra: Any) -> list[dict[str, Any]]:
        """Send `message` as `sender` (extra body fields such as metadata); the replies."""
        status, replies = self.post(json.dumps({"sender": sender, "message": message, **extra}).encode())
        assert status == 200, replies
        return list(replies)

    def texts(self, sender: Any, message: Any, **extra: Any) -> list[str]:
        """Send `message` as `sender`; the replies' texts."""
        return texts(self.send(sender, message, **extra))

    def said(self, sender: Any, message: Any) -> str:
        """Send `message` as `sender`; the replies' texts on one line each."""
        return "\n".join(self.texts(sender, message))

    def buttons(self, sender: Any, message: Any) -> list[dict[str, Any]]:
        """Send `message` as `sender`; the buttons of all replies, in order."""
        return [b for r in self.send(sender, message) for b in r.get("buttons") or []]

    def events_of(self, sender: str) -> list[dict[str, Any]]:
        """The stored events of `sender`'s conversation, oldest first."""
        query = sa.text("SELECT data FROM events WHERE sender_id = :s ORDER BY id")
        return _read(
            f"sqlite:///{self.tracker_db}",
            lambda c: [json.loads(data) for (data,) in c.execute(query, {"s": sender})],
        )

    def stored_texts(self, sender: str) -> list[str]:
        """The texts of the person's messages as the tracker store holds them."""
        return [e["text"] for e in self.events_of(sender) if e.get("event") == "user"]

    def telegram_conversation(self, chat_id: int) -> str:
        """The tracker store's sender id of a Telegram chat (a pseudonym, never the chat id)."""
        return telegram_conversation(Pseudonymizer(self.pseudonym_key.encode()), chat_id)

    def sender_ids(self) -> list[str]:
        """Every sender id the tracker store holds events for."""
        query = sa.text("SELECT DISTINCT sender_id FROM events")
        return _read(f"sqlite:///{self.tracker_db}", lambda c: [s for (s,) in c.execute(query)])

    def pseudonym(self, conversation: str) -> str:
        """The pseudonymous id the app database keeps for `conversation`."""
        return Pseudonymizer(self.pseudonym_key.encode()).of(conversation)

    def referral_rows(self, sender: str) -> list[dict[str, Any]]:
        """The referrals stored for `sender`'s conversation."""
        mine = self.pseudonym(sender)
        query = sa.select(referrals).where(referrals.c.conversation == mine)
        return _read(self.app_db, lambda c: [dict(r) for r in c.execute(query).mappings()])

    def reports_of(self, conversation: str) -> list[HazardReport]:
        """The hazard reports stored for `conversation`, oldest first."""
        database = Database.from_url(self.app_db)
        try:
            with database.sessions.begin() as session:
                mine = self.pseudonym(conversation)
                return [r for r in reports_store.list_reports(session) if r.conversation == mine]
        finally:
            database.dispose()


def telegram_message(
    chat_id: int, text: Optional[str] = None, language_code: str = "en", **extra: Any
) -> dict[str, Any]:
    """The `message` part of a Telegram update from a private chat."""
    body: dict[str, Any] = {
        "message_id": 1,
        "date": 1700000000,
        "chat": {"id": chat_id, "type": "private"},
        "from": {"id": chat_id, "is_bot": False, "first_name": "A", "language_code": language_code},
        **extra,
    }
    if text is not None:
        body["text"] = text
    return {"message": body}


def telegram_press(chat_id: int, data: str, language_code: str = "en") -> dict[str, Any]:
    """The `callback_query` part of an update: a button with callback data `data` pressed."""
    return {
        "callback_query": {
            "id": f"cb-{chat_id}-{next(_CALLBACK_IDS)}",
            "from": {"id": chat_id, "is_bot": False, "first_name": "A", "language_code": language_code},
            "chat_instance": "x",
            "data": data,
            "message": {"message_id": 5, "date": 1700000000, "chat": {"id": chat_id, "type": "private"}},
        }
    }


@dataclass
class Webhook:
    """The Telegram webhook of the running server, posting as Telegram does."""

    url: str
    secret: str = TELEGRAM_SECRET

    def post(self, body: bytes, secret: Optional[str] = "") -> tuple[int, dict[str, Any]]:
        """POST a raw body with `secret` in the header (the server's own by default, None for none)."""
        headers = {"Content-Type": "application/json"}
        secret = self.secret if secret == "" else secret
        if secret is not None:
            headers["X-Telegram-Bot-Api-Secret-Token"] = secret
        request = urllib.request.Request(self.url, data=body, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read() or b"{}")

    def update(self, payload: dict[str, Any], update_id: Optional[int] = None) -> tuple[int, dict[str, Any]]:
        """Deliver one update (a new update id unless given)."""
        update_id = next(_UPDATE_IDS) if update_id is None else update_id
        return self.post(json.dumps({"update_id": update_id, **payload}).encode())

    def say(self, chat_id: int, text: str, language_code: str = "en") -> None:
        """The person types `text` in chat `chat_id`."""
        assert self.update(telegram_message(chat_id, text, language_code=language_code))[0] == 200

    def press(self, chat_id: int, data: str, language_code: str = "en") -> None:
        """The person presses a button whose callback data is `data`."""
        assert self.update(telegram_press(chat_id, data, language_code))[0] == 200


def callback_data(sent: dict[str, Any], title: str) -> str:
    """The callback data of the inline button titled `title` in the sent message `sent`."""
    keyboard = sent["reply_markup"]["inline_keyboard"]
    return str(next(b["callback_data"] for row in keyboard for b in row if b["text"] == title))


def post_form(url: str, form: dict[str, str], headers: Optional[dict[str, str]] = None) -> tuple[int, str]:
    """POST a url-encoded form to `url` (as the SMS gateways do): (status, body)."""
    request = urllib.request.Request(
        url,
        data=urllib.parse.urlencode(form).encode(),
        headers={"Content-Type": "application/x-www-form-urlencoded", **(headers or {})},
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


@dataclass
class Sms:
    """The SMS webhooks of the running server (Twilio signed, Africa's Talking keyed) and the fake gateway."""

    url: str
    gateway: FakeSmsGateway
    assistant: Assistant
    sent: dict[str, int] = field(default_factory=dict)

    def post(
        self, path: str, form: dict[str, str], headers: Optional[dict[str, str]] = None
    ) -> tuple[int, str]:
        """POST a form to `path`: (status, body)."""
        return post_form(self.url + path, form, headers)

    def twilio(self, number: str, body: str) -> int:
        """An SMS from `number` through the Twilio webhook, signed as Twilio signs it."""
        form = {"From": number, "To": TWILIO_TO, "Body": body, "MessageSid": f"SM{next(_SMS_IDS):032d}"}
        signature = RequestValidator(TWILIO_AUTH_TOKEN).compute_signature(TWILIO_PUBLIC_URL, form)
        return self.post("/webhooks/twilio/webhook", form, {"X-Twilio-Signature": signature})[0]

    def africastalking(self, number: str, text: str) -> int:
        """An SMS from `number` through the Africa's Talking webhook."""
        form = {"from": number, "to": "12345", "text": text, "id": f"AT{next(_SMS_IDS):032d}",
                "date": "2026-11-27 10:00:00"}  # fmt: skip
        return self.post(f"/webhooks/africastalking/webhook?key={urllib.parse.quote(AT_KEY)}", form)[0]

    def replies(self, number: str, count: int) -> list[str]:
        """Wait until `count` SMS went to `number`; return all of them."""
        return wait_for(at_least(count, lambda: self.gateway.bodies_to(number)))

    def say(self, number: str, text: str, count: int) -> list[str]:
        """Send `text` by Twilio and wait for the next `count` SMS to `number`; those SMS only."""
        seen = self.sent.get(number, 0)
        assert self.twilio(number, text) == 200
        bodies = self.replies(number, seen + count)
        self.sent[number] = len(bodies)
        return bodies[seen:]

    def conversation_of(self, number: str) -> str:
        """The conversation id the channel gives `number` (its pseudonym)."""
        return f"sms-{self.assistant.pseudonym(number)[:32]}"
