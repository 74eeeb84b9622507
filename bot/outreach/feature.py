"""What the outreach slice plugs into the shared parts (see bot/features.py)."""

from __future__ import annotations

from bot.content.problems import Problem
from bot.features import Feature
from bot.outreach.cli import add_commands
from bot.paths import ProjectPaths


def check_campaigns(paths: ProjectPaths) -> list[Problem]:
    """content/campaigns/*.yml (bot.outreach.campaign_check; imported when the check runs)."""
    from bot.outreach.campaign_check import check_campaigns as check

    return check(paths)


FEATURE = Feature(name="outreach", checks=(check_campaigns,), commands=add_commands)
