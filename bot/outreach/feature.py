"""What the outreach slice plugs into the shared parts (see bot/features.py).

Its commands: `bot campaigns ...` and `bot outreach worker`; its check: content/campaigns.
"""

from __future__ import annotations

import argparse

from bot.content.problems import Problem
from bot.features import Feature
from bot.outreach.cli import add_commands as add_campaign_commands
from bot.outreach.subscriptions import erase
from bot.paths import ProjectPaths
from bot.privacy import ALERTS


def _cmd_worker(args: argparse.Namespace) -> int:
    # Imported when run: Huey, SQLAlchemy and the senders, which `bot --help` does not need.
    from bot.channels.credentials import configured_channels
    from bot.outreach.queue import run_worker
    from bot.paths import project_paths

    paths = project_paths(args.root, args.settings)
    source = args.credentials or str(paths.root / "credentials.yml")
    credentials = configured_channels(paths.root / source, args.environ)
    return run_worker(args.settings, paths, credentials, workers=args.workers)


def add_outreach_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """`bot outreach worker`."""
    outreach = commands.add_parser("outreach", help="the outreach job queue")
    outreach_commands = outreach.add_subparsers(dest="outreach_command", required=True)
    worker = outreach_commands.add_parser(
        "worker", help="send campaigns, alerts, follow-ups and partner notifications (until Ctrl-C)"
    )
    worker.add_argument("--workers", type=int, default=4, help="sending threads (default 4)")
    worker.add_argument(
        "--credentials",
        default=None,
        help="the channels' credentials (default: credentials.yml, the channels whose ${VARS} are set)",
    )
    worker.set_defaults(func=_cmd_worker)


def add_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """The outreach slice's `bot` commands: `bot campaigns ...`, `bot outreach worker`."""
    add_campaign_commands(commands)
    add_outreach_commands(commands)


def check_campaigns(paths: ProjectPaths) -> list[Problem]:
    """content/campaigns/*.yml (bot.outreach.campaign_check; imported when the check runs)."""
    from bot.outreach.campaign_check import check_campaigns as check

    return check(paths)


FEATURE = Feature(
    name="outreach",
    checks=(check_campaigns,),
    # The subscribed region's name, passed by action_subscribe_alerts.
    placeholders=frozenset({"region"}),
    commands=add_commands,
    # "Delete my data": the alert subscription, and the addresses of the person's outreach messages.
    erase={ALERTS: erase},
)
