"""Content problems (`file:line: message`) and the YAML helpers every content check shares.

A leaf: runtime code (actions, the services directory) imports it, so it loads
nothing heavy (no Babel catalog parser, no Rasa, no other check module).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, Optional

import yaml

from bot.content.phones import phone_number_problem


@dataclass(frozen=True)
class Problem:
    """One thing to fix, located in a file."""

    path: str
    line: int
    message: str
    # A warning is shown but does not stop `bot serve` (e.g. a translation under review).
    warning: bool = False

    def __str__(self) -> str:
        prefix = "warning: " if self.warning else ""
        return f"{self.path}:{self.line}: {prefix}{self.message}"


def relative(path: Path, root: Path) -> str:
    """`path` as staff see it: relative to the project folder when it is inside it."""
    try:
        return str(path.relative_to(root))
    except ValueError:
        pass
    # A path given on the command line may be relative or go through a symlink.
    try:
        return str(path.resolve().relative_to(root.resolve()))
    except ValueError:
        return str(path)


def compose(path: Path, where: str) -> tuple[Optional[yaml.Node], list[Problem]]:
    """The file's YAML node tree (with line numbers), or the syntax problem."""
    try:
        return yaml.compose(path.read_text(encoding="utf-8"), Loader=yaml.SafeLoader), []
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        return None, [Problem(where, (mark.line + 1) if mark else 1, f"not valid YAML: {error}")]


def mapping_items(node: Optional[yaml.Node]) -> Iterator[tuple[str, yaml.Node, int]]:
    """(key, value node, 1-based line of the key) of a mapping node; nothing for any other node."""
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            yield str(key.value), value, key.start_mark.line + 1


def child(node: Optional[yaml.Node], key: str) -> yaml.Node:
    """The value node of `key` in a mapping node (an empty mapping when there is none)."""
    for name, value, _ in mapping_items(node):
        if name == key:
            return value
    return yaml.MappingNode(tag="tag:yaml.org,2002:map", value=[])


def phone_problem(where: str, line: int, raw: str, iso2: Optional[str]) -> Optional[Problem]:
    """The problem of a phone number written at `where:line` for country `iso2`, if any."""
    message = phone_number_problem(raw, iso2)
    return Problem(where, line, message) if message else None
