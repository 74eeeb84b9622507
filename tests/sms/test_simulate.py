"""`bot sms simulate`: a phone's view in the terminal, through the real model and SMS logic."""

import asyncio
from pathlib import Path

import pytest

from bot.paths import project_paths
from bot.serve import free_port, write_local_endpoints
from bot.sms.simulate import simulate
from bot.training import ensure_model
from tests.factories import GRENADE, PROJECT_ROOT

pytestmark = pytest.mark.server


def run(lines: list[str], number: str, tmp_path: Path) -> tuple[int, list[str]]:
    paths = project_paths(PROJECT_ROOT)
    endpoints = write_local_endpoints(
        tmp_path / "endpoints.yml", free_port(), tmp_path / "t.db", PROJECT_ROOT
    )
    feed = iter(lines)
    shown: list[str] = []

    def read(_prompt: str) -> str:
        try:
            return next(feed)
        except StopIteration:
            raise EOFError from None

    code = asyncio.run(simulate(paths, ensure_model(paths), number, endpoints, read=read, write=shown.append))
    return code, shown


def test_a_cambodian_phone_sees_khmer_menus_with_segment_counts(tmp_path):
    code, shown = run(["ជំនួយ", "1", GRENADE["km"], "STOP", "hello"], "+85512345678", tmp_path)
    assert code == 0
    headers = [line for line in shown if line.startswith("--- SMS to +85512345678:")]
    assert len(headers) == 4  # menu, answer to "1", safety answer, STOP confirmation; nothing after STOP
    assert all("segment" in h and ("UCS-2" in h) for h in headers)
    menu = shown[shown.index(headers[0]) + 1]
    assert "\n1 " in menu and any("\u1780" <= c <= "\u17ff" for c in menu)
    safety = shown[shown.index(headers[2]) + 1]
    assert "117" in safety


def test_invalid_number_is_refused(tmp_path):
    code, shown = run([], "12", tmp_path)
    assert code == 2 and "not a valid phone number" in shown[0]


def test_a_simulated_report_is_stored_in_a_throwaway_database_not_var_app_db(tmp_path):
    # SQLite writes go to the write-ahead log first: the log must stay as it was too.
    files = [PROJECT_ROOT / "var" / name for name in ("app.db", "app.db-wal")]

    def contents() -> list[bytes | None]:
        return [f.read_bytes() if f.exists() else None for f in files]

    before = contents()
    lines = ["I want to report a dangerous object", "1", "a rusty shell", "Izium", "1", "today", "no", "no"]
    code, shown = run(lines, "+380501234567", tmp_path)
    assert code == 0
    saved = [line for line in shown if line.startswith("Saved. Report number: ")]
    assert len(saved) == 1
    # The saved message, then its numbered options ("What happens next?", "Menu").
    assert (
        saved[0]
        .split("\n")[0]
        .endswith(". Keep away from it. The authorities will decide what to do. Urgent? Call 101.")
    )
    assert contents() == before
