from __future__ import annotations

import pytest

from bot.sms.menu import choose, numbered_menu

BUTTONS = [
    {"title": "Found something", "payload": "/found_object"},
    {"title": "Someone hurt", "payload": "/someone_injured"},
]


def test_numbered_menu():
    text, payloads = numbered_menu(BUTTONS)
    assert text == "1 Found something\n2 Someone hurt"
    assert payloads == ["/found_object", "/someone_injured"]


@pytest.mark.parametrize(
    ("reply", "expected"),
    [
        ("1", "/found_object"),
        (" 2. ", "/someone_injured"),
        ("٢", "/someone_injured"),
        ("២", "/someone_injured"),
        ("2)", "/someone_injured"),
    ],
)
def test_numbers_in_any_script_choose_an_option(reply, expected):
    assert choose(reply, ["/found_object", "/someone_injured"]) == expected


@pytest.mark.parametrize("reply", ["3", "0", "12 mines", "one", "", "1234"])
def test_anything_else_is_not_a_choice(reply):
    assert choose(reply, ["/found_object", "/someone_injured"]) is None
