from __future__ import annotations

from bot.nlu.segment import Run, script_runs, segment, whitespace_segmenter


def test_script_runs_split_mixed_text():
    runs = list(script_runs("I found ភូមិ 3 мін"))
    assert [r.script for r in runs] == ["latin", "khmer", "cyrillic"]
    assert runs[0] == Run("latin", 0, 8)


def test_whitespace_segmenter_drops_punctuation_and_keeps_offsets():
    assert whitespace_segmenter("mine!! here,") == [("mine", 0, 4), ("here", 7, 11)]


def test_segment_uses_each_scripts_segmenter():
    calls = []

    def khmer(text):
        calls.append(text)
        return [(text[:2], 0, 2), (text[2:], 2, len(text))]

    words = segment("a ខ្ញុំ", {"khmer": khmer})
    assert calls == ["ខ្ញុំ"]
    assert words == [("a", 0, 1), ("ខ្", 2, 4), ("ញុំ", 4, 7)]


def test_segment_never_returns_punctuation_only_words():
    assert segment("!!! ... ???", {}) == []
