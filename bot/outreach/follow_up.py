"""Where a person who agreed to be contacted hears what happened to their report or referral.

The Telegram and SMS channels put the sender's address (chat id / number), sealed for outreach
(ADDRESS_PURPOSE), in each user message's metadata under ADDRESS_METADATA_KEY. An action that
stores a report or referral with consent keeps that sealed value as it is, with the channel the
conversation's sender id names ("tg-…" Telegram, "sms-…" SMS). Other channels (REST, the
terminal) give no address: no follow-up then.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable, Mapping, Optional

from bot.outreach.store import ADDRESS_METADATA_KEY

TELEGRAM = "telegram"
SMS = "sms"
# Sender id prefixes of the channels that can take a message the person did not ask for.
_CHANNEL_PREFIXES = (("tg-", TELEGRAM), ("sms-", SMS))


@dataclass(frozen=True)
class FollowUpAddress:
    """A channel ("telegram" / "sms") and the sealed address on it."""

    channel: str
    address: str


def channel_of(sender_id: str) -> Optional[str]:
    """The outreach channel of a conversation's sender id, None for channels outreach cannot use."""
    for prefix, channel in _CHANNEL_PREFIXES:
        if sender_id.startswith(prefix):
            return channel
    return None


def follow_up_address(sender_id: str, events: Iterable[Mapping[str, Any]]) -> Optional[FollowUpAddress]:
    """The sealed address the channel put in the latest user message that carries one (tracker
    events, as the action server gets them), or None."""
    channel = channel_of(sender_id)
    if channel is None:
        return None
    found: Optional[str] = None
    for event in events:
        if event.get("event") != "user":
            continue
        metadata = event.get("metadata")
        value = metadata.get(ADDRESS_METADATA_KEY) if isinstance(metadata, Mapping) else None
        if isinstance(value, str) and value:
            found = value
    return FollowUpAddress(channel, found) if found else None
