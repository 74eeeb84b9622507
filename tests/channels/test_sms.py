"""SMS channels end to end: the real Rasa server, our Twilio and Africa's Talking webhooks,
a local fake of both send APIs, requests signed exactly as Twilio signs them."""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, Optional

import pytest
import sqlalchemy as sa
from twilio.request_validator import RequestValidator

from bot.content.countries import load_profiles
from bot.i18n import SUPPORTED_LANGUAGES, LanguageDetector
from bot.nlg import ResponseContext, build_renderer
from bot.paths import project_paths
from bot.reports import store as reports_store
from bot.sms.compose import compose
from bot.sms.segments import count_segments
from bot.store.db import Database
from bot.store.pseudonym import Pseudonymizer
from tests.assistant import post_form
from tests.channels.fake_sms_gateway import FakeSmsGateway
from tests.channels.fake_telegram import wait_for
from tests.factories import GRENADE, PROJECT_ROOT, africastalking_credentials, twilio_credentials
from tests.servers import rasa_with_actions

pytestmark = pytest.mark.server

AUTH_TOKEN = "twilio-test-auth-token"
AT_KEY = "africas-talking-webhook-key-0123"
PUBLIC_URL = "https://bot.example.org/webhooks/twilio/webhook"
PROFILES = load_profiles(project_paths(PROJECT_ROOT).countries)
RENDERER = build_renderer(project_paths(PROJECT_ROOT))
# Twilio posts these for every sender and signs them, empty outside the US.
TWILIO_EMPTY_FIELDS = {
    "FromCity": "",
    "FromState": "",
    "FromZip": "",
    "ToCity": "",
    "ToState": "",
    "ToZip": "",
}

# One sender per country: (number, language, profile id)
SENDERS = {
    "cambodia": ("+85512345678", "km"),
    "ukraine": ("+380501234567", "uk"),
    "colombia": ("+573001234567", "es"),
    "lebanon": ("+9613123456", "ar"),
}


@dataclass
class SmsServer:
    base: str
    gateway: FakeSmsGateway
    tracker_db: Path
    _ids: int = 0

    def stored_events(self) -> dict[str, int]:
        """Events per conversation in the tracker store."""
        engine = sa.create_engine(f"sqlite:///{self.tracker_db}", future=True)
        with engine.connect() as connection:
            rows = connection.execute(sa.text("SELECT sender_id, count(*) FROM events GROUP BY sender_id"))
            counts = {str(sender): int(count) for sender, count in rows}
        engine.dispose()
        return counts

    def events_of(self, conversation: str) -> list[dict]:
        """The stored events of one conversation, oldest first."""
        engine = sa.create_engine(f"sqlite:///{self.tracker_db}", future=True)
        with engine.connect() as connection:
            rows = connection.execute(
                sa.text("SELECT data FROM events WHERE sender_id = :s ORDER BY id"), {"s": conversation}
            )
            events = [json.loads(data) for (data,) in rows]
        engine.dispose()
        return events

    def conversation_of(self, number: str) -> str:
        """The conversation id the channel gives `number` (its pseudonym, as `server_stack` keys it)."""
        return f"sms-{self.pseudonyms.of(number)[:32]}"

    @property
    def pseudonyms(self) -> Pseudonymizer:
        return Pseudonymizer(f"channel-test-pseudonym-key-{self.tracker_db.parent.name}".encode())

    def reports_of(self, number: str) -> list:
        """The hazard reports stored (app database of `server_stack`) for the conversation of `number`."""
        database = Database.from_url(f"sqlite:///{self.tracker_db.parent / 'app.db'}")
        try:
            with database.sessions.begin() as session:
                mine = self.pseudonyms.of(self.conversation_of(number))
                return [r for r in reports_store.list_reports(session) if r.conversation == mine]
        finally:
            database.dispose()

    def post(
        self, path: str, form: dict[str, str], headers: Optional[dict[str, str]] = None
    ) -> tuple[int, str]:
        return post_form(self.base + path, form, headers)

    def next_id(self) -> str:
        self._ids += 1
        return f"SM{self._ids:032d}"

    def twilio(
        self,
        sender: str,
        body: str,
        sid: Optional[str] = None,
        signature: Optional[str] = "sign",
        extra: Optional[dict[str, str]] = None,
    ) -> int:
        form = {"From": sender, "To": "+15550001111", "Body": body, "MessageSid": sid or self.next_id()}
        form.update(extra or {})
        headers = {}
        if signature == "sign":
            headers["X-Twilio-Signature"] = RequestValidator(AUTH_TOKEN).compute_signature(PUBLIC_URL, form)
        elif signature is not None:
            headers["X-Twilio-Signature"] = signature
        return self.post("/webhooks/twilio/webhook", form, headers)[0]

    def africastalking(self, sender: str, text: str, key: str = AT_KEY) -> int:
        form = {
            "from": sender,
            "to": "12345",
            "text": text,
            "id": self.next_id(),
            "date": "2026-11-27 10:00:00",
        }
        return self.post(f"/webhooks/africastalking/webhook?key={urllib.parse.quote(key)}", form)[0]

    def replies(self, number: str, count: int) -> list[str]:
        """Wait until `count` SMS went to `number`; return all of them."""
        return wait_for(lambda: (lambda b: b if len(b) >= count else None)(self.gateway.bodies_to(number)))

    def settled(self, number: str, marker: str, reply: str, gateway: str = "twilio") -> list[str]:
        """Send `marker` last and wait for its `reply`; every SMS sent to `number`, in order.

        One number's messages are answered one at a time in arrival order, so once the
        marker's reply is out, every earlier message has had all its replies: nothing
        more can come before it, and the list is complete up to the marker's reply.
        """
        before = self.gateway.bodies_to(number).count(reply)
        # Through the same gateway: order is kept per channel, as a number reaches us through one.
        assert (
            self.twilio(number, marker) if gateway == "twilio" else self.africastalking(number, marker)
        ) == 200
        return wait_for(
            lambda: (lambda b: b if b.count(reply) > before else None)(self.gateway.bodies_to(number))
        )


@pytest.fixture(scope="module")
def sms(tmp_path_factory) -> Iterator[SmsServer]:
    gateway = FakeSmsGateway().start()
    folder: Path = tmp_path_factory.mktemp("sms")
    credentials = twilio_credentials(AUTH_TOKEN, PUBLIC_URL, gateway.url) + africastalking_credentials(
        AT_KEY, gateway.url
    )
    try:
        with rasa_with_actions(folder, credentials) as url:
            yield SmsServer(url, gateway, folder / "tracker.db")
    finally:
        gateway.stop()


def language_of(text: str) -> str:
    return LanguageDetector.offline().detect(text).language


def expected_sms(key: str, language: str, country: str = "generic") -> str:
    """The SMS the assistant must send for response `key`, rendered and composed as the channel does."""
    rendered = RENDERER.render(key, ResponseContext(language, RENDERER.profile(country)), "sms", {})
    assert rendered is not None
    return compose(str(rendered["text"]), rendered.get("buttons") or [], 3).body


def fallbacks(key: str, language: str, country: str) -> set[str]:
    """What a wrong first answer would look like: "did not understand", or `key` left in English.

    `expected_sms` renders with the same catalogs as the server, so a missing translation
    would make both English and a plain equality pass: the English text is ruled out too.
    """
    wrong = {expected_sms("utter_default", language, country)}
    if language != "en":
        wrong.add(expected_sms(key, "en", country))
    return wrong


def send(sms: SmsServer, gateway: str, number: str, text: str) -> int:
    return sms.twilio(number, text) if gateway == "twilio" else sms.africastalking(number, text)


def new_number(country: str, serial: int) -> str:
    """A number of `country` nobody else in the suite uses."""
    prefix = {"cambodia": "+85512", "ukraine": "+38050", "colombia": "+57300", "lebanon": "+9613"}[country]
    digits = 6 if country == "lebanon" else 7
    return f"{prefix}{serial:0{digits}d}"


MATRIX = [
    (gateway, country, language)
    for gateway in ("twilio", "africastalking")
    for country in sorted(SENDERS)
    for language in SUPPORTED_LANGUAGES
]


@pytest.mark.parametrize(("gateway", "country", "language"), MATRIX)
def test_the_first_message_of_a_new_conversation_gets_the_safety_answer(sms, gateway, country, language):
    # Before: the channel wrote the country into a conversation Rasa had not started, so no
    # rule matched and the very first SMS got "Sorry, I did not understand".
    serial = 100 + MATRIX.index((gateway, country, language))
    number = new_number(country, serial)
    assert send(sms, gateway, number, GRENADE[language]) == 200
    answer = expected_sms("utter_found_object", language, country)
    assert answer not in fallbacks("utter_found_object", language, country)
    # The conversation is quiet once the marker's reply is out: nothing else came before it.
    marker = expected_sms("utter_help", language, country)
    assert sms.settled(number, "HELP", marker, gateway) == [answer, marker]


@pytest.mark.parametrize("gateway", ["twilio", "africastalking"])
@pytest.mark.parametrize("country", sorted(SENDERS))
def test_help_then_1_on_a_new_conversation(sms, gateway, country):
    number = new_number(country, 300 + 10 * sorted(SENDERS).index(country) + (gateway == "twilio"))
    language = SENDERS[country][1]
    assert send(sms, gateway, number, "HELP") == 200
    assert sms.replies(number, 1) == [expected_sms("utter_help", language, country)]
    assert send(sms, gateway, number, "1") == 200
    assert sms.replies(number, 2)[1:] == [expected_sms("utter_found_object", language, country)]


def test_the_first_message_after_stop_and_start_gets_its_answer(sms):
    number = new_number("ukraine", 400)
    sms.twilio(number, "STOP")
    sms.twilio(number, "START")
    sms.twilio(number, GRENADE["uk"])
    assert sms.replies(number, 3) == [
        expected_sms("utter_sms_stopped", "uk", "ukraine"),
        expected_sms("utter_sms_started", "uk", "ukraine"),
        expected_sms("utter_found_object", "uk", "ukraine"),
    ]


def test_stop_inside_a_report_ends_it_and_the_next_message_after_start_is_a_fresh_one(sms):
    # Before: STOP left the report form open; after START, "привіт" was taken as the description.
    number = new_number("ukraine", 410)

    def say(*keys: str) -> list[str]:
        return [expected_sms(key, "uk", "ukraine") for key in keys]

    sms.twilio(number, "HELP")
    assert sms.replies(number, 1) == say("utter_help")
    sms.twilio(number, "6")  # "Report danger"
    assert sms.replies(number, 3)[1:] == say("utter_report_safety_first", "utter_ask_hazard_type")
    sms.twilio(number, "1")  # "Mine"
    assert sms.replies(number, 4)[3:] == say("utter_ask_hazard_description")
    sms.twilio(number, "STOP")
    assert sms.replies(number, 5)[4:] == say("utter_sms_stopped")
    sms.twilio(number, "START")
    assert sms.replies(number, 6)[5:] == say("utter_sms_started")
    sms.twilio(number, "привіт")
    assert sms.replies(number, 8)[6:] == say("utter_greet", "utter_help")
    events = sms.events_of(sms.conversation_of(number))
    loops = [e.get("name") for e in events if e["event"] == "active_loop"]
    assert loops[-1] is None
    assert not any(
        e.get("name") == "hazard_description" and e.get("value") for e in events if e["event"] == "slot"
    )
    assert sms.reports_of(number) == []


def test_twilio_signed_empty_fields_are_accepted(sms):
    # Before: Sanic's request.form dropped the blank fields Twilio had signed: 403.
    number = new_number("colombia", 401)
    assert sms.twilio(number, GRENADE["es"], extra=TWILIO_EMPTY_FIELDS) == 200
    assert sms.replies(number, 1) == [expected_sms("utter_found_object", "es", "colombia")]


def test_twilio_mms_without_text_gets_the_menu(sms):
    number = new_number("lebanon", 402)
    media = {
        "NumMedia": "1",
        "MediaUrl0": "https://api.twilio.com/media/1",
        "MediaContentType0": "image/jpeg",
    }
    assert sms.twilio(number, "", extra={**TWILIO_EMPTY_FIELDS, **media}) == 200
    assert sms.replies(number, 1) == [expected_sms("utter_help", "ar", "lebanon")]


@pytest.mark.parametrize("typed", ["/restart", '/report_hazard{"hazard_place": "typed-payload-place"}'])
def test_a_typed_payload_is_text_not_a_command(sms, typed):
    number = new_number("cambodia", 403 + len(typed))
    before = set(sms.stored_events())
    sms.twilio(number, GRENADE["km"])
    sms.twilio(number, typed)
    sms.replies(number, 2)
    (conversation,) = set(sms.stored_events()) - before
    events = sms.events_of(conversation)
    # Read as words: no restart, no slot set from the typed entities.
    assert [e["text"] for e in events if e["event"] == "user"] == [GRENADE["km"], typed.lstrip("/")]
    assert "restart" not in [e["event"] for e in events]
    assert all(e.get("value") != "typed-payload-place" for e in events if e["event"] == "slot")


@pytest.mark.parametrize("signature", [None, "bad", "c2lnbmF0dXJl"])
def test_twilio_without_a_valid_signature_is_refused(sms, signature):
    number = "+85510000001"
    assert sms.twilio(number, "hello", signature=signature) == 403
    assert sms.gateway.bodies_to(number) == []


def test_twilio_signature_over_other_fields_is_refused(sms):
    form = {"From": "+85510000002", "Body": "hello", "MessageSid": sms.next_id()}
    signature = RequestValidator(AUTH_TOKEN).compute_signature(PUBLIC_URL, {**form, "Body": "other"})
    assert sms.post("/webhooks/twilio/webhook", form, {"X-Twilio-Signature": signature})[0] == 403


def test_africastalking_without_the_key_is_refused(sms):
    assert sms.africastalking("+85510000003", "hello", key="wrong-key-wrong-key") == 403
    form = {"from": "+85510000003", "to": "1", "text": "hi", "id": "x1", "date": "now"}
    assert sms.post("/webhooks/africastalking/webhook", form)[0] == 403


@pytest.mark.parametrize("country", sorted(SENDERS))
def test_each_country_gets_its_language_and_numbers(sms, country):
    number, language = SENDERS[country]
    assert sms.twilio(number, GRENADE[language]) == 200
    reply = "\n".join(sms.replies(number, 1))
    assert language_of(reply) == language
    numbers = PROFILES[country].placeholders()
    assert numbers.get("emergency_number") and numbers["emergency_number"] in reply


def test_safety_answer_fits_the_budget_as_sent(sms):
    number = "+380501230000"
    sms.twilio(number, GRENADE["uk"])
    for body in sms.replies(number, 1):
        assert count_segments(body).segments <= 3


def test_numbered_menu_round_trip(sms):
    number = "+85512340001"
    sms.twilio(number, "HELP")
    menu = sms.replies(number, 1)[-1]
    assert "\n1 " in menu and "\n2 " in menu
    assert count_segments(menu).segments <= 3
    first_option = menu.split("\n1 ", 1)[1].split("\n", 1)[0]
    sms.twilio(number, "1")
    answer = sms.replies(number, 2)[-1]
    assert answer != menu and first_option not in answer.split("\n", 1)[0]


def test_stop_then_nothing_then_start(sms):
    # Before: the test waited for two SMS and looked for "START" inside the STOP confirmation,
    # so an answer to the message sent while opted out passed as the START confirmation.
    number = "+9613000001"
    sms.twilio(number, "STOP")
    sms.twilio(number, "وجدت لغما في الحقل")  # would normally get a safety answer
    sms.twilio(number, "START")
    answer = expected_sms("utter_found_object", "ar", "lebanon")
    # Only the STOP confirmation, then the START one: the message in between got nothing.
    assert sms.settled(number, GRENADE["ar"], answer) == [
        expected_sms("utter_sms_stopped", "ar", "lebanon"),
        expected_sms("utter_sms_started", "ar", "lebanon"),
        answer,
    ]


@pytest.mark.parametrize(
    ("alias", "language", "number"),
    [
        ("AIDE", "fr", "+33612345601"),
        ("ayuda", "es", "+573001230001"),
        ("ДОПОМОГА", "uk", "+380501230001"),
        ("مساعدة", "ar", "+9613000002"),
        ("ជំនួយ", "km", "+85512340002"),
    ],
)
def test_help_alias_in_each_language_shows_the_menu_in_it(sms, alias, language, number):
    sms.twilio(number, alias)
    menu = sms.replies(number, 1)[-1]
    assert "\n1 " in menu
    assert language_of(menu) == language


def test_local_stop_alias_opts_out(sms):
    number = "+33612345602"
    sms.twilio(number, "Arrêt")
    sms.twilio(number, "J'ai trouvé une mine")  # opted out: no answer
    sms.twilio(number, "oui")  # a START alias while opted out
    answer = expected_sms("utter_found_object", "fr")
    assert sms.settled(number, GRENADE["fr"], answer) == [
        expected_sms("utter_sms_stopped", "fr"),
        expected_sms("utter_sms_started", "fr"),
        answer,
    ]


def test_duplicate_message_sid_is_answered_once(sms):
    # Before: the test waited for two SMS and counted them, so a second answer to the
    # duplicate, sent before the marker's reply, passed as the marker's reply.
    number = "+380501230002"
    sid = sms.next_id()
    for _ in range(3):
        assert sms.twilio(number, GRENADE["uk"], sid=sid) == 200
    menu = expected_sms("utter_help", "uk", "ukraine")
    assert sms.settled(number, "ДОПОМОГА", menu) == [
        expected_sms("utter_found_object", "uk", "ukraine"),
        menu,
    ]


def test_three_messages_at_once_from_one_number_are_answered_in_order(sms):
    # Posted back to back: each is acknowledged before its turn runs, so the three wait for
    # the number together, and "1" means the first option only if HELP was answered first.
    number = "+380501230010"
    for text in ("HELP", "1", "ДОПОМОГА"):
        assert sms.twilio(number, text) == 200
    menu = expected_sms("utter_help", "uk", "ukraine")
    sent = wait_for(lambda: (lambda b: b if b.count(menu) == 2 else None)(sms.gateway.bodies_to(number)))
    assert sent == [menu, expected_sms("utter_found_object", "uk", "ukraine"), menu]


def test_empty_body_gets_the_menu(sms):
    number = "+85512340003"
    assert sms.twilio(number, "   ") == 200
    assert "\n1 " in sms.replies(number, 1)[-1]


def test_two_thousand_characters_are_answered(sms):
    number = "+573001230002"
    assert sms.twilio(number, ("Encontré una granada en el camino. " * 60)[:2000]) == 200
    assert sms.replies(number, 1)


@pytest.mark.parametrize("sender", ["12", "not a number", "+999123"])
def test_invalid_sender_number_is_a_400(sms, sender):
    assert sms.twilio(sender, "hello") == 400


def test_missing_fields_or_not_a_form_is_a_400(sms):
    form = {"From": "+85510000009", "MessageSid": sms.next_id()}
    signature = RequestValidator(AUTH_TOKEN).compute_signature(PUBLIC_URL, form)
    assert sms.post("/webhooks/twilio/webhook", form, {"X-Twilio-Signature": signature})[0] == 400
    form = {"from": "+85510000009", "to": "1", "id": "x2"}
    assert sms.post(f"/webhooks/africastalking/webhook?key={AT_KEY}", form)[0] == 400


def test_africastalking_round_trip_with_key_in_the_path(sms):
    number = "+85512340004"
    form = {"from": number, "to": "12345", "text": GRENADE["km"], "id": sms.next_id(), "date": "now"}
    assert sms.post(f"/webhooks/africastalking/webhook/{AT_KEY}", form)[0] == 200
    reply = sms.replies(number, 1)[-1]
    assert language_of(reply) == "km"
    sent = [m for m in sms.gateway.sent if m["to"] == number][-1]
    assert sent["api"] == "africastalking" and sent["headers"].get("apiKey") == "at-api-key"


def test_gateway_failures_are_retried_until_delivered(sms):
    number = "+380501230003"
    sms.gateway.fail_next = 2
    before = sms.gateway.failures
    sms.twilio(number, GRENADE["uk"])
    assert sms.replies(number, 1)
    assert sms.gateway.failures == before + 2


def test_hazard_report_form_by_numbers(sms):
    number = "+447700900123"  # no country profile: English, the generic numbers
    sms.twilio(number, "HELP")
    menu = sms.replies(number, 1)[-1]
    report = next(line.split(" ", 1)[0] for line in menu.splitlines() if line.endswith(" Report danger"))
    sms.twilio(number, report)
    question = sms.replies(number, 3)[-1]  # the safety reminder, then what was seen
    assert "\n1 Mine" in question and count_segments(question).segments <= 3
    sms.twilio(number, "1")
    following = sms.replies(number, 4)[-1]
    assert "\n1 Mine" not in following and count_segments(following).segments <= 3
    sms.twilio(number, "cancel")
    assert len(sms.replies(number, 5)) == 5


def test_delete_keyword_erases_the_conversation_after_confirmation(sms):
    number = "+573001230009"
    before = sms.stored_events()
    sms.twilio(number, GRENADE["es"])
    sms.replies(number, 1)
    ours = set(sms.stored_events()) - set(before)
    assert len(ours) == 1  # one conversation, stored under a pseudonym, never the number
    (conversation,) = ours
    assert number not in conversation and number.lstrip("+") not in conversation
    sms.twilio(number, "BORRAR")
    confirm = sms.replies(number, 2)[-1]
    assert "\n1 " in confirm and "\n2 " in confirm
    sms.twilio(number, "1")
    sms.replies(number, 3)
    assert conversation not in sms.stored_events()


def test_a_body_over_the_servers_cap_is_refused_unread(sms):
    import http.client

    host, port = urllib.parse.urlsplit(sms.base).netloc.split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=30)
    connection.putrequest("POST", "/webhooks/twilio/webhook")
    connection.putheader("Content-Type", "application/x-www-form-urlencoded")
    connection.putheader("Content-Length", str(5 * 1024 * 1024))
    connection.endheaders()  # no body sent: the server must answer from the headers alone
    assert connection.getresponse().status == 413
    connection.close()
