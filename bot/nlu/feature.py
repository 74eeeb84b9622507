"""What the NLU slice plugs into the shared parts (see bot/features.py).

Its check: the safety net's urgent terms; its command: `bot nlu lookups`.
"""

from __future__ import annotations

import argparse

from bot.features import Feature
from bot.nlu.check import check_safety_net
from bot.nlu.lookups import LOOKUPS_FILE, annotated_names, render_lookups
from bot.paths import project_paths


def _cmd_lookups(args: argparse.Namespace) -> int:
    nlu_dir = project_paths(args.root).data / "nlu"
    (nlu_dir / LOOKUPS_FILE).write_text(render_lookups(annotated_names(nlu_dir)), encoding="utf-8")
    print(f"wrote {nlu_dir / LOOKUPS_FILE}")
    return 0


def add_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """`bot nlu ...`: training data tools."""
    nlu = commands.add_parser("nlu", help="training data tools")
    nlu_commands = nlu.add_subparsers(dest="nlu_command", required=True)
    lookups = nlu_commands.add_parser("lookups", help="rebuild data/nlu/lookups.yml from annotated names")
    lookups.set_defaults(func=_cmd_lookups)


FEATURE = Feature(name="nlu", checks=(check_safety_net,), commands=add_commands)
