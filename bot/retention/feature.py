"""What the retention slice plugs into the shared parts (see bot/features.py): `bot data expire`."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any, Mapping, Optional

from bot.features import Feature
from bot.paths import project_paths


def _tracker_store_config(endpoints: Path) -> Optional[Mapping[str, Any]]:
    """The `tracker_store:` part of an endpoints file, its ${VARS} expanded as the Rasa server does
    (only that part's: the action server's URL, say, need not be set for this command)."""
    import yaml

    # Imported when run: Rasa's YAML reader (the Rasa server's, so `url: ${VAR}` means the
    # same here) loads much of Rasa, which `bot --help` does not need.
    from rasa.shared.exceptions import RasaException
    from rasa.shared.utils.io import read_yaml

    try:
        config = yaml.safe_load(endpoints.read_text(encoding="utf-8"))
        section = config.get("tracker_store") if isinstance(config, dict) else None
        expanded = read_yaml(yaml.safe_dump(section)) if isinstance(section, dict) else None
    except (OSError, yaml.YAMLError, RasaException) as error:
        raise SystemExit(f"{endpoints}: {error}") from error
    return expanded if isinstance(expanded, dict) else None


def _cmd_expire(args: argparse.Namespace) -> int:
    # Imported when run: SQLAlchemy, the stores and their tables.
    from bot.retention.conversations import tracker_database_url
    from bot.retention.expire import expire_all
    from bot.settings import Timeouts
    from bot.store.db import Database, database_url, make_engine

    settings = args.settings
    paths = project_paths(args.root, settings)
    endpoints = paths.root / args.endpoints
    if not endpoints.is_file():
        raise SystemExit(f"{endpoints}: no such endpoints file")
    url = tracker_database_url(_tracker_store_config(endpoints), paths.root)
    # A batch of deletions may take longer than a turn's statement: the migration timeout bounds it.
    limits = Timeouts(settings.timeouts.connect, settings.timeouts.migration, settings.timeouts.migration)
    tracker = make_engine(url, limits) if url else None
    database = Database.from_url(database_url(paths, settings), limits)
    try:
        report = expire_all(database, tracker, settings.retention, dry_run=args.dry_run)
    finally:
        database.dispose()
        if tracker is not None:
            tracker.dispose()
    for line in report.lines():
        print(line)
    return 1 if report.failed else 0


def add_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """`bot data expire`: delete what is kept longer than its retention period."""
    data = commands.add_parser("data", help="stored personal data")
    data_commands = data.add_subparsers(dest="data_command", required=True)
    expire = data_commands.add_parser(
        "expire",
        help="delete what is older than its retention period (RETAIN_*_DAYS); run it daily",
    )
    expire.add_argument("--dry-run", action="store_true", help="only count what would be deleted")
    expire.add_argument(
        "--endpoints",
        default="endpoints.yml",
        help="the Rasa server's endpoints file, for its tracker store (default: the project's)",
    )
    expire.set_defaults(func=_cmd_expire)


FEATURE = Feature(name="retention", commands=add_commands)
