"""Privacy actions: erasing what the assistant stores about a person."""

from __future__ import annotations

import asyncio
import logging
from typing import Any, Dict, List

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.exc import SQLAlchemyError

logger = logging.getLogger(__name__)


class ActionDeleteMyData(Action):
    """Marks the turn in which the person confirmed erasure, and erases app data about them.

    The conversation itself is erased by the Rasa server's tracker store
    (`bot.store.tracker_store.ErasableSQLTrackerStore`) when this action has
    run, so the erasure happens even if this server is down.

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
        """Erase report contact details and referrals; the confirmation is a response."""
        await asyncio.to_thread(erase_report_contacts, tracker.sender_id)
        # --- services directory and referrals: the person's referrals are deleted ---
        from actions.referral import delete_referrals_of

        await asyncio.to_thread(delete_referrals_of, tracker.sender_id)
        return []


def erase_report_contacts(sender_id: str) -> int:
    """Remove contact details from every report of this conversation; returns how many changed."""
    from actions import hazard_report
    from bot.reports import store

    # The report actions' runtime: one database engine and key per action server.
    runtime = hazard_report.runtime()
    conversation = runtime.pseudonyms.of(sender_id)
    changed = runtime.spool.erase_contacts(conversation)
    try:
        runtime.database.migrate()
        with runtime.database.sessions.begin() as session:
            changed += store.erase_contacts(session, conversation)
    except SQLAlchemyError:
        logger.exception("Could not erase report contact details now (database unavailable)")
    return changed
