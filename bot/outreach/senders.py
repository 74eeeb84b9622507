"""Send one outbox message by its channel: Telegram, SMS, a partner's webhook or e-mail.

The senders run on one event loop per worker process (`SendLoop`), which the queue's worker
threads hand their sends to. Telegram's limits (30 messages a second overall, one a second per
chat) and each SMS gateway's rate hold across every worker through Redis when REDIS_URL is set
(`bot.channels.shared_state`: the same keys as the Telegram channel's replies, so campaigns and
conversations share one budget), else within the process. Each send is one attempt: the queue
schedules the retries (`bot.outreach.queue`). Errors recorded name the kind of failure, never the
address or the text.
"""

from __future__ import annotations

import asyncio
import json
import logging
import smtplib
import threading
import time
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Any, Awaitable, Coroutine, Mapping, Optional, Protocol, Sequence, TypeVar

import aiohttp
from redis.asyncio import Redis
from redis.exceptions import RedisError

from bot.channels.shared_state import RedisRateLimiter, redis_client
from bot.channels.support import SharedSession
from bot.channels.telegram_limits import PER_CHAT_INTERVAL, RateLimiter
from bot.settings import Settings
from bot.sms.gateways import Gateway, SendRefusedError, gateway_from_credentials

logger = logging.getLogger(__name__)

T = TypeVar("T")

TELEGRAM_CHANNEL = "bot.channels.telegram.TelegramInput"
# The SMS channels' credentials entries and their gateways, in the order one is chosen for outreach.
SMS_CHANNELS = {
    "bot.channels.sms.TwilioInput": "twilio",
    "bot.channels.sms.AfricasTalkingInput": "africastalking",
}
# Telegram counts a message when it arrives, a moment after its slot here (more or less, as the
# worker's machine is busy): campaign sends are paced evenly, 25 a second, rather than let through
# in bursts of 30, so whatever the delays on the way Telegram never sees more than 30 within a
# second (31 sends span 1.2 s: 0.2 s of delays absorbed). They also take a slot of the Telegram
# channel's own overall limit, so campaigns and replies share one budget.
TELEGRAM_PACE = 1.0 / 25
CHAT_INTERVAL = PER_CHAT_INTERVAL + 0.05
# A margin on an SMS gateway's rate too: sends paced 5% slower than SMS_SEND_RATE.
SMS_PACE_MARGIN = 1.05
# Flood control waited out within one job (3 times at most, each up to 10 s: far less than the
# row's lease); a longer wait goes back to the queue as a retry.
MAX_RETRY_AFTER = 10.0
RETRY_AFTER_ATTEMPTS = 3
WEBHOOK_TIMEOUT = 15.0
SMTP_TIMEOUT = 15.0
# How long a worker thread waits for its send on the loop (rate-limit waits included); the
# worker passes half the row's lease, so a row is never taken over while its send is under way.
SEND_TIMEOUT = 60.0

# KEYS[1]: the chat's next free time (ms, as the Telegram channel's limiter keeps it);
# ARGV[1]: the interval (ms). Takes the chat now if it is free (returns 0), else returns the wait (ms).
_TAKE_CHAT = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local free = tonumber(redis.call('GET', KEYS[1]) or '0')
if free > now then
  return free - now
end
local interval = tonumber(ARGV[1])
redis.call('SET', KEYS[1], now + interval, 'PX', 2 * interval)
return 0
"""


class RefusedError(Exception):
    """The channel refused the message for good (bad number, blocked bot): no retry."""


class NotSentError(Exception):
    """The message did not go this time (network, 5xx, flood control): retried later."""


@dataclass(frozen=True)
class Message:
    """What a sender needs: the channel, the opened address and the text (or JSON payload)."""

    channel: str
    address: str
    body: str


class Sender(Protocol):
    """Sends one message on one channel (one attempt)."""

    async def send(self, address: str, body: str) -> None:
        """Send, or raise RefusedError / NotSentError."""


class ChatGate:
    """One message a second per chat: taken only when the chat is free now (so a send that
    waited for an overall slot never lands within the interval of the chat's previous one)."""

    def __init__(
        self, client: Optional[Redis], interval: float = CHAT_INTERVAL, prefix: str = "eore:telegram"
    ):
        self._client = client
        self._interval = interval
        self._prefix = prefix
        self._take = client.register_script(_TAKE_CHAT) if client is not None else None
        self._local: dict[int, float] = {}

    async def try_take(self, chat_id: int) -> float:
        """0 when the chat is now ours for one send, else the seconds to wait before trying again."""
        if self._take is not None:
            try:
                wait = await self._take(
                    keys=[f"{self._prefix}:chat:{chat_id}"], args=[int(self._interval * 1000)]
                )
                return float(wait) / 1000
            except RedisError as error:
                logger.warning("Shared Telegram limits unavailable (%s): this worker's own apply", error)
        now = time.monotonic()
        free = self._local.get(chat_id, 0.0)
        if free > now:
            return free - now
        self._local[chat_id] = now + self._interval
        if len(self._local) > 10_000:  # forget chats whose interval has passed
            self._local = {k: v for k, v in self._local.items() if v > now}
        return 0.0


class TelegramOutreach:
    """sendMessage through python-telegram-bot, under Telegram's limits; honours retry_after."""

    def __init__(self, bot: Any, limiters: Sequence[RateLimiter], gate: ChatGate) -> None:
        self.bot = bot
        self.limiters = limiters  # each one's overall slot, in order
        self.gate = gate

    async def send(self, address: str, body: str) -> None:
        """One message to the chat `address` (its id)."""
        # Imported when run: python-telegram-bot is slow to load.
        from telegram.error import BadRequest, Forbidden, InvalidToken, RetryAfter, TelegramError

        chat_id = int(address)
        for _ in range(RETRY_AFTER_ATTEMPTS):
            while True:  # an overall slot first, then the chat if it is free right then
                for limiter in self.limiters:
                    await limiter.overall()
                wait = await self.gate.try_take(chat_id)
                if not wait:
                    break
                await asyncio.sleep(wait)
            try:
                await self.bot.send_message(chat_id=chat_id, text=body)
            except RetryAfter as error:
                delay = _seconds(error.retry_after)
                logger.warning("Telegram asks to wait %.1f s", delay)
                if delay > MAX_RETRY_AFTER:  # longer than a job holds its row: the queue retries it
                    raise NotSentError(f"telegram: flood control, retry after {delay:.0f} s") from error
                await asyncio.sleep(delay)
                continue
            except (BadRequest, Forbidden, InvalidToken) as error:
                raise RefusedError(f"telegram: {type(error).__name__}: {error}") from error
            except TelegramError as error:  # NetworkError, TimedOut, 5xx
                raise NotSentError(f"telegram: {type(error).__name__}: {error}") from error
            return
        raise NotSentError("telegram: flood control (retry_after) outlasted the attempts")


def _seconds(value: Any) -> float:
    """RetryAfter.retry_after is an int in PTB 21 and a timedelta in later versions."""
    return float(value.total_seconds()) if hasattr(value, "total_seconds") else float(value)


class SmsOutreach:
    """One SMS through the configured gateway, at most its rate across workers."""

    def __init__(self, gateway: Gateway, http: SharedSession, limiter: RateLimiter) -> None:
        self.gateway = gateway
        self.http = http
        self.limiter = limiter

    async def send(self, address: str, body: str) -> None:
        """One SMS to the number `address`."""
        await self.limiter.overall()
        try:
            await self.gateway.send_within(self.http.get(), address, body, attempts=1)
        except SendRefusedError as error:
            raise RefusedError(str(error)) from error
        except ConnectionError as error:
            raise NotSentError(str(error)) from error


class WebhookOutreach:
    """POST the JSON payload to a partner's URL: 2xx is delivered, 4xx (but 429) refused."""

    def __init__(self, http: SharedSession) -> None:
        self.http = http

    async def send(self, address: str, body: str) -> None:
        """POST `body` (JSON) to `address`."""
        try:
            timeout = aiohttp.ClientTimeout(total=WEBHOOK_TIMEOUT)
            async with self.http.get().post(
                address,
                data=body.encode("utf-8"),
                headers={"Content-Type": "application/json"},
                timeout=timeout,
            ) as response:
                if response.status < 300:
                    return
                if response.status != 429 and response.status < 500:
                    raise RefusedError(f"webhook: HTTP {response.status}")
                raise NotSentError(f"webhook: HTTP {response.status}")
        except (aiohttp.ClientError, asyncio.TimeoutError) as error:
            raise NotSentError(f"webhook: {type(error).__name__}") from error


class EmailOutreach:
    """Mail through SMTP_HOST: the subject is the payload's "subject" (else its first line)."""

    def __init__(self, host: str, port: int, sender: str) -> None:
        self.host = host
        self.port = port
        self.sender = sender

    async def send(self, address: str, body: str) -> None:
        """Send `body` to `address` (the SMTP exchange runs on a thread)."""
        await asyncio.to_thread(self._send, address, body)

    def _send(self, address: str, body: str) -> None:
        subject, text = _subject_and_text(body)
        mail = EmailMessage()
        mail["From"], mail["To"], mail["Subject"] = self.sender, address, subject
        mail.set_content(text)
        try:
            with smtplib.SMTP(self.host, self.port, timeout=SMTP_TIMEOUT) as smtp:
                smtp.send_message(mail)
        except smtplib.SMTPRecipientsRefused as error:
            raise RefusedError("email: recipient refused") from error
        except (smtplib.SMTPException, OSError) as error:
            raise NotSentError(f"email: {type(error).__name__}") from error


def _subject_and_text(body: str) -> tuple[str, str]:
    try:
        payload = json.loads(body)
    except ValueError:
        payload = None
    if isinstance(payload, dict):
        subject = str(payload.get("subject") or "")
        text = str(payload.get("text") or json.dumps(payload, ensure_ascii=False, indent=2))
        return subject or text.splitlines()[0][:120], text
    return (body.splitlines() or [""])[0][:120], body


class Senders:
    """The senders of every configured channel; `send` picks the message's."""

    def __init__(self, senders: Mapping[str, Sender], http: SharedSession, redis: Optional[Redis]) -> None:
        self._senders = dict(senders)
        self._http = http
        self._redis = redis

    @property
    def channels(self) -> frozenset[str]:
        """The channels this worker can send on."""
        return frozenset(self._senders)

    async def send(self, message: Message) -> None:
        """Send one message; RefusedError / NotSentError say why it did not go."""
        sender = self._senders.get(message.channel)
        if sender is None:
            raise NotSentError(f"{message.channel}: channel not configured on this worker")
        await sender.send(message.address, message.body)

    async def close(self) -> None:
        """Close the HTTP session and the Redis client."""
        await self._http.close()
        if self._redis is not None:
            await self._redis.close()


def build_senders(settings: Settings, credentials: Mapping[str, Mapping[str, Any]]) -> Senders:
    """Every channel `credentials` configures (Telegram, the first SMS gateway), webhooks, and
    e-mail when SMTP_HOST and SMTP_FROM are set. Called on the loop that will send."""
    redis = redis_client(settings.scale.redis_url) if settings.scale.redis_url else None
    http = SharedSession()
    senders: dict[str, Sender] = {"webhook": WebhookOutreach(http)}
    telegram = credentials.get(TELEGRAM_CHANNEL)
    if telegram and telegram.get("token"):
        from bot.channels.telegram import API_BASE_URL, build_bot

        bot = build_bot(str(telegram["token"]), str(telegram.get("base_url") or API_BASE_URL))
        limiters: list[RateLimiter] = (
            [
                RedisRateLimiter(redis, prefix="eore:outreach:telegram", per_second=1, window=TELEGRAM_PACE),
                RedisRateLimiter(redis),  # the channel's: replies see the campaign's sends
            ]
            if redis is not None
            else [RateLimiter(per_second=1, window=TELEGRAM_PACE)]
        )
        senders["telegram"] = TelegramOutreach(bot, limiters, ChatGate(redis))
    for entry, name in SMS_CHANNELS.items():
        if entry in credentials:
            gateway = gateway_from_credentials(name, credentials[entry])
            pace = SMS_PACE_MARGIN / settings.outreach.sms_send_rate  # evenly, as Telegram's
            sms_limiter: RateLimiter = (
                RedisRateLimiter(redis, prefix=f"eore:sms:{name}", per_second=1, window=pace)
                if redis is not None
                else RateLimiter(per_second=1, window=pace)
            )
            senders["sms"] = SmsOutreach(gateway, http, sms_limiter)
            break
    outreach = settings.outreach
    if outreach.smtp_host and outreach.smtp_from:
        senders["email"] = EmailOutreach(outreach.smtp_host, outreach.smtp_port, outreach.smtp_from)
    return Senders(senders, http, redis)


class SendLoop:
    """One event loop on a thread of its own, running the sends the worker threads hand it."""

    def __init__(self) -> None:
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="outreach-send-loop", daemon=True)
        self._thread.start()

    def run(self, coroutine: Coroutine[Any, Any, T], timeout: float = SEND_TIMEOUT) -> T:
        """Run `coroutine` on the loop and wait for its result (its exception is raised here)."""
        future: Future[T] = asyncio.run_coroutine_threadsafe(coroutine, self._loop)
        try:
            return future.result(timeout=timeout)
        except FutureTimeout as error:
            future.cancel()
            raise NotSentError(f"not sent within {timeout:.0f} s") from error

    def call(self, make: Any) -> Any:
        """Call `make()` on the loop's thread (objects that bind to the running loop)."""

        async def inside() -> Any:
            return make()

        return self.run(inside())

    def close(self, last: Optional[Awaitable[None]] = None) -> None:
        """Run `last` (closing sessions), then stop the loop."""
        if last is not None:

            async def final() -> None:
                await last

            try:
                self.run(final(), timeout=10)
            except Exception as error:  # closing is best effort at shutdown
                logger.debug("closing the senders: %s", error)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)
