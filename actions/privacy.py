"""Privacy actions: erasing what the assistant stores about a person."""

from __future__ import annotations

import asyncio
import logging
from typing import Any, Dict, List, Optional

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from bot.paths import project_paths
from bot.privacy import ERASURE_DONE, ERASURE_SLOT, AppData, erase_app_data

logger = logging.getLogger(__name__)

_state: dict[str, AppData] = {}


def app_data() -> AppData:
    """The app database, spool and pseudonym key, built on first use (no I/O at import time)."""
    if "data" not in _state:
        _state["data"] = AppData.for_project(project_paths())
    return _state["data"]


class ActionDeleteMyData(Action):
    """Erases app data about the person, and says "Done" only when all of it is gone.

    The conversation itself is erased by the Rasa server's tracker store
    (`bot.store.tracker_store.ErasableSQLTrackerStore`) when this action has
    run, so that part happens even if this server is down. What this action
    could not erase (`data_erasure` names it) is kept as a pending erasure by
    the tracker store and retried until done (`bot.privacy`).

    Hazard reports: the person's contact details are erased (in the database and
    in the spool), but the hazard itself (what, where, when) is kept. It is
    public-safety data the mine action authority needs to clear the area, and
    it holds nothing that identifies the person once the contact is gone (the
    conversation is only kept as a keyed hash).
    """

    def name(self) -> str:
        """The action's name in domain.yml."""
        return "action_delete_my_data"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]
    ) -> List[Dict[str, Any]]:
        """Erase referrals and report contacts; "Done", or what is left and that it will be retried."""
        failed = await asyncio.to_thread(erase_of, tracker.sender_id)
        if failed is None or failed:
            dispatcher.utter_message(response="utter_data_erase_pending")
            return [SlotSet(ERASURE_SLOT, ",".join(failed or ["referrals", "reports"]))]
        dispatcher.utter_message(response="utter_data_deleted")
        return [SlotSet(ERASURE_SLOT, ERASURE_DONE)]


def erase_of(sender_id: str) -> Optional[List[str]]:
    """The parts of the conversation's app data that could not be erased; None if nothing could run."""
    try:
        data = app_data()
        return erase_app_data(data, data.pseudonyms.of(sender_id))
    except Exception:  # the tracker store keeps a pending erasure: log, never crash
        logger.exception("Could not erase app data now")
        return None


def erase_report_contacts(sender_id: str) -> int:
    """Remove contact details from every report of this conversation; returns how many changed.

    The report actions' runtime (database and spool) alone, for callers that need the count.
    """
    from actions import hazard_report
    from bot.reports import store

    runtime = hazard_report.runtime()
    conversation = runtime.pseudonyms.of(sender_id)
    changed = runtime.spool.erase_contacts(conversation)
    runtime.database.migrate()
    with runtime.database.sessions.begin() as session:
        changed += store.erase_contacts(session, conversation)
    return changed
