"""NLU evaluation on the held-out set: `make eval`.

Trains the model on data/ (unless --model is given), parses every message of
tests/nlu_holdout/<lang>.yml (never trained on) and prints, per language:
intent accuracy, macro-F1, safety-routing recall (urgent messages that reach a
safety answer, safety net included), urgent messages lost to greet /
out_of_scope / nlu_fallback, how often the safety net fires on non-urgent
messages, false safety answers on non-mine threats (protection_concern
messages answered with mine advice), the training time and the parse latency.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import statistics
import sys
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
# Rasa logs every parse at debug level through structlog unless told otherwise.
os.environ.setdefault("LOG_LEVEL", "WARNING")

ROOT = Path(__file__).resolve().parent.parent
LANGUAGES = ("en", "fr", "es", "uk", "ar", "km")
SAFETY = {"found_object", "in_hazard_area", "someone_injured"}
LOST = {"greet", "out_of_scope", "nlu_fallback"}
# Self-harm, violence, sexual violence, armed attack: mine advice is a false safety answer.
THREAT = "protection_concern"


def holdout(language: str) -> list[tuple[str, str]]:
    """(text, intent) pairs of one language's held-out file."""
    from rasa.shared.nlu.training_data.loading import load_data

    data = load_data(str(ROOT / "tests" / "nlu_holdout" / f"{language}.yml"))
    return [(m.get("text"), m.get("intent")) for m in data.intent_examples]


def train(work: str) -> tuple[str, float]:
    """Train the full model (NLU and dialogue) as `make train` does; return path and seconds."""
    from rasa.model_training import train as rasa_train

    started = time.monotonic()
    result = rasa_train(
        domain=str(ROOT / "domain.yml"),
        config=str(ROOT / "config.yml"),
        training_files=[str(ROOT / "data")],
        output=work,
        fixed_model_name="eval",
    )
    return str(result.model), time.monotonic() - started


async def parse_all(model: str, items: dict[str, list[tuple[str, str]]]) -> dict[str, list[dict[str, Any]]]:
    """Parse every held-out message; keep truth, prediction, net decision and time."""
    from rasa.core.agent import Agent

    agent = Agent.load(model)
    results: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for language, pairs in items.items():
        for text, intent in pairs:
            started = time.perf_counter()
            parsed = await agent.parse_message(text)
            elapsed = time.perf_counter() - started
            net = parsed.get("safety_net") or {}
            results[language].append(
                {
                    "text": text,
                    "truth": intent,
                    "predicted": parsed["intent"]["name"],
                    "net_fired": bool(net.get("fired")),
                    "seconds": elapsed,
                }
            )
    return results


def report(results: dict[str, list[dict[str, Any]]], train_seconds: float | None, verbose: bool) -> None:
    """Print the per-language table, latency, confusions and misses."""
    from sklearn.metrics import accuracy_score, f1_score

    columns = [
        "language",
        "messages",
        "accuracy",
        "macro-F1",
        "safety recall",
        "urgent lost",
        "net fired on non-urgent",
        "false safety on threats",
    ]
    print("| " + " | ".join(columns) + " |")
    print("|" + "---|" * len(columns))
    everything: list[dict[str, Any]] = []
    for language in LANGUAGES:
        rows = results.get(language, [])
        if not rows:
            continue
        everything += rows
        print(_row(language, rows, accuracy_score, f1_score))
    print(_row("all", everything, accuracy_score, f1_score))
    latencies = sorted(r["seconds"] for r in everything)
    p95 = latencies[int(0.95 * (len(latencies) - 1))]
    print(f"\nparse latency: p50 {statistics.median(latencies) * 1000:.1f} ms, p95 {p95 * 1000:.1f} ms")
    if train_seconds is not None:
        print(f"training time (rasa train, NLU and dialogue, 2 cores): {train_seconds:.0f} s")
    confusions = Counter((r["truth"], r["predicted"]) for r in everything if r["truth"] != r["predicted"])
    print("\nmost frequent confusions (truth -> predicted):")
    for (truth, predicted), count in confusions.most_common(12):
        print(f"  {count:3d}  {truth} -> {predicted}")
    lost = [r for r in everything if r["truth"] in SAFETY and r["predicted"] not in SAFETY]
    if lost:
        print("\nurgent messages that did NOT reach a safety answer:")
        for r in lost:
            print(f"  [{r['truth']} -> {r['predicted']}] {r['text']}")
    mine_advice = [r for r in everything if r["truth"] == THREAT and r["predicted"] in SAFETY]
    if mine_advice:
        print("\nnon-mine threats that got a mine safety answer:")
        for r in mine_advice:
            print(f"  [{r['truth']} -> {r['predicted']}] {r['text']}")
    fired = [r for r in everything if r["truth"] not in SAFETY and r["net_fired"]]
    if fired and verbose:
        print("\nnon-urgent messages the safety net sent to a safety answer:")
        for r in fired:
            print(f"  [{r['truth']} -> {r['predicted']}] {r['text']}")


def _row(name: str, rows: list[dict[str, Any]], accuracy_score: Any, f1_score: Any) -> str:
    truth = [r["truth"] for r in rows]
    predicted = [r["predicted"] for r in rows]
    accuracy = accuracy_score(truth, predicted)
    macro = f1_score(truth, predicted, average="macro", labels=sorted(set(truth)), zero_division=0)
    urgent = [r for r in rows if r["truth"] in SAFETY]
    recall = sum(r["predicted"] in SAFETY for r in urgent) / len(urgent) if urgent else float("nan")
    lost = sum(r["predicted"] in LOST for r in urgent)
    calm = [r for r in rows if r["truth"] not in SAFETY]
    fired = sum(r["net_fired"] for r in calm)
    threats = [r for r in rows if r["truth"] == THREAT]
    mine_advice = sum(r["predicted"] in SAFETY for r in threats)
    return (
        f"| {name} | {len(rows)} | {accuracy:.3f} | {macro:.3f} | {recall:.3f} ({len(urgent)}) | {lost} "
        f"| {fired} of {len(calm)} | {mine_advice} of {len(threats)} |"
    )


def main() -> int:
    """Train (or load) the model, evaluate, print."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--model", help="evaluate this model instead of training one")
    parser.add_argument(
        "--verbose", action="store_true", help="list safety-net firings on non-urgent messages"
    )
    args = parser.parse_args()
    logging.disable(logging.WARNING)
    os.chdir(ROOT)  # the safety net reads content/safety_net relative to the project
    items = {language: holdout(language) for language in LANGUAGES}
    with tempfile.TemporaryDirectory() as work:
        model, seconds = (args.model, None) if args.model else train(work)
        results = asyncio.run(parse_all(model, items))
    report(results, seconds, args.verbose)
    return 0


if __name__ == "__main__":
    sys.exit(main())
