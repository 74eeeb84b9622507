from __future__ import annotations

from bot.chat import ChatSession, format_replies

MENU = [
    {
        "text": "Choose:",
        "buttons": [{"title": "Quiz", "payload": "/start_quiz"}, {"title": "Menu", "payload": "/help"}],
    }
]


def test_buttons_are_shown_as_numbered_choices():
    assert format_replies(MENU) == ["Choose:", "  1. Quiz", "  2. Menu"]


def test_a_number_sends_the_payload_of_the_last_menu():
    sent = []

    def post(body):
        sent.append(body)
        return MENU

    session = ChatSession(post, sender="s", language_hint="km")
    session.send("hello")
    session.send("2")
    session.send("7")
    assert [b["message"] for b in sent] == ["hello", "/help", "7"]
    assert sent[0]["metadata"] == {"language": "km"}
