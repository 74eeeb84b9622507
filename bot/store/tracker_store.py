"""SQL tracker store that erases a conversation when the person asks for it."""

from __future__ import annotations

import logging
from typing import Iterable

import sqlalchemy as sa
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.events import ActionExecuted, Event
from rasa.shared.core.trackers import DialogueStateTracker

logger = logging.getLogger(__name__)

# Running this action means "erase everything stored about this conversation".
ERASE_ACTION = "action_delete_my_data"


def asks_for_erasure(events: Iterable[Event]) -> bool:
    """True when the erase action ran among `events`."""
    return any(isinstance(e, ActionExecuted) and e.action_name == ERASE_ACTION for e in events)


class ErasableSQLTrackerStore(SQLTrackerStore):
    """SQLTrackerStore (SQLite or PostgreSQL) that honours `delete_my_data`.

    When the erase action has run in the turn being saved, every stored event
    of the conversation is deleted and nothing of that turn is written, so the
    next message starts a fresh conversation.
    """

    async def save(self, tracker: DialogueStateTracker) -> None:
        """Store new events, or erase the conversation if the person asked for it."""
        with self.session_scope() as session:
            stored = self._event_query(
                session, tracker.sender_id, fetch_events_from_all_sessions=False
            ).count()
        new_events = list(tracker.events)[stored:]
        if asks_for_erasure(new_events):
            self.erase(tracker.sender_id)
            return
        await super().save(tracker)

    def erase(self, sender_id: str) -> int:
        """Delete every stored event of `sender_id`; return how many rows went."""
        with self.session_scope() as session:
            result = session.execute(sa.delete(self.SQLEvent).where(self.SQLEvent.sender_id == sender_id))
            session.commit()
        deleted = int(result.rowcount or 0)
        logger.info("Erased a conversation at the person's request (%d events)", deleted)
        return deleted
