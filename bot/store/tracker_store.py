"""SQL tracker store that erases a conversation when the person asks for it,
and refuses what the database cannot store instead of ending the process."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import logging
from typing import Any, Iterable, Iterator, List, Optional

import rasa.shared.utils.cli
import sqlalchemy as sa
from rasa.core.tracker_store import SQLTrackerStore, ensure_schema_exists
from rasa.shared.core.constants import ACTION_LISTEN_NAME, ACTION_SESSION_START_NAME
from rasa.shared.core.events import ActionExecuted, Event, SessionStarted, SlotSet
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.exceptions import RasaException

from bot.conversation import LANGUAGE_SLOT
from bot.paths import project_paths
from bot.privacy import ERASABLE, ERASURE_DONE, ERASURE_SLOT, AppData, PendingErasures
from bot.settings import load_settings
from bot.store.db import write_ahead_log

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


def erasure_left(events: Iterable[Event]) -> List[str]:
    """What the erase action could not erase ([] when it said done; everything when it said nothing).

    action_delete_my_data sets `data_erasure` to "done" or to the parts that
    failed; no such event means the action server never answered.
    """
    said = [e.value for e in events if isinstance(e, SlotSet) and e.key == ERASURE_SLOT]
    if not said:
        return list(ERASABLE)
    value = str(said[-1] or "")
    return [] if value == ERASURE_DONE else [part for part in value.split(",") if part]


# How many rows of the tracker's latest session the database holds, as this store last read
# or wrote them: (id of the tracker object, count), kept on the tracker itself so it is used
# only for the object it was counted for (a copy made by `copy.deepcopy` has another id).
_STORED_ATTRIBUTE = "_eore_stored_events"


def known_stored(tracker: DialogueStateTracker) -> Optional[int]:
    """The rows this store knows the database holds for `tracker`, or None (count them)."""
    known = getattr(tracker, _STORED_ATTRIBUTE, None)
    if known is None or known[0] != id(tracker) or known[1] > len(tracker.events):
        return None
    return int(known[1])


def remember_stored(tracker: DialogueStateTracker, count: Optional[int]) -> None:
    """Note that the database holds `count` rows of `tracker`'s latest session (None: unknown)."""
    setattr(tracker, _STORED_ATTRIBUTE, None if count is None else (id(tracker), count))


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
    next message starts a fresh conversation; only the language the person
    chose is kept. If the action could not erase the app data (referrals,
    report contacts), a pending erasure is kept under the conversation's
    pseudonym and retried after every saved turn when due (`bot.privacy`).

    Fewer round trips than Rasa's: Rasa counts the stored events of the latest session
    with a query before every save to know which events are new (and this store counted
    them once more for the erasure check). Here the tracker object carries how many of its
    events are stored: what `retrieve` read, then what `save` wrote; only a tracker this
    store did not read (a new one, a copy) is counted with Rasa's query.
    """

    def __init__(self, *args: Any, app_data: Optional[AppData] = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.engine.dialect.name == "sqlite" and self.engine.url.database not in (None, "", ":memory:"):
            self._pooled_sqlite()
        # Rasa's engine: its errors would quote the events (the person's messages) in the logs.
        self.engine.hide_parameters = True
        self.pending = PendingErasures(self.engine)
        # The project's (DATABASE_URL, var/) unless given: tests pass their own.
        self._app_data = app_data
        # Unknown at start (another process may have left markers): look once.
        self._maybe_pending = True

    def _pooled_sqlite(self) -> None:
        """A SQLite file: kept connections that commit to a write-ahead log.

        SQLAlchemy gives a SQLite file no pool, so each of Rasa's sessions opened and closed
        a connection (about a tenth of the Rasa server's time under load, bench/PROFILE.md);
        bot.store.db.write_ahead_log says why the log. Connections move between the event
        loop and the erasure-retry thread, never used by two at once (the pool sees to it).
        """
        url = self.engine.url
        self.engine.dispose()
        self.engine = sa.create_engine(
            url, poolclass=sa.pool.QueuePool, connect_args={"check_same_thread": False}
        )
        # Not durable through a power cut: a turn lost with the last commits is run again from the inbox.
        sa.event.listen(
            self.engine, "connect", lambda connection, _record: write_ahead_log(connection, durable=False)
        )
        self.sessionmaker = sa.orm.sessionmaker(bind=self.engine)

    @property
    def app_data(self) -> AppData:
        """The app database, spool and pseudonym key, built on first use."""
        if self._app_data is None:
            settings = load_settings()  # Rasa builds this store: read the environment once, here
            self._app_data = AppData.for_project(project_paths(settings=settings), settings)
        return self._app_data

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
        stored = self._stored_count(tracker)
        new_events = list(itertools.islice(tracker.events, stored, None))
        if asks_for_erasure(new_events):
            remember_stored(tracker, None)
            self.erase(sender_id)
            await self._keep_language_choice(tracker)
            left = erasure_left(new_events)
            if left:
                self.pending.add(self.app_data.pseudonyms.of(sender_id), left)
                self._maybe_pending = True
        elif new_events or self.event_broker is not None:
            await super().save(tracker)  # its `_additional_events` are `new_events`, not counted again
            # Every event of this object is stored now. (Rasa's count would restart at a new
            # SessionStarted and store the session's events again at a second save: not here.)
            remember_stored(tracker, stored + len(new_events))
        await self.retry_pending_erasures()

    def _stored_count(self, tracker: DialogueStateTracker) -> int:
        """How many of the tracker's events are stored: known from the last read or write, else counted."""
        known = known_stored(tracker)
        if known is not None:
            return known
        with self.session_scope() as session:
            count = int(self._event_query(session, tracker.sender_id, False).count())
        remember_stored(tracker, count)
        return count

    def _additional_events(self, session: Any, tracker: DialogueStateTracker) -> Iterator[Event]:
        """Rasa's: the tracker's events the database does not hold yet (counted at most once)."""
        return itertools.islice(tracker.events, self._stored_count(tracker), None)

    async def _keep_language_choice(self, erased: DialogueStateTracker) -> None:
        """Start the erased conversation again with only the language the person chose.

        The `language` slot is set only by an explicit choice (the language menu,
        LANG, "in French"). It is a preference needed to talk to the person at
        all, not personal data about them or what they reported: erasing it
        would answer their next message in another language (README, Privacy).
        """
        language = erased.get_slot(LANGUAGE_SLOT)
        if not language:
            return
        events = [
            ActionExecuted(ACTION_SESSION_START_NAME),
            SessionStarted(),
            SlotSet(LANGUAGE_SLOT, language),
            ActionExecuted(ACTION_LISTEN_NAME),
        ]
        fresh = DialogueStateTracker.from_events(erased.sender_id, events, self.domain.slots)
        await super().save(fresh)

    async def retry_pending_erasures(self) -> None:
        """Retry the erasures that are due (in a thread: the app database may be slow to fail)."""
        if not self._maybe_pending:
            return
        try:
            left = await asyncio.to_thread(self.pending.retry_due, self.app_data)
        except Exception:  # the tracker store's own database: never fail the turn for a retry
            logger.exception("Could not retry the pending erasures now")
            return
        self._maybe_pending = left > 0

    async def _retrieve(
        self, sender_id: str, fetch_events_from_all_sessions: bool
    ) -> Optional[DialogueStateTracker]:
        """Rasa's, and the tracker remembers how many rows it was read from (see the class)."""
        sender_id = storable_sender(sender_id)
        with self.session_scope() as session:
            rows = self._event_query(session, sender_id, fetch_events_from_all_sessions).all()
            events = [json.loads(row.data) for row in rows]
        if not self.domain or not events:
            return None
        tracker = DialogueStateTracker.from_dict(sender_id, events, self.domain.slots)
        # Every row is one event (Rasa wrote them); all sessions are more than `save` counts.
        if not fetch_events_from_all_sessions and len(tracker.events) == len(rows):
            remember_stored(tracker, len(rows))
        return tracker

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
