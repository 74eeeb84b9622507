"""Fixtures of the SMS tests."""

import pytest

from tests.assistant import Sms
from tests.servers import Shared


@pytest.fixture(scope="module")
def sms(servers: Shared) -> Sms:
    """The shared servers' SMS channels (one client per module: it counts the SMS each number got)."""
    return servers.sms
