"""`bot reports ...`: replay, export, forward hazard reports (registered by bot/reports/feature.py)."""

from __future__ import annotations

import argparse

from bot.paths import project_paths

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


def add_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """`bot reports replay | export | forward`."""
    reports = commands.add_parser("reports", help="hazard reports: replay, export, forward")
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
