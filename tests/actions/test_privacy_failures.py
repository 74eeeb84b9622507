"""delete_my_data when something is down, through the real servers (REST): never "Done" unless done.

Issue 13: with the app database or the action server down, the person was told
"Done. I have erased this conversation." while their referral (name of the
service they need, how to reach them) stayed in the app database for good.
Now they are told what is not erased yet and that it will be; a pending erasure
is kept in the tracker store's database (it survives a SIGKILL of the Rasa
server) and retried until the data is gone.
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Iterator

import pytest
import sqlalchemy as sa

from bot.nlg import ResponseRenderer, build_renderer
from bot.paths import project_paths
from bot.store.pseudonym import Pseudonymizer
from tests.actions.test_referral_consent import Assistant, offered, say, with_directory
from tests.factories import PROJECT_ROOT
from tests.servers import Stack, server_stack

pytestmark = pytest.mark.server

PSEUDONYM_KEY = "test-pseudonym-key-for-consent-answers"  # the key Assistant.rows_of uses


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("erasure-failures")


@pytest.fixture(scope="module")
def stack(folder: Path) -> Iterator[Stack]:
    with_directory(folder)
    # Retry a failed erasure at every turn (the default waits a minute, doubling).
    env = {"PSEUDONYM_KEY": PSEUDONYM_KEY, "HAZARD_WEBHOOK_URL": "", "ERASURE_RETRY_SECONDS": "0"}
    with server_stack(folder, "rest:\n", env) as running:
        yield running


@pytest.fixture(scope="module")
def expected() -> ResponseRenderer:
    return build_renderer(project_paths(PROJECT_ROOT))


def pending(folder: Path) -> list[tuple[str, int, str]]:
    """The pending erasures in the tracker store's database: (pseudonym, attempts, what is left)."""
    engine = sa.create_engine(f"sqlite:///{folder / 'tracker.db'}", future=True)
    try:
        with engine.connect() as connection:
            rows = connection.execute(sa.text("SELECT conversation, attempts, failed FROM pending_erasures"))
            return [(str(c), int(a), str(f)) for c, a, f in rows]
    finally:
        engine.dispose()


def only_the_language_kept(assistant: Assistant, sender: str) -> bool:
    """The conversation holds nothing but a fresh session with the language the person chose."""
    stored = [(e["event"], e.get("name"), e.get("value")) for e in assistant.stored_events(sender)]
    return stored == [
        ("action", "action_session_start", None),
        ("session_started", None, None),
        ("slot", "language", "en"),
        ("action", "action_listen", None),
    ]


def with_referral(assistant: Assistant, expected: ResponseRenderer) -> str:
    sender = offered(assistant, expected, "en")
    assistant.send(sender, "yes")
    assistant.send(sender, "+380 50 000 11 22")
    assert len(assistant.rows_of(sender)) == 1
    return sender


def test_app_database_down_then_back_after_a_restart(stack: Stack, folder: Path, expected: ResponseRenderer):
    assistant = Assistant(stack.url, folder)
    sender = with_referral(assistant, expected)
    conversation = Pseudonymizer(PSEUDONYM_KEY.encode()).of(sender)

    # The app database cannot be opened (a directory where the SQLite file was).
    app_db = folder / "app.db"
    app_db.rename(folder / "app.db.away")
    app_db.mkdir()
    try:
        assert assistant.texts(sender, "/delete_my_data") == [say(expected, "utter_delete_confirm", "en")]
        assert assistant.texts(sender, "yes, delete it") == [say(expected, "utter_data_erase_pending", "en")]
        # The conversation is erased (but for the language chosen); the rest is kept to retry,
        # under the pseudonym only.
        assert only_the_language_kept(assistant, sender)
        assert pending(folder) == [(conversation, 1, "alerts,inbox,referrals,reports,sms,surveys")]

        # The Rasa server is killed; the pending erasure is in its database, not in its memory.
        stack.kill_rasa()
    finally:
        app_db.rmdir()
        (folder / "app.db.away").rename(app_db)
    assert len(assistant.rows_of(sender)) == 1  # not erased yet
    stack.start_rasa()

    # The next message (anyone's) after the start retries it: the referral is gone.
    assistant.send(f"t-{uuid.uuid4().hex}", "/greet")
    assert assistant.rows_of(sender) == []
    assert pending(folder) == []


def test_action_server_down_is_never_done(stack: Stack, folder: Path, expected: ResponseRenderer):
    assistant = Assistant(stack.url, folder)
    sender = with_referral(assistant, expected)
    stack.kill_actions()

    assert assistant.texts(sender, "/delete_my_data") == [say(expected, "utter_delete_confirm", "en")]
    # In-process: the Rasa server says it will retry (the action server never answered)...
    assert assistant.texts(sender, "yes, delete it") == [say(expected, "utter_data_erase_pending", "en")]
    # ...and, the app database being up, the Rasa server's retry has already erased it.
    assert assistant.rows_of(sender) == []
    assert pending(folder) == []
    assert only_the_language_kept(assistant, sender)
