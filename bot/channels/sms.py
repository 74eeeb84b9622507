"""SMS channels for basic phones, served by the Rasa server.

`/webhooks/twilio/webhook` and `/webhooks/africastalking/webhook` (registered in
credentials.yml as `bot.channels.sms.TwilioInput` / `AfricasTalkingInput`).

Inbox before answer: an authentic message is stored in the inbox (bot.inbox)
before the webhook is acknowledged; the conversation turn and the replies
(through the gateway's send API, retried) run in the background, and the row is
marked done once the gateway has taken the replies. Rows left unfinished by a
crash are processed when the server starts again; a retried delivery of a
stored message is ignored.

The sender's country is a channel hint in the message metadata; the
conversation's language and country are decided by `bot.conversation` alone.
Per number, durably and only under a pseudonym: opt-out (STOP/START) and the
last numbered menu (so "2" means its second option).
"""

from __future__ import annotations

import asyncio
import functools
import logging
from dataclasses import dataclass
from typing import Any, Awaitable, Callable, Coroutine, Dict, Mapping, Optional
from urllib.parse import parse_qsl

import phonenumbers
from rasa.core.channels.channel import CollectingOutputChannel, InputChannel, UserMessage
from rasa.shared.core.events import UserUttered
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.channels.inbound import PayloadGate, clean_text
from bot.channels.support import KeyedLocks, SharedSession, TrackedTasks
from bot.content.countries import CountryProfile, load_profiles
from bot.conversation import COUNTRY_HINT_KEY, decide, slots_of
from bot.i18n import LANGUAGE_HINT_KEYS
from bot.inbox.leases import InboxLease, process_owner
from bot.inbox.replay import replies_already_made
from bot.inbox.store import SENDING, InboxItem, InboxStore, Sealer
from bot.nlg import ResponseContext, ResponseRenderer, build_renderer
from bot.outreach.subscriptions import address_sealer, stop_alerts, with_address
from bot.paths import ProjectPaths, project_paths
from bot.settings import DEFAULT_INBOX_LEASE_SECONDS, load_settings
from bot.sms import DEFAULT_SEGMENT_BUDGET, SMS_OUTPUT_CHANNEL
from bot.sms.budget import more_title
from bot.sms.compose import MORE_PAYLOAD, OutgoingSms, compose
from bot.sms.gateways import (
    AfricasTalking,
    BadWebhookError,
    FormFields,
    Gateway,
    InboundSms,
    SendRefusedError,
    gateway_from_credentials,
)
from bot.sms.keywords import PAYLOADS, Keywords
from bot.sms.menu import choose
from bot.sms.segments import count_segments
from bot.sms.senders import parse_sender, profile_for_sender
from bot.sms.store import SmsStore, sms_conversation
from bot.store.db import Database
from bot.store.guard import StoreGuard
from bot.store.pseudonym import Pseudonymizer, load_key

logger = logging.getLogger(__name__)

# Longer bodies are cut here before understanding (a concatenated SMS is at most ~1,600 characters).
MAX_BODY_CHARS = 1600
STOPPED_RESPONSE = "utter_sms_stopped"
STARTED_RESPONSE = "utter_sms_started"
EMPTY_MESSAGE_PAYLOAD = "/help"
# STOP also ends whatever the conversation had under way (a report, a search, a question),
# as "cancel" would, so nothing half-typed is stored after START; its replies are not sent.
STOP_PAYLOAD = "/cancel"
# The opt-out never waits for the conversation: it is confirmed first, then the form is
# closed within this time, or left as it is when Rasa is slow or down.
STOP_TURN_TIMEOUT_S = 20.0
MAX_CONCURRENT_TURNS = 16


class SmsOutput(CollectingOutputChannel):
    """Collects a turn's replies; the channel sends them as SMS once the turn is over."""

    @classmethod
    def name(cls) -> str:
        """ "sms": the NLG then picks `channel: sms` variations."""
        return SMS_OUTPUT_CHANNEL


@dataclass
class SmsServices:
    """What the SMS channel reads and keeps, built once when the server starts."""

    database: Database
    store: SmsStore
    inbox: InboxStore
    pseudonyms: Pseudonymizer
    profiles: Mapping[str, CountryProfile]
    keywords: Keywords
    renderer: ResponseRenderer
    gate: PayloadGate
    # Answering matters more than SMS bookkeeping: with the database down or hanging a message
    # may be answered twice, or a menu number read as text, but it is still answered at once.
    guard: StoreGuard
    # The webhook's inbox insert, on threads of its own so a burst's bookkeeping never delays it.
    intake: StoreGuard
    # This run's name among the replicas sharing the inbox, and how long it holds what it accepts.
    owner: str = ""
    lease_seconds: float = DEFAULT_INBOX_LEASE_SECONDS

    @functools.cached_property
    def addresses(self) -> Sealer:
        """The sealer of numbers for alert subscriptions and the outbox (bot.outreach)."""
        return address_sealer(self.pseudonyms)

    def stop_alerts(self, conversation: str) -> bool:
        """STOP: the number's alert subscription is deleted and its queued messages stopped."""
        return stop_alerts(self.database, self.pseudonyms, self.pseudonyms.of(conversation))

    @classmethod
    def for_project(
        cls,
        paths: ProjectPaths,
        database: Optional[Database] = None,
        pseudonyms: Optional[Pseudonymizer] = None,
    ) -> SmsServices:
        """Factory: the app database, the pseudonym key, profiles, keywords, the response renderer."""
        settings = load_settings()
        database = database or Database.for_project(paths, settings)
        pseudonyms = pseudonyms or Pseudonymizer(load_key(paths.var, settings))
        return cls(
            database=database,
            store=SmsStore(database),
            inbox=InboxStore.sealed_with(database, pseudonyms),
            pseudonyms=pseudonyms,
            profiles=load_profiles(paths.countries),
            keywords=Keywords.load(paths.sms_keywords),
            renderer=build_renderer(paths),
            gate=PayloadGate.for_project(paths),
            guard=StoreGuard("SMS state (app database)"),
            intake=StoreGuard("SMS inbox (app database)"),
            owner=process_owner(settings.scale.replica_name),
            lease_seconds=settings.scale.inbox_lease_seconds,
        )


def clean_body(body: str) -> str:
    """The message as understood: NFC, control and surrogate characters out, at most MAX_BODY_CHARS."""
    return clean_text(body, MAX_BODY_CHARS)


def e164(number: str) -> Optional[str]:
    """The sender's number as +<country><number>, or None when it is not a phone number."""
    parsed = parse_sender(number)
    if parsed is None:
        return None
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def raw_form(request: Request) -> Optional[list[tuple[str, str]]]:
    """The posted form as sent, blank values and repeated names kept; None when it cannot be read."""
    content_type = request.headers.get("content-type", "")
    if content_type and not content_type.startswith("application/x-www-form-urlencoded"):
        return None
    try:
        return parse_qsl((request.body or b"").decode("utf-8"), keep_blank_values=True)
    except (UnicodeDecodeError, ValueError):
        return None


def first_values(fields: FormFields) -> dict[str, str]:
    """Each field's first value (what the gateway adapters parse)."""
    form: dict[str, str] = {}
    for name, value in fields:
        form.setdefault(name, value)
    return form


class SmsInput(InputChannel):
    """Shared webhook handling; subclasses say which gateway and how to acknowledge."""

    gateway_name = ""

    @classmethod
    def name(cls) -> str:
        """URL prefix and input channel name: the gateway's name."""
        return cls.gateway_name

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[str, Any]]) -> InputChannel:
        """Build from the credentials entry (gateway keys, api_url, segment_budget)."""
        if not credentials:
            cls.raise_missing_credentials_exception()
        assert credentials is not None
        budget = int(credentials.get("segment_budget") or DEFAULT_SEGMENT_BUDGET)
        return cls(gateway_from_credentials(cls.gateway_name, credentials), budget)

    def __init__(
        self,
        gateway: Gateway,
        segment_budget: int = DEFAULT_SEGMENT_BUDGET,
        services: Optional[SmsServices] = None,
    ) -> None:
        self.gateway = gateway
        self.segment_budget = max(1, segment_budget)
        self._services = services
        self._tasks = TrackedTasks(f"SMS ({gateway.name})")
        # Messages of one conversation are handled one at a time, in arrival order ("1" after its menu).
        self._locks: KeyedLocks[str] = KeyedLocks()
        # One connection pool to the gateway's send API for the process, not one per message.
        self._http = SharedSession()
        # Understanding is CPU-bound: more turns at once only lengthen every queue behind them.
        self._turns = asyncio.Semaphore(MAX_CONCURRENT_TURNS)
        # Inbox keys being handled here, so a row taken over is never handled twice at once.
        self._handling: set[str] = set()
        self._lease: Optional[InboxLease] = None

    @property
    def services(self) -> SmsServices:
        """Built when the server starts (or on first use outside a server, e.g. the simulator)."""
        if self._services is None:
            self._services = SmsServices.for_project(project_paths())
        return self._services

    def acknowledge(self) -> HTTPResponse:
        """What the gateway expects back at once (the replies go through its send API)."""
        return response.text("", status=200)

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        """Routes: GET / (health), POST /webhook (and /webhook/<key> for URL-keyed gateways)."""
        hook = Blueprint(f"{self.name()}_webhook", __name__)

        @hook.listener("before_server_start")
        async def prepare(app: Any, _loop: Any) -> None:
            # Everything a message needs is built before the first message (the schema is
            # migrated by `bot serve` and the ops channel, once, under a lock).
            await asyncio.to_thread(lambda: self.services)

        @hook.listener("after_server_start")
        async def recover(app: Any, _loop: Any) -> None:
            await self.recover(on_new_message, app.ctx.agent)

        @hook.listener("after_server_stop")
        async def close(_app: Any, _loop: Any) -> None:
            await self.close()

        @hook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        async def receive(request: Request, key: str = "") -> HTTPResponse:
            fields = raw_form(request)
            if fields is None:
                return response.json({"error": "body is not a URL-encoded UTF-8 form"}, status=400)
            if not self.gateway.authentic(request.url, fields, request.headers):
                return response.json({"error": "request not signed by the gateway"}, status=403)
            try:
                inbound = self.gateway.parse(first_values(fields))
            except BadWebhookError as error:
                return response.json({"error": str(error)}, status=400)
            number = e164(inbound.sender)
            if number is None:
                return response.json({"error": "sender is not a valid phone number"}, status=400)
            item = self.inbox_item(inbound, number)
            # Stored before the acknowledgement: what the gateway hands over is never lost.
            accepted = await self.accept(item)
            if accepted is False:  # a retried delivery of a message already stored
                return self.acknowledge()
            self._spawn(self.handle(item, on_new_message, request.app.ctx.agent, durable=bool(accepted)))
            return self.acknowledge()

        hook.add_route(receive, "/webhook", methods=["POST"])
        hook.add_route(receive, "/webhook/<key>", methods=["POST"], name="webhook_keyed")
        return hook

    def inbox_item(self, inbound: InboundSms, number: str) -> InboxItem:
        """The inbox row of an accepted SMS: pseudonymous conversation, the channel's hints."""
        services = self.services
        text = clean_body(inbound.body)
        metadata: dict[str, str] = {}
        profile = profile_for_sender(number, services.profiles)
        if profile is not None:
            metadata[COUNTRY_HINT_KEY] = profile.id
        found = services.keywords.match(text) if text else None
        if found and found.language:  # a local keyword ("AIDE") tells the language
            metadata[LANGUAGE_HINT_KEYS[0]] = found.language
        return InboxItem(
            channel=inbound.gateway,
            message_id=inbound.message_id,
            # The conversation is stored under the pseudonym, never the number.
            conversation=sms_conversation(services.pseudonyms.of(number)),
            reply_to=number,
            text=text,
            metadata=metadata,
        )

    async def accept(self, item: InboxItem) -> Optional[bool]:
        """Store an accepted SMS, held by this run: True, False (stored before, here or by another
        replica), or None (the database is down: answered anyway, without the inbox)."""
        services = self.services
        return await services.intake.call(
            None, services.inbox.accept, item, services.owner, services.lease_seconds
        )

    async def recover(self, on_new_message: Callable[[UserMessage], Awaitable[Any]], agent: Any) -> None:
        """Answer the SMS accepted but not finished by this replica's former run or by a replica
        that died, oldest first, and keep doing so (bot.inbox.leases)."""
        services = self.services
        if self._lease is not None:
            return

        def resume(item: InboxItem) -> None:
            if item.reply_to and item.key not in self._handling:
                self._spawn(self.handle(item, on_new_message, agent, durable=True, recovering=True))

        self._lease = InboxLease(
            services.inbox, self.gateway.name, services.owner, services.lease_seconds, services.guard, resume
        )
        await self._lease.start()

    def _spawn(self, coroutine: Coroutine[Any, Any, None]) -> None:
        self._tasks.spawn(coroutine)

    async def close(self) -> None:
        """At server stop: stop renewing leases, close the connections to the gateway's send API."""
        if self._lease is not None:
            await self._lease.stop()
            self._lease = None
        await self._http.close()

    async def handle(
        self,
        item: InboxItem,
        on_new_message: Callable[[UserMessage], Awaitable[Any]],
        agent: Any,
        durable: bool = False,
        recovering: bool = False,
    ) -> None:
        """Handle one accepted SMS (in order per conversation) and send the replies."""
        self._handling.add(item.key)
        try:
            async with self._locks.hold(item.conversation), self._turns:  # in arrival order, per conversation
                await Turn(self, item, on_new_message, agent, durable, recovering).run()
        except Exception as error:  # one failed conversation must not stop the others
            # The row stays unfinished: answered after the next start, or by another replica
            # if this one dies.
            logger.error(
                "Could not handle an SMS (%s %s): %s",
                item.channel,
                item.message_id,
                type(error).__name__,
                exc_info=error,
            )
        finally:
            self._handling.discard(item.key)

    async def send_all(self, number: str, messages: list[OutgoingSms]) -> bool:
        """Send each SMS in order; False when one could not be handed to the gateway (worth a retry)."""
        delivered = True
        session = self._http.get()
        for sms in messages:
            if not sms.fits:
                logger.warning("An SMS of %d segments is over the budget", sms.cost.segments)
            try:
                await self.gateway.send(session, number, sms.body)
            except SendRefusedError as error:  # final: retrying would be refused again
                logger.error("SMS refused by %s: %s", self.gateway.name, error)
            except Exception as error:
                logger.error("SMS not delivered by %s: %s", self.gateway.name, error)
                delivered = False
        return delivered

    def get_output_channel(self) -> Optional[SmsOutput]:
        """Messages Rasa sends on its own are collected, not sent (no number to send to)."""
        return None


class Turn:
    """One accepted SMS: keywords, opt-out, menu numbers, then the assistant's reply."""

    def __init__(
        self,
        channel: SmsInput,
        item: InboxItem,
        on_new_message: Callable[[UserMessage], Awaitable[Any]],
        agent: Any,
        durable: bool,
        recovering: bool,
    ) -> None:
        self.channel = channel
        self.services = channel.services
        self.item = item
        self.number = item.reply_to
        self.text = item.text
        self.metadata = dict(item.metadata)
        self.on_new_message = on_new_message
        self.agent = agent
        self.durable = durable
        self.recovering = recovering
        self.key = self.services.pseudonyms.of(self.number)
        self.sender_id = item.conversation
        self.guard = self.services.guard
        self.stopping = False

    async def run(self) -> None:
        """Handle the message, send the replies, then mark the inbox row done."""
        inbox = self.services.inbox
        outgoing = await self._answer()
        if self.durable:
            await self.guard.call(None, inbox.sending, self.item)
        delivered = await self.channel.send_all(self.number, outgoing) if outgoing else True
        if self.stopping:  # after the confirmation went, before the row is done (a crash: again)
            await self._end_what_was_under_way()
        if self.durable and delivered:
            await self.guard.call(None, inbox.finish, self.item)

    async def _answer(self) -> list[OutgoingSms]:
        """What to send: a confirmation, nothing (opted out), or the assistant's reply."""
        store = self.services.store
        found = self.services.keywords.match(self.text) if self.text else None
        keyword = found.keyword if found else None
        self.stopping = keyword == "stop"
        if await self.guard.call(False, store.opted_out, self.key):
            if keyword == "start":
                await self.guard.call(None, store.set_opted_out, self.key, False)
                return await self._confirmation(STARTED_RESPONSE)
            logger.info("SMS from an opted-out number: nothing sent")
            return []
        if self.stopping:
            await self.guard.call(None, store.set_opted_out, self.key, True)
            # No more alerts, and nothing of a campaign still queued for the number.
            await self.guard.call(False, self.services.stop_alerts, self.sender_id)
            # A number typed after START answers nothing from before STOP.
            await self.guard.call(None, store.save_menu, self.key, [], [])
            return await self._confirmation(STOPPED_RESPONSE)
        replies = await self._replies_made_before() if self.recovering else None
        meaning = await self._meaning(keyword) if replies is None else ""
        if meaning == MORE_PAYLOAD:  # the next page of the last message: no turn of its own
            return await self._next_page()
        if replies is None:
            replies = await self._turn(meaning)
        return await self._compose(replies)

    async def _meaning(self, keyword: Optional[str]) -> str:
        """A menu number becomes its option's payload, a keyword its request; else the text."""
        if not self.text:
            return EMPTY_MESSAGE_PAYLOAD
        menu: list[str] = await self.guard.call(list[str](), self.services.store.last_menu, self.key)
        chosen = choose(self.text, menu)
        if chosen:
            return chosen
        if keyword in PAYLOADS:
            return PAYLOADS[keyword]
        # A typed "/restart" or "/report_hazard{...}" is text: only buttons give payloads.
        return self.services.gate.admit(self.text)

    async def _replies_made_before(self) -> Optional[list[Dict[str, Any]]]:
        """After a crash: the replies already made to this message (bot.inbox.replay), if any."""
        replies = await replies_already_made(self.agent.tracker_store, self.sender_id, self.item.key)
        if replies is not None and self.item.status == SENDING:
            logger.warning("SMS %s may have been answered before the restart: sent again", self.item.key)
        return replies

    async def _context(self) -> ResponseContext:
        """The conversation's language and country (read, never written, from its tracker)."""
        try:
            tracker = await self.agent.tracker_store.retrieve(self.sender_id)
        except Exception as error:  # STOP and START are confirmed even with the tracker store down
            logger.error("SMS: conversation not read (%s): deciding from this message", type(error).__name__)
            tracker = None
        events = tracker.events if tracker is not None else []
        messages = [(e.text, e.metadata) for e in events if isinstance(e, UserUttered)]
        messages.append((self.text, self.metadata))
        renderer = self.services.renderer
        slots = slots_of(tracker.get_slot) if tracker else {}
        decided = decide(slots, messages, renderer.profiles, renderer.detector)
        return ResponseContext(decided.language, decided.profile)

    async def _confirmation(self, response_key: str) -> list[OutgoingSms]:
        """One confirmation in the conversation's language."""
        context = await self._context()
        rendered = self.services.renderer.render(response_key, context, SMS_OUTPUT_CHANNEL, {})
        if not rendered or not rendered.get("text"):
            return []
        return [compose(str(rendered["text"]), [], self.channel.segment_budget)]

    async def _next_page(self) -> list[OutgoingSms]:
        """The next page of the last message ("More"); the menu if the pages were lost meanwhile."""
        saved = await self.guard.call(None, self.services.store.saved_menu, self.key)
        pages = saved[1] if saved else []
        if not pages:
            return await self._compose(await self._turn(EMPTY_MESSAGE_PAYLOAD))
        page = stored_page(pages[0], self.channel.segment_budget)
        await self.guard.call(None, self.services.store.save_menu, self.key, page.payloads, pages[1:])
        return [page]

    async def _end_what_was_under_way(self) -> None:
        """STOP: end any open form or question through a cancel turn whose replies are not sent."""
        try:
            # Its own message id: a replay of the STOP row never takes the cancel's replies for its own.
            turn = self._turn(STOP_PAYLOAD, message_id=f"{self.item.key}/stop")
            await asyncio.wait_for(turn, STOP_TURN_TIMEOUT_S)
        except Exception as error:  # the opt-out is kept and confirmed: only the form stays open
            logger.error("STOP: the conversation could not be closed (%s)", type(error).__name__)

    async def _turn(self, meaning: str, message_id: Optional[str] = None) -> list[Dict[str, Any]]:
        """The assistant's replies to `meaning` (text or payload)."""
        collector = SmsOutput()
        await self.on_new_message(
            UserMessage(
                meaning,
                collector,
                self.sender_id,
                input_channel=self.channel.name(),
                # The number, sealed, for an alert subscription (bot.outreach.subscriptions).
                metadata=with_address(self.metadata, self.services.addresses, self.number),
                # The inbox row's key, so a replay after a crash finds the replies already made.
                message_id=message_id or self.item.key,
            )
        )
        return collector.messages

    async def _compose(self, messages: list[Dict[str, Any]]) -> list[OutgoingSms]:
        """The replies as SMS: a message too long for the budget is sent in pages; the last
        message's further pages wait for "More", an earlier message's are all sent now."""
        budget = self.channel.segment_budget
        parts = [(str(m.get("text") or ""), m.get("buttons") or []) for m in messages]
        parts = [(text, buttons) for text, buttons in parts if text or buttons]
        more: Optional[str] = None
        if any(compose(text, buttons, budget).more for text, buttons in parts[-1:]):
            more = more_title(self.services.renderer, await self._context())
        outgoing: list[OutgoingSms] = []
        for index, (text, buttons) in enumerate(parts):
            if index == len(parts) - 1:
                outgoing.append(compose(text, buttons, budget, more))
            else:
                outgoing.extend(compose(text, buttons, budget).pages)
        menus = [sms.payloads for sms in outgoing if sms.payloads]
        pending = [{"body": p.body, "payloads": p.payloads} for p in outgoing[-1].more] if outgoing else []
        store = self.services.store
        await self.guard.call(None, store.save_menu, self.key, menus[-1] if menus else [], pending)
        return outgoing


def stored_page(page: Mapping[str, Any], budget: int) -> OutgoingSms:
    """A page kept for "More" as an SMS to send."""
    body = str(page.get("body") or "")
    payloads = [str(p) for p in page.get("payloads") or []]
    cost = count_segments(body)
    return OutgoingSms(body, payloads, cost, 0, cost.segments <= budget)


class TwilioInput(SmsInput):
    """Twilio: /webhooks/twilio/webhook, X-Twilio-Signature checked against `public_url`."""

    gateway_name = "twilio"

    def acknowledge(self) -> HTTPResponse:
        """An empty TwiML response: nothing is sent inline (replies go through the REST API)."""
        return response.text('<?xml version="1.0" encoding="UTF-8"?><Response/>', content_type="text/xml")


class AfricasTalkingInput(SmsInput):
    """Africa's Talking: /webhooks/africastalking/webhook?key=... (or .../webhook/<key>)."""

    gateway_name = AfricasTalking.name
