"""What a Telegram update means for the assistant: pure functions, no I/O.

Decisions documented in the README ("Telegram"):
- private chats: every message is answered;
- groups and supergroups: only messages addressed to the bot (a command for
  it, an @mention found in the message's entities, or a reply to one of its
  messages) are answered, so it never talks over a group's conversation;
- channel posts and edited messages are acknowledged and ignored (answering
  an edit would repeat advice the person already has);
- photos, voice notes, stickers, videos and documents get a reply saying what
  the assistant can read; it never asks anyone to take a photo of an object.

`interpret` is total: it reads every field with its type checked, so a
malformed update is ignored (None), never an exception.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from typing import Any, Mapping, Optional

from bot.channels.inbound import MAX_TEXT_CHARS, PayloadGate, clean_text
from bot.channels.support import BoundedSet

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
# An empty message (or only our @mention) shows the menu.
EMPTY_PAYLOAD = "/help"
# Telegram ids fit in 52 bits; anything larger is not from Telegram.
MAX_ID = 2**53
MAX_CALLBACK_ID_CHARS = 128
MAX_PLACE_CHARS = 200
MAX_LANGUAGE_CODE_CHARS = 16


@dataclass(frozen=True)
class Incoming:
    """A message for Rasa: the text (or payload), who sent it, hints, and the update it came in."""

    sender_id: str
    chat_id: int
    text: str
    metadata: dict[str, Any] = field(default_factory=dict)
    callback_query_id: Optional[str] = None
    update_id: Optional[int] = None


@dataclass(frozen=True)
class BotIdentity:
    """Who the bot is, to tell whether a group message addresses it."""

    username: str = ""
    user_id: Optional[int] = None

    def is_me(self, user: Any) -> bool:
        """True when a Telegram `User` object is this bot."""
        if not isinstance(user, Mapping):
            return False
        if self.user_id is not None and _telegram_id(user.get("id")) == self.user_id:
            return True
        username = _string(user.get("username"))
        return bool(self.username) and username.lower() == self.username.lower()


def _telegram_id(value: Any) -> Optional[int]:
    """An integer id as Telegram sends it (not a bool, a string or an absurd number), or None."""
    if isinstance(value, bool) or not isinstance(value, int) or not -MAX_ID < value < MAX_ID:
        return None
    return value


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _string(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _coordinate(value: Any, bound: float) -> Optional[float]:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    number = float(value)
    return number if math.isfinite(number) and -bound <= number <= bound else None


def _payload(intent: str, entities: Mapping[str, Any]) -> str:
    return f"{intent}{json.dumps(dict(entities), ensure_ascii=False)}" if entities else intent


def _utf16(text: str) -> bytes:
    # Entity offsets and lengths count UTF-16 code units; surrogatepass keeps a lone surrogate countable.
    return text.encode("utf-16-le", "surrogatepass")


def _from_utf16(units: bytes) -> str:
    return units.decode("utf-16-le", "surrogatepass")


def _mention_spans(message: Mapping[str, Any], text: str, me: BotIdentity) -> list[tuple[int, int]]:
    """The (start, end) UTF-16 ranges of entities that mention this bot."""
    entities = message.get("entities")
    total = len(_utf16(text)) // 2
    spans = []
    for entity in entities if isinstance(entities, list) else []:
        entity = _mapping(entity)
        offset, length = _telegram_id(entity.get("offset")), _telegram_id(entity.get("length"))
        if offset is None or length is None or offset < 0 or length <= 0 or offset + length > total:
            continue
        kind = entity.get("type")
        if kind == "mention":
            # The entity covers "@username"; a longer username (@bot_helper) is another account.
            mentioned = _from_utf16(_utf16(text)[2 * offset : 2 * (offset + length)])
            if me.username and mentioned.lower() == f"@{me.username}".lower():
                spans.append((offset, offset + length))
        elif kind == "text_mention" and me.is_me(entity.get("user")):
            spans.append((offset, offset + length))
    return spans


def _without(text: str, spans: list[tuple[int, int]]) -> str:
    """`text` with the UTF-16 ranges `spans` cut out."""
    units = _utf16(text)
    kept, position = [], 0
    for start, end in sorted(spans):
        if start >= position:
            kept.append(units[2 * position : 2 * start])
            position = end
    kept.append(units[2 * position :])
    return _from_utf16(b"".join(kept))


def _command_name(text: str) -> tuple[str, str]:
    """ "/menu@MyBot please" as ("menu", "mybot"); ("", "") when the text is no command."""
    if not text.startswith("/"):
        return "", ""
    first = text.split(maxsplit=1)[0][1:]
    name, _, addressee = first.partition("@")
    return name.lower(), addressee.lower()


def _addressed_text(message: Mapping[str, Any], text: str, me: BotIdentity) -> Optional[str]:
    """In a group, the text meant for the bot (our mentions cut out), or None when it is not for us."""
    spans = _mention_spans(message, text, me)
    if spans:
        return _without(text, spans)
    replied = _mapping(message.get("reply_to_message"))
    author = _mapping(replied.get("from"))
    if author.get("is_bot") is True and (me.is_me(author) or (not me.username and me.user_id is None)):
        return text
    name, addressee = _command_name(text)
    if name:
        # "/menu@otherbot" is for another bot in the group; "/menu" is for every bot.
        return text if not addressee or addressee == me.username.lower() else None
    return None


def _typed(text: str, me: BotIdentity, gate: PayloadGate) -> str:
    """What Rasa gets for typed text: a known command's payload, else the text (never a raw payload)."""
    cleaned = clean_text(text)
    name, addressee = _command_name(cleaned)
    if name in COMMANDS:
        return COMMANDS[name]
    if name and addressee and addressee == me.username.lower():
        first = cleaned.split(maxsplit=1)[0]
        cleaned = first.partition("@")[0] + cleaned[len(first) :]  # "/x@us a" is "/x a"
    return gate.admit(cleaned) or EMPTY_PAYLOAD


def _hints(user: Any) -> dict[str, Any]:
    """Metadata for Rasa: the person's Telegram language, a hint for the locale."""
    code = _string(_mapping(user).get("language_code"))
    plausible = 0 < len(code) <= MAX_LANGUAGE_CODE_CHARS and code.replace("-", "").replace("_", "").isalnum()
    return {"language_code": code} if plausible and code.isascii() else {}


def _callback(update: Mapping[str, Any], update_id: Optional[int]) -> Optional[Incoming]:
    """A pressed inline button: its callback data is the payload (buttons are ours)."""
    query = _mapping(update.get("callback_query"))
    query_id = clean_text(query.get("id"), MAX_CALLBACK_ID_CHARS)
    data = clean_text(query.get("data"), MAX_TEXT_CHARS)
    chat = _mapping(_mapping(query.get("message")).get("chat"))
    user = _mapping(query.get("from"))
    chat_id = _telegram_id(chat.get("id")) or _telegram_id(user.get("id"))
    if not chat_id or not query_id:
        return None
    return Incoming(str(chat_id), chat_id, data or EMPTY_PAYLOAD, _hints(user), query_id, update_id)


def _location(message: Mapping[str, Any]) -> Optional[str]:
    """A shared location or venue as a `report_hazard` payload, or None when it is malformed."""
    venue = _mapping(message.get("venue"))
    location = _mapping(message.get("location")) or _mapping(venue.get("location"))
    latitude = _coordinate(location.get("latitude"), 90.0)
    longitude = _coordinate(location.get("longitude"), 180.0)
    if latitude is None or longitude is None:
        return None
    entities: dict[str, Any] = {"latitude": latitude, "longitude": longitude}
    title = clean_text(venue.get("title"), MAX_PLACE_CHARS)
    if title:
        entities["place"] = title
    return "/" + _payload("report_hazard", entities)


def interpret(
    update: Mapping[str, Any],
    bot_username: str = "",
    gate: Optional[PayloadGate] = None,
    bot_id: Optional[int] = None,
) -> Optional[Incoming]:
    """Turn an update into a message for Rasa, or None when it needs no answer (or is malformed).

    Typed text is cleaned (`clean_text`) and passed through `gate`, so only commands and
    pressed buttons give payloads; without a gate no typed payload is admitted.
    """
    if not isinstance(update, Mapping):
        return None
    me = BotIdentity(bot_username, bot_id)
    update_id = _telegram_id(update.get("update_id"))
    if "callback_query" in update:
        return _callback(update, update_id)
    message = update.get("message")
    if not isinstance(message, Mapping):
        return None  # edited messages, channel posts, polls, member updates...
    chat = _mapping(message.get("chat"))
    chat_id = _telegram_id(chat.get("id"))
    if chat_id is None:
        return None
    hints = _hints(message.get("from"))
    group = chat.get("type") in ("group", "supergroup")
    text = message.get("text")
    if isinstance(text, str):
        addressed = _addressed_text(message, text, me) if group else text
        if addressed is None:
            return None
        body = _typed(addressed, me, gate or PayloadGate())
        return Incoming(str(chat_id), chat_id, body, hints, None, update_id)
    if group:
        return None
    if "location" in message or "venue" in message:
        located = _location(message)
        return Incoming(str(chat_id), chat_id, located, hints, None, update_id) if located else None
    if any(kind in message for kind in MEDIA_KINDS):
        media = "/" + _payload("out_of_scope", {"media": "unsupported"})
        return Incoming(str(chat_id), chat_id, media, hints, None, update_id)
    return None


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
    """The last `size` update ids processed to the end, so a redelivery is not answered twice."""

    def __init__(self, size: int = 10_000) -> None:
        self._seen: BoundedSet[int] = BoundedSet(size)

    def __contains__(self, update_id: object) -> bool:
        return update_id in self._seen

    def __len__(self) -> int:
        return len(self._seen)

    def mark(self, update_id: int) -> None:
        """Record `update_id` as done (its replies were handed to Telegram)."""
        self._seen.add(update_id)
