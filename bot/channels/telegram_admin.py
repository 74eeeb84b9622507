"""`bot telegram set-webhook` and `bot telegram poll`: talk to the Bot API with the settings' token."""

from __future__ import annotations

import asyncio
import json
import logging
import urllib.error
import urllib.request
from typing import Optional

from telegram import Bot
from telegram.error import TelegramError

from bot.channels.telegram import API_BASE_URL, SECRET_HEADER, build_bot
from bot.settings import Settings, load_settings

logger = logging.getLogger(__name__)


REDACTED = "<redacted>"
# They log every request's URL at INFO, and the Bot API's URLs hold the token (/bot<TOKEN>/method).
CHATTY_LOGGERS = ("httpx", "httpcore", "telegram")


class RedactSecrets(logging.Filter):
    """Replaces each secret in a record's message, arguments and traceback before any handler writes it."""

    def __init__(self, secrets: list[str]) -> None:
        super().__init__()
        self.secrets = [s for s in secrets if s]

    def redact(self, text: str) -> str:
        """`text` with every secret replaced."""
        for secret in self.secrets:
            text = text.replace(secret, REDACTED)
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        """Rewrite the record in place (the message formatted once); never drops it."""
        record.msg = self.redact(record.getMessage())
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.redact(record.exc_text)
        if record.stack_info:
            record.stack_info = self.redact(record.stack_info)
        return True


def keep_out_of_logs(*secrets: Optional[str]) -> RedactSecrets:
    """Redact `secrets` in every record the process's handlers write, and quieten the HTTP clients'
    request lines (whose URLs carry the bot token) to warnings."""
    redactor = RedactSecrets([s for s in secrets if s])
    handlers: list[Optional[logging.Handler]] = [*logging.getLogger().handlers, logging.lastResort]
    for handler in handlers:
        if handler is not None:
            handler.addFilter(redactor)
    for name in CHATTY_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)
    return redactor


def _bot(settings: Settings) -> tuple[Bot, str]:
    """The Bot API client and the webhook's secret token; the token and secret kept out of the logs."""
    token, secret = settings.telegram_token, settings.telegram_secret_token
    if not token or not secret:
        raise SystemExit("Set TELEGRAM_TOKEN and TELEGRAM_SECRET_TOKEN (see .env.example).")
    keep_out_of_logs(token, secret)
    return build_bot(token, settings.telegram_api_base_url or API_BASE_URL), secret


async def set_webhook(url: str, settings: Optional[Settings] = None) -> int:
    """Register the webhook with the secret token, for updates the assistant handles."""
    client, secret = _bot(settings or load_settings())
    async with client as bot:
        await bot.set_webhook(
            url,
            secret_token=secret,
            allowed_updates=["message", "callback_query"],
        )
        print(f"Webhook set to {url}")
    return 0


def _forward(url: str, update: dict[str, object], secret: str) -> None:
    """Post one update to our own webhook, exactly as Telegram would."""
    request = urllib.request.Request(
        url,
        data=json.dumps(update).encode("utf-8"),
        headers={"Content-Type": "application/json", SECRET_HEADER: secret},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        response.read()


async def poll(url: str, settings: Optional[Settings] = None) -> int:
    """Local development without a public URL: getUpdates, forward each to the webhook."""
    client, secret = _bot(settings or load_settings())
    async with client as bot:
        await bot.delete_webhook()
        print(f"Polling Telegram and forwarding to {url}; Ctrl-C to stop.")
        offset = 0
        while True:
            try:
                updates = await bot.get_updates(
                    offset=offset, timeout=30, allowed_updates=["message", "callback_query"]
                )
            except TelegramError as error:
                logger.warning("getUpdates failed: %s", error)
                await asyncio.sleep(5)
                continue
            for update in updates:
                try:
                    await asyncio.to_thread(_forward, url, update.to_dict(), secret)
                except (urllib.error.URLError, OSError) as error:
                    logger.error(
                        "Could not forward update %s (is `make run` running?): %s", update.update_id, error
                    )
                    await asyncio.sleep(2)
                    break
                offset = update.update_id + 1
