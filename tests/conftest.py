"""Fixtures shared by the whole suite."""

import os
from typing import Iterator

import pytest

from bot.nlg import ResponseRenderer, build_renderer
from bot.paths import project_paths
from tests.assistant import Assistant
from tests.databases import app_database, postgres_url  # noqa: F401  (pytest fixtures)
from tests.factories import PROJECT_ROOT
from tests.servers import Shared, shared_stack

# What a developer's .env would hold: endpoints.yml's ${ACTION_SERVER_TOKEN}, which Rasa must
# expand when a test loads an agent in this process (the servers started here get it too).
TEST_ACTION_SERVER_TOKEN = "test-suite-action-server-token"


def pytest_configure(config: pytest.Config) -> None:
    """Set the action server token of the tests' environment, unless the caller set one."""
    os.environ.setdefault("ACTION_SERVER_TOKEN", TEST_ACTION_SERVER_TOKEN)


@pytest.fixture(scope="session")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Shared]:
    """The session's Rasa and action servers with every channel (one per xdist worker).

    Tests sharing them use their own senders, chat ids and numbers (tests/assistant.py).
    """
    with shared_stack(tmp_path_factory.mktemp("shared-servers")) as shared:
        yield shared


@pytest.fixture(scope="session")
def rest(servers: Shared) -> Assistant:
    """The shared stack's REST channel."""
    return servers.rest


@pytest.fixture(scope="session")
def expected() -> ResponseRenderer:
    """The shipped content's renderer: what the assistant must say."""
    return build_renderer(project_paths(PROJECT_ROOT))
