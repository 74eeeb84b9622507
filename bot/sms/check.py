"""The SMS channel's content check: the keywords (HELP, STOP ...) in every language."""

from __future__ import annotations

import yaml

from bot.content.problems import Problem, compose, mapping_items, relative
from bot.i18n import SUPPORTED_LANGUAGES
from bot.paths import ProjectPaths
from bot.sms.keywords import KEYWORDS


def check_sms_keywords(paths: ProjectPaths) -> list[Problem]:
    """Every SMS keyword has words per language, all of them text (YAML reads a bare yes as true)."""
    path = paths.sms_keywords
    where = relative(path, paths.root)
    if not path.exists():
        return [Problem(where, 0, "missing: SMS keywords")]
    node, problems = compose(path, where)
    if problems:
        return problems
    found = set()
    for key, value, line in mapping_items(node) if node is not None else ():
        found.add(key)
        if key not in KEYWORDS:
            problems.append(Problem(where, line, f"unknown keyword '{key}' (use {', '.join(KEYWORDS)})"))
            continue
        if not isinstance(value, yaml.MappingNode) or not value.value:
            problems.append(Problem(where, line, f"'{key}' needs words per language (en: [...], fr: [...])"))
            continue
        for language, words, language_line in mapping_items(value):
            if language not in SUPPORTED_LANGUAGES:
                problems.append(Problem(where, language_line, f"'{language}' is not a supported language"))
            items = words.value if isinstance(words, yaml.SequenceNode) else []
            if not items:
                problems.append(Problem(where, language_line, f"'{key}' / '{language}' needs words"))
            for item in items:
                if not isinstance(item, yaml.ScalarNode) or item.tag != "tag:yaml.org,2002:str":
                    problems.append(
                        Problem(
                            where,
                            item.start_mark.line + 1,
                            f"'{item.value}' is not read as text: put it in quotes",
                        )
                    )
    for missing in sorted(set(KEYWORDS) - found):
        problems.append(Problem(where, 1, f"no words for the '{missing}' keyword"))
    return problems
