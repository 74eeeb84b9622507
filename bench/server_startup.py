"""Startup time and memory of the assistant as `make run` starts it.

Usage: .venv/bin/python bench/server_startup.py [--runs 3]

Starts `bot serve` on free ports (model already trained), measures the time
from start until the Rasa server's /ready says 200 (model loaded, warm-up
done, stores and action server answering), the latency of the first REST
message sent after that, and the resident memory of each process once it was
answered; then stops it with Ctrl-C (SIGINT). Prints medians over the runs.
"""

from __future__ import annotations

import argparse
import json
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.serve import (  # noqa: E402
    ServerSettings,
    bot_serve_command,
    free_port,
    wait_until_ready,
    write_local_endpoints,
)
from bot.training import rasa_environment  # noqa: E402


def children(pid: int) -> list[int]:
    """The direct child processes of `pid` (the action server and the Rasa server)."""
    out = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout
    return [int(p) for p in out.split()]


def rss_mb(pid: int) -> float:
    """Resident memory of one process, in MiB (0 if it is gone)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return 0.0
    rss = [line for line in status.splitlines() if line.startswith("VmRSS:")]
    return int(rss[0].split()[1]) / 1024 if rss else 0.0


@dataclass(frozen=True)
class Run:
    """One start: seconds to ready, first reply seconds, resident memory of the two servers."""

    ready_s: float
    first_reply_s: float
    rss_mb: list[float]


def one_run() -> Run:
    """Start `bot serve`, time it, answer one message, measure memory, stop it."""
    port, actions_port = free_port(), free_port()
    folder = Path(tempfile.mkdtemp())
    endpoints = write_local_endpoints(folder / "endpoints.yml", actions_port, folder / "tracker.db", ROOT)
    started = time.monotonic()
    process = subprocess.Popen(
        bot_serve_command(ServerSettings(port=port, actions_port=actions_port, endpoints=str(endpoints))),
        cwd=ROOT,
        env={**rasa_environment(), "DATABASE_URL": f"sqlite:///{folder / 'app.db'}"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        assert wait_until_ready(f"http://localhost:{port}", process, 600)
        ready = time.monotonic() - started
        body = json.dumps(
            {"sender": "bench", "message": "I found something that looks like a grenade"}
        ).encode()
        request = urllib.request.Request(
            f"http://localhost:{port}/webhooks/rest/webhook",
            data=body,
            headers={"Content-Type": "application/json"},
        )
        sent = time.monotonic()
        urllib.request.urlopen(request, timeout=60).read()
        first = time.monotonic() - sent
        procs = children(process.pid)
        memory = {p: rss_mb(p) for p in procs}
        return Run(ready, first, sorted(memory.values()))
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=60)


def main() -> int:
    """Run the measurements and print them."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    runs = [one_run() for _ in range(args.runs)]
    ready = [r.ready_s for r in runs]
    first = [r.first_reply_s for r in runs]
    print(f"runs: {args.runs}")
    print(
        f"start to ready (/ready 200): median {statistics.median(ready):.1f} s "
        f"(min {min(ready):.1f}, max {max(ready):.1f})"
    )
    print(
        f"first reply latency: median {statistics.median(first) * 1000:.0f} ms "
        f"(min {min(first) * 1000:.0f}, max {max(first) * 1000:.0f})"
    )
    print(f"resident memory after the first reply (MiB, action server, Rasa server): {runs[-1].rss_mb}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
