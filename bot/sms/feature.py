"""What the SMS slice plugs into the shared parts (see bot/features.py).

Its check: the SMS keywords; its command: `bot sms simulate`; what "delete my data" erases:
the person's number state (opt-out, last menu). (The SMS budget of
every response is measured by bot.content.check.check_all once all else is right.)
"""

from __future__ import annotations

import argparse

from bot.features import Feature
from bot.paths import project_paths
from bot.privacy import SMS
from bot.sms.check import check_sms_keywords
from bot.sms.store import erase_sms_state
from bot.training import ensure_model


def _cmd_simulate(args: argparse.Namespace) -> int:
    # Imported when run: the simulator loads Rasa's channel code, which `bot --help` does not need.
    from bot.sms.simulate import run_simulation

    paths = project_paths(args.root)
    return run_simulation(paths, ensure_model(paths), args.number)


def add_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """`bot sms ...`: SMS tools."""
    sms = commands.add_parser("sms", help="SMS tools")
    sms_commands = sms.add_subparsers(dest="sms_command", required=True)
    simulate = sms_commands.add_parser("simulate", help="talk to the assistant as a basic phone would")
    simulate.add_argument("number", help="the phone's number, e.g. +85512345678 (gives country and language)")
    simulate.set_defaults(func=_cmd_simulate)


FEATURE = Feature(
    name="sms", checks=(check_sms_keywords,), commands=add_commands, erase={SMS: erase_sms_state}
)
