"""The deploy/ folder and the ${VARS} its files use, for the deploy tests."""

from __future__ import annotations

import re
from pathlib import Path

from tests.factories import PROJECT_ROOT

DEPLOY = PROJECT_ROOT / "deploy"
_VARIABLE = re.compile(r"\$\{([A-Z0-9_]+)\}")


def variables_in(path: Path) -> set[str]:
    """The ${VARS} a file uses outside its comments."""
    lines = path.read_text(encoding="utf-8").splitlines()
    return {name for line in lines if not line.lstrip().startswith("#") for name in _VARIABLE.findall(line)}


def variables_in_text(text: str) -> set[str]:
    """The ${VARS} in one line or command."""
    return set(_VARIABLE.findall(text))


def rasa_variables() -> set[str]:
    """What a Rasa replica needs set: the ${VARS} of deploy/endpoints.yml and deploy/credentials.yml."""
    return variables_in(DEPLOY / "endpoints.yml") | variables_in(DEPLOY / "credentials.yml")
