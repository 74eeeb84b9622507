"""`bot reports ...`: replay, export, forward hazard reports, set their status and alert
(registered by bot/reports/feature.py)."""

from __future__ import annotations

import argparse

from bot.paths import project_paths
from bot.reports.model import STATUSES

# Handlers import bot.reports.commands when run: it loads the database layer, which
# `bot --help` and the other commands do not need.


def _cmd_replay(args: argparse.Namespace) -> int:
    from bot.reports.commands import replay  # lazy: see the note above

    return replay(project_paths(args.root))


def _cmd_export(args: argparse.Namespace) -> int:
    from bot.reports.commands import export  # lazy: see the note above

    return export(project_paths(args.root), args.format, args.since, args.country, args.output)


def _cmd_forward(args: argparse.Namespace) -> int:
    from bot.reports.commands import forward  # lazy: see the note above

    return forward(project_paths(args.root))


def _cmd_set_status(args: argparse.Namespace) -> int:
    from bot.reports.commands import set_status  # lazy: see the note above

    return set_status(
        project_paths(args.root),
        args.reference,
        args.status,
        note=args.note,
        alert=args.alert,
        yes=args.yes,
        place=args.place,
        region=args.region,
        settings=args.settings,
    )


def _cmd_alert(args: argparse.Namespace) -> int:
    from bot.reports.commands import alert  # lazy: see the note above

    return alert(
        project_paths(args.root),
        args.reference,
        yes=args.yes,
        place=args.place,
        region=args.region,
        settings=args.settings,
    )


def _alert_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--yes", action="store_true", help="send the alert without asking to confirm")
    parser.add_argument(
        "--place", default=None, help="the place the alert names (default: none, the region only)"
    )
    parser.add_argument("--region", default=None, help="region id or name (default: the report's)")


def add_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """`bot reports replay | export | forward | set-status | alert`."""
    reports = commands.add_parser("reports", help="hazard reports: replay, export, forward, status, alerts")
    reports_commands = reports.add_subparsers(dest="reports_command", required=True)
    replay = reports_commands.add_parser("replay", help="move spooled reports into the database")
    replay.set_defaults(func=_cmd_replay)
    export = reports_commands.add_parser("export", help="export reports for the mine action authority")
    export.add_argument("--format", choices=("csv", "hxl", "geojson"), default="csv")
    export.add_argument("--since", default=None, help="reports made on or after this date (YYYY-MM-DD)")
    export.add_argument("--country", default=None, help="ISO 3166 two-letter code, e.g. UA")
    export.add_argument("--output", default=None, help="file to write (default: standard output)")
    export.set_defaults(func=_cmd_export)
    forward = reports_commands.add_parser("forward", help="retry pending deliveries to HAZARD_WEBHOOK_URL")
    forward.set_defaults(func=_cmd_forward)
    set_status = reports_commands.add_parser(
        "set-status", help="set a report's status (the person who made it is told, with consent)"
    )
    set_status.add_argument("reference", help="e.g. 7KQ4XH")
    set_status.add_argument("status", choices=STATUSES)
    set_status.add_argument("--note", default=None, help="a note for the team (never sent to anyone)")
    set_status.add_argument(
        "--alert", action="store_true", help="then alert the region's subscribers (verified or cleared only)"
    )
    _alert_options(set_status)
    set_status.set_defaults(func=_cmd_set_status)
    alert = reports_commands.add_parser(
        "alert", help="alert the subscribers of a verified (or cleared) report's region"
    )
    alert.add_argument("reference", help="e.g. 7KQ4XH")
    _alert_options(alert)
    alert.set_defaults(func=_cmd_alert)
