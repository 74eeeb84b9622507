"""The NLU safety net's content check: urgent terms in every language."""

from __future__ import annotations

import yaml

from bot.content.problems import Problem, compose, mapping_items, relative
from bot.i18n import SUPPORTED_LANGUAGES
from bot.nlu.safety_terms import TERM_KEYS
from bot.paths import ProjectPaths


def check_safety_net(paths: ProjectPaths) -> list[Problem]:
    """Every language has a term file with lists of terms for the three safety intents."""
    problems: list[Problem] = []
    for language in SUPPORTED_LANGUAGES:
        path = paths.safety_net / f"{language}.yml"
        where = relative(path, paths.root)
        if not path.exists():
            problems.append(Problem(where, 0, "missing: every language needs urgent terms"))
            continue
        node, syntax = compose(path, where)
        if syntax:
            problems += syntax
            continue
        found = set()
        for key, value, line in mapping_items(node) if node is not None else ():
            found.add(key)
            if key not in TERM_KEYS:
                problems.append(Problem(where, line, f"unknown key '{key}' (use {', '.join(TERM_KEYS)})"))
            elif not isinstance(value, yaml.SequenceNode) or not value.value:
                problems.append(Problem(where, line, f"'{key}' must be a list of terms"))
            else:
                for item in value.value:
                    if not isinstance(item, yaml.ScalarNode) or not str(item.value).strip():
                        problems.append(Problem(where, item.start_mark.line + 1, "empty or non-text term"))
        for missing in sorted(set(TERM_KEYS) - found):
            problems.append(Problem(where, 1, f"no terms for '{missing}'"))
    return problems
