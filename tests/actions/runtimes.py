"""Action runtimes for tests: the shipped content, a database and a spool of the test's own."""

from __future__ import annotations

from pathlib import Path

from actions.runtime import Runtime
from bot.nlu.safety_terms import SafetyTerms
from bot.paths import ProjectPaths
from bot.reports.spool import Spool
from bot.services.conversation import ServicesContext
from bot.store.db import Database
from bot.store.pseudonym import Pseudonymizer
from tests.factories import PROJECT_ROOT

KEY = b"k" * 32


def make_runtime(tmp_path: Path, database: Database, root: Path = PROJECT_ROOT, key: bytes = KEY) -> Runtime:
    """A runtime over `database`, with the spool in `tmp_path` and the content of `root`."""
    paths = ProjectPaths(root)
    pseudonyms = Pseudonymizer(key)
    return Runtime(
        paths=paths,
        database=database,
        spool=Spool(tmp_path / "spool"),
        pseudonyms=pseudonyms,
        terms=SafetyTerms.load(paths.safety_net),
        services=ServicesContext.for_project(paths, database, pseudonyms),
    )
