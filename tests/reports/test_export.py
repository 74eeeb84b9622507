"""Exports for the mine action authority: CSV, HXL, GeoJSON; filters; consent; the CLI."""

import csv
import io
import json
import re
from datetime import datetime, timezone
from pathlib import Path

import pytest

from bot.cli import main
from bot.reports import store
from bot.reports.export import COLUMNS, export
from bot.store.db import Database
from tests.factories import hazard_report

# HXL 1.1 hashtag syntax: #tag(+attribute)*, lowercase letters, digits and underscores.
HXL_TAG = re.compile(r"^#[a-z][a-z0-9_]*(\+[a-z][a-z0-9_]*)*$")
MAY = datetime(2026, 5, 4, 9, 30, tzinfo=timezone.utc)


def reports():
    return [
        hazard_report(
            latitude=49.988358,
            longitude=36.232845,
            contact_consent=True,
            contact="+380501234567",
            created_at=MAY,
            description='a shell, "big", by the road, near the well',
        ),
        hazard_report(hazard_type="sign", place="path behind the school", created_at=MAY, injured=None),
        hazard_report(contact="+380509999999", contact_consent=False, created_at=MAY),
    ]


def rendered(fmt: str, items) -> str:
    out = io.StringIO()
    assert export(items, out, fmt) == len(items)
    return out.getvalue()


def test_csv_parses_with_one_row_per_report_and_contact_only_with_consent():
    items = reports()
    table = list(csv.DictReader(io.StringIO(rendered("csv", items))))
    assert [row["report_id"] for row in table] == [r.id for r in items]
    assert table[0]["description"] == 'a shell, "big", by the road, near the well'
    assert (table[0]["latitude"], table[0]["longitude"]) == ("49.988358", "36.232845")
    assert (table[1]["latitude"], table[1]["injured"]) == ("", "")
    assert [row["contact"] for row in table] == ["+380501234567", "", ""]
    assert "+380509999999" not in rendered("csv", items)
    assert table[0]["reported_at"] == "2026-05-04T09:30:00+00:00"


def test_hxl_has_a_valid_hashtag_row_under_the_headers():
    lines = list(csv.reader(io.StringIO(rendered("hxl", reports()))))
    headers, tags = lines[0], lines[1]
    assert headers == [c.name for c in COLUMNS]
    assert all(HXL_TAG.match(tag) for tag in tags), tags
    by_header = dict(zip(headers, tags, strict=True))
    assert by_header["reported_at"].startswith("#date")
    assert by_header["region"] == "#adm1+name"
    assert by_header["place"] == "#loc+name"
    assert (by_header["latitude"], by_header["longitude"]) == ("#geo+lat", "#geo+lon")
    assert by_header["description"] == "#description"
    assert by_header["status"] == "#status"
    assert by_header["report_id"] == "#meta+id"
    assert len(lines) == 2 + 3


def test_geojson_is_a_valid_feature_collection_with_points_only_where_given():
    items = reports()
    document = json.loads(rendered("geojson", items))
    assert document["type"] == "FeatureCollection"
    features = document["features"]
    assert [f["id"] for f in features] == [r.id for r in items]
    for feature in features:
        assert feature["type"] == "Feature" and isinstance(feature["properties"], dict)
    assert features[0]["geometry"] == {"type": "Point", "coordinates": [36.232845, 49.988358]}  # lon, lat
    assert features[1]["geometry"] is None and features[2]["geometry"] is None
    assert [f["properties"]["contact"] for f in features] == ["+380501234567", "", ""]


def test_unknown_format_is_refused():
    with pytest.raises(ValueError, match="unknown format 'xlsx'"):
        export([], io.StringIO(), "xlsx")


def test_cli_export_filters_by_date_and_country(
    app_database: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
):
    old = hazard_report(created_at=datetime(2026, 1, 2, tzinfo=timezone.utc))
    ukraine = hazard_report(created_at=MAY)
    cambodia = hazard_report(created_at=MAY, country="KH", language="km", latitude=13.1, longitude=103.2)
    with app_database.sessions.begin() as session:
        for report in (old, ukraine, cambodia):
            store.insert_report(session, report, MAY)
    monkeypatch.setenv("DATABASE_URL", app_database.engine.url.render_as_string(hide_password=False))
    output = tmp_path / "out.geojson"

    code = main(
        [
            "--root",
            str(tmp_path),
            "reports",
            "export",
            "--format",
            "geojson",
            "--since",
            "2026-05-01",
            "--country",
            "kh",
            "--output",
            str(output),
        ]
    )
    assert code == 0
    assert [f["id"] for f in json.loads(output.read_text())["features"]] == [cambodia.id]

    argv = ["--root", str(tmp_path), "reports", "export", "--format", "hxl", "--since", "2026-05-04"]
    assert main(argv) == 0
    printed = list(csv.reader(io.StringIO(capsys.readouterr().out)))
    assert sorted(row[0] for row in printed[2:]) == sorted([ukraine.id, cambodia.id])


def test_csv_and_hxl_cells_typed_as_formulas_are_text():
    report = hazard_report(
        description='=HYPERLINK("http://evil.example","click")',
        place="+cmd|' /C calc'!A0",
        region="@SUM(A1:A9)",
        contact_consent=True,
        contact="-1+1",
        latitude=-33.865,
        longitude=151.209,
        created_at=MAY,
    )
    for fmt in ("csv", "hxl"):
        (row,) = [
            r for r in csv.DictReader(io.StringIO(rendered(fmt, [report]))) if r["report_id"] == report.id
        ]
        assert row["description"] == '\'=HYPERLINK("http://evil.example","click")'
        assert row["place"] == "'+cmd|' /C calc'!A0"
        assert row["region"] == "'@SUM(A1:A9)"
        assert row["contact"] == "'-1+1"
        assert row["latitude"] == "-33.865000"  # a number stays a number
