"""`bot content status | update | compile`: honest translation counts for NGO staff."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Optional, TextIO

import yaml
from babel.messages.frontend import CommandLineInterface

from bot.babel_extract import iter_response_messages, iter_survey_messages
from bot.content.check import print_unverified
from bot.content.translations import (
    MISSING,
    REVIEW,
    LanguageStatus,
    compile_catalog,
    language_status,
    update_catalogs,
)
from bot.i18n import SOURCE_LANGUAGE, SUPPORTED_LANGUAGES
from bot.outreach.campaigns import all_campaign_messages, campaign_paths
from bot.paths import ProjectPaths

TRANSLATED_LANGUAGES = tuple(code for code in SUPPORTED_LANGUAGES if code != SOURCE_LANGUAGE)


def survey_sources(paths: ProjectPaths) -> list[Path]:
    """The survey files whose texts go into the catalogs (content/surveys/*.yml)."""
    return sorted(paths.surveys.glob("*.yml")) if paths.surveys.is_dir() else []


def catalog_msgids(paths: ProjectPaths) -> list[str]:
    """Every English text the catalogs translate: the domain's, the campaigns', then each
    survey's (a survey file that is not valid YAML adds nothing: `bot content check` says why)."""
    msgids = [message for _, _, message in iter_response_messages(paths.domain.read_text(encoding="utf-8"))]
    msgids += [message for _, _, message in all_campaign_messages(paths)]
    for path in survey_sources(paths):
        try:
            msgids += [message for _, _, message in iter_survey_messages(path.read_text(encoding="utf-8"))]
        except yaml.YAMLError:
            continue
    return msgids


def statuses(paths: ProjectPaths) -> list[LanguageStatus]:
    """Every translated language's status against the English texts (domain, campaigns, surveys)."""
    msgids = catalog_msgids(paths)
    return [language_status(paths.locales, language, msgids) for language in TRANSLATED_LANGUAGES]


def print_status(paths: ProjectPaths, list_entries: bool = True, out: Optional[TextIO] = None) -> int:
    """Counts per language, then each entry that needs review or is missing (file:line)."""
    out = out or sys.stdout
    found = statuses(paths)
    for status in found:
        print(status.summary(), file=out)
    if list_entries:
        for status in found:
            where = status.path.relative_to(paths.root)
            for entry in status.entries:
                if entry.status in (REVIEW, MISSING):
                    text = entry.msgid[:60]
                    print(f"{where}:{entry.line}: {entry.status} ({entry.reason}): {text!r}", file=out)
        print_unverified(paths, out)
    return 1 if any(s.error for s in found) else 0


def update_messages(paths: ProjectPaths) -> int:
    """`make messages`: extract the English texts, update every catalog, print the counts."""
    template = paths.locales / "messages.pot"
    # The campaign and survey files are given one by one: babel.cfg's patterns match the paths as given.
    campaigns = [str(path) for path in campaign_paths(paths)]
    surveys = [str(path) for path in survey_sources(paths)]
    CommandLineInterface().run(
        [
            "pybabel", "-q", "extract", "-F", str(paths.root / "babel.cfg"), "-o", str(template),
            "--no-wrap", "--omit-header", "--add-comments", "", str(paths.domain), *campaigns, *surveys,
        ]
    )  # fmt: skip
    update_catalogs(paths.locales, template, TRANSLATED_LANGUAGES)
    return print_status(paths, list_entries=False)


def compile_messages(paths: ProjectPaths) -> int:
    """`make catalogs`: write each .mo (what is served) and print the honest counts."""
    for language in TRANSLATED_LANGUAGES:
        compile_catalog(paths.locales, language)
    return print_status(paths, list_entries=False)
