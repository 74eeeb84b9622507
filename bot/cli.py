"""The `bot` command: serve, chat, train, db upgrade, content check."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path
from typing import Optional, Sequence

from bot.paths import project_paths
from bot.settings import settings_or_exit


def _cmd_serve(args: argparse.Namespace) -> int:
    from bot.channels.credentials import write_active_credentials
    from bot.serve import ServerSettings, refuse_broken_content, serve
    from bot.training import ensure_model

    paths = project_paths(args.root, args.settings)
    # Content that goes live is content that passed the check: before training or starting anything.
    if refuse_broken_content(paths):
        return 1
    model = ensure_model(paths)
    credentials = args.credentials or str(
        write_active_credentials(paths.root / "credentials.yml", paths.var, os.environ)
    )
    settings = ServerSettings(
        port=args.port,
        actions_port=args.actions_port,
        endpoints=args.endpoints,
        credentials=credentials,
    )
    return serve(paths, model, settings, config=args.settings)


def _cmd_db_upgrade(args: argparse.Namespace) -> int:
    from bot.store.db import migrate_project_database

    problem = migrate_project_database(project_paths(args.root, args.settings), args.settings)
    if problem:
        print(problem, file=sys.stderr)
        return 1
    print("The app database is up to date.")
    return 0


def _cmd_chat(args: argparse.Namespace) -> int:
    from bot.chat import run_chat

    return run_chat(args.url, language_hint=args.language)


def _cmd_train(args: argparse.Namespace) -> int:
    from bot.training import ensure_model

    print(ensure_model(project_paths(args.root), force=args.force))
    return 0


def _cmd_model_path(args: argparse.Namespace) -> int:
    from bot.training import model_path

    print(model_path(project_paths(args.root)))
    return 0


def _cmd_content_check(args: argparse.Namespace) -> int:
    from bot.content.check import check_all, print_unverified

    paths = project_paths(args.root)
    problems = check_all(paths)
    for problem in problems:
        print(problem)
    print_unverified(paths, sys.stdout)
    errors = [p for p in problems if not p.warning]
    warnings = len(problems) - len(errors)
    if errors:
        print(f"{len(errors)} problem(s) found, {warnings} warning(s)")
    else:
        print(f"Content OK, {warnings} warning(s)" if warnings else "Content OK")
    return 1 if errors else 0


def _cmd_content_status(args: argparse.Namespace) -> int:
    from bot.content.status import print_status

    return print_status(project_paths(args.root), list_entries=not args.summary)


def _cmd_content_update(args: argparse.Namespace) -> int:
    from bot.content.status import update_messages

    return update_messages(project_paths(args.root))


def _cmd_content_compile(args: argparse.Namespace) -> int:
    from bot.content.status import compile_messages

    return compile_messages(project_paths(args.root))


def _cmd_content_pictures(args: argparse.Namespace) -> int:
    from bot.content.pictures import build_dir, render_pictures, sources_dir

    root = project_paths(args.root).root
    output = Path(args.output) if args.output else build_dir(root)
    try:
        written = render_pictures(sources_dir(root), output)
    except (ValueError, OSError) as error:
        print(error)
        return 1
    print(f"{len(written)} picture(s) in {output}")
    return 0


def _cmd_nlu_lookups(args: argparse.Namespace) -> int:
    from bot.nlu.lookups import LOOKUPS_FILE, annotated_names, render_lookups

    nlu_dir = project_paths(args.root).data / "nlu"
    (nlu_dir / LOOKUPS_FILE).write_text(render_lookups(annotated_names(nlu_dir)), encoding="utf-8")
    print(f"wrote {nlu_dir / LOOKUPS_FILE}")
    return 0


def _cmd_sms_simulate(args: argparse.Namespace) -> int:
    from bot.sms.simulate import run_simulation
    from bot.training import ensure_model

    paths = project_paths(args.root)
    return run_simulation(paths, ensure_model(paths), args.number)


def _cmd_telegram_set_webhook(args: argparse.Namespace) -> int:
    import asyncio

    from bot.channels.telegram_admin import set_webhook

    return asyncio.run(set_webhook(args.url, args.settings))


def _cmd_telegram_poll(args: argparse.Namespace) -> int:
    import asyncio

    from bot.channels.telegram_admin import poll

    return asyncio.run(poll(args.url, args.settings))


# --- hazard reports ---
def _cmd_reports_replay(args: argparse.Namespace) -> int:
    from bot.reports.commands import replay

    return replay(project_paths(args.root))


def _cmd_reports_export(args: argparse.Namespace) -> int:
    from bot.reports.commands import export

    return export(project_paths(args.root), args.format, args.since, args.country, args.output)


def _cmd_reports_forward(args: argparse.Namespace) -> int:
    from bot.reports.commands import forward

    return forward(project_paths(args.root))


# --- services directory and referrals ---
def _cmd_services_import(args: argparse.Namespace) -> int:
    from bot.services.commands import import_services

    return import_services(project_paths(args.root), args.paths)


def _cmd_referrals_list(args: argparse.Namespace) -> int:
    from bot.services.commands import list_command

    return list_command(project_paths(args.root), args.status)


def _cmd_referrals_export(args: argparse.Namespace) -> int:
    from bot.services.commands import export_command

    return export_command(project_paths(args.root), args.status, args.output)


def _cmd_referrals_close(args: argparse.Namespace) -> int:
    from bot.services.commands import close_command

    return close_command(project_paths(args.root), args.reference)


def build_parser() -> argparse.ArgumentParser:
    """The command-line interface."""
    parser = argparse.ArgumentParser(prog="bot", description=__doc__)
    parser.add_argument("--root", default=None, help="project folder (default: $BOT_HOME or .)")
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="start the Rasa and action servers")
    serve.add_argument("--port", type=int, default=5005)
    serve.add_argument("--actions-port", type=int, default=5055)
    serve.add_argument("--endpoints", default="endpoints.yml")
    serve.add_argument(
        "--credentials",
        default=None,
        help="default: the channels of credentials.yml whose ${VARS} are set",
    )
    serve.set_defaults(func=_cmd_serve)

    db = commands.add_parser("db", help="the app database (DATABASE_URL or var/app.db)")
    db_commands = db.add_subparsers(dest="db_command", required=True)
    db_upgrade = db_commands.add_parser("upgrade", help="apply pending migrations (safe to run concurrently)")
    db_upgrade.set_defaults(func=_cmd_db_upgrade)

    chat = commands.add_parser("chat", help="chat in the terminal with a running server")
    chat.add_argument("--url", default="http://localhost:5005")
    chat.add_argument("--language", default=None, help="language hint, e.g. km")
    chat.set_defaults(func=_cmd_chat)

    train = commands.add_parser("train", help="train the model if its inputs changed")
    train.add_argument("--force", action="store_true")
    train.set_defaults(func=_cmd_train)

    model = commands.add_parser("model-path", help="print the current model's path")
    model.set_defaults(func=_cmd_model_path)

    content = commands.add_parser("content", help="content tools for NGO staff")
    content_commands = content.add_subparsers(dest="content_command", required=True)
    check = content_commands.add_parser("check", help="validate domain, catalogs and profiles")
    check.set_defaults(func=_cmd_content_check)
    status = content_commands.add_parser(
        "status", help="per language: translated, needs review (previous translation served), missing"
    )
    status.add_argument("--summary", action="store_true", help="counts only, no list of entries")
    status.set_defaults(func=_cmd_content_status)
    update = content_commands.add_parser(
        "update", help="after editing English text in domain.yml: refresh messages.pot and every .po"
    )
    update.set_defaults(func=_cmd_content_update)
    compile_ = content_commands.add_parser("compile", help="write the .mo files and print honest counts")
    compile_.set_defaults(func=_cmd_content_compile)
    pictures = content_commands.add_parser(
        "pictures", help="draw content/pictures/*.svg as PNGs for Telegram (var/pictures)"
    )
    pictures.add_argument("--output", help="folder for the PNGs (default: var/pictures)")
    pictures.set_defaults(func=_cmd_content_pictures)

    telegram = commands.add_parser("telegram", help="Telegram webhook and polling")
    telegram_commands = telegram.add_subparsers(dest="telegram_command", required=True)
    webhook = telegram_commands.add_parser("set-webhook", help="register URL with Telegram")
    webhook.add_argument("url", help="public https URL ending in /webhooks/telegram/webhook")
    webhook.set_defaults(func=_cmd_telegram_set_webhook)
    poll = telegram_commands.add_parser("poll", help="local development: fetch updates, forward them")
    poll.add_argument("--url", default="http://localhost:5005/webhooks/telegram/webhook")
    poll.set_defaults(func=_cmd_telegram_poll)

    nlu = commands.add_parser("nlu", help="training data tools")
    nlu_commands = nlu.add_subparsers(dest="nlu_command", required=True)
    lookups = nlu_commands.add_parser("lookups", help="rebuild data/nlu/lookups.yml from annotated names")
    lookups.set_defaults(func=_cmd_nlu_lookups)

    sms = commands.add_parser("sms", help="SMS tools")
    sms_commands = sms.add_subparsers(dest="sms_command", required=True)
    simulate = sms_commands.add_parser("simulate", help="talk to the assistant as a basic phone would")
    simulate.add_argument("number", help="the phone's number, e.g. +85512345678 (gives country and language)")
    simulate.set_defaults(func=_cmd_sms_simulate)

    # --- hazard reports ---
    reports = commands.add_parser("reports", help="hazard reports: replay, export, forward")
    reports_commands = reports.add_subparsers(dest="reports_command", required=True)
    replay = reports_commands.add_parser("replay", help="move spooled reports into the database")
    replay.set_defaults(func=_cmd_reports_replay)
    export = reports_commands.add_parser("export", help="export reports for the mine action authority")
    export.add_argument("--format", choices=("csv", "hxl", "geojson"), default="csv")
    export.add_argument("--since", default=None, help="reports made on or after this date (YYYY-MM-DD)")
    export.add_argument("--country", default=None, help="ISO 3166 two-letter code, e.g. UA")
    export.add_argument("--output", default=None, help="file to write (default: standard output)")
    export.set_defaults(func=_cmd_reports_export)
    forward = reports_commands.add_parser("forward", help="retry pending deliveries to HAZARD_WEBHOOK_URL")
    forward.set_defaults(func=_cmd_reports_forward)

    # --- services directory and referrals ---
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
    return parser


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Entry point of the `bot` console script."""
    os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    args = build_parser().parse_args(argv)
    args.settings = settings_or_exit(os.environ)  # once, before any command: a bad value stops here
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())
