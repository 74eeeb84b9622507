"""What the code imports is declared in pyproject.toml, pinned as in constraints.txt.

A package that only arrives through another one (aiohttp through Rasa) can
vanish or change with that package's next release: the code's direct
imports are direct dependencies.
"""

from __future__ import annotations

import ast
import re
import sys
from functools import cache
from importlib.metadata import distributions

import tomli

from tests.factories import PROJECT_ROOT

# Our own top-level packages (and the folders scripts import from).
LOCAL = {"bot", "actions", "tests", "bench", "__future__"}


def normalise(name: str) -> str:
    """A distribution name as pip compares them (PEP 503)."""
    return re.sub(r"[-_.]+", "-", name).lower()


def requirement_pin(requirement: str) -> tuple[str, str]:
    """("name", "version") of an exact pin "Name==1.2"; the version is "" when not pinned exactly."""
    name, _, version = requirement.partition("==")
    return normalise(re.split(r"[\s\[<>=!~;]", name.strip(), maxsplit=1)[0]), version.strip()


def third_party_imports(folders: tuple[str, ...]) -> dict[str, set[str]]:
    """Top-level module names imported (anywhere in a file) under `folders`, and where."""
    found: dict[str, set[str]] = {}
    for folder in folders:
        for path in sorted((PROJECT_ROOT / folder).rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Import):
                    names = [alias.name for alias in node.names]
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    names = [node.module]
                else:
                    continue
                for name in names:
                    top = name.split(".")[0]
                    if top not in sys.stdlib_module_names and top not in LOCAL:
                        found.setdefault(top, set()).add(str(path.relative_to(PROJECT_ROOT)))
    return found


@cache
def module_owners() -> dict[str, set[str]]:
    """Top-level module name -> the installed distributions that provide it (from their RECORDs)."""
    owners: dict[str, set[str]] = {}
    for dist in distributions():
        name = normalise(dist.metadata["Name"])
        for line in (dist.read_text("RECORD") or "").splitlines():
            path = line.split(",", 1)[0]
            first = path.split("/", 1)[0]
            if first.startswith("..") or first.endswith((".dist-info", ".egg-info", ".data")):
                continue
            top = first if "/" in path else first.split(".")[0]
            owners.setdefault(top, set()).add(name)
    return owners


def project() -> dict:
    return tomli.loads((PROJECT_ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]


def declared(*extras: str) -> dict[str, str]:
    """Declared dependencies (and those of `extras`) as name -> pinned version."""
    requirements = list(project()["dependencies"])
    for extra in extras:
        requirements += project()["optional-dependencies"][extra]
    return dict(requirement_pin(r) for r in requirements)


def constraints() -> dict[str, str]:
    lines = (PROJECT_ROOT / "constraints.txt").read_text(encoding="utf-8").splitlines()
    return dict(requirement_pin(line) for line in lines if "==" in line and not line.startswith("#"))


def undeclared(folders: tuple[str, ...], allowed: dict[str, str]) -> dict[str, list[str]]:
    """Imported modules no declared dependency provides, with the files importing them."""
    return {
        module: sorted(files)
        for module, files in third_party_imports(folders).items()
        if not module_owners().get(module, set()) & set(allowed)
    }


def test_the_assistant_imports_only_declared_dependencies():
    assert undeclared(("bot", "actions"), declared()) == {}


def test_tests_and_benchmarks_import_only_declared_or_dev_dependencies():
    assert undeclared(("tests", "bench"), declared("dev")) == {}


def test_every_dependency_is_pinned_as_in_constraints():
    pinned = constraints()
    wanted = declared("dev")
    assert {
        name: (version, pinned.get(name)) for name, version in wanted.items() if pinned.get(name) != version
    } == {}


def test_an_undeclared_import_is_found():
    # What the first test would report for a module importing twilio without declaring it.
    assert "twilio" in third_party_imports(("bot",))
    assert undeclared(("bot",), {n: v for n, v in declared().items() if n != "twilio"})["twilio"] == [
        "bot/sms/gateways.py"
    ]
