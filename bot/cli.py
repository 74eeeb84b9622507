"""The `bot` command: serve, chat, train, content check."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from typing import Optional, Sequence

from bot.paths import project_paths


def _cmd_serve(args: argparse.Namespace) -> int:
    from bot.serve import ServerSettings, serve
    from bot.training import ensure_model

    paths = project_paths(args.root)
    model = ensure_model(paths)
    credentials = args.credentials or (
        "credentials.telegram.yml" if os.environ.get("TELEGRAM_TOKEN") else "credentials.yml"
    )
    settings = ServerSettings(
        port=args.port,
        actions_port=args.actions_port,
        endpoints=args.endpoints,
        credentials=credentials,
    )
    return serve(paths, model, settings)


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
    from bot.content.check import check_all

    problems = check_all(project_paths(args.root))
    for problem in problems:
        print(problem)
    print(f"{len(problems)} problem(s) found" if problems else "Content OK")
    return 1 if problems else 0


def _cmd_nlu_lookups(args: argparse.Namespace) -> int:
    from bot.nlu.lookups import LOOKUPS_FILE, annotated_names, render_lookups

    nlu_dir = project_paths(args.root).data / "nlu"
    (nlu_dir / LOOKUPS_FILE).write_text(render_lookups(annotated_names(nlu_dir)), encoding="utf-8")
    print(f"wrote {nlu_dir / LOOKUPS_FILE}")
    return 0


def _cmd_telegram_set_webhook(args: argparse.Namespace) -> int:
    import asyncio

    from bot.channels.telegram_admin import set_webhook

    return asyncio.run(set_webhook(args.url))


def _cmd_telegram_poll(args: argparse.Namespace) -> int:
    import asyncio

    from bot.channels.telegram_admin import poll

    return asyncio.run(poll(args.url))


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
        help="default: credentials.telegram.yml if TELEGRAM_TOKEN is set, else credentials.yml",
    )
    serve.set_defaults(func=_cmd_serve)

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
    return parser


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Entry point of the `bot` console script."""
    os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    args = build_parser().parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())
