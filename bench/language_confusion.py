"""Which language the assistant answers short messages in: confusion per true language.

Reads bench/data/short_messages.yml (messages labelled with the writer's
language and a class: greeting, yes_no, thanks, request, number, place, latin)
and prints, rows = true language, columns = decided language:

- evidence: what one message says on its own (the detector the NLG uses; "-"
  when it is not confident), one table per class. Numbers and place names carry
  no language: "-" (or the script's language) is right for them.
- decide(): the conversation's language as `bot.conversation.decide` answers
  it, in four situations: the message alone; with a channel hint in the
  person's language (Telegram's language_code); with an English hint (a phone
  set to English); after the person's previous short message.
"""

from __future__ import annotations

import argparse
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any, Callable, Optional

import yaml

from bot.content.countries import load_profiles
from bot.conversation import decide
from bot.i18n import LATIN_CONFIDENCE, SUPPORTED_LANGUAGES, LanguageDetector
from bot.nlg import build_renderer
from bot.paths import project_paths

DATA = Path(__file__).parent / "data" / "short_messages.yml"
UNDECIDED = "-"
NEUTRAL_CLASSES = ("number", "place")
Item = tuple[str, str, str]  # true language, class, text


def load_items(path: Path) -> list[Item]:
    """The labelled messages as (language, class, text), in file order."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    return [
        (lang, cls, str(text))
        for lang, classes in data.items()
        for cls, texts in classes.items()
        for text in texts
    ]


def evidence_of(detector: LanguageDetector) -> Callable[[str], str]:
    """One message's verdict: its language when the detector is confident, else "-"."""
    judge = getattr(detector, "evidence", detector.detect)  # `evidence` is the decision's own view

    def verdict(text: str) -> str:
        found = judge(text)
        return found.language if found and found.confidence >= LATIN_CONFIDENCE else UNDECIDED

    return verdict


def correct(language: str, cls: str, decided: str) -> bool:
    """Right answer: the writer's language; for numbers and places "-" is right too."""
    return decided == language or (cls in NEUTRAL_CLASSES and decided == UNDECIDED)


def table(rows: list[tuple[str, str]], title: str) -> list[str]:
    """A confusion table of (true, decided) pairs."""
    columns = [*SUPPORTED_LANGUAGES, UNDECIDED]
    counts = Counter(rows)
    lines = [f"{title:<16}" + "".join(f"{c:>5}" for c in columns) + "   n"]
    for true in SUPPORTED_LANGUAGES:
        cells = [counts[(true, c)] for c in columns]
        if sum(cells):
            lines.append(f"  {true:<14}" + "".join(f"{n or '.':>5}" for n in cells) + f"{sum(cells):>4}")
    return lines


def situations(detector: LanguageDetector, profiles: Any) -> dict[str, Callable[[list[Item], int], str]]:
    """Each situation's decision for item i of a language's list."""

    def run(messages: list[tuple[str, Optional[dict[str, str]]]]) -> str:
        return decide({}, messages, profiles, detector).language

    def previous(items: list[Item], i: int) -> str:
        return items[i - 1][2]  # the person's previous message (the list is cyclic)

    return {
        "alone": lambda items, i: run([(items[i][2], None)]),
        "hint = own": lambda items, i: run([(items[i][2], {"language": items[i][0]})]),
        "hint = en": lambda items, i: run([(items[i][2], {"language": "en"})]),
        "after previous": lambda items, i: run([(previous(items, i), None), (items[i][2], None)]),
    }


def overlap(items: list[Item], nlu_dir: Path) -> int:
    """How many labelled messages also appear word for word in the training files."""
    trained: set[str] = set()
    for path in nlu_dir.glob("*.yml"):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip().startswith("- "):
                trained.add(line.strip()[2:].strip().lower())
    return sum(1 for _, _, text in items if text.lower() in trained)


def main() -> None:
    """Print the evidence tables per class and the decision tables per situation."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, default=DATA)
    args = parser.parse_args()
    paths = project_paths()
    items = load_items(args.data)
    detector = build_renderer(paths).detector
    profiles = load_profiles(paths.countries)
    verdict = evidence_of(detector)
    print(f"{len(items)} messages; {overlap(items, paths.data / 'nlu')} also in data/nlu word for word")

    by_class: dict[str, list[tuple[str, str]]] = defaultdict(list)
    right = Counter[str]()
    for language, cls, text in items:
        decided = verdict(text)
        by_class[cls].append((language, decided))
        right[cls] += correct(language, cls, decided)
    print("\n== evidence of one message (rows: true language, columns: verdict)")
    for cls, rows in by_class.items():
        print("\n".join(table(rows, cls)) + f"\n  correct {right[cls]}/{len(rows)}")

    per_language: dict[str, list[Item]] = defaultdict(list)
    for item in items:
        per_language[item[0]].append(item)
    for name, situation in situations(detector, profiles).items():
        rows, wrong = [], Counter[str]()
        for language_items in per_language.values():
            for i, (language, cls, _) in enumerate(language_items):
                decided = situation(language_items, i)
                rows.append((language, decided))
                wrong[cls] += decided != language
        total = sum(1 for t, d in rows if t == d)
        print(f"\n== decide(): {name}  (answered in the writer's language {total}/{len(rows)})")
        print("\n".join(table(rows, "true \\ decided")))
        print("  wrong per class: " + ", ".join(f"{c} {n}" for c, n in wrong.items()))


if __name__ == "__main__":
    main()
