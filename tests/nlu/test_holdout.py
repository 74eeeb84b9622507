"""The held-out set is never trained on."""

from __future__ import annotations

import re

import yaml

from tests.factories import PROJECT_ROOT

ANNOTATION = re.compile(r"\[([^\]]+)\]\{[^}]*\}")


def texts(path) -> set[str]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    found = set()
    for block in data.get("nlu", []):
        if "intent" not in block:  # lookup tables are not examples
            continue
        for line in (block.get("examples") or "").splitlines():
            if line.strip().startswith("- "):
                found.add(ANNOTATION.sub(r"\1", line.strip()[2:]).strip().casefold())
    return found


def test_no_held_out_message_is_in_the_training_data():
    training = set().union(*(texts(p) for p in (PROJECT_ROOT / "data" / "nlu").glob("*.yml")))
    for path in sorted((PROJECT_ROOT / "tests" / "nlu_holdout").glob("*.yml")):
        leaked = sorted(texts(path) & training)
        assert leaked == [], (path.name, leaked[:10])
