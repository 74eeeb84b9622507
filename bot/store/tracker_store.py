"""SQL tracker store that erases a conversation when the person asks for it,
and refuses what the database cannot store instead of ending the process."""

from __future__ import annotations

import contextlib
import logging
from typing import Any, Iterable, Iterator, Optional

import rasa.shared.utils.cli
import sqlalchemy as sa
from rasa.core.tracker_store import SQLTrackerStore, ensure_schema_exists
from rasa.shared.core.events import ActionExecuted, Event
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.exceptions import RasaException

logger = logging.getLogger(__name__)

# Running this action means "erase everything stored about this conversation".
ERASE_ACTION = "action_delete_my_data"


class UnstorableConversation(RasaException):
    """The database cannot store this sender id or these events: refused, the server goes on.

    Rasa wraps the store in a FailSafeTrackerStore, which keeps the turn in
    memory and answers; the message never names the sender or the text.
    """


def asks_for_erasure(events: Iterable[Event]) -> bool:
    """True when the erase action ran among `events`."""
    return any(isinstance(e, ActionExecuted) and e.action_name == ERASE_ACTION for e in events)


def storable_sender(sender_id: Any) -> str:
    """`sender_id` when every SQL database can store it, else UnstorableConversation."""
    if not isinstance(sender_id, str):
        raise UnstorableConversation("conversation id is not a string")
    try:
        sender_id.encode("utf-8")
    except UnicodeEncodeError:  # lone surrogates
        raise UnstorableConversation("conversation id is not valid Unicode") from None
    if "\x00" in sender_id:  # PostgreSQL text cannot hold NUL
        raise UnstorableConversation("conversation id contains a NUL character")
    return sender_id


class ErasableSQLTrackerStore(SQLTrackerStore):
    """SQLTrackerStore (SQLite or PostgreSQL) that honours `delete_my_data`.

    When the erase action has run in the turn being saved, every stored event
    of the conversation is deleted and nothing of that turn is written, so the
    next message starts a fresh conversation.
    """

    @contextlib.contextmanager
    def session_scope(self) -> Iterator[Any]:
        """Rasa's session scope, except that a ValueError inside it is no reason to exit.

        Rasa turns every ValueError raised in the block into "schema not found"
        and exits the process; a UnicodeEncodeError from one conversation's
        sender id or events is a ValueError, so one request stopped the service.
        """
        session = self.sessionmaker()
        try:
            try:
                ensure_schema_exists(session)
            except ValueError as missing:  # the one case Rasa meant: a configuration error
                rasa.shared.utils.cli.print_error_and_exit(
                    f"Requested PostgreSQL schema '{missing}' was not found in the database."
                )
            try:
                yield session
            except ValueError as error:
                raise UnstorableConversation(
                    f"the database cannot store this conversation ({type(error).__name__})"
                ) from error
        finally:
            session.close()

    async def save(self, tracker: DialogueStateTracker) -> None:
        """Store new events, or erase the conversation if the person asked for it."""
        sender_id = storable_sender(tracker.sender_id)
        with self.session_scope() as session:
            stored = self._event_query(session, sender_id, fetch_events_from_all_sessions=False).count()
        new_events = list(tracker.events)[stored:]
        if asks_for_erasure(new_events):
            self.erase(sender_id)
            return
        await super().save(tracker)

    async def _retrieve(
        self, sender_id: str, fetch_events_from_all_sessions: bool
    ) -> Optional[DialogueStateTracker]:
        return await super()._retrieve(storable_sender(sender_id), fetch_events_from_all_sessions)

    def erase(self, sender_id: str) -> int:
        """Delete every stored event of `sender_id`; return how many rows went."""
        with self.session_scope() as session:
            result = session.execute(
                sa.delete(self.SQLEvent).where(self.SQLEvent.sender_id == storable_sender(sender_id))
            )
            session.commit()
        deleted = int(result.rowcount or 0)
        logger.info("Erased a conversation at the person's request (%d events)", deleted)
        return deleted
