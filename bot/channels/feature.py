"""What the channels slice plugs into the shared parts (see bot/features.py).

Its commands: `bot telegram set-webhook | poll`.
"""

from __future__ import annotations

import argparse
import asyncio

from bot.features import Feature
from bot.inbox.store import erase_inbox
from bot.privacy import INBOX


def _cmd_set_webhook(args: argparse.Namespace) -> int:
    # Imported when run: python-telegram-bot is slow to load and no other command needs it.
    from bot.channels.telegram_admin import set_webhook

    return asyncio.run(set_webhook(args.url, args.settings))


def _cmd_poll(args: argparse.Namespace) -> int:
    # Imported when run: python-telegram-bot is slow to load and no other command needs it.
    from bot.channels.telegram_admin import poll

    return asyncio.run(poll(args.url, args.settings))


def add_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """`bot telegram ...`: webhook and polling."""
    telegram = commands.add_parser("telegram", help="Telegram webhook and polling")
    telegram_commands = telegram.add_subparsers(dest="telegram_command", required=True)
    webhook = telegram_commands.add_parser("set-webhook", help="register URL with Telegram")
    webhook.add_argument("url", help="public https URL ending in /webhooks/telegram/webhook")
    webhook.set_defaults(func=_cmd_set_webhook)
    poll = telegram_commands.add_parser("poll", help="local development: fetch updates, forward them")
    poll.add_argument("--url", default="http://localhost:5005/webhooks/telegram/webhook")
    poll.set_defaults(func=_cmd_poll)


FEATURE = Feature(name="channels", commands=add_commands, erase={INBOX: erase_inbox})
