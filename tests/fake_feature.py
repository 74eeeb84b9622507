"""A feature slice that exists only for tests/test_features.py: a check, a placeholder, a command."""

from __future__ import annotations

import argparse

from bot.content.problems import Problem
from bot.features import Feature
from bot.paths import ProjectPaths

FAKE_FILE = "content/fake.yml"


def check_fake(paths: ProjectPaths) -> list[Problem]:
    """One problem in a file of the fake slice, when the project has that file."""
    return [Problem(FAKE_FILE, 3, "fake problem")] if (paths.root / FAKE_FILE).exists() else []


def _cmd_ping(args: argparse.Namespace) -> int:
    print(f"pong from {args.root}")
    return 0


def add_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """`bot fake ping`."""
    fake = commands.add_parser("fake", help="the fake slice's tools")
    fake_commands = fake.add_subparsers(dest="fake_command", required=True)
    fake_commands.add_parser("ping", help="answer pong").set_defaults(func=_cmd_ping)


FEATURE = Feature(
    name="fake",
    checks=(check_fake,),
    placeholders=frozenset({"fake_placeholder"}),
    commands=add_commands,
)
