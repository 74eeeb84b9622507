"""After a crash: the replies the assistant already made to an accepted message, read from its conversation.

Rasa saves a conversation before a channel sends its replies, so a message it
has seen (same message id) must not be understood twice: its replies are sent
again instead. Read only; the conversation is never written here.
"""

from __future__ import annotations

from typing import Any, Dict, Optional

from rasa.shared.core.events import BotUttered, UserUttered


async def replies_already_made(
    tracker_store: Any, sender_id: str, message_id: str
) -> Optional[list[Dict[str, Any]]]:
    """The bot messages that followed message `message_id`, or None when Rasa never saw it."""
    tracker = await tracker_store.retrieve(sender_id)
    if tracker is None:
        return None
    replies: Optional[list[Dict[str, Any]]] = None
    for event in tracker.events:
        if isinstance(event, UserUttered):
            if replies is not None:
                break
            if event.message_id == message_id:
                replies = []
        elif isinstance(event, BotUttered) and replies is not None:
            data = event.data or {}
            reply: Dict[str, Any] = {"text": event.text, "buttons": data.get("buttons")}
            metadata = (event.metadata or {}).get("metadata")
            if isinstance(metadata, dict) and metadata.get("pictures"):
                reply["metadata"] = {"pictures": metadata["pictures"]}  # resolved by the NLG
            replies.append(reply)
    return replies
