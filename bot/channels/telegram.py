"""Telegram channel on python-telegram-bot, served by the Rasa server.

Registered in credentials (see `bot.channels.credentials`) as
`bot.channels.telegram.TelegramInput`; Telegram posts updates to
/webhooks/telegram/webhook with the secret token set by
`bot telegram set-webhook`.

An update is acknowledged at once and then processed in the background: the
turn's replies are collected, then sent (split, keyboards, rate limits,
retries). It counts as done, and a redelivery of it is ignored, only once every
reply was handed to Telegram; a failed update is tried again with backoff.
`TelegramInput.process` is one attempt at one update, for callers that keep
updates durably.
"""

from __future__ import annotations

import asyncio
import dataclasses
import enum
import hmac
import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Awaitable, Callable, Dict, List, Mapping, Optional, Set

from rasa.core.channels.channel import CollectingOutputChannel, InputChannel, OutputChannel, UserMessage
from redis.asyncio import Redis
from sanic import Blueprint, Sanic, response
from sanic.request import Request
from sanic.response import HTTPResponse
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import NetworkError, RetryAfter, TelegramError
from telegram.request import HTTPXRequest

from bot.channels.inbound import PayloadGate
from bot.channels.shared_state import RedisPayloads, RedisRateLimiter, redis_client
from bot.channels.support import BoundedDict, KeyedLocks, TrackedTasks
from bot.channels.telegram_limits import CallbackPayloads, RateLimiter
from bot.channels.telegram_updates import BotIdentity, Incoming, SeenUpdates, interpret, split_message
from bot.content.pictures import Picture, PictureFiles, build_dir, pictures_of
from bot.inbox.leases import InboxLease, process_owner
from bot.inbox.replay import replies_already_made
from bot.inbox.store import InboxItem, InboxStore, Sealer
from bot.outreach.subscriptions import address_sealer, with_address
from bot.paths import project_paths
from bot.settings import DEFAULT_INBOX_LEASE_SECONDS, load_settings
from bot.store.db import Database
from bot.store.guard import StoreGuard
from bot.store.pseudonym import Pseudonymizer, load_key

logger = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
API_BASE_URL = "https://api.telegram.org/bot"
# Attempts at one message (network errors, flood control), then at one update (turn and delivery).
MAX_ATTEMPTS = 5
UPDATE_ATTEMPTS = 4
UPDATE_BACKOFF = 1.0
MAX_RETRY_AFTER = 60.0
# Connections to the Bot API: enough for every chat sending at once within the 30/s limit.
POOL_SIZE = 64
CONNECT_TIMEOUT = 5.0
READ_TIMEOUT = 10.0
WRITE_TIMEOUT = 10.0
POOL_TIMEOUT = 10.0
# Updates whose turn is done but whose replies are not all sent yet, kept to resume delivery.
MAX_PENDING = 10_000
SHUTDOWN_GRACE = 5.0


def build_bot(token: str, base_url: str = API_BASE_URL, read_timeout: float = READ_TIMEOUT) -> Bot:
    """Factory: a Bot with a real connection pool (PTB's default is one connection, 1 s pool wait)."""
    request = HTTPXRequest(
        connection_pool_size=POOL_SIZE,
        connect_timeout=CONNECT_TIMEOUT,
        read_timeout=read_timeout,
        write_timeout=WRITE_TIMEOUT,
        pool_timeout=POOL_TIMEOUT,
    )
    # getUpdates (polling only) long-polls on its own connection, never taking one from sends.
    updates = HTTPXRequest(connection_pool_size=1, connect_timeout=CONNECT_TIMEOUT, read_timeout=read_timeout)
    return Bot(token=token, base_url=base_url, request=request, get_updates_request=updates)


def _token_bot_id(token: str) -> Optional[int]:
    """A bot token starts with the bot's user id ("123456:ABC...")."""
    prefix = token.split(":", 1)[0]
    return int(prefix) if prefix.isdigit() else None


def _seconds(value: Any) -> float:
    """RetryAfter.retry_after is an int in PTB 21 and a timedelta in later versions."""
    return float(value.total_seconds()) if hasattr(value, "total_seconds") else float(value)


@dataclass(frozen=True)
class Part:
    """One Telegram message: at most 4,096 characters of plain text and maybe a keyboard, or a picture."""

    text: str
    keyboard: Optional[InlineKeyboardMarkup] = None
    picture: Optional[Picture] = None  # sent as a photo with `picture.caption`; `text` is unused


class Delivery(enum.Enum):
    """What became of one message."""

    SENT = "sent"
    REFUSED = "refused"  # Telegram said no for good (blocked bot, bad chat): retrying cannot help
    FAILED = "failed"  # network errors or flood control outlasted the attempts: try again later


class TelegramSender:
    """Turns collected replies into messages and sends them: rate-limited, retried, never silently lost."""

    def __init__(
        self,
        bot: Bot,
        limiter: RateLimiter,
        callbacks: CallbackPayloads,
        pictures: Optional[PictureFiles] = None,
    ) -> None:
        self.bot = bot
        self.limiter = limiter
        self.callbacks = callbacks
        self.pictures = pictures or PictureFiles(build_dir(project_paths().root))

    def parts(self, messages: List[Dict[str, Any]]) -> List[Part]:
        """Rasa's replies as Telegram messages, in order (a reply's pictures first, then its text;
        buttons on the last part of the text)."""
        parts: List[Part] = []
        for message in messages:
            parts += [Part("", picture=picture) for picture in pictures_of(message)]
            text = str(message.get("text") or "")
            buttons = message.get("buttons")
            if isinstance(buttons, list) and buttons:
                chunks = split_message(text or "…")
                parts += [Part(chunk) for chunk in chunks[:-1]]
                parts.append(Part(chunks[-1], self._keyboard(buttons)))
            elif text.strip():
                parts += [Part(chunk) for chunk in split_message(text)]
            for link in (message.get("image"), message.get("attachment")):
                if isinstance(link, str) and link:
                    parts.append(Part(link))  # sent as their link: no content relies on images
        return parts

    def _keyboard(self, buttons: List[Any]) -> InlineKeyboardMarkup:
        rows = [
            [
                InlineKeyboardButton(
                    str(button.get("title", "")),
                    callback_data=self.callbacks.data_for(str(button.get("payload", ""))),
                )
            ]
            for button in buttons
            if isinstance(button, dict)
        ]
        return InlineKeyboardMarkup(rows)

    async def send(self, chat_id: int, part: Part) -> Delivery:
        """Send one message; other chats go on meanwhile."""
        if part.picture is not None and self.pictures.png(part.picture.name) is None:
            return Delivery.SENT  # not built: the lesson goes on in text (logged once by PictureFiles)
        async with self.limiter.chat(chat_id):
            for attempt in range(1, MAX_ATTEMPTS + 1):
                await self.limiter.overall()
                try:
                    await self._send_part(chat_id, part)
                except RetryAfter as error:
                    delay = min(_seconds(error.retry_after), MAX_RETRY_AFTER)
                    logger.warning("Telegram asks to wait %.1f s", delay)
                    await asyncio.sleep(delay)
                except NetworkError as error:  # TimedOut included
                    logger.warning("Telegram send failed (attempt %d): %s", attempt, error)
                    await asyncio.sleep(min(0.5 * 2 ** (attempt - 1), 8.0))
                except TelegramError as error:
                    logger.error("Telegram refused a reply: %s", error)
                    return Delivery.REFUSED
                else:
                    return Delivery.SENT
        logger.warning("A reply not delivered after %d attempts", MAX_ATTEMPTS)
        return Delivery.FAILED

    async def _send_part(self, chat_id: int, part: Part) -> None:
        if part.picture is not None:
            await self._send_picture(chat_id, part.picture)
        else:
            # No parse_mode: plain text, so nothing in it can break the message.
            await self.bot.send_message(chat_id=chat_id, text=part.text, reply_markup=part.keyboard)

    async def _send_picture(self, chat_id: int, picture: Picture) -> None:
        """sendPhoto: the PNG uploaded once per process, then sent again by Telegram's file_id."""
        known = self.pictures.file_id(picture.name)
        photo = known or self.pictures.png(picture.name) or b""
        # The caption is plain text (no parse_mode) and far under Telegram's 1,024 characters.
        sent = await self.bot.send_photo(chat_id=chat_id, photo=photo, caption=picture.caption[:1024])
        if known is None and sent.photo:
            self.pictures.remember(picture.name, sent.photo[-1].file_id)

    async def send_all(self, chat_id: int, parts: List[Part]) -> int:
        """Send `parts` in order; how many were handled (sent or refused for good) before a failure."""
        for index, part in enumerate(parts):
            if await self.send(chat_id, part) is Delivery.FAILED:
                return index
        return len(parts)


class TelegramCollector(CollectingOutputChannel):
    """Collects a turn's replies; the channel sends them once the turn is over."""

    @classmethod
    def name(cls) -> str:
        """The channel's name (also the NLG's channel for channel-specific responses)."""
        return "telegram"

    async def send_text_message(self, recipient_id: str, text: str, **kwargs: Any) -> None:
        """One response stays one Telegram message (the collector would cut it at blank lines)."""
        await self._persist_message(_with_pictures(self._message(recipient_id, text=text), kwargs))

    async def send_text_with_buttons(
        self, recipient_id: str, text: str, buttons: List[Dict[str, Any]], **kwargs: Any
    ) -> None:
        """Text and buttons, and the pictures the NLG put in the response's metadata."""
        message = self._message(recipient_id, text=text, buttons=buttons)
        await self._persist_message(_with_pictures(message, kwargs))


def _with_pictures(message: Dict[str, Any], kwargs: Dict[str, Any]) -> Dict[str, Any]:
    """Keep a response's pictures (`metadata.pictures`, resolved by the NLG) with its text."""
    if pictures_of(kwargs):
        message["metadata"] = {"pictures": kwargs["metadata"]["pictures"]}
    return message


class TelegramOutput(OutputChannel):
    """Sends messages Rasa sends on its own (reminders, alerts) at once."""

    @classmethod
    def name(cls) -> str:
        """The channel's name (also the NLG's channel for channel-specific responses)."""
        return "telegram"

    def __init__(self, sender: TelegramSender, chats: Optional[Mapping[str, int]] = None) -> None:
        self.sender = sender
        self.chats = chats if chats is not None else {}  # conversation pseudonym -> chat id

    async def _deliver(self, recipient_id: str, message: Dict[str, Any]) -> None:
        chat_id = self.chats.get(recipient_id)
        if chat_id is None:  # the pseudonym cannot be turned back into a chat: only a recent one is known
            logger.warning("No recent Telegram chat for a conversation: a message Rasa sent was dropped")
            return
        parts = self.sender.parts([message])
        await self.sender.callbacks.flush()
        await self.sender.send_all(chat_id, parts)

    async def send_text_message(self, recipient_id: str, text: str, **kwargs: Any) -> None:
        """Send text, cut under Telegram's limit at paragraph boundaries."""
        await self._deliver(recipient_id, _with_pictures({"text": text}, kwargs))

    async def send_text_with_buttons(
        self, recipient_id: str, text: str, buttons: List[Dict[str, Any]], **kwargs: Any
    ) -> None:
        """Buttons become an inline keyboard under the (last part of the) text."""
        await self._deliver(recipient_id, _with_pictures({"text": text, "buttons": buttons}, kwargs))

    async def send_image_url(self, recipient_id: str, image: str, **kwargs: Any) -> None:
        """Images are sent as their link (no content relies on images)."""
        await self._deliver(recipient_id, {"image": image})


@dataclass
class Progress:
    """How far one update got: its replies once the turn is over, and how many were sent."""

    parts: Optional[List[Part]] = None
    sent: int = 0
    callback_answered: bool = False


class TelegramInput(InputChannel):
    """Webhook for Telegram updates: secret checked, duplicates dropped, answered in the background."""

    @classmethod
    def name(cls) -> str:
        """URL prefix: /webhooks/telegram/webhook."""
        return "telegram"

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[str, Any]]) -> InputChannel:
        """Build from the credentials entry (token, secret_token, bot_username, base_url, read_timeout,
        pictures_dir: where the rendered PNGs are, default var/pictures)."""
        if not credentials or not credentials.get("token") or not credentials.get("secret_token"):
            cls.raise_missing_credentials_exception()
        assert credentials is not None
        return cls(
            token=str(credentials["token"]),
            secret_token=str(credentials["secret_token"]),
            bot_username=str(credentials.get("bot_username") or ""),
            base_url=credentials.get("base_url") or API_BASE_URL,
            read_timeout=float(credentials.get("read_timeout") or READ_TIMEOUT),
            gate=PayloadGate.for_project(project_paths()),
            pictures_dir=Path(credentials["pictures_dir"]) if credentials.get("pictures_dir") else None,
        )

    def __init__(
        self,
        token: str,
        secret_token: str,
        bot_username: str = "",
        base_url: str = API_BASE_URL,
        read_timeout: float = READ_TIMEOUT,
        gate: Optional[PayloadGate] = None,
        pictures_dir: Optional[Path] = None,
        pseudonyms: Optional[Pseudonymizer] = None,
    ) -> None:
        self.bot = build_bot(token, base_url, read_timeout)
        self.secret_token = secret_token
        self.identity = BotIdentity(bot_username, _token_bot_id(token))
        self.gate = gate or PayloadGate()
        self.seen = SeenUpdates()
        pictures = PictureFiles(pictures_dir or build_dir(project_paths().root))
        self.sender = TelegramSender(self.bot, RateLimiter(), CallbackPayloads(), pictures)
        self._chats: KeyedLocks[int] = KeyedLocks()
        self._progress: BoundedDict[int, Progress] = BoundedDict(MAX_PENDING)
        # Conversations are stored under a pseudonym of the chat id (never the id itself); replies
        # go to the chat of the update, and Rasa's own messages to a recent chat's id from here.
        self.pseudonyms = pseudonyms
        self._addresses: Optional[Sealer] = None
        self._chat_of: BoundedDict[str, int] = BoundedDict(MAX_PENDING)
        self._in_flight: Set[int] = set()
        self._tasks = TrackedTasks("Telegram")
        self._on_new_message: Optional[Callable[[UserMessage], Awaitable[Any]]] = None
        self._app: Optional[Sanic] = None
        self._start_lock: Optional[asyncio.Lock] = None
        self._started = False
        # Inbox before answer: built at server start (the app database), None outside a server.
        self.inbox: Optional[InboxStore] = None
        self.guard = StoreGuard("Telegram inbox (app database)")
        # This run's name among the replicas sharing the inbox, and its lease (set at start).
        self.owner = process_owner()
        self.lease_seconds = DEFAULT_INBOX_LEASE_SECONDS
        self._lease: Optional[InboxLease] = None
        self._redis: Optional[Redis] = None  # with REDIS_URL, set at start

    def secret_ok(self, request: Request) -> bool:
        """Constant-time check of Telegram's secret header."""
        given = request.headers.get(SECRET_HEADER, "")
        return hmac.compare_digest(given.encode("utf-8"), self.secret_token.encode("utf-8"))

    async def start(self, app: Optional[Sanic] = None) -> None:
        """Once per process, at server start: open the connection pool and ask Telegram who we are."""
        if app is not None:
            self._app = app
        self._start_lock = self._start_lock or asyncio.Lock()
        async with self._start_lock:
            if self._started:
                return
            self._started = True
            if app is not None and self.inbox is None:
                self.inbox = await self._open_inbox()
            try:
                await self.bot.initialize()
            except TelegramError as error:  # sending still works; only getMe's answer is missing
                logger.warning("Telegram getMe failed at start (%s); replies will be sent anyway", error)
                return
            me = self.bot.bot
            self.identity = BotIdentity(self.identity.username or me.username or "", me.id)

    async def _open_inbox(self) -> InboxStore:
        """The app database's inbox (its schema is migrated by `bot serve` and the ops channel)."""
        paths = project_paths()
        settings = load_settings()
        self.owner = process_owner(settings.scale.replica_name)
        self.lease_seconds = settings.scale.inbox_lease_seconds
        if settings.scale.redis_url:  # replicas share Telegram's limits and long payloads
            self._redis = redis_client(settings.scale.redis_url)
            self.sender.limiter = RedisRateLimiter(self._redis)
            self.sender.callbacks = RedisPayloads(self._redis)
        database, key = await asyncio.to_thread(
            lambda: (Database.for_project(paths, settings), load_key(paths.var, settings))
        )
        self.pseudonyms = self.pseudonyms or Pseudonymizer(key)
        return InboxStore.sealed_with(database, self.pseudonyms)

    def _keys(self) -> Pseudonymizer:
        if self.pseudonyms is None:  # outside a server (no start): the project's key
            self.pseudonyms = Pseudonymizer(load_key(project_paths().var))
        return self.pseudonyms

    def conversation_of(self, chat_id: int) -> str:
        """The Rasa sender id of a chat: "tg-" and a keyed pseudonym of the chat id."""
        return telegram_conversation(self._keys(), chat_id)

    def _metadata(self, incoming: Incoming) -> Dict[str, Any]:
        """The update's hints and its chat id sealed for alert subscriptions (bot.outreach)."""
        if self._addresses is None:
            self._addresses = address_sealer(self._keys())
        return with_address(incoming.metadata, self._addresses, str(incoming.chat_id))

    async def recover(self) -> None:
        """Answer the updates acknowledged but not finished by this replica's former run or by a
        replica that died, oldest first, and keep doing so (bot.inbox.leases)."""
        if self.inbox is None or self._lease is not None:
            return
        self._lease = InboxLease(
            self.inbox, self.name(), self.owner, self.lease_seconds, self.guard, self._resume
        )
        await self._lease.start()

    def _resume(self, item: InboxItem) -> None:
        """Answer an update taken over from the inbox (its turn may have run: replies are not remade)."""
        incoming = incoming_of(item)
        if incoming is not None and incoming.update_id not in self._in_flight:
            # A row from before conversations were pseudonymous names the chat: never store that.
            incoming = dataclasses.replace(incoming, sender_id=self.conversation_of(incoming.chat_id))
            self._spawn(incoming, durable=True, recovering=True)

    async def stop(self) -> None:
        """At server stop: let running updates finish briefly, then close the connections."""
        if self._lease is not None:
            await self._lease.stop()
        await self._tasks.wait(SHUTDOWN_GRACE)
        await self.bot.shutdown()
        if self._redis is not None:
            await self._redis.close()

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        """Routes: GET / (health) and POST /webhook; the Bot starts and stops with the server."""
        self._on_new_message = on_new_message
        hook = Blueprint("telegram_webhook", __name__)

        @hook.listener("before_server_start")
        async def start(app: Sanic, _: Any) -> None:
            await self.start(app)

        @hook.listener("after_server_start")
        async def recover(_: Sanic, __: Any) -> None:
            await self.recover()

        @hook.listener("after_server_stop")
        async def stop(_: Sanic, __: Any) -> None:
            await self.stop()

        @hook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @hook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            if not self.secret_ok(request):
                return response.json({"error": "wrong or missing secret token"}, status=403)
            return await self.accept(request.body)

        return hook

    async def accept(self, body: bytes) -> HTTPResponse:
        """Check an update, store it, start handling it and say so: 400 when malformed, 200 otherwise."""
        try:
            update = json.loads(body or b"")
        except (ValueError, RecursionError):  # not JSON, not UTF-8, or nested too deep
            return response.json({"error": "body is not JSON"}, status=400)
        update_id = update.get("update_id") if isinstance(update, dict) else None
        if isinstance(update_id, bool) or not isinstance(update_id, int):
            return response.json({"error": "not a Telegram update (no update_id)"}, status=400)
        if update_id in self.seen or update_id in self._in_flight:
            return response.json({"status": "duplicate, ignored"})
        try:
            incoming = interpret(update, self.identity.username, self.gate, self.identity.user_id)
        except Exception as error:  # interpret is total; this keeps Telegram from redelivering forever
            logger.error("Unreadable Telegram update %s (%s)", update_id, type(error).__name__)
            incoming = None
        if incoming is None:
            return response.json({"status": "ignored"})
        incoming = dataclasses.replace(incoming, sender_id=self.conversation_of(incoming.chat_id))
        # Stored before Telegram hears 200: an acknowledged update is answered even after a crash.
        stored = (
            await self.guard.call(
                None, self.inbox.accept, inbox_item(incoming), self.owner, self.lease_seconds
            )
            if self.inbox
            else None
        )
        if stored is False:  # already accepted by an earlier run (a redelivery)
            return response.json({"status": "duplicate, ignored"})
        self._spawn(incoming, durable=bool(stored))
        return response.json({"status": "accepted"})

    def _spawn(self, incoming: Incoming, durable: bool, recovering: bool = False) -> None:
        self._chat_of[incoming.sender_id] = incoming.chat_id
        if incoming.update_id is not None:
            self._in_flight.add(incoming.update_id)
        self._tasks.spawn(self._handle(incoming, durable, recovering))

    async def process(self, incoming: Incoming) -> bool:
        """One attempt at an update, in order within its chat; True once its replies were handed over.

        Calling it again for the same update resumes: a finished turn is not run twice,
        only its unsent replies are sent.
        """
        async with self._chats.hold(incoming.chat_id):
            return await self._attempt(incoming)

    async def _handle(self, incoming: Incoming, durable: bool = False, recovering: bool = False) -> None:
        """Process an accepted update, trying again with backoff; the chat's later updates wait."""
        try:
            async with self._chats.hold(incoming.chat_id):
                for attempt in range(1, UPDATE_ATTEMPTS + 1):
                    if await self._attempt(incoming, recovering):
                        if durable and self.inbox is not None:
                            await self.guard.call(None, self.inbox.finish, inbox_item(incoming))
                        return
                    if attempt < UPDATE_ATTEMPTS:
                        await asyncio.sleep(UPDATE_BACKOFF * 2 ** (attempt - 1))
                # Left unfinished in the inbox: answered after the next start.
                logger.error(
                    "Telegram update %s not answered after %d attempts", incoming.update_id, UPDATE_ATTEMPTS
                )
        finally:
            if incoming.update_id is not None:
                self._in_flight.discard(incoming.update_id)

    async def _attempt(self, incoming: Incoming, recovering: bool = False) -> bool:
        if not self._started:
            await self.start()
        progress = self._progress_of(incoming)
        try:
            if progress.parts is None:
                if incoming.callback_query_id and not progress.callback_answered:
                    await self._answer_callback(incoming.callback_query_id)
                    progress.callback_answered = True
                if not self._agent_ready():
                    logger.warning("Telegram update %s waits: the model is not loaded", incoming.update_id)
                    return False
                progress.parts = await self._turn(incoming, recovering)
            progress.sent += await self.sender.send_all(incoming.chat_id, progress.parts[progress.sent :])
        except Exception as error:  # one failed update must not stop the others; it is tried again
            logger.error("Telegram update %s failed: %s", incoming.update_id, type(error).__name__)
            logger.debug("Telegram update failure", exc_info=True)
            return False
        if progress.sent < len(progress.parts):
            return False
        if incoming.update_id is not None:
            self._progress.pop(incoming.update_id, None)
            self.seen.mark(incoming.update_id)
        return True

    def _progress_of(self, incoming: Incoming) -> Progress:
        if incoming.update_id is None:
            return Progress()
        progress = self._progress.get(incoming.update_id)
        if progress is None:
            progress = self._progress[incoming.update_id] = Progress()
        return progress

    def _agent_ready(self) -> bool:
        """False while the server has no loaded model (Rasa would drop the message unanswered)."""
        if self._app is None:
            return True
        agent = getattr(self._app.ctx, "agent", None)
        return agent is not None and bool(agent.is_ready())

    async def _turn(self, incoming: Incoming, recovering: bool = False) -> List[Part]:
        """Run the conversation turn and collect its replies (after a crash: those already made)."""
        if self._on_new_message is None:
            raise RuntimeError("the Telegram channel is not registered with the server")
        if recovering and self._app is not None:
            made = await replies_already_made(
                self._app.ctx.agent.tracker_store, incoming.sender_id, _key(incoming)
            )
            if made is not None:
                return await self._parts(made)
        callbacks = self.sender.callbacks
        text = await callbacks.resolve(incoming.text) if incoming.callback_query_id else incoming.text
        collector = TelegramCollector()
        await self._on_new_message(
            UserMessage(
                text,
                collector,
                incoming.sender_id,
                input_channel=self.name(),
                metadata=self._metadata(incoming),
                message_id=None if incoming.update_id is None else _key(incoming),
            )
        )
        return await self._parts(collector.messages)

    async def _parts(self, messages: List[Dict[str, Any]]) -> List[Part]:
        """The replies as Telegram messages, their long button payloads shared before they go out."""
        parts = self.sender.parts(messages)
        await self.sender.callbacks.flush()
        return parts

    async def _answer_callback(self, query_id: str) -> None:
        try:
            await self.bot.answer_callback_query(query_id)
        except TelegramError as error:  # only the spinner keeps turning; the answer still comes
            logger.warning("Could not answer callback query: %s", error)

    def get_output_channel(self) -> Optional[OutputChannel]:
        """For messages Rasa sends on its own (reminders, alerts)."""
        return TelegramOutput(self.sender, self._chat_of)


def telegram_conversation(pseudonyms: Pseudonymizer, chat_id: int) -> str:
    """A chat's conversation id in the tracker store: the chat id never appears in it."""
    return f"tg-{pseudonyms.of(f'telegram:{chat_id}')[:32]}"


def _key(incoming: Incoming) -> str:
    """The Rasa message id of an update (the same as its inbox row's key)."""
    return f"{TelegramInput.name()}:{incoming.update_id}"


def inbox_item(incoming: Incoming) -> InboxItem:
    """An update's inbox row: what is needed to answer it again after a crash."""
    return InboxItem(
        channel=TelegramInput.name(),
        message_id=str(incoming.update_id),
        conversation=incoming.sender_id,
        reply_to=str(incoming.chat_id),
        text=incoming.text,
        metadata={"hints": incoming.metadata, "callback_query_id": incoming.callback_query_id},
    )


def incoming_of(item: InboxItem) -> Optional[Incoming]:
    """The update an inbox row holds, or None when the row cannot be read (its key changed)."""
    try:
        chat_id, update_id = int(item.reply_to), int(item.message_id)
    except ValueError:
        logger.error("Telegram inbox row %s cannot be read: skipped", item.message_id)
        return None
    hints = item.metadata.get("hints")
    callback = item.metadata.get("callback_query_id")
    return Incoming(
        sender_id=item.conversation,
        chat_id=chat_id,
        text=item.text,
        metadata=dict(hints) if isinstance(hints, dict) else {},
        callback_query_id=callback if isinstance(callback, str) else None,
        update_id=update_id,
    )
