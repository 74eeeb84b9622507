from __future__ import annotations

from typing import Any

import pytest

from bot.channels.inbound import PayloadGate
from bot.channels.telegram_updates import SeenUpdates, interpret, split_message
from bot.paths import project_paths
from tests.factories import PROJECT_ROOT

GATE = PayloadGate.for_project(project_paths(PROJECT_ROOT))


def msg(text=None, chat_type="private", **extra):
    body = {
        "message_id": 1,
        "chat": {"id": 5, "type": chat_type},
        "from": {"id": 5, "language_code": "uk"},
        **extra,
    }
    if text is not None:
        body["text"] = text
    return {"update_id": 1, "message": body}


def mention(offset: int, length: int) -> dict[str, Any]:
    return {"type": "mention", "offset": offset, "length": length}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("/start", "/greet"),
        ("/menu", "/help"),
        ("/language", "/change_language"),
        ("/help", "/help"),
        ("/stop", "/unsubscribe"),
        ("/delete", "/delete_my_data"),
        ("/start@test_bot", "/greet"),
        # Typed payloads no button offers are plain text, not intents.
        ("/restart", "restart"),
        ('/report_hazard{"contact": "x"}', 'report_hazard{"contact": "x"}'),
        ("/restart@test_bot", "restart"),
        # A typed payload in the shape of a button is what the button would send.
        ("/found_object", "/found_object"),
        ("/", "/help"),
    ],
)
def test_commands_become_intents_and_typed_payloads_plain_text(text, expected):
    assert interpret(msg(text), "test_bot", GATE).text == expected


def test_without_a_gate_no_typed_payload_gets_through():
    assert interpret(msg("/found_object"), "test_bot").text == "found_object"


def test_text_keeps_the_language_hint_and_is_cleaned_and_capped():
    incoming = interpret(msg("x" * 5000))
    assert incoming.metadata == {"language_code": "uk"}
    assert len(incoming.text) == 2000
    assert incoming.sender_id == "5"
    assert incoming.update_id == 1
    assert interpret(msg("I found\x00 a mine\ud800")).text == "I found a mine"


def test_location_and_media():
    located = interpret(msg(location={"latitude": 1.5, "longitude": 2.5}))
    assert located.text == '/report_hazard{"latitude": 1.5, "longitude": 2.5}'
    assert interpret(msg(voice={"file_id": "v"})).text == '/out_of_scope{"media": "unsupported"}'


def test_groups_edits_and_channel_posts():
    assert interpret(msg("hello", chat_type="group"), "test_bot") is None
    assert interpret(msg("/menu@other_bot", chat_type="supergroup"), "test_bot") is None
    assert interpret(msg("/menu@test_bot", chat_type="supergroup"), "test_bot").text == "/help"
    reply = msg("yes", chat_type="group", reply_to_message={"from": {"is_bot": True, "username": "test_bot"}})
    assert interpret(reply, "test_bot").text == "yes"
    other = msg("yes", chat_type="group", reply_to_message={"from": {"is_bot": True, "username": "x_bot"}})
    assert interpret(other, "test_bot") is None
    assert interpret({"update_id": 2, "edited_message": msg("x")["message"]}) is None
    assert (
        interpret({"update_id": 3, "channel_post": {"chat": {"id": 1, "type": "channel"}, "text": "x"}})
        is None
    )


def test_group_mentions_come_from_the_entities():
    addressed = msg("@Test_Bot hello", chat_type="group", entities=[mention(0, 9)])
    assert interpret(addressed, "test_bot").text == "hello"
    # Another account whose name starts with ours is not us.
    helper = msg("@test_bot_helper hello", chat_type="group", entities=[mention(0, 16)])
    assert interpret(helper, "test_bot") is None
    # Without an entity, "@test_bot" in the text is not a mention (e.g. inside a code span or URL).
    assert interpret(msg("mail me at x@test_bot", chat_type="group"), "test_bot") is None
    # Offsets count UTF-16 units: the emoji before the mention takes two.
    emoji = msg("💣 @test_bot I found this", chat_type="group", entities=[mention(3, 9)])
    assert interpret(emoji, "test_bot").text == "💣  I found this"
    named = msg(
        "Bot, I found a grenade",
        chat_type="group",
        entities=[{"type": "text_mention", "offset": 0, "length": 3, "user": {"id": 42, "is_bot": True}}],
    )
    assert interpret(named, "test_bot", bot_id=42).text == ", I found a grenade"
    assert interpret(named, "test_bot", bot_id=43) is None


def test_callback_query_carries_the_payload():
    update = {
        "update_id": 9,
        "callback_query": {"id": "q", "from": {"id": 5}, "data": "/restart", "message": {"chat": {"id": 5}}},
    }
    incoming = interpret(update, "test_bot", GATE)
    assert (incoming.text, incoming.callback_query_id, incoming.chat_id) == ("/restart", "q", 5)


WEIRD = [1, "x", None, True, [], [1, 2], {"a": {"b": {}}}, 1.5, float("nan"), 2**80, -1, "12"]


@pytest.mark.parametrize("value", WEIRD)
@pytest.mark.parametrize(
    "build",
    [
        lambda v: {"update_id": 1, "message": v},
        lambda v: {"update_id": 1, "message": {"chat": v, "text": "hi"}},
        lambda v: {"update_id": 1, "message": {"chat": {"id": v, "type": "private"}, "text": "hi"}},
        lambda v: {"update_id": 1, "message": {"chat": {"id": 5, "type": v}, "text": v, "from": v}},
        lambda v: {"update_id": 1, "message": {"chat": {"id": 5, "type": "group"}, "text": "@test_bot a",
                                               "entities": v, "reply_to_message": v}},
        lambda v: {"update_id": 1, "message": {"chat": {"id": 5, "type": "group"}, "text": "@test_bot a",
                                               "entities": [{"type": "mention", "offset": v, "length": v}]}},
        lambda v: {"update_id": 1, "message": {"chat": {"id": 5}, "location": v, "venue": v}},
        lambda v: {"update_id": 1, "message": {"chat": {"id": 5},
                                               "location": {"latitude": v, "longitude": v}}},
        lambda v: {"update_id": 1, "callback_query": v},
        lambda v: {"update_id": 1, "callback_query": {"id": v, "data": v, "message": v, "from": v}},
        lambda v: {"update_id": 1, "callback_query": {"id": "q", "message": {"chat": {"id": v}}}},
    ],
)  # fmt: skip
def test_interpret_is_total(build, value):
    incoming = interpret(build(value), "test_bot", GATE)
    assert incoming is None or (isinstance(incoming.text, str) and isinstance(incoming.chat_id, int))


def test_malformed_chat_ids_and_coordinates_are_ignored():
    assert interpret(msg(location={"latitude": 91, "longitude": 2.5})) is None
    assert interpret({"update_id": 1, "message": {"chat": {"id": "5"}, "text": "hi"}}) is None
    assert interpret({"update_id": 1, "callback_query": {"id": "q", "message": "a string"}}) is None


def test_split_message_at_paragraphs_under_the_limit():
    text = "\n\n".join(["a" * 3000, "b" * 3000, "c" * 100])
    parts = split_message(text)
    assert parts == ["a" * 3000, "b" * 3000 + "\n\n" + "c" * 100]
    assert split_message("x" * 9000) == ["x" * 4096, "x" * 4096, "x" * 808]


def test_seen_updates_forget_the_oldest():
    seen = SeenUpdates(size=2)
    seen.mark(1)
    seen.mark(2)
    assert 1 in seen and 3 not in seen
    seen.mark(3)
    assert 1 not in seen and 2 in seen and 3 in seen
