"""Privacy actions: erasing what the assistant stores about a person."""

from __future__ import annotations

import asyncio
import logging
from typing import Any, Dict, List, Optional

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.runtime import UsesRuntime
from bot.privacy import ERASABLE, ERASURE_DONE, ERASURE_SLOT, AppData, erase_app_data

logger = logging.getLogger(__name__)


class ActionDeleteMyData(UsesRuntime, Action):
    """Erases app data about the person, and says "Done" only when all of it is gone.

    The conversation itself is erased by the Rasa server's tracker store
    (`bot.store.tracker_store.ErasableSQLTrackerStore`) when this action has
    run, so that part happens even if this server is down. What this action
    could not erase (`data_erasure` names it) is kept as a pending erasure by
    the tracker store and retried until done (`bot.privacy`).

    What is erased is what each feature slice registers (bot.features): the
    person's referrals, and the contact details of their hazard reports (in the
    database and in the spool) while the hazard itself is kept
    (bot.reports.erasure says why).
    """

    def name(self) -> str:
        """The action's name in domain.yml."""
        return "action_delete_my_data"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[Dict[str, Any]]:
        """Erase what the features hold; "Done", or what is left and that it will be retried."""
        failed = await asyncio.to_thread(erase_of, self.runtime.app_data, tracker.sender_id)
        if failed is None or failed:
            dispatcher.utter_message(response="utter_data_erase_pending")
            return [SlotSet(ERASURE_SLOT, ",".join(failed or ERASABLE))]
        dispatcher.utter_message(response="utter_data_deleted")
        return [SlotSet(ERASURE_SLOT, ERASURE_DONE)]


def erase_of(data: AppData, sender_id: str) -> Optional[List[str]]:
    """The names of what could not be erased for this conversation; None if nothing could run."""
    try:
        return erase_app_data(data, data.pseudonyms.of(sender_id))
    except Exception:  # noqa: BLE001  (the tracker store keeps a pending erasure: log, never crash)
        logger.exception("Could not erase app data now")
        return None
