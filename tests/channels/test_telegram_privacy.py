"""Telegram conversations are stored under a keyed pseudonym of the chat, never its id; replies
still reach the chat."""

from __future__ import annotations

import pytest

from bot.channels.telegram import telegram_conversation
from bot.store.pseudonym import Pseudonymizer
from tests.assistant import new_chat_id, wait_for
from tests.servers import Shared

pytestmark = pytest.mark.server


def test_the_tracker_store_knows_the_chat_only_by_its_pseudonym(servers: Shared):
    chat_id = new_chat_id()
    servers.webhook.say(chat_id, "I found a grenade near the school")
    assert wait_for(lambda: servers.telegram.sent_to(chat_id))  # the answer went to the real chat
    rest = servers.rest
    conversation = rest.telegram_conversation(chat_id)
    assert conversation.startswith("tg-") and str(chat_id) not in conversation
    assert rest.stored_texts(conversation) == ["I found a grenade near the school"]
    assert [s for s in rest.sender_ids() if str(chat_id) in s] == []


def test_the_pseudonym_is_keyed_and_stable():
    one, other = Pseudonymizer(b"k" * 32), Pseudonymizer(b"j" * 32)
    assert telegram_conversation(one, 12345) == telegram_conversation(one, 12345)
    assert telegram_conversation(one, 12345) != telegram_conversation(other, 12345)
    assert telegram_conversation(one, 12345) != telegram_conversation(one, 12346)
    assert len(telegram_conversation(one, 12345)) == len("tg-") + 32
