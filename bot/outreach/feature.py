"""What the outreach slice plugs into the shared parts (see bot/features.py).

Its commands: `bot campaigns ...` and `bot outreach worker`; its checks: content/campaigns, content/surveys.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from bot.content.problems import Problem
from bot.features import Feature
from bot.outreach.cli import add_commands as add_campaign_commands
from bot.outreach.subscriptions import erase
from bot.outreach.surveys import check_surveys
from bot.paths import ProjectPaths
from bot.privacy import ALERTS, SURVEYS

if TYPE_CHECKING:
    from bot.privacy import AppData


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


# The values actions/surveys.py passes to the survey responses.
SURVEY_PLACEHOLDERS = frozenset(
    {
        "survey_title",
        "survey_intro",
        "survey_number",
        "survey_total",
        "survey_question",
        "survey_score",
        "survey_knowledge",
        "survey_closing",
    }
)


def erase_surveys(data: AppData, conversation: str) -> None:
    """ "Delete my data": the person's survey responses and answers (raises when it cannot)."""
    from bot.outreach.survey_answers import erase_responses

    with data.database.sessions.begin() as session:
        erase_responses(session, conversation)


FEATURE = Feature(
    name="outreach",
    # Campaigns (content/campaigns) and surveys (content/surveys), each with its translations.
    checks=(check_campaigns, check_surveys),
    # The subscribed region's name, passed by action_subscribe_alerts; the survey texts and score.
    placeholders=frozenset({"region"}) | SURVEY_PLACEHOLDERS,
    commands=add_commands,
    # "Delete my data": the alert subscription, and the addresses of the person's outreach messages;
    # the person's survey answers.
    erase={ALERTS: erase, SURVEYS: erase_surveys},
)
