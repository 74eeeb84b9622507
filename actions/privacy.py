"""Privacy actions: erasing what the assistant stores about a person."""

from __future__ import annotations

from typing import Any, Dict, List

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher


class ActionDeleteMyData(Action):
    """Marks the turn in which the person confirmed erasure.

    The conversation itself is erased by the Rasa server's tracker store
    (`bot.store.tracker_store.ErasableSQLTrackerStore`) when this action has
    run, so the erasure happens even if this server is down; data held in the
    app database (referrals, reports) is deleted here once those features exist.
    """

    def name(self) -> str:
        """The action's name in domain.yml."""
        return "action_delete_my_data"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]
    ) -> List[Dict[str, Any]]:
        """Nothing else is stored about the person yet; the confirmation is a response."""
        return []
