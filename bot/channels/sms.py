"""SMS channels for basic phones, served by the Rasa server.

`/webhooks/twilio/webhook` and `/webhooks/africastalking/webhook` (registered in
credentials.yml as `bot.channels.sms.TwilioInput` / `AfricasTalkingInput`). The
webhook is answered at once; the conversation turn and the replies (through the
gateway's send API, retried) run in the background.

Per number, durably and only under a pseudonym: opt-out (STOP/START), the last
numbered menu (so "2" means its second option) and delivered message ids.
"""

from __future__ import annotations

import asyncio
import logging
import unicodedata
from dataclasses import dataclass
from typing import Any, Awaitable, Callable, Dict, Mapping, Optional, Set, TypeVar

import aiohttp
import phonenumbers
from rasa.core.channels.channel import CollectingOutputChannel, InputChannel, UserMessage
from rasa.shared.core.events import SlotSet, UserUttered
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse
from sqlalchemy.exc import SQLAlchemyError

from bot.content.countries import CountryProfile, load_profiles
from bot.paths import ProjectPaths, project_paths
from bot.sms import DEFAULT_SEGMENT_BUDGET, SMS_OUTPUT_CHANNEL
from bot.sms.compose import OutgoingSms, compose
from bot.sms.gateways import AfricasTalking, BadWebhookError, Gateway, InboundSms, gateway_from_credentials
from bot.sms.keywords import PAYLOADS, Keywords
from bot.sms.menu import choose
from bot.sms.senders import parse_sender, profile_for_sender
from bot.sms.store import SmsStore
from bot.store.db import Database
from bot.store.pseudonym import Pseudonymizer, load_key

logger = logging.getLogger(__name__)
T = TypeVar("T")

# Longer bodies are cut here before understanding (a concatenated SMS is at most ~1,600 characters).
MAX_BODY_CHARS = 1600
COUNTRY_SLOT = "country"
STOPPED_RESPONSE = "utter_sms_stopped"
STARTED_RESPONSE = "utter_sms_started"
EMPTY_MESSAGE_PAYLOAD = "/help"


class SmsOutput(CollectingOutputChannel):
    """Collects a turn's replies; the channel sends them as SMS once the turn is over."""

    @classmethod
    def name(cls) -> str:
        """ "sms": the NLG then picks `channel: sms` variations."""
        return SMS_OUTPUT_CHANNEL


@dataclass
class SmsServices:
    """What the SMS channel reads and keeps, built once on first use (no I/O at start-up)."""

    store: SmsStore
    pseudonyms: Pseudonymizer
    profiles: Mapping[str, CountryProfile]
    keywords: Keywords

    @classmethod
    def for_project(cls, paths: ProjectPaths) -> SmsServices:
        """Factory: the app database (migrated on first use), the pseudonym key, profiles, keywords."""
        return cls(
            store=SmsStore(Database.for_project(paths)),
            pseudonyms=Pseudonymizer(load_key(paths.var)),
            profiles=load_profiles(paths.countries),
            keywords=Keywords.load(paths.sms_keywords),
        )


async def stored(default: T, call: Callable[..., T], *args: Any) -> T:
    """Run a store call off the event loop; if the database fails, log it and go on with `default`.

    Answering matters more than SMS bookkeeping: with the database down a message may be
    answered twice, or a menu number not understood, but it is still answered.
    """
    try:
        return await asyncio.to_thread(call, *args)
    except SQLAlchemyError:
        logger.exception("SMS state unavailable (%s); going on without it", getattr(call, "__name__", call))
        return default


def clean_body(body: str) -> str:
    """The message as understood: NFC, control characters out, at most MAX_BODY_CHARS."""
    text = unicodedata.normalize("NFC", body)
    text = "".join(c for c in text if c in "\n\t" or unicodedata.category(c) != "Cc")
    return text.strip()[:MAX_BODY_CHARS]


def e164(number: str) -> Optional[str]:
    """The sender's number as +<country><number>, or None when it is not a phone number."""
    parsed = parse_sender(number)
    if parsed is None:
        return None
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


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
        self._tasks: Set[asyncio.Task[None]] = set()
        # Messages from one number are handled one at a time, in arrival order ("1" after its menu).
        self._number_locks: Dict[str, asyncio.Lock] = {}

    @property
    def services(self) -> SmsServices:
        """Built on first use, inside the server (BOT_HOME or the working directory)."""
        if self._services is None:
            self._services = SmsServices.for_project(project_paths())
        return self._services

    def acknowledge(self) -> HTTPResponse:
        """What the gateway expects back at once (the replies go through its send API)."""
        return response.text("", status=200)

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        """Routes: GET / (health), POST /webhook (and /webhook/<key> for URL-keyed gateways)."""
        hook = Blueprint(f"{self.name()}_webhook", __name__)

        @hook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        async def receive(request: Request, key: str = "") -> HTTPResponse:
            form = {name: values[0] for name, values in request.form.items() if values}
            if not self.gateway.authentic(request.url, form, request.headers):
                return response.json({"error": "request not signed by the gateway"}, status=403)
            try:
                inbound = self.gateway.parse(form)
            except BadWebhookError as error:
                return response.json({"error": str(error)}, status=400)
            number = e164(inbound.sender)
            if number is None:
                return response.json({"error": "sender is not a valid phone number"}, status=400)
            services = self.services
            first = await stored(True, services.store.first_delivery, inbound.gateway, inbound.message_id)
            if first:
                self._spawn(self.handle(inbound, number, on_new_message, request.app.ctx.agent))
            return self.acknowledge()

        hook.add_route(receive, "/webhook", methods=["POST"])
        hook.add_route(receive, "/webhook/<key>", methods=["POST"], name="webhook_keyed")
        return hook

    def _spawn(self, coroutine: Awaitable[None]) -> None:
        task: asyncio.Task[None] = asyncio.ensure_future(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def handle(
        self,
        inbound: InboundSms,
        number: str,
        on_new_message: Callable[[UserMessage], Awaitable[Any]],
        agent: Any,
    ) -> None:
        """Handle one accepted SMS (in order per number) and send the replies."""
        lock = self._number_locks.setdefault(number, asyncio.Lock())
        async with lock:  # asyncio.Lock is fair: waiting tasks go in the order they came
            try:
                await Turn(self, inbound, number, on_new_message, agent).run()
            except Exception:  # one failed conversation must not stop the others
                logger.exception("Could not handle an SMS (%s %s)", inbound.gateway, inbound.message_id)
        if not lock.locked() and self._number_locks.get(number) is lock:
            del self._number_locks[number]

    async def send_all(self, number: str, messages: list[OutgoingSms]) -> None:
        """Send each SMS in order; a message the gateway refuses is logged, the rest still go."""
        async with aiohttp.ClientSession() as session:
            for sms in messages:
                if not sms.fits:
                    logger.warning("An SMS of %d segments is over the budget", sms.cost.segments)
                try:
                    await self.gateway.send(session, number, sms.body)
                except Exception as error:
                    logger.error("SMS not delivered by %s: %s", self.gateway.name, error)

    def get_output_channel(self) -> Optional[SmsOutput]:
        """Messages Rasa sends on its own are collected, not sent (no number to send to)."""
        return None


class Turn:
    """One incoming SMS: keywords, opt-out, menu numbers, then the assistant's reply."""

    def __init__(
        self,
        channel: SmsInput,
        inbound: InboundSms,
        number: str,
        on_new_message: Callable[[UserMessage], Awaitable[Any]],
        agent: Any,
    ) -> None:
        self.channel = channel
        self.services = channel.services
        self.number = number
        self.text = clean_body(inbound.body)
        self.on_new_message = on_new_message
        self.agent = agent
        self.key = self.services.pseudonyms.of(number)
        # The conversation is stored under the pseudonym, never the number.
        self.sender_id = f"sms-{self.key[:32]}"
        self.profile = profile_for_sender(number, self.services.profiles)
        self.metadata: Dict[str, str] = self._metadata(None)

    async def run(self) -> None:
        """Handle the message and send the replies."""
        store = self.services.store
        found = self.services.keywords.match(self.text) if self.text else None
        keyword = found.keyword if found else None
        # A local keyword ("AIDE") tells the language even when detection cannot.
        self.metadata = self._metadata(found.language if found else None)
        if await stored(False, store.opted_out, self.key):
            if keyword == "start":
                await stored(None, store.set_opted_out, self.key, False)
                await self._confirm(STARTED_RESPONSE)
            else:
                logger.info("SMS from an opted-out number: nothing sent")
            return
        if keyword == "stop":
            await stored(None, store.set_opted_out, self.key, True)
            await self._confirm(STOPPED_RESPONSE)
            return
        text = await self._meaning(keyword)
        if self.profile is not None:  # nothing to set otherwise: no extra tracker load
            await self._ensure_country()
        collector = SmsOutput()
        await self.on_new_message(
            UserMessage(
                text, collector, self.sender_id, input_channel=self.channel.name(), metadata=self.metadata
            )
        )
        await self._reply(collector.messages)

    def _metadata(self, language: Optional[str]) -> Dict[str, str]:
        """What the channel knows: the sender's country, and a language a keyword gave away."""
        metadata = {"country": self.profile.id} if self.profile else {}
        if language:
            metadata["language"] = language
        return metadata

    async def _meaning(self, keyword: Optional[str]) -> str:
        """A menu number becomes its option's payload, a keyword its request; else the text."""
        if not self.text:
            return EMPTY_MESSAGE_PAYLOAD
        menu: list[str] = await stored(list[str](), self.services.store.last_menu, self.key)
        chosen = choose(self.text, menu)
        if chosen:
            return chosen
        if keyword in PAYLOADS:
            return PAYLOADS[keyword]
        return self.text

    async def _ensure_country(self) -> Any:
        """The sender's country becomes the conversation's country until the person changes it.

        Returns the conversation's tracker as it now is.
        """
        processor = self.agent.processor
        async with self.agent.lock_store.lock(self.sender_id):
            tracker = await processor.get_tracker(self.sender_id)
            if self.profile is not None and tracker.get_slot(COUNTRY_SLOT) is None:
                tracker.update(SlotSet(COUNTRY_SLOT, self.profile.id))
                await processor.save_tracker(tracker)
        return tracker

    async def _confirm(self, response_key: str) -> None:
        """Send one confirmation rendered by the assistant's NLG (the person's language)."""
        processor = self.agent.processor
        tracker = await self._ensure_country()
        # Seen only for rendering (language detection), never stored.
        tracker.update(UserUttered(self.text, metadata=self.metadata))
        rendered = await processor.nlg.generate(response_key, tracker, SMS_OUTPUT_CHANNEL)
        if rendered and rendered.get("text"):
            sms = compose(str(rendered["text"]), [], self.channel.segment_budget)
            await self.channel.send_all(self.number, [sms])

    async def _reply(self, messages: list[Dict[str, Any]]) -> None:
        outgoing: list[OutgoingSms] = []
        for message in messages:
            text = str(message.get("text") or "")
            buttons = message.get("buttons") or []
            if text or buttons:
                outgoing.append(compose(text, buttons, self.channel.segment_budget))
        menus = [sms.payloads for sms in outgoing if sms.payloads]
        await stored(None, self.services.store.save_menu, self.key, menus[-1] if menus else [])
        await self.channel.send_all(self.number, outgoing)


class TwilioInput(SmsInput):
    """Twilio: /webhooks/twilio/webhook, X-Twilio-Signature checked against `public_url`."""

    gateway_name = "twilio"

    def acknowledge(self) -> HTTPResponse:
        """An empty TwiML response: nothing is sent inline (replies go through the REST API)."""
        return response.text('<?xml version="1.0" encoding="UTF-8"?><Response/>', content_type="text/xml")


class AfricasTalkingInput(SmsInput):
    """Africa's Talking: /webhooks/africastalking/webhook?key=... (or .../webhook/<key>)."""

    gateway_name = AfricasTalking.name
