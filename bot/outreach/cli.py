"""`bot campaigns list | preview | send | send-due | status` (registered by bot/outreach/feature.py).

Handlers import bot.outreach.campaign_commands when run: it loads the database layer and the
catalogs, which `bot --help` and the other commands do not need.
"""

from __future__ import annotations

import argparse
import sys
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from bot.clock import utc_now
from bot.paths import project_paths


def _today(args: argparse.Namespace) -> date:
    return utc_now().date()


def _cmd_list(args: argparse.Namespace) -> int:
    from bot.outreach.campaign_commands import list_campaigns  # lazy: see the note above

    return list_campaigns(project_paths(args.root, args.settings), _today(args), sys.stdout)


def _cmd_preview(args: argparse.Namespace) -> int:
    from bot.outreach.campaign_commands import preview  # lazy: see the note above

    return preview(project_paths(args.root, args.settings), args.name, args.country, _today(args), sys.stdout)


def _stores(args: argparse.Namespace) -> tuple[Any, Any, Any, Any]:
    from bot.store.db import Database
    from bot.store.pseudonym import Pseudonymizer, load_key

    settings = args.settings
    paths = project_paths(args.root, settings)
    database = Database.for_project(paths, settings).migrate()
    return settings, paths, database, Pseudonymizer(load_key(paths.var, settings))


def _enqueue(settings: Any, paths: Any) -> Any:
    """A factory of the function that puts outbox keys on the queue (built only when needed)."""

    def enqueue() -> Any:
        # The Huey queue (bot/outreach/queue.py) with its tasks registered: this process only enqueues.
        from bot.outreach.queue import dispatch, enqueue_only

        huey = enqueue_only(settings, paths)
        return lambda keys: dispatch(huey, keys)

    return enqueue


def _cmd_send(args: argparse.Namespace) -> int:
    from bot.outreach.campaign_commands import send  # lazy: see the note above

    settings, paths, database, pseudonyms = _stores(args)
    enqueue = _enqueue(settings, paths)
    try:
        return send(
            paths,
            database,
            pseudonyms,
            args.name,
            _today(args),
            sys.stdout,
            enqueue=enqueue,
            dry=args.dry_run,
            price=args.price if args.price is not None else settings.sms_price_per_segment,
            day=args.date,
            wait=not args.no_wait,
        )
    finally:
        database.dispose()


def _cmd_send_due(args: argparse.Namespace) -> int:
    from bot.outreach.campaign_commands import send_scheduled  # lazy: see the note above

    settings, paths, database, pseudonyms = _stores(args)
    try:
        day = args.date or _today(args)
        return send_scheduled(paths, database, pseudonyms, day, sys.stdout, _enqueue(settings, paths))
    finally:
        database.dispose()


def _cmd_status(args: argparse.Namespace) -> int:
    from bot.outreach.campaign_commands import status  # lazy: see the note above

    _, _, database, pseudonyms = _stores(args)
    try:
        return status(database, pseudonyms, args.name, sys.stdout)
    finally:
        database.dispose()


def _price(text: str) -> Decimal:
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise argparse.ArgumentTypeError(f"not a price: {text!r} (e.g. 0.05)") from None
    if not value.is_finite() or value < 0:
        raise argparse.ArgumentTypeError(f"not a price: {text!r} (e.g. 0.05)")
    return value


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date: {text!r} (YYYY-MM-DD)") from None


def add_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """`bot campaigns list | preview NAME | send NAME [--dry-run] | send-due | status NAME`."""
    campaigns = commands.add_parser(
        "campaigns", help="outreach campaigns (content/campaigns): preview, send, status"
    )
    sub = campaigns.add_subparsers(dest="campaigns_command", required=True)
    list_ = sub.add_parser("list", help="every campaign, when it sends and whether it can")
    list_.set_defaults(func=_cmd_list)
    preview = sub.add_parser("preview", help="each language and channel as sent, with SMS segments")
    preview.add_argument("name", help="the campaign (its file name without .yml)")
    preview.add_argument("--country", default=None, help="country profile whose numbers fill the text")
    preview.set_defaults(func=_cmd_preview)
    send = sub.add_parser("send", help="send a campaign (again: only what is not sent yet)")
    send.add_argument("name", help="the campaign (its file name without .yml)")
    send.add_argument(
        "--dry-run", action="store_true", help="count recipients, SMS segments and cost; send nothing"
    )
    send.add_argument(
        "--price", type=_price, default=None, help="price of one SMS segment (default: SMS_PRICE_PER_SEGMENT)"
    )
    send.add_argument(
        "--date", type=_date, default=None, help="the occurrence to send (default: the schedule's)"
    )
    send.add_argument(
        "--no-wait", action="store_true", help="queue the messages and return (no progress bar)"
    )
    send.set_defaults(func=_cmd_send)
    due = sub.add_parser("send-due", help="send the campaigns whose schedule is due today (run it daily)")
    due.add_argument("--date", type=_date, default=None, help="the day to act as today (default: today, UTC)")
    due.set_defaults(func=_cmd_send_due)
    status = sub.add_parser("status", help="queued / sent / failed / stopped per channel and language")
    status.add_argument("name", help="the campaign (its file name without .yml)")
    status.set_defaults(func=_cmd_status)
