from __future__ import annotations

import pytest

from bot.channels.telegram_updates import SeenUpdates, interpret, split_message


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
        ("/restart", "/help"),
    ],
)
def test_commands_become_intents(text, expected):
    assert interpret(msg(text), "test_bot").text == expected


def test_text_keeps_the_language_hint_and_is_capped():
    incoming = interpret(msg("x" * 5000))
    assert incoming.metadata == {"language_code": "uk"}
    assert len(incoming.text) == 2000
    assert incoming.sender_id == "5"


def test_location_and_media():
    located = interpret(msg(location={"latitude": 1.5, "longitude": 2.5}))
    assert located.text == '/report_hazard{"latitude": 1.5, "longitude": 2.5}'
    assert interpret(msg(voice={"file_id": "v"})).text == '/out_of_scope{"media": "unsupported"}'


def test_groups_edits_and_channel_posts():
    assert interpret(msg("hello", chat_type="group"), "test_bot") is None
    assert interpret(msg("@Test_Bot hello", chat_type="group"), "test_bot").text == "hello"
    assert interpret(msg("/menu@other_bot", chat_type="supergroup"), "test_bot") is None
    reply = msg("yes", chat_type="group", reply_to_message={"from": {"is_bot": True, "username": "test_bot"}})
    assert interpret(reply, "test_bot").text == "yes"
    assert interpret({"update_id": 2, "edited_message": msg("x")["message"]}) is None
    assert (
        interpret({"update_id": 3, "channel_post": {"chat": {"id": 1, "type": "channel"}, "text": "x"}})
        is None
    )


def test_callback_query_carries_the_payload():
    update = {
        "update_id": 9,
        "callback_query": {"id": "q", "from": {"id": 5}, "data": "/help", "message": {"chat": {"id": 5}}},
    }
    incoming = interpret(update)
    assert (incoming.text, incoming.callback_query_id, incoming.chat_id) == ("/help", "q", 5)


def test_split_message_at_paragraphs_under_the_limit():
    text = "\n\n".join(["a" * 3000, "b" * 3000, "c" * 100])
    parts = split_message(text)
    assert parts == ["a" * 3000, "b" * 3000 + "\n\n" + "c" * 100]
    assert split_message("x" * 9000) == ["x" * 4096, "x" * 4096, "x" * 808]


def test_seen_updates_forget_the_oldest():
    seen = SeenUpdates(size=2)
    assert seen.first_time(1) and seen.first_time(2) and not seen.first_time(1)
    assert seen.first_time(3) and seen.first_time(1)
