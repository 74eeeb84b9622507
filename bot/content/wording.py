"""Wording rules `bot content check` enforces in every language (content brief):

- gendered forms from `content/gendered_forms.yml` (per language, regular expressions);
- no number outside the country profiles: a run of 3 or more digits (any script)
  outside a {placeholder} in a response or a translation is reported.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Iterator, Optional

import yaml
from babel.messages.pofile import PoFileError

from bot.babel_extract import iter_response_messages
from bot.content.problems import Problem, compose, relative
from bot.content.translations import po_path, read_catalog
from bot.i18n import SOURCE_LANGUAGE, SUPPORTED_LANGUAGES
from bot.paths import ProjectPaths

# Placeholders are filled from profiles and actions; digits inside them are not text.
_PLACEHOLDER = re.compile(r"\{[^{}]*\}")
# \d is Unicode-aware: it also matches Arabic-Indic (٠-٩) and Khmer (០-៩) digits.
_DIGIT_RUN = re.compile(r"\d{3,}")

Messages = Iterable[tuple[int, str, str]]


@dataclass(frozen=True)
class GenderedForm:
    """One form to flag in one language, and what to write instead."""

    language: str
    pattern: re.Pattern[str]
    why: str
    line: int


def load_gendered_forms(paths: ProjectPaths) -> tuple[list[GenderedForm], list[Problem]]:
    """The forms of every language, and the file's own problems (syntax, bad expressions)."""
    path = paths.gendered_forms
    where = relative(path, paths.root)
    if not path.exists():
        return [], [Problem(where, 0, "missing: the gendered forms to flag")]
    node, syntax = compose(path, where)
    if syntax:
        return [], syntax
    forms: list[GenderedForm] = []
    problems: list[Problem] = []
    for key, value in node.value if isinstance(node, yaml.MappingNode) else []:
        language, line = str(key.value), key.start_mark.line + 1
        if language not in SUPPORTED_LANGUAGES:
            problems.append(Problem(where, line, f"'{language}' is not a supported language"))
            continue
        for item in value.value if isinstance(value, yaml.SequenceNode) else []:
            entry = {str(k.value): v for k, v in item.value} if isinstance(item, yaml.MappingNode) else {}
            item_line = item.start_mark.line + 1
            form, why = entry.get("form"), entry.get("why")
            if not isinstance(form, yaml.ScalarNode) or not isinstance(why, yaml.ScalarNode):
                problems.append(Problem(where, item_line, "each entry needs 'form' and 'why'"))
                continue
            try:
                pattern = re.compile(str(form.value), re.IGNORECASE)
            except re.error as error:
                problems.append(Problem(where, item_line, f"'form' is not a valid expression: {error}"))
                continue
            forms.append(GenderedForm(language, pattern, str(why.value), item_line))
    return forms, problems


def _texts(paths: ProjectPaths, messages: Messages) -> Iterator[tuple[str, str, int, str]]:
    """(language, file, line, text) of every English response text and every translation."""
    domain = relative(paths.domain, paths.root)
    for line, _, message in messages:
        yield SOURCE_LANGUAGE, domain, line, message
    for language in SUPPORTED_LANGUAGES:
        if language == SOURCE_LANGUAGE:
            continue
        path = po_path(paths.locales, language)
        try:
            catalog = read_catalog(path)
        except (OSError, PoFileError, ValueError, UnicodeDecodeError):
            continue  # check_catalog reports it
        where = relative(path, paths.root)
        for entry in catalog:
            if entry.id and isinstance(entry.string, str) and entry.string:
                yield language, where, _msgstr_line(entry.lineno, path), entry.string


_LINES_CACHE: dict[Path, list[str]] = {}


def _msgstr_line(msgid_line: Optional[int], path: Path) -> int:
    """The line of the entry's `msgstr` (after its msgid lines), for editors to jump to."""
    if msgid_line is None:
        return 0
    lines = _LINES_CACHE.get(path)
    if lines is None:
        lines = path.read_text(encoding="utf-8").splitlines()
        _LINES_CACHE[path] = lines
    for number in range(msgid_line, min(len(lines), msgid_line + 200) + 1):
        if lines[number - 1].startswith("msgstr"):
            return number
    return msgid_line


def check_wording(paths: ProjectPaths) -> list[Problem]:
    """Gendered forms of the list and stray numbers, in every language, with file:line."""
    messages = list(iter_response_messages(paths.domain.read_text(encoding="utf-8")))
    _LINES_CACHE.clear()
    forms, problems = load_gendered_forms(paths)
    by_language: dict[str, list[GenderedForm]] = {}
    for form in forms:
        by_language.setdefault(form.language, []).append(form)
    for language, where, line, text in _texts(paths, messages):
        for form in by_language.get(language, []):
            found = form.pattern.search(text)
            if found:
                problems.append(
                    Problem(where, line, f"gendered form '{found.group(0)}' ({language}): {form.why}")
                )
        for digits in _DIGIT_RUN.findall(_PLACEHOLDER.sub(" ", text)):
            problems.append(
                Problem(
                    where,
                    line,
                    f"number '{digits}' in the text: numbers come only from the country "
                    "profiles (use a {placeholder} such as {emergency_number})",
                )
            )
    return problems
