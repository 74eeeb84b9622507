from __future__ import annotations

import pytest

from bot.nlu.normalise import normalise, same_length


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("J’AI TROUVÉ", "j'ai trouve"),
        ("пам’ятка", "пам'ятка"),
        ("памʼятка", "пам'ятка"),
        ("вибухнув й їжак", "вибухнув й їжак"),
        ("وَجَدْتُ لغـــماً", "وجدت لغما"),
        ("ｍｉｎｅ", "mine"),
        ("gre\u200dnade", "gre nade"),
        ("  Encontré  ", "encontre"),
    ],
)
def test_normalise(raw, expected):
    assert normalise(raw) == expected


def test_same_length_keeps_offsets():
    text = "ខ្ញុំ\u200bរកឃើញ l’obus"
    out = same_length(text)
    assert len(out) == len(text)
    assert out == "ខ្ញុំ រកឃើញ l'obus"
