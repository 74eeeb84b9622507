"""The `bot` command: serve, chat, train, db upgrade, content check."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from typing import Optional, Sequence

from bot.channels.credentials import write_active_credentials
from bot.chat import run_chat
from bot.features import Feature, load_features
from bot.paths import project_paths
from bot.settings import settings_or_exit
from bot.training import ensure_model, model_path


def _cmd_serve(args: argparse.Namespace) -> int:
    # Imported when run: the servers' module loads SQLAlchemy and the process supervisor.
    from bot.serve import ServerSettings, refuse_broken_content, serve

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
    # Imported when run: SQLAlchemy and Alembic, which the other commands do not need.
    from bot.store.db import migrate_project_database

    problem = migrate_project_database(project_paths(args.root, args.settings), args.settings)
    if problem:
        print(problem, file=sys.stderr)
        return 1
    print("The app database is up to date.")
    return 0


def _cmd_chat(args: argparse.Namespace) -> int:
    return run_chat(args.url, language_hint=args.language)


def _cmd_train(args: argparse.Namespace) -> int:
    print(ensure_model(project_paths(args.root), force=args.force))
    return 0


def _cmd_model_path(args: argparse.Namespace) -> int:
    print(model_path(project_paths(args.root)))
    return 0


def build_parser(features: Optional[Sequence[Feature]] = None) -> argparse.ArgumentParser:
    """The command-line interface: the core commands, then every feature's (default: load_features())."""
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

    # Every feature slice adds its own commands (bot/features.py).
    for feature in load_features() if features is None else features:
        if feature.commands is not None:
            feature.commands(commands)
    return parser


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Entry point of the `bot` console script."""
    os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")
    # Parsed before logging is configured: feature modules may import libraries that log
    # their set-up at INFO (alembic), which is no news for someone typing `bot --help`.
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    args.settings = settings_or_exit(os.environ)  # once, before any command: a bad value stops here
    args.environ = dict(os.environ)  # for credentials.yml's ${VARS} (`bot outreach worker` sends with them)
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())
