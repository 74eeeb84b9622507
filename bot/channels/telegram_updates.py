"""What a Telegram update means for the assistant: pure functions, no I/O.

Decisions documented in the README ("Telegram"):
- private chats: every message is answered;
- groups and supergroups: only messages addressed to the bot (a command,
  an @mention, or a reply to one of its messages) are answered, so it never
  talks over a group's conversation;
- channel posts and edited messages are acknowledged and ignored (answering
  an edit would repeat advice the person already has);
- photos, voice notes, stickers, videos and documents get a reply saying what
  the assistant can read; it never asks anyone to take a photo of an object.
"""

from __future__ import annotations

import json
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any, Mapping, Optional

# Telegram commands and the intents they stand for.
COMMANDS = {
    "start": "/greet",
    "menu": "/help",
    "help": "/help",
    "language": "/change_language",
    "stop": "/unsubscribe",
    "delete": "/delete_my_data",
}
MEDIA_KINDS = (
    "photo",
    "voice",
    "audio",
    "video",
    "video_note",
    "sticker",
    "document",
    "animation",
    "contact",
)
MAX_MESSAGE_LENGTH = 4096
# Longer texts are cut: nobody types 10,000 characters in an emergency, and
# the model only needs the start.
MAX_TEXT_FOR_NLU = 2000


@dataclass(frozen=True)
class Incoming:
    """A message for Rasa: the text (or payload), who sent it, and hints."""

    sender_id: str
    chat_id: int
    text: str
    metadata: dict[str, Any] = field(default_factory=dict)
    callback_query_id: Optional[str] = None


def _payload(intent: str, entities: Mapping[str, Any]) -> str:
    return f"{intent}{json.dumps(dict(entities), ensure_ascii=False)}" if entities else intent


def _addressed_text(message: Mapping[str, Any], bot_username: str) -> Optional[str]:
    """In a group, the text meant for the bot (mention stripped), or None."""
    text = str(message.get("text") or "")
    mention = f"@{bot_username}".lower() if bot_username else ""
    reply_to = (message.get("reply_to_message") or {}).get("from") or {}
    if mention and mention in text.lower():
        start = text.lower().index(mention)
        return (text[:start] + text[start + len(mention) :]).strip()
    if reply_to.get("is_bot") and (not bot_username or reply_to.get("username") == bot_username):
        return text
    if text.startswith("/"):
        command = text.split()[0][1:]
        if "@" in command:
            return text if command.split("@", 1)[1].lower() == bot_username.lower() else None
        return text
    return None


def _command(text: str) -> Optional[str]:
    """The payload for a Telegram command ("/start", "/menu@MyBot"), or None."""
    if not text.startswith("/"):
        return None
    name = text.split()[0][1:].split("@")[0].lower()
    return COMMANDS.get(name)


def interpret(update: Mapping[str, Any], bot_username: str = "") -> Optional[Incoming]:
    """Turn an update into a message for Rasa, or None when it needs no answer."""
    if "callback_query" in update:
        query = update["callback_query"]
        chat = ((query.get("message") or {}).get("chat")) or {}
        user = query.get("from") or {}
        chat_id = int(chat.get("id") or user.get("id") or 0)
        if not chat_id:
            return None
        return Incoming(
            sender_id=str(chat_id),
            chat_id=chat_id,
            text=str(query.get("data") or "/help"),
            metadata=_hints(user),
            callback_query_id=str(query.get("id")),
        )
    message = update.get("message")
    if not isinstance(message, dict):
        return None  # edited messages, channel posts, polls, member updates...
    chat = message.get("chat") or {}
    if "id" not in chat:
        return None
    chat_id = int(chat["id"])
    hints = _hints(message.get("from") or {})
    group = chat.get("type") in ("group", "supergroup")
    text = message.get("text")
    if isinstance(text, str):
        if group:
            text = _addressed_text(message, bot_username)
            if text is None:
                return None
        command = _command(text)
        if text.startswith("/") and command is None:
            command = "/help"  # unknown commands must not reach Rasa as raw intents
        body = command or text.strip()[:MAX_TEXT_FOR_NLU]
        return Incoming(str(chat_id), chat_id, body or "/help", hints)
    if group:
        return None
    if "location" in message or "venue" in message:
        venue = message.get("venue") or {}
        location = message.get("location") or venue.get("location") or {}
        entities = {"latitude": location.get("latitude"), "longitude": location.get("longitude")}
        if venue.get("title"):
            entities["place"] = venue.get("title")
        return Incoming(str(chat_id), chat_id, "/" + _payload("report_hazard", entities), hints)
    if any(kind in message for kind in MEDIA_KINDS):
        return Incoming(
            str(chat_id), chat_id, "/" + _payload("out_of_scope", {"media": "unsupported"}), hints
        )
    return None


def _hints(user: Mapping[str, Any]) -> dict[str, Any]:
    """Metadata for Rasa: the person's Telegram language, a hint for the locale."""
    code = user.get("language_code")
    return {"language_code": code} if isinstance(code, str) and code else {}


def split_message(text: str, limit: int = MAX_MESSAGE_LENGTH) -> list[str]:
    """Cut a long answer under Telegram's limit, at paragraph, then line, then word boundaries."""
    parts: list[str] = []
    rest = text
    while len(rest) > limit:
        window = rest[:limit]
        cut = max(window.rfind("\n\n"), -1)
        if cut <= 0:
            cut = window.rfind("\n")
        if cut <= 0:
            cut = window.rfind(" ")
        if cut <= 0:
            cut = limit
        parts.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip("\n ")
    if rest.strip() or not parts:
        parts.append(rest)
    return parts


class SeenUpdates:
    """The last `size` update ids, so a retried update is acknowledged but not processed twice."""

    def __init__(self, size: int = 10_000) -> None:
        self._size = size
        self._seen: OrderedDict[int, None] = OrderedDict()

    def first_time(self, update_id: int) -> bool:
        """Record `update_id`; False if it was already seen."""
        if update_id in self._seen:
            return False
        self._seen[update_id] = None
        while len(self._seen) > self._size:
            self._seen.popitem(last=False)
        return True
