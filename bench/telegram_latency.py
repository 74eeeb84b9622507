"""Latency of one Telegram update: webhook POST -> Rasa -> sendMessage at a fake Bot API.

Usage: .venv/bin/python bench/telegram_latency.py [--updates 200]

Starts the real Rasa server with the Telegram channel pointed at a local fake
Bot API (tests/channels/fake_telegram.py), posts updates from distinct chats
one after another, and prints p50/p95 from the POST to the fake server
receiving the reply.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

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


def main() -> int:
    """Start the server against the fake Bot API, post updates, print latencies."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--updates", type=int, default=200)
    args = parser.parse_args()
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
        latencies = []
        for n in range(args.updates):
            chat_id = 100_000 + n
            update = {
                "update_id": 1 + n,
                "message": {
                    "message_id": 1,
                    "date": 1700000000,
                    "text": "I found a grenade near the road",
                    "chat": {"id": chat_id, "type": "private"},
                    "from": {"id": chat_id, "is_bot": False, "first_name": "B"},
                },
            }
            request = urllib.request.Request(
                url,
                data=json.dumps(update).encode(),
                headers={"Content-Type": "application/json", "X-Telegram-Bot-Api-Secret-Token": SECRET},
            )
            started = time.perf_counter()
            urllib.request.urlopen(request, timeout=30).read()
            wait_for(lambda chat=chat_id: fake.sent_to(chat), timeout=30, interval=0.001)
            latencies.append(time.perf_counter() - started)
        latencies.sort()
        p95 = latencies[int(0.95 * (len(latencies) - 1))]
        print(f"updates: {len(latencies)} (one at a time, distinct chats)")
        print(
            f"webhook -> sendMessage latency: p50 {statistics.median(latencies) * 1000:.0f} ms, "
            f"p95 {p95 * 1000:.0f} ms, max {latencies[-1] * 1000:.0f} ms"
        )
    finally:
        stop([process])
        fake.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
