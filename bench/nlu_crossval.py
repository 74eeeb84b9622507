"""Cross-validated intent accuracy and macro-F1 per language, on the project's own data.

Usage: .venv/bin/python bench/nlu_crossval.py [--folds 5] [--config config.yml]

One model is trained per fold on every language at once (as in production),
and its predictions on the held-out fold are scored per language (the
language is the training file's: data/nlu/<lang>.yml). Prints a table.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # imported for real inside the functions: after the environment is set
    from rasa.shared.nlu.training_data.message import Message
    from rasa.shared.nlu.training_data.training_data import TrainingData

os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
# Rasa logs every parse at debug level through structlog unless told otherwise.
os.environ.setdefault("LOG_LEVEL", "WARNING")

ROOT = Path(__file__).resolve().parent.parent
LANGUAGES = ("en", "fr", "es", "uk", "ar", "km")
SAFETY = {"found_object", "in_hazard_area", "someone_injured"}


def load_examples() -> tuple[list[tuple[str, str, Message]], TrainingData]:
    """(language, intent, Message) for every example, and the lookup tables' data."""
    from rasa.shared.nlu.training_data.loading import load_data

    examples = []
    for language in LANGUAGES:
        data = load_data(str(ROOT / "data" / "nlu" / f"{language}.yml"))
        examples += [(language, m.get("intent"), m) for m in data.intent_examples]
    return examples, load_data(str(ROOT / "data" / "nlu" / "lookups.yml"))


def folds_of(examples: list, folds: int, seed: int) -> list[list[int]]:
    """Stratified by (language, intent)."""
    groups: dict[tuple[str, str], list[int]] = defaultdict(list)
    for index, (language, intent, _) in enumerate(examples):
        groups[(language, intent)].append(index)
    rng = random.Random(seed)
    result: list[list[int]] = [[] for _ in range(folds)]
    for key in sorted(groups):
        members = groups[key]
        rng.shuffle(members)
        for position, index in enumerate(members):
            result[position % folds].append(index)
    return result


async def predict(model: str, texts: list[str]) -> list[str]:
    """Intent names the model predicts for `texts`."""
    from rasa.core.agent import Agent

    agent = Agent.load(model)
    predictions = []
    for text in texts:
        parsed = await agent.parse_message(text)
        predictions.append(parsed["intent"]["name"])
    return predictions


def _safety(truth: list[str], guess: list[str]) -> str:
    """Urgent examples given a safety answer (safety net included), and other examples given one."""
    urgent = [g for t, g in zip(truth, guess, strict=True) if t in SAFETY]
    calm = [g for t, g in zip(truth, guess, strict=True) if t not in SAFETY]
    recall = sum(g in SAFETY for g in urgent) / len(urgent) if urgent else float("nan")
    return f"{recall:.3f} ({len(urgent)}) | {sum(g in SAFETY for g in calm)} of {len(calm)}"


def main() -> int:
    """Run the cross-validation and print the table."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--config", default=str(ROOT / "config.yml"), help="pipeline to evaluate")
    args = parser.parse_args()

    from rasa.model_training import train_nlu
    from rasa.shared.nlu.training_data.training_data import TrainingData
    from sklearn.metrics import accuracy_score, f1_score

    examples, lookups = load_examples()
    folds = folds_of(examples, args.folds, args.seed)
    truth: dict[str, list[str]] = defaultdict(list)
    guess: dict[str, list[str]] = defaultdict(list)
    train_seconds: list[float] = []
    with tempfile.TemporaryDirectory() as work:
        for number, test_indices in enumerate(folds, 1):
            test_set = set(test_indices)
            train = [examples[i][2] for i in range(len(examples)) if i not in test_set]
            data = TrainingData(training_examples=train).merge(lookups)
            data_file = Path(work) / f"train{number}.yml"
            data_file.write_text(data.nlu_as_yaml(), encoding="utf-8")
            started = time.monotonic()
            model = train_nlu(args.config, str(data_file), work, fixed_model_name=f"fold{number}")
            train_seconds.append(time.monotonic() - started)
            texts = [examples[i][2].get("text") for i in test_indices]
            predicted = asyncio.run(predict(str(model), texts))
            for i, label in zip(test_indices, predicted, strict=True):
                language, intent, _ = examples[i]
                truth[language].append(intent)
                guess[language].append(label)
            print(f"fold {number}/{args.folds}: trained in {train_seconds[-1]:.0f} s", file=sys.stderr)

    print(f"\n{args.folds}-fold cross-validation, {len(examples)} examples, one model for all languages")
    print(f"training time per fold: {sum(train_seconds) / len(train_seconds):.0f} s (2 cores)\n")
    columns = "language | examples | intent accuracy | macro-F1 | fallbacks | safety recall | false safety"
    print(f"| {columns} |")
    print("|---|---|---|---|---|---|---|")
    all_truth: list[str] = []
    all_guess: list[str] = []
    for language in LANGUAGES:
        t, g = truth[language], guess[language]
        all_truth += t
        all_guess += g
        accuracy = accuracy_score(t, g)
        macro = f1_score(t, g, average="macro", labels=sorted(set(t)), zero_division=0)
        fallbacks = g.count("nlu_fallback")
        print(f"| {language} | {len(t)} | {accuracy:.3f} | {macro:.3f} | {fallbacks} | {_safety(t, g)} |")
    accuracy = accuracy_score(all_truth, all_guess)
    macro = f1_score(all_truth, all_guess, average="macro", labels=sorted(set(all_truth)), zero_division=0)
    print(
        f"| all | {len(all_truth)} | {accuracy:.3f} | {macro:.3f} | {all_guess.count('nlu_fallback')} "
        f"| {_safety(all_truth, all_guess)} |"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
