"""Reports for the mine action authority: CSV, HXL-tagged CSV (imports into IMSMA) and GeoJSON.

Contact details appear only for reports whose author agreed to be contacted.
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Optional, TextIO

from bot.reports.model import HazardReport

FORMATS = ("csv", "hxl", "geojson")


def _yes_no(value: Optional[bool]) -> str:
    return "" if value is None else ("yes" if value else "no")


def _number(value: Optional[float]) -> str:
    return "" if value is None else f"{value:.6f}"


@dataclass(frozen=True)
class Column:
    """One exported column: its header, its HXL hashtag and how to read it from a report."""

    name: str
    hxl: str
    value: Callable[[HazardReport], str]


COLUMNS: tuple[Column, ...] = (
    Column("report_id", "#meta+id", lambda r: r.id),
    Column("reference", "#meta+code", lambda r: r.reference),
    Column("reported_at", "#date+reported", lambda r: r.created_at.isoformat(timespec="seconds")),
    Column("seen", "#meta+seen", lambda r: r.seen),
    Column("hazard_type", "#event+type", lambda r: r.hazard_type),
    Column("description", "#description", lambda r: r.description),
    Column("country", "#country+code+v_iso2", lambda r: r.country),
    Column("region", "#adm1+name", lambda r: r.region),
    Column("place", "#loc+name", lambda r: r.place),
    Column("latitude", "#geo+lat", lambda r: _number(r.latitude)),
    Column("longitude", "#geo+lon", lambda r: _number(r.longitude)),
    Column("injured", "#meta+injured", lambda r: _yes_no(r.injured)),
    Column("status", "#status", lambda r: r.status),
    Column("language", "#meta+lang", lambda r: r.language),
    Column("contact_consent", "#meta+consent", lambda r: _yes_no(r.contact_consent)),
    Column("contact", "#contact", lambda r: r.shareable_contact() or ""),
)


def rows(reports: Iterable[HazardReport]) -> Iterable[list[str]]:
    """One list of cell values per report, in COLUMNS order."""
    for report in reports:
        yield [column.value(report) for column in COLUMNS]


def write_csv(reports: Iterable[HazardReport], out: TextIO, hxl: bool = False) -> int:
    """Header row (then the HXL hashtag row if `hxl`), one row per report; returns the count."""
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([column.name for column in COLUMNS])
    if hxl:
        writer.writerow([column.hxl for column in COLUMNS])
    count = 0
    for row in rows(reports):
        writer.writerow(row)
        count += 1
    return count


def feature(report: HazardReport) -> dict[str, Any]:
    """A GeoJSON Feature: a Point where coordinates were shared, else geometry null."""
    properties = {column.name: column.value(report) for column in COLUMNS}
    for name in ("latitude", "longitude"):
        properties.pop(name)
    geometry = (
        {"type": "Point", "coordinates": [report.longitude, report.latitude]}
        if report.latitude is not None and report.longitude is not None
        else None
    )
    return {"type": "Feature", "id": report.id, "geometry": geometry, "properties": properties}


def write_geojson(reports: Iterable[HazardReport], out: TextIO) -> int:
    """A FeatureCollection (RFC 7946: WGS 84 longitude, latitude); returns the count."""
    features = [feature(report) for report in reports]
    json.dump({"type": "FeatureCollection", "features": features}, out, ensure_ascii=False, indent=1)
    out.write("\n")
    return len(features)


def export(reports: Iterable[HazardReport], out: TextIO, fmt: str) -> int:
    """Write `reports` to `out` in `fmt` (csv, hxl or geojson); returns how many were written."""
    if fmt == "csv":
        return write_csv(reports, out)
    if fmt == "hxl":
        return write_csv(reports, out, hxl=True)
    if fmt == "geojson":
        return write_geojson(reports, out)
    raise ValueError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")
