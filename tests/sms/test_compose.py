"""One bot message as one SMS within the segment budget."""

from bot.sms.compose import compose
from bot.sms.segments import count_segments

BUTTONS = [{"title": f"Option number {n}", "payload": f"/intent_{n}"} for n in range(1, 9)]


def test_text_and_menu_fit_untouched():
    sms = compose("Choose:", BUTTONS[:3], budget=3)
    assert sms.body == "Choose:\n1 Option number 1\n2 Option number 2\n3 Option number 3"
    assert sms.payloads == ["/intent_1", "/intent_2", "/intent_3"]
    assert sms.options_dropped == 0 and sms.fits


def test_menu_options_are_dropped_from_the_end_to_fit():
    text = "x" * 140
    sms = compose(text, BUTTONS, budget=1)
    assert sms.fits and sms.cost.segments == 1
    assert sms.body.startswith(text)
    assert sms.options_dropped == len(BUTTONS) - len(sms.payloads)
    assert sms.payloads == [b["payload"] for b in BUTTONS[: len(sms.payloads)]]


def test_a_long_text_is_never_cut():
    text = "Ne touchez pas. " * 40
    sms = compose(text, BUTTONS, budget=2)
    assert sms.body == text.strip()
    assert not sms.fits and sms.payloads == []
    assert count_segments(sms.body).segments > 2


def test_ucs2_text_trims_by_utf16_units():
    sms = compose("ខ្ញុំ" * 30, [{"title": "ជំនួយ", "payload": "/help"}] * 4, budget=3)
    assert sms.cost.encoding == "UCS-2" and sms.cost.segments <= 3
