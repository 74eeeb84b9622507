"""Telegram channel on python-telegram-bot, served by the Rasa server.

Registered in credentials (see `bot.channels.credentials`) as
`bot.channels.telegram.TelegramInput`; Telegram posts updates to
/webhooks/telegram/webhook with the secret token set by
`bot telegram set-webhook`.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import time
from typing import Any, Awaitable, Callable, Dict, List, Optional, Set

from rasa.core.channels.channel import InputChannel, OutputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import NetworkError, RetryAfter, TelegramError, TimedOut

from bot.channels.telegram_updates import Incoming, SeenUpdates, interpret, split_message

logger = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
# Telegram allows about 1 message per second in one chat and 30 per second overall.
PER_CHAT_INTERVAL = 1.0
GLOBAL_PER_SECOND = 30
MAX_ATTEMPTS = 5
CALLBACK_DATA_LIMIT = 64


class RateLimiter:
    """Spaces messages per chat and overall, without blocking other chats."""

    def __init__(
        self, per_chat_interval: float = PER_CHAT_INTERVAL, per_second: int = GLOBAL_PER_SECOND
    ) -> None:
        self._per_chat_interval = per_chat_interval
        self._per_second = per_second
        self._chat_locks: Dict[int, asyncio.Lock] = {}
        self._chat_last: Dict[int, float] = {}
        self._global: List[float] = []
        self._global_lock = asyncio.Lock()

    async def wait(self, chat_id: int) -> asyncio.Lock:
        """Wait for this chat's turn; return its lock (held by the caller while sending)."""
        lock = self._chat_locks.setdefault(chat_id, asyncio.Lock())
        await lock.acquire()
        delay = self._chat_last.get(chat_id, 0.0) + self._per_chat_interval - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        async with self._global_lock:
            now = time.monotonic()
            self._global = [t for t in self._global if now - t < 1.0]
            if len(self._global) >= self._per_second:
                await asyncio.sleep(1.0 - (now - self._global[0]))
            self._global.append(time.monotonic())
        return lock

    def sent(self, chat_id: int) -> None:
        """Record a send in this chat."""
        self._chat_last[chat_id] = time.monotonic()


class TelegramOutput(OutputChannel):
    """Sends Rasa's replies to one chat: split, rate-limited, retried, never silently lost."""

    @classmethod
    def name(cls) -> str:
        """The channel's name (also the NLG's channel for channel-specific responses)."""
        return "telegram"

    def __init__(self, bot: Bot, limiter: RateLimiter, callbacks: CallbackPayloads) -> None:
        self.bot = bot
        self.limiter = limiter
        self.callbacks = callbacks

    async def send_text_message(self, recipient_id: str, text: str, **kwargs: Any) -> None:
        """Send text, cut under Telegram's limit at paragraph boundaries."""
        for part in split_message(text):
            await self._send(int(recipient_id), part, None)

    async def send_text_with_buttons(
        self, recipient_id: str, text: str, buttons: List[Dict[str, Any]], **kwargs: Any
    ) -> None:
        """Buttons become an inline keyboard under the (last part of the) text."""
        keyboard = InlineKeyboardMarkup(
            [
                [
                    InlineKeyboardButton(
                        str(b.get("title", "")),
                        callback_data=self.callbacks.data_for(str(b.get("payload", ""))),
                    )
                ]
                for b in buttons
            ]
        )
        parts = split_message(text or "…")
        for part in parts[:-1]:
            await self._send(int(recipient_id), part, None)
        await self._send(int(recipient_id), parts[-1], keyboard)

    async def send_image_url(self, recipient_id: str, image: str, **kwargs: Any) -> None:
        """Images are sent as their link (no content relies on images)."""
        await self.send_text_message(recipient_id, image)

    async def _send(self, chat_id: int, text: str, keyboard: Optional[InlineKeyboardMarkup]) -> None:
        lock = await self.limiter.wait(chat_id)
        try:
            for attempt in range(1, MAX_ATTEMPTS + 1):
                try:
                    # No parse_mode: text is sent as plain text, so nothing in it can break the message.
                    await self.bot.send_message(chat_id=chat_id, text=text, reply_markup=keyboard)
                    self.limiter.sent(chat_id)
                    return
                except RetryAfter as error:
                    delay = _seconds(error.retry_after)
                    logger.warning("Telegram asks to wait %.1f s (chat %s)", delay, chat_id)
                    await asyncio.sleep(delay)
                except (TimedOut, NetworkError) as error:
                    logger.warning("Telegram send failed (attempt %d, chat %s): %s", attempt, chat_id, error)
                    await asyncio.sleep(min(0.5 * 2 ** (attempt - 1), 8.0))
                except TelegramError as error:
                    logger.error("Telegram refused a reply to chat %s: %s", chat_id, error)
                    return
            logger.error("Reply to chat %s not delivered after %d attempts", chat_id, MAX_ATTEMPTS)
        finally:
            lock.release()


def _seconds(value: Any) -> float:
    """RetryAfter.retry_after is an int in PTB 21 and a timedelta in later versions."""
    return float(value.total_seconds()) if hasattr(value, "total_seconds") else float(value)


class CallbackPayloads:
    """Button payloads as callback_data; payloads over Telegram's 64 bytes get a short key."""

    def __init__(self) -> None:
        self._long: Dict[str, str] = {}

    def data_for(self, payload: str) -> str:
        """callback_data for a payload."""
        if len(payload.encode("utf-8")) <= CALLBACK_DATA_LIMIT:
            return payload
        key = "#" + hmac.new(b"payload", payload.encode("utf-8"), "sha256").hexdigest()[:20]
        self._long[key] = payload
        return key

    def payload_for(self, data: str) -> str:
        """The payload a pressed button stands for."""
        return self._long.get(data, data)


class TelegramInput(InputChannel):
    """Webhook for Telegram updates: secret checked, duplicates dropped, answers sent in the background."""

    @classmethod
    def name(cls) -> str:
        """URL prefix: /webhooks/telegram/webhook."""
        return "telegram"

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[str, Any]]) -> InputChannel:
        """Build from the credentials entry (token, secret_token, bot_username, base_url)."""
        if not credentials or not credentials.get("token") or not credentials.get("secret_token"):
            cls.raise_missing_credentials_exception()
        assert credentials is not None
        return cls(
            token=str(credentials["token"]),
            secret_token=str(credentials["secret_token"]),
            bot_username=str(credentials.get("bot_username") or ""),
            base_url=credentials.get("base_url") or "https://api.telegram.org/bot",
        )

    def __init__(
        self,
        token: str,
        secret_token: str,
        bot_username: str = "",
        base_url: str = "https://api.telegram.org/bot",
    ) -> None:
        self.bot = Bot(token=token, base_url=base_url)
        self.secret_token = secret_token
        self.bot_username = bot_username
        self.seen = SeenUpdates()
        self.limiter = RateLimiter()
        self.callbacks = CallbackPayloads()
        self._tasks: Set[asyncio.Task[None]] = set()
        self._ready = False

    def secret_ok(self, request: Request) -> bool:
        """Constant-time check of Telegram's secret header."""
        given = request.headers.get(SECRET_HEADER, "")
        return hmac.compare_digest(given.encode("utf-8"), self.secret_token.encode("utf-8"))

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        """Routes: GET / (health) and POST /webhook."""
        hook = Blueprint("telegram_webhook", __name__)

        @hook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @hook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            if not self.secret_ok(request):
                return response.json({"error": "wrong or missing secret token"}, status=403)
            try:
                update = json.loads(request.body or b"")
            except (ValueError, UnicodeDecodeError):
                return response.json({"error": "body is not JSON"}, status=400)
            if not isinstance(update, dict) or not isinstance(update.get("update_id"), int):
                return response.json({"error": "not a Telegram update (no update_id)"}, status=400)
            if not self.seen.first_time(update["update_id"]):
                return response.json({"status": "duplicate, ignored"})
            incoming = interpret(update, self.bot_username)
            if incoming is not None:
                task = asyncio.create_task(self._handle(incoming, on_new_message))
                self._tasks.add(task)
                task.add_done_callback(self._tasks.discard)
            return response.json({"status": "accepted"})

        return hook

    async def _handle(
        self, incoming: Incoming, on_new_message: Callable[[UserMessage], Awaitable[Any]]
    ) -> None:
        try:
            if not self._ready:  # getMe once, lazily, inside Sanic's event loop
                await self.bot.initialize()
                self._ready = True
            if incoming.callback_query_id:
                await self._answer_callback(incoming.callback_query_id)
            text = self.callbacks.payload_for(incoming.text) if incoming.callback_query_id else incoming.text
            output = TelegramOutput(self.bot, self.limiter, self.callbacks)
            await on_new_message(
                UserMessage(
                    text, output, incoming.sender_id, input_channel=self.name(), metadata=incoming.metadata
                )
            )
        except Exception:  # a failure in one conversation must not stop the others
            logger.exception("Could not handle a Telegram update for chat %s", incoming.chat_id)

    async def _answer_callback(self, query_id: str) -> None:
        try:
            await self.bot.answer_callback_query(query_id)
        except TelegramError as error:
            logger.warning("Could not answer callback query: %s", error)

    def get_output_channel(self) -> Optional[OutputChannel]:
        """For messages Rasa sends on its own (reminders, alerts)."""
        return TelegramOutput(self.bot, self.limiter, self.callbacks)
