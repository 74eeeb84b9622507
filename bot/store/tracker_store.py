"""SQL tracker store that erases a conversation when the person asks for it,
and refuses what the database cannot store instead of ending the process."""

from __future__ import annotations

import asyncio
import contextlib
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
    """

    def __init__(self, *args: Any, app_data: Optional[AppData] = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Rasa's engine: its errors would quote the events (the person's messages) in the logs.
        self.engine.hide_parameters = True
        self.pending = PendingErasures(self.engine)
        # The project's (DATABASE_URL, var/) unless given: tests pass their own.
        self._app_data = app_data
        # Unknown at start (another process may have left markers): look once.
        self._maybe_pending = True

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
        with self.session_scope() as session:
            stored = self._event_query(session, sender_id, fetch_events_from_all_sessions=False).count()
        new_events = list(tracker.events)[stored:]
        if asks_for_erasure(new_events):
            self.erase(sender_id)
            await self._keep_language_choice(tracker)
            left = erasure_left(new_events)
            if left:
                self.pending.add(self.app_data.pseudonyms.of(sender_id), left)
                self._maybe_pending = True
        else:
            await super().save(tracker)
        await self.retry_pending_erasures()

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
