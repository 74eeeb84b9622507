"""A bounded fuzz of the four public webhooks of one real Rasa server.

Structurally plausible but hostile bodies (wrong types, nesting, odd Unicode and
lone surrogates, huge strings, missing fields, strings where objects belong),
past the authentication of each channel (Telegram's secret header, Twilio's
signature, Africa's Talking's key). No request may get a 5xx; afterwards the
server is alive and a normal message on each webhook gets the exact answer.
Derandomized, so CI replays the same requests.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from typing import Any, Callable, Optional

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from twilio.request_validator import RequestValidator

from bot.nlg import ResponseRenderer, build_renderer
from bot.paths import project_paths
from tests.assistant import (
    AT_KEY,
    TELEGRAM_SECRET,
    TWILIO_AUTH_TOKEN,
    TWILIO_PUBLIC_URL,
    new_chat_id,
    new_sender,
    wait_for,
)
from tests.channels.fake_sms_gateway import FakeSmsGateway
from tests.channels.fake_telegram import FakeTelegram
from tests.factories import GRENADE, PROJECT_ROOT, tracker
from tests.servers import Shared

pytestmark = pytest.mark.server

# The shared servers' channel secrets.
SECRET = TELEGRAM_SECRET
AUTH_TOKEN = TWILIO_AUTH_TOKEN
PUBLIC_URL = TWILIO_PUBLIC_URL
EXAMPLES = 300
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)

# ------------------------------------------------------------------ strategies


def mostly(
    common: st.SearchStrategy[Any], rare: st.SearchStrategy[Any], odds: int = 4
) -> st.SearchStrategy[Any]:
    """`common` `odds` times out of `odds + 1`, else `rare` (one_of merges repeated strategies).

    The rare pick is the last one: hypothesis favours the first element of sampled_from.
    """
    return st.sampled_from(range(odds + 1)).flatmap(lambda pick: rare if pick == odds else common)


ODD_CHARACTERS = st.one_of(
    st.characters(),  # any code point but surrogates
    st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF),  # lone surrogates
    st.sampled_from(["\x00", "\x1b", "\r", "\u202e", "\ufeff", "\u200b", "\u0301", "💣", "ﷺ", "\u17d2"]),
)
NOTABLE_TEXTS = st.sampled_from(
    [
        "",
        " ",
        "/",
        "/restart",
        "/start",
        "/start@other_bot",
        "/found_object",
        '/report_hazard{"hazard_type": "mine"}',
        '/report_hazard{"latitude": "x", "longitude": []}',
        "/set_language{",
        "@test_bot hello",
        "STOP",
        "START",
        "HELP",
        "DELETE",
        "1",
        "99",
        "0",
        "null",
        "{}",
        "%s%n",
        "I found a grenade",
    ]
)
HUGE_TEXTS = st.tuples(
    st.sampled_from(["a", "💣", " ", "/", "\ud800", "\x00", "1 "]), st.sampled_from([2001, 70_000])
).map(lambda unit_count: unit_count[0] * unit_count[1])
TEXTS = st.one_of(
    st.text(ODD_CHARACTERS, max_size=40),
    NOTABLE_TEXTS,
    mostly(st.text(ODD_CHARACTERS, min_size=1), HUGE_TEXTS, 2),
)
# What a form can carry: no lone surrogates (they cannot be percent-encoded as UTF-8, nor signed).
FORM_TEXTS = TEXTS.map(lambda text: text.encode("utf-8", "replace").decode("utf-8"))
INTEGERS = st.one_of(st.integers(-(2**31), 2**31), st.integers(-(2**80), 2**80))
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    INTEGERS,
    st.floats(allow_nan=False, allow_infinity=False),
    TEXTS,
)
JSON_VALUES = st.recursive(
    SCALARS,
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(st.text(ODD_CHARACTERS, max_size=8), children, max_size=4),
    ),
    max_leaves=12,
)
DEEP_NESTING = st.integers(1, 20_000).map(lambda depth: ("[" * depth + "]" * depth).encode())
RAW_BYTES = st.one_of(
    st.binary(max_size=64), DEEP_NESTING, st.sampled_from([b"", b"null", b"[]", b'"x"', b"{", b"\xff"])
)


def hostile(plausible: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """Mostly the plausible value, sometimes any JSON value in its place."""
    return mostly(plausible, JSON_VALUES)


def json_bodies(values: st.SearchStrategy[Any]) -> st.SearchStrategy[bytes]:
    """JSON as clients send it: escaped, or raw UTF-8 (where lone surrogates are invalid bytes)."""
    escaped = st.sampled_from([True, True, True, False])
    return st.tuples(values, escaped).map(
        lambda value_ascii: json.dumps(value_ascii[0], ensure_ascii=value_ascii[1]).encode(
            "utf-8", "surrogatepass"
        )
    )


def bodies(structured: st.SearchStrategy[Any]) -> st.SearchStrategy[bytes]:
    """Mostly the channel's structure, sometimes any JSON or no JSON at all."""
    return mostly(json_bodies(structured), st.one_of(json_bodies(JSON_VALUES), RAW_BYTES))


def forms(required: dict[str, Any], optional: dict[str, Any]) -> st.SearchStrategy[dict[str, str]]:
    """Mostly with the fields a gateway always sends, sometimes any of them missing."""
    complete = st.fixed_dictionaries(required, optional=optional)
    return mostly(complete, st.fixed_dictionaries({}, optional={**required, **optional}))


SENDERS = mostly(st.from_regex(r"[a-z0-9-]{1,24}", fullmatch=True), st.one_of(TEXTS, INTEGERS), odds=2)
REST_FIELDS = {"sender": hostile(SENDERS), "message": hostile(TEXTS)}
REST_OPTIONAL = {
    "metadata": hostile(st.dictionaries(st.sampled_from(["language", "country", "x"]), JSON_VALUES)),
    "input_channel": JSON_VALUES,
}
REST_BODIES = bodies(
    mostly(
        st.fixed_dictionaries(REST_FIELDS, optional=REST_OPTIONAL),
        st.fixed_dictionaries({}, optional={**REST_FIELDS, **REST_OPTIONAL}),
    )
)

TELEGRAM_USERS = st.fixed_dictionaries(
    {},
    optional={
        "id": hostile(INTEGERS),
        "is_bot": hostile(st.booleans()),
        "first_name": TEXTS,
        "username": hostile(st.sampled_from(["test_bot", "someone", ""])),
        "language_code": hostile(st.sampled_from(["en", "fr", "km", "xx", ""])),
    },
)
TELEGRAM_CHAT_FIELDS = {
    "id": hostile(mostly(st.integers(1, 10**12), st.sampled_from([0, -(10**13), 10**13, "12", "abc", 1.5]))),
    "type": hostile(mostly(st.just("private"), st.sampled_from(["group", "supergroup", "channel", ""]), 2)),
}
TELEGRAM_CHATS = mostly(
    st.fixed_dictionaries(TELEGRAM_CHAT_FIELDS), st.fixed_dictionaries({}, optional=TELEGRAM_CHAT_FIELDS)
)
TELEGRAM_ENTITIES = st.lists(
    st.fixed_dictionaries(
        {},
        optional={
            "type": hostile(st.sampled_from(["mention", "bot_command", "text_mention"])),
            "offset": hostile(st.integers(-5, 50)),
            "length": hostile(st.integers(-5, 50)),
            "user": hostile(TELEGRAM_USERS),
        },
    ),
    max_size=3,
)
TELEGRAM_MESSAGE_FIELDS = {
    "message_id": hostile(INTEGERS),
    "date": hostile(INTEGERS),
    "chat": hostile(TELEGRAM_CHATS),
    "from": hostile(TELEGRAM_USERS),
    "text": hostile(TEXTS),
}
TELEGRAM_MESSAGE_EXTRAS = {
    "caption": TEXTS,
    "entities": hostile(TELEGRAM_ENTITIES),
    "location": hostile(
        st.fixed_dictionaries(
            {}, optional={"latitude": hostile(st.floats()), "longitude": hostile(st.floats())}
        )
    ),
    "reply_to_message": hostile(st.fixed_dictionaries({}, optional={"from": hostile(TELEGRAM_USERS)})),
    "photo": JSON_VALUES,
    "voice": JSON_VALUES,
}
TELEGRAM_MESSAGES = mostly(
    st.fixed_dictionaries(TELEGRAM_MESSAGE_FIELDS, optional=TELEGRAM_MESSAGE_EXTRAS),
    st.fixed_dictionaries({}, optional={**TELEGRAM_MESSAGE_FIELDS, **TELEGRAM_MESSAGE_EXTRAS}),
)
TELEGRAM_CALLBACK_FIELDS = {
    "id": hostile(TEXTS),
    "from": hostile(TELEGRAM_USERS),
    "data": hostile(TEXTS),
    "message": hostile(TELEGRAM_MESSAGES),
}
TELEGRAM_CALLBACKS = mostly(
    st.fixed_dictionaries(TELEGRAM_CALLBACK_FIELDS, optional={"chat_instance": TEXTS}),
    st.fixed_dictionaries({}, optional={**TELEGRAM_CALLBACK_FIELDS, "chat_instance": TEXTS}),
)
UPDATE_IDS = hostile(st.integers(1, 2**40))
TELEGRAM_BODIES = bodies(
    mostly(
        st.one_of(
            st.fixed_dictionaries({"update_id": UPDATE_IDS, "message": hostile(TELEGRAM_MESSAGES)}),
            st.fixed_dictionaries({"update_id": UPDATE_IDS, "callback_query": hostile(TELEGRAM_CALLBACKS)}),
        ),
        st.fixed_dictionaries(
            {"update_id": UPDATE_IDS},
            optional={
                "message": hostile(TELEGRAM_MESSAGES),
                "callback_query": hostile(TELEGRAM_CALLBACKS),
                "edited_message": hostile(TELEGRAM_MESSAGES),
                "channel_post": JSON_VALUES,
            },
        ),
    )
)

VALID_NUMBERS = st.sampled_from(
    ["+447700900123", "+85512345678", "+380501234567", "+9613123456", "+573001234567"]
)
PHONE_NUMBERS = mostly(VALID_NUMBERS, st.one_of(st.from_regex(r"\+?[0-9]{1,16}", fullmatch=True), FORM_TEXTS))
SIDS = st.from_regex(r"SM[0-9a-f]{32}", fullmatch=True)
MESSAGE_IDS = mostly(SIDS, FORM_TEXTS)
TWILIO_FORMS = forms(
    {"From": PHONE_NUMBERS, "Body": FORM_TEXTS, "MessageSid": MESSAGE_IDS},
    {
        "To": PHONE_NUMBERS,
        "NumMedia": st.sampled_from(["0", "1", "x", ""]),
        "FromCity": st.just(""),
        "FromCountry": st.sampled_from(["", "KH", "UA", "??"]),
        "AccountSid": FORM_TEXTS,
    },
)
AFRICASTALKING_FORMS = forms(
    {"from": PHONE_NUMBERS, "text": FORM_TEXTS, "id": MESSAGE_IDS},
    {
        "to": PHONE_NUMBERS,
        "date": st.sampled_from(["2026-11-27 10:00:00", "", "not a date"]),
        "linkId": FORM_TEXTS,
    },
)
# Form bodies that are no form: invalid UTF-8 (a lone surrogate as raw bytes), binary, JSON.
RAW_FORMS = st.one_of(
    st.binary(max_size=64),
    st.sampled_from([b"From=%2B447700900123&Body=%ED%A0%80", b"Body=%FF%FE", b"=&=&&", b'{"From": 1}']),
)

# ------------------------------------------------------------------- the server


@dataclass
class Webhooks:
    """One server with the four webhooks, and the fakes of the APIs they answer through."""

    url: str
    telegram: FakeTelegram
    gateway: FakeSmsGateway

    def post(
        self, path: str, body: bytes, content_type: str, headers: Optional[dict[str, str]] = None
    ) -> int:
        request = urllib.request.Request(
            self.url + path, data=body, headers={"Content-Type": content_type, **(headers or {})}
        )
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                return int(response.status)
        except urllib.error.HTTPError as error:
            return int(error.code)

    def rest(self, body: bytes) -> int:
        return self.post("/webhooks/rest/webhook", body, "application/json")

    def telegram_update(self, body: bytes) -> int:
        headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
        return self.post("/webhooks/telegram/webhook", body, "application/json", headers)

    def twilio(self, form: dict[str, str]) -> int:
        signature = RequestValidator(AUTH_TOKEN).compute_signature(PUBLIC_URL, form)
        body = urllib.parse.urlencode(form).encode()
        headers = {"X-Twilio-Signature": signature}
        return self.post("/webhooks/twilio/webhook", body, "application/x-www-form-urlencoded", headers)

    def twilio_raw(self, body: bytes) -> int:
        return self.post("/webhooks/twilio/webhook", body, "application/x-www-form-urlencoded")

    def africastalking(self, body: bytes) -> int:
        path = f"/webhooks/africastalking/webhook?key={urllib.parse.quote(AT_KEY)}"
        return self.post(path, body, "application/x-www-form-urlencoded")

    def alive(self) -> bool:
        with urllib.request.urlopen(f"{self.url}/", timeout=10) as response:
            return int(response.status) == 200


@pytest.fixture(scope="module")
def webhooks(servers: Shared) -> Webhooks:
    return Webhooks(servers.url, servers.telegram, servers.gateway)


@pytest.fixture(scope="module")
def expected() -> ResponseRenderer:
    return build_renderer(project_paths(PROJECT_ROOT))


def found_object(expected: ResponseRenderer, channel: str) -> str:
    return expected.render("utter_found_object", expected.context(tracker()), channel, {})["text"]


def fuzz(send: Callable[[Any], int], strategy: st.SearchStrategy[Any]) -> list[tuple[int, Any]]:
    """Send every example; return those answered with a 5xx (all of them, not one shrunk)."""
    failures: list[tuple[int, Any]] = []

    @FUZZ
    @given(strategy)
    def one(example: Any) -> None:
        status = send(example)
        if status >= 500:
            failures.append((status, example))

    one()
    return failures


def shown(failures: list[tuple[int, Any]]) -> str:
    return "\n".join(f"{status}: {example!r:.300}" for status, example in failures)


# ------------------------------------------------------------------------ tests


def test_rest_webhook_survives_hostile_bodies(webhooks, expected):
    failures = fuzz(webhooks.rest, REST_BODIES)
    assert not failures, shown(failures)
    assert webhooks.alive()
    body = json.dumps({"sender": new_sender("fuzz-after-rest"), "message": GRENADE["en"]}).encode()
    request = urllib.request.Request(
        f"{webhooks.url}/webhooks/rest/webhook", data=body, headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        replies = json.loads(response.read())
    assert [r["text"] for r in replies] == [found_object(expected, "rest")]


def test_telegram_webhook_survives_hostile_updates(webhooks, expected):
    failures = fuzz(webhooks.telegram_update, TELEGRAM_BODIES)
    assert not failures, shown(failures)
    assert webhooks.alive()
    chat_id = new_chat_id()
    update = {
        "update_id": 9_000_000_001,
        "message": {
            "message_id": 1,
            "date": 1700000000,
            "chat": {"id": chat_id, "type": "private"},
            "from": {"id": chat_id, "is_bot": False, "first_name": "A", "language_code": "en"},
            "text": GRENADE["en"],
        },
    }
    assert webhooks.telegram_update(json.dumps(update).encode()) == 200
    sent = wait_for(lambda: webhooks.telegram.sent_to(chat_id))
    assert [m["text"] for m in sent] == [found_object(expected, "telegram")]


def test_twilio_webhook_survives_hostile_signed_forms(webhooks, expected):
    failures = fuzz(webhooks.twilio, TWILIO_FORMS) + fuzz(webhooks.twilio_raw, RAW_FORMS)
    assert not failures, shown(failures)
    assert webhooks.alive()
    number = "+447700900991"
    form = {"From": number, "To": "+15550001111", "Body": GRENADE["en"], "MessageSid": "SM" + "f" * 32}
    assert webhooks.twilio(form) == 200
    assert wait_for(lambda: webhooks.gateway.bodies_to(number)) == [found_object(expected, "sms")]


def test_africastalking_webhook_survives_hostile_forms(webhooks, expected):
    encoded = AFRICASTALKING_FORMS.map(lambda form: urllib.parse.urlencode(form).encode())
    failures = fuzz(webhooks.africastalking, mostly(encoded, RAW_FORMS))
    assert not failures, shown(failures)
    assert webhooks.alive()
    number = "+447700900992"
    form = {"from": number, "to": "12345", "text": GRENADE["en"], "id": "AT-fuzz-after", "date": "now"}
    assert webhooks.africastalking(urllib.parse.urlencode(form).encode()) == 200
    assert wait_for(lambda: webhooks.gateway.bodies_to(number)) == [found_object(expected, "sms")]
