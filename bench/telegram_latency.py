"""Latency of Telegram updates: webhook POST -> Rasa -> sendMessage at a fake Bot API.

Usage:
  .venv/bin/python bench/telegram_latency.py [--updates 200]
  .venv/bin/python bench/telegram_latency.py --concurrent 50 [--api-delay 0.2] [--fail 6]

Starts the real Rasa server with the Telegram channel pointed at a local fake
Bot API (tests/channels/fake_telegram.py). One after another (default): posts
updates from distinct chats, each after the previous was answered. Concurrent:
right after the start, N chats post at the same moment (the fake API answers
each call after --api-delay seconds, and fails the first --fail calls with a
500). Prints p50/p95 from the POST to the fake server receiving the reply,
and answered/sent.
"""

from __future__ import annotations

import argparse
import functools
import json
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Optional

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.paths import project_paths  # noqa: E402
from bot.serve import (  # noqa: E402
    ServerSettings,
    free_port,
    rasa_server_command,
    stop,
    wait_until_up,
    write_local_endpoints,
)
from bot.training import ensure_model, rasa_environment  # noqa: E402
from tests.channels.fake_telegram import FakeTelegram, wait_for  # noqa: E402

SECRET = "bench-secret"
TEXT = "I found a grenade near the road"


def post(url: str, update_id: int, chat_id: int) -> None:
    """Post one text update as Telegram would."""
    update = {
        "update_id": update_id,
        "message": {
            "message_id": 1,
            "date": 1700000000,
            "text": TEXT,
            "chat": {"id": chat_id, "type": "private"},
            "from": {"id": chat_id, "is_bot": False, "first_name": "B"},
        },
    }
    request = urllib.request.Request(
        url,
        data=json.dumps(update).encode(),
        headers={"Content-Type": "application/json", "X-Telegram-Bot-Api-Secret-Token": SECRET},
    )
    urllib.request.urlopen(request, timeout=30).read()


def report(latencies: list[float], label: str) -> None:
    """Print p50/p95/max of the answered updates."""
    if not latencies:
        print(f"{label}: nothing answered")
        return
    latencies.sort()
    p95 = latencies[int(0.95 * (len(latencies) - 1))]
    print(
        f"{label}: p50 {statistics.median(latencies) * 1000:.0f} ms, "
        f"p95 {p95 * 1000:.0f} ms, max {latencies[-1] * 1000:.0f} ms"
    )


def one_after_another(url: str, fake: FakeTelegram, updates: int) -> None:
    """Each update posted after the previous one was answered."""
    latencies = []
    for n in range(updates):
        chat_id = 100_000 + n
        started = time.perf_counter()
        post(url, 1 + n, chat_id)
        wait_for(functools.partial(fake.sent_to, chat_id), timeout=30, interval=0.001)
        latencies.append(time.perf_counter() - started)
    print(f"updates: {len(latencies)} (one at a time, distinct chats)")
    report(latencies, "webhook -> sendMessage latency")


def all_at_once(url: str, fake: FakeTelegram, chats: int, patience: float) -> None:
    """`chats` updates posted at the same moment; latency per chat to its first reply."""
    ids = [200_000 + n for n in range(chats)]
    barrier = threading.Barrier(chats)
    posted: dict[int, float] = {}
    answered_at: dict[int, float] = {}

    def send(chat_id: int) -> None:
        barrier.wait()
        posted[chat_id] = time.perf_counter()
        post(url, chat_id, chat_id)

    with ThreadPoolExecutor(max_workers=chats) as pool:
        list(pool.map(send, ids))
    deadline = time.perf_counter() + patience
    while len(answered_at) < chats and time.perf_counter() < deadline:
        sends = fake.sends_per_chat()
        for chat_id in ids:
            if chat_id not in answered_at and sends[chat_id]:
                answered_at[chat_id] = time.perf_counter()
        time.sleep(0.005)
    print(f"chats: {chats} at once right after start, API delay {fake.delay * 1000:.0f} ms")
    print(f"answered/sent: {len(answered_at)}/{chats}")
    report([answered_at[c] - posted[c] for c in answered_at], "webhook -> first sendMessage latency")


def main(argv: Optional[list[str]] = None) -> int:
    """Start the server against the fake Bot API, post updates, print latencies."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--updates", type=int, default=200, help="one-after-another mode: how many")
    parser.add_argument("--concurrent", type=int, default=0, help="N chats posting at once right after start")
    parser.add_argument("--api-delay", type=float, default=0.2, help="concurrent mode: fake API delay (s)")
    parser.add_argument("--fail", type=int, default=0, help="concurrent mode: first calls answered 500")
    parser.add_argument("--patience", type=float, default=120.0, help="concurrent mode: wait this long (s)")
    args = parser.parse_args(argv)
    fake = FakeTelegram().start()
    folder = Path(tempfile.mkdtemp())
    credentials = folder / "credentials.yml"
    credentials.write_text(
        "bot.channels.telegram.TelegramInput:\n  token: '1:B'\n"
        f"  secret_token: '{SECRET}'\n  base_url: '{fake.base_url}'\n"
    )
    port = free_port()
    endpoints = write_local_endpoints(folder / "endpoints.yml", free_port(), folder / "tracker.db", ROOT)
    settings = ServerSettings(port=port, endpoints=str(endpoints), credentials=str(credentials))
    model = ensure_model(project_paths(ROOT))
    if args.concurrent:
        fake.delay = args.api_delay
        fake.fail_next(args.fail, "500")
    process = subprocess.Popen(
        rasa_server_command(settings, model),
        cwd=ROOT,
        env=rasa_environment(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://localhost:{port}/webhooks/telegram/webhook"
    try:
        assert wait_until_up(f"http://localhost:{port}/", process, 300)
        if args.concurrent:
            all_at_once(url, fake, args.concurrent, args.patience)
        else:
            one_after_another(url, fake, args.updates)
    finally:
        stop([process])
        fake.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
