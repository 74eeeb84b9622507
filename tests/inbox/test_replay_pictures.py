"""After a crash, a lesson card's replies are sent again with their pictures (issue 14, "Pictures")."""

from __future__ import annotations

import asyncio

from rasa.core.tracker_store import InMemoryTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import BotUttered, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot.channels.telegram import TelegramSender
from bot.channels.telegram_limits import CallbackPayloads, RateLimiter
from bot.content.pictures import Picture
from bot.inbox.replay import replies_already_made

PICTURES = [{"name": "official_sign", "alt": "Official sign: a red triangle."}]
BUTTONS = [{"title": "Next", "payload": "/next"}]


def test_replayed_replies_keep_their_pictures_in_order():
    store = InMemoryTrackerStore(Domain.empty())
    events = [
        UserUttered("/ask_warning_signs", message_id="telegram:1"),
        BotUttered(
            "Official warning signs are red or orange.",
            data={"buttons": BUTTONS},
            metadata={"metadata": {"pictures": PICTURES}, "utter_action": "utter_lesson_signs_1"},
        ),
        BotUttered("Plain reply", data={}, metadata={"utter_action": "utter_help"}),
    ]
    asyncio.run(store.save(DialogueStateTracker.from_events("chat-1", events)))
    replies = asyncio.run(replies_already_made(store, "chat-1", "telegram:1"))
    assert replies == [
        {
            "text": "Official warning signs are red or orange.",
            "buttons": BUTTONS,
            "metadata": {"pictures": PICTURES},
        },
        {"text": "Plain reply", "buttons": None},
    ]
    sender = TelegramSender(None, RateLimiter(), CallbackPayloads())  # type: ignore[arg-type]
    parts = sender.parts(replies)
    assert [(p.picture, p.text) for p in parts] == [
        (Picture("official_sign", "Official sign: a red triangle."), ""),
        (None, "Official warning signs are red or orange."),
        (None, "Plain reply"),
    ]
