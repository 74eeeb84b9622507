"""What the core content slice plugs into the shared parts (see bot/features.py).

Its checks: country profiles, domain.yml, country cards, wording, pictures and the
catalogs; its placeholders: what the NLG fills from the country profile; its
commands: `bot content check | status | update | compile | pictures`.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from bot.content.check import (
    NUMBER_PLACEHOLDERS,
    check_all,
    check_cards,
    check_catalogs,
    check_number_fallbacks,
    check_pictures,
    check_profile_files,
    check_profile_responses,
    print_unverified,
)
from bot.content.pictures import render_pictures
from bot.content.status import compile_messages, print_status, update_messages
from bot.content.wording import check_wording
from bot.features import Feature
from bot.i18n import SUPPORTED_LANGUAGES
from bot.paths import project_paths

# Filled by the NLG from the conversation's country profile and languages.
PLACEHOLDERS = (
    NUMBER_PLACEHOLDERS
    | {"safe_distance", "country_name"}
    | {f"language_name_{code}" for code in SUPPORTED_LANGUAGES}
)


def _cmd_check(args: argparse.Namespace) -> int:
    paths = project_paths(args.root)
    problems = check_all(paths)
    for problem in problems:
        print(problem)
    print_unverified(paths, sys.stdout)
    errors = [p for p in problems if not p.warning]
    warnings = len(problems) - len(errors)
    if errors:
        print(f"{len(errors)} problem(s) found, {warnings} warning(s)")
    else:
        print(f"Content OK, {warnings} warning(s)" if warnings else "Content OK")
    return 1 if errors else 0


def _cmd_status(args: argparse.Namespace) -> int:
    return print_status(project_paths(args.root), list_entries=not args.summary)


def _cmd_update(args: argparse.Namespace) -> int:
    return update_messages(project_paths(args.root))


def _cmd_compile(args: argparse.Namespace) -> int:
    return compile_messages(project_paths(args.root))


def _cmd_pictures(args: argparse.Namespace) -> int:
    paths = project_paths(args.root)
    output = Path(args.output) if args.output else paths.picture_builds
    try:
        written = render_pictures(paths.pictures, output)
    except (ValueError, OSError) as error:
        print(error)
        return 1
    print(f"{len(written)} picture(s) in {output}")
    return 0


def add_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """`bot content ...`: tools for NGO staff."""
    content = commands.add_parser("content", help="content tools for NGO staff")
    content_commands = content.add_subparsers(dest="content_command", required=True)
    check = content_commands.add_parser("check", help="validate domain, catalogs and profiles")
    check.set_defaults(func=_cmd_check)
    status = content_commands.add_parser(
        "status", help="per language: translated, needs review (previous translation served), missing"
    )
    status.add_argument("--summary", action="store_true", help="counts only, no list of entries")
    status.set_defaults(func=_cmd_status)
    update = content_commands.add_parser(
        "update", help="after editing English text in domain.yml: refresh messages.pot and every .po"
    )
    update.set_defaults(func=_cmd_update)
    compile_ = content_commands.add_parser("compile", help="write the .mo files and print honest counts")
    compile_.set_defaults(func=_cmd_compile)
    pictures = content_commands.add_parser(
        "pictures", help="draw content/pictures/*.svg as PNGs for Telegram (var/pictures)"
    )
    pictures.add_argument("--output", help="folder for the PNGs (default: var/pictures)")
    pictures.set_defaults(func=_cmd_pictures)


FEATURE = Feature(
    name="content",
    checks=(
        check_profile_files,
        check_number_fallbacks,
        check_cards,
        check_profile_responses,
        check_wording,
        check_pictures,
        check_catalogs,
    ),
    placeholders=frozenset(PLACEHOLDERS),
    commands=add_commands,
)
