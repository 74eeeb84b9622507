"""`bot services import` and `bot referrals list | export | close | assign | note | notify`
(registered by bot/services/feature.py)."""

from __future__ import annotations

import argparse

from bot.paths import project_paths

# Handlers import bot.services.commands when run: it loads the database layer, which
# `bot --help` and the other commands do not need.


def _cmd_services_import(args: argparse.Namespace) -> int:
    from bot.services.commands import import_services  # lazy: see the note above

    return import_services(project_paths(args.root), args.paths)


def _cmd_referrals_list(args: argparse.Namespace) -> int:
    from bot.services.commands import list_command  # lazy: see the note above

    return list_command(project_paths(args.root), args.status)


def _cmd_referrals_export(args: argparse.Namespace) -> int:
    from bot.services.commands import export_command  # lazy: see the note above

    return export_command(project_paths(args.root), args.status, args.output)


def _cmd_referrals_close(args: argparse.Namespace) -> int:
    from bot.services.commands import close_command  # lazy: see the note above

    return close_command(project_paths(args.root), args.reference, settings=args.settings)


def _cmd_referrals_assign(args: argparse.Namespace) -> int:
    from bot.services.commands import assign_command  # lazy: see the note above

    return assign_command(
        project_paths(args.root), args.reference, args.partner, args.note, settings=args.settings
    )


def _cmd_referrals_note(args: argparse.Namespace) -> int:
    from bot.services.commands import note_command  # lazy: see the note above

    return note_command(project_paths(args.root), args.reference, args.text)


def _cmd_referrals_notify(args: argparse.Namespace) -> int:
    from bot.services.commands import notify_command  # lazy: see the note above

    return notify_command(project_paths(args.root), settings=args.settings)


def add_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """`bot services ...` and `bot referrals ...`."""
    services = commands.add_parser("services", help="the services directory (content/services/*.csv)")
    services_commands = services.add_subparsers(dest="services_command", required=True)
    services_import = services_commands.add_parser("import", help="validate and load the CSV files")
    services_import.add_argument("paths", nargs="*", help="CSV files (default: content/services/*.csv)")
    services_import.set_defaults(func=_cmd_services_import)
    referrals = commands.add_parser("referrals", help="referrals people consented to")
    referrals_commands = referrals.add_subparsers(dest="referrals_command", required=True)
    statuses = ("open", "closed", "cancelled")
    referrals_list = referrals_commands.add_parser("list", help="list referrals (no contact details)")
    referrals_list.add_argument("--status", choices=statuses, default=None)
    referrals_list.set_defaults(func=_cmd_referrals_list)
    referrals_export = referrals_commands.add_parser("export", help="export referrals for partners")
    referrals_export.add_argument("--status", choices=statuses, default="open")
    referrals_export.add_argument("--format", choices=("csv",), default="csv")
    referrals_export.add_argument("--output", default=None, help="file to write (default: standard output)")
    referrals_export.set_defaults(func=_cmd_referrals_export)
    referrals_close = referrals_commands.add_parser("close", help="close a referral (erases its contact)")
    referrals_close.add_argument("reference", help="e.g. 7KQ4XH")
    referrals_close.set_defaults(func=_cmd_referrals_close)
    assign = referrals_commands.add_parser(
        "assign", help="assign an open referral to a partner (notified; the person is told)"
    )
    assign.add_argument("reference", help="e.g. 7KQ4XH")
    assign.add_argument("partner", help="a partner id of content/services/partners.yml")
    assign.add_argument("--note", default=None, help="a note for the team (never sent to anyone)")
    assign.set_defaults(func=_cmd_referrals_assign)
    note = referrals_commands.add_parser("note", help="keep a note for the team on a referral")
    note.add_argument("reference", help="e.g. 7KQ4XH")
    note.add_argument("text", help="the note (never sent to anyone)")
    note.set_defaults(func=_cmd_referrals_note)
    notify = referrals_commands.add_parser(
        "notify", help="notify partners of open referrals they were never told of"
    )
    notify.set_defaults(func=_cmd_referrals_notify)
