"""The feature slices the assistant is made of, and what each one plugs in.

`bot content check`, the `bot` command and "delete my data" iterate the
registered features instead of naming them: a new slice writes its own
`feature.py` (building a `Feature`) and adds one line to FEATURE_MODULES.
Nothing here does I/O; a feature's module is imported only when asked for.

The slices (FEATURE_MODULES, in the order of `bot --help`):
- content (bot/content/feature.py): profiles, domain.yml, cards, wording, pictures and
  catalogs checks; the profile placeholders the NLG fills; `bot content ...`.
- channels (bot/channels/feature.py): `bot telegram set-webhook | poll`.
- nlu (bot/nlu/feature.py): the safety net's terms check; `bot nlu lookups`.
- sms (bot/sms/feature.py): the SMS keywords check; `bot sms simulate`.
- reports (bot/reports/feature.py): the {reference} placeholder; `bot reports ...`.
- services (bot/services/feature.py): regions and directory checks; a service's
  placeholders; `bot services import`, `bot referrals ...`.
- quiz (bot/quiz.py, a one-module slice): the {score} and {total} placeholders.
- retention (bot/retention/feature.py): `bot data expire`.
- outreach (bot/outreach/feature.py): alert subscriptions, campaigns, alerts, follow-ups,
  surveys; `bot campaigns ...`, `bot outreach worker`.
The `bot` core commands (serve, db, chat, train, model-path) stay in bot/cli.py; the
SMS budget of every response is measured by bot.content.check.check_all last, once
every feature's check passes. A feature module keeps its imports light (`bot --help`
imports all of them): command handlers import heavy modules when run.
"""

from __future__ import annotations

import argparse
import importlib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Mapping, Sequence

if TYPE_CHECKING:
    from bot.content.problems import Problem
    from bot.paths import ProjectPaths

# A content check: every problem it finds in the project's files (file:line, message).
ContentCheck = Callable[["ProjectPaths"], "list[Problem]"]
# Adds the feature's `bot` subcommands to the top-level subparsers.
AddCommands = Callable[["argparse._SubParsersAction[argparse.ArgumentParser]"], None]
# Erases one person's data held by the feature: (what the erasure needs, the conversation's
# pseudonym); raises when it cannot, so the caller can say what is not erased yet.
Erase = Callable[[Any, str], None]

# The registered slices, in the order their checks and commands are listed.
FEATURE_MODULES: tuple[str, ...] = (
    "bot.content.feature",
    "bot.channels.feature",
    "bot.nlu.feature",
    "bot.sms.feature",
    "bot.reports.feature",
    "bot.services.feature",
    "bot.quiz",
    "bot.retention.feature",
    "bot.outreach.feature",
)


@dataclass(frozen=True)
class Feature:
    """What one feature slice adds to the shared parts."""

    name: str
    # Content checks `bot content check` runs (and `bot serve` before starting).
    checks: Sequence[ContentCheck] = ()
    # {placeholder} names its actions pass to responses (the content check accepts them).
    placeholders: frozenset[str] = frozenset()
    # Its `bot` subcommands.
    commands: AddCommands | None = None
    # What it erases for "delete my data", by the name the erasure slot and marker use.
    erase: Mapping[str, Erase] = field(default_factory=dict)


def load_features(modules: Sequence[str] | None = None) -> list[Feature]:
    """Import each feature module (default: FEATURE_MODULES, read when called) and return its FEATURE."""
    chosen = FEATURE_MODULES if modules is None else modules
    return [importlib.import_module(name).FEATURE for name in chosen]
