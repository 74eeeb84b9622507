from __future__ import annotations

import pytest

from bot.sms.segments import count_segments, is_gsm7


@pytest.mark.parametrize(
    ("text", "encoding", "units", "segments"),
    [
        ("", "GSM-7", 0, 1),
        ("a" * 160, "GSM-7", 160, 1),
        ("a" * 161, "GSM-7", 161, 2),
        ("a" * 306, "GSM-7", 306, 2),
        ("a" * 307, "GSM-7", 307, 3),
        ("€" * 80, "GSM-7", 160, 1),  # extension characters count twice
        ("€" * 81, "GSM-7", 162, 2),
        ("[x]{y}~^|\\", "GSM-7", 18, 1),  # 8 extension characters, 2 basic
        ("Où êtes-vous ?", "UCS-2", 14, 1),  # ê is not in GSM-7
        ("Ça va à Lyon, è é ù ì ò", "GSM-7", 23, 1),
        ("🙂", "UCS-2", 2, 1),  # an emoji is two UTF-16 units
        ("🙂" * 35, "UCS-2", 70, 1),
        ("🙂" * 36, "UCS-2", 72, 2),
        ("ខ" * 70, "UCS-2", 70, 1),
        ("ខ" * 71, "UCS-2", 71, 2),
        ("ب" * 134, "UCS-2", 134, 2),
        ("ب" * 135, "UCS-2", 135, 3),
        ("Я" * 67 * 3, "UCS-2", 201, 3),
    ],
)
def test_known_vectors(text, encoding, units, segments):
    count = count_segments(text)
    assert (count.encoding, count.units, count.segments) == (encoding, units, segments)


def test_gsm7_detection():
    assert is_gsm7("Call 101 now! @home")
    assert not is_gsm7("Дзвоніть 101")
    assert not is_gsm7("ខ្ញុំ")
