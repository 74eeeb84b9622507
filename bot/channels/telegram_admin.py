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


def _bot(settings: Settings) -> tuple[Bot, str]:
    """The Bot API client and the webhook's secret token."""
    token, secret = settings.telegram_token, settings.telegram_secret_token
    if not token or not secret:
        raise SystemExit("Set TELEGRAM_TOKEN and TELEGRAM_SECRET_TOKEN (see .env.example).")
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
