"""Staff see which numbers are unverified wherever a profile number reaches them: the hazard
export (CSV, HXL, GeoJSON) and its warnings, the forwarded payload, `bot content check` and
`bot content status` (the server's start-up log: tests/test_injured_conversation.py)."""

from __future__ import annotations

import asyncio
import csv
import io
import json
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest

from bot.cli import main
from bot.reports import store
from bot.store.db import Database
from tests.factories import PROJECT_ROOT, hazard_report, serve_hook
from tests.reports.test_forward import Webhook

MAY = datetime(2026, 5, 4, 9, 30, tzinfo=timezone.utc)
# What the confirmation gives people, per country, and whether the profile says it is confirmed.
EXPECTED = {"UA": ("101", "yes"), "KH": ("117", "no"), "LB": ("112", "no"), "": ("", "")}
UNVERIFIED = [
    "content/countries/cambodia.yml:10: unverified: cambodia emergency 117 (source: National police "
    "emergency number; to be confirmed by the deploying organisation)",
    "content/countries/cambodia.yml:14: unverified: cambodia ambulance 119 (source: National ambulance "
    "number; to be confirmed by the deploying organisation)",
    "content/countries/colombia.yml:8: unverified: colombia emergency 123 (source: National emergency "
    "line; to be confirmed by the deploying organisation)",
    "content/countries/lebanon.yml:10: unverified: lebanon emergency 112 (source: Internal Security "
    "Forces emergency number; to be confirmed by the deploying organisation)",
    "content/countries/lebanon.yml:14: unverified: lebanon ambulance 140 (source: Lebanese Red Cross "
    "ambulance; to be confirmed by the deploying organisation)",
]


@pytest.fixture()
def reports(app_database: Database, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """One report per country (and one without a country) in the app database."""
    made = {country: hazard_report(country=country, created_at=MAY) for country in EXPECTED}
    with app_database.sessions.begin() as session:
        for report in made.values():
            store.insert_report(session, report, MAY)
    monkeypatch.setenv("DATABASE_URL", app_database.engine.url.render_as_string(hide_password=False))
    return made


def export(fmt: str, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> tuple[str, str]:
    output = tmp_path / f"out.{fmt}"
    assert (
        main(["--root", str(PROJECT_ROOT), "reports", "export", "--format", fmt, "--output", str(output)])
        == 0
    )
    return output.read_text(encoding="utf-8"), capsys.readouterr().err


def test_the_hxl_export_gives_each_reports_number_and_whether_it_is_verified(reports, capsys, tmp_path):
    text, err = export("hxl", capsys, tmp_path)
    rows = list(csv.reader(io.StringIO(text)))
    header, tags = rows[0], rows[1]
    assert header[-2:] == ["hotline", "hotline_verified"]
    assert tags[-2:] == ["#contact+phone+hotline", "#meta+hotline+verified"]
    by_id = {row[0]: row[-2:] for row in rows[2:]}
    assert {country: tuple(by_id[r.id]) for country, r in reports.items()} == EXPECTED
    assert err.splitlines() == [
        "exported 4 report(s)",
        "warning: KH: the number given to people, 117, is NOT verified (column hotline_verified = no)",
        "warning: LB: the number given to people, 112, is NOT verified (column hotline_verified = no)",
    ]


def test_the_geojson_export_has_the_same_two_properties(reports, capsys, tmp_path):
    text, _ = export("geojson", capsys, tmp_path)
    found = {
        f["id"]: (f["properties"]["hotline"], f["properties"]["hotline_verified"])
        for f in json.loads(text)["features"]
    }
    assert {country: found[r.id] for country, r in reports.items()} == EXPECTED


def test_the_forwarded_payload_says_whether_the_number_is_verified(reports, monkeypatch):
    webhook = Webhook(failures=0)

    async def forward(url: str) -> int:
        monkeypatch.setenv("HAZARD_WEBHOOK_URL", url)
        return await asyncio.to_thread(main, ["--root", str(PROJECT_ROOT), "reports", "forward"])

    assert asyncio.run(serve_hook(webhook.handle, forward)) == 0
    by_id = {body["id"]: body for body in webhook.delivered}
    got = {
        country: (by_id[r.id]["hotline"], by_id[r.id]["hotline_verified"]) for country, r in reports.items()
    }
    assert got == {"UA": ("101", True), "KH": ("117", False), "LB": ("112", False), "": (None, None)}


@pytest.mark.parametrize("command", [["content", "check"], ["content", "status"]])
def test_content_check_and_status_list_every_unverified_number_with_file_and_line(command, capsys):
    assert main(["--root", str(PROJECT_ROOT), *command]) == 0
    out = capsys.readouterr().out.splitlines()
    start = out.index(
        "5 number(s) are NOT verified: people are given them, but nobody has confirmed them yet "
        "(confirm with the national authority, then set verified: true):"
    )
    assert out[start + 1 : start + 6] == UNVERIFIED
    assert not any("ukraine" in line for line in out)
