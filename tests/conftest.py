"""Fixtures shared by the whole suite."""

from typing import Iterator

import pytest

from tests.databases import app_database, postgres_url  # noqa: F401  (pytest fixtures)
from tests.servers import Shared, shared_stack


@pytest.fixture(scope="session")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Shared]:
    """The session's Rasa and action servers with every channel (one per xdist worker).

    Tests sharing them use their own senders, chat ids and numbers (tests/assistant.py).
    """
    with shared_stack(tmp_path_factory.mktemp("shared-servers")) as shared:
        yield shared
