"""Reports for the mine action authority: CSV, HXL-tagged CSV (imports into IMSMA) and GeoJSON.

Contact details appear only for reports whose author agreed to be contacted. The last two
columns give the number the confirmation tells people to call for the report's country
(its profile's report number, else its emergency number) and whether the deploying
organisation has confirmed it (`verified` in content/countries/*.yml).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Mapping, Optional, TextIO

from bot.content.countries import PhoneNumber
from bot.reports.model import HazardReport
from bot.spreadsheet import SafeCsvWriter

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
    value: Callable[[HazardReport, Optional[PhoneNumber]], str]


COLUMNS: tuple[Column, ...] = (
    Column("report_id", "#meta+id", lambda r, _: r.id),
    Column("reference", "#meta+code", lambda r, _: r.reference),
    Column("reported_at", "#date+reported", lambda r, _: r.created_at.isoformat(timespec="seconds")),
    Column("seen", "#meta+seen", lambda r, _: r.seen),
    Column("hazard_type", "#event+type", lambda r, _: r.hazard_type),
    Column("description", "#description", lambda r, _: r.description),
    Column("country", "#country+code+v_iso2", lambda r, _: r.country),
    Column("region", "#adm1+name", lambda r, _: r.region),
    Column("place", "#loc+name", lambda r, _: r.place),
    Column("latitude", "#geo+lat", lambda r, _: _number(r.latitude)),
    Column("longitude", "#geo+lon", lambda r, _: _number(r.longitude)),
    Column("injured", "#meta+injured", lambda r, _: _yes_no(r.injured)),
    Column("status", "#status", lambda r, _: r.status),
    Column("language", "#meta+lang", lambda r, _: r.language),
    Column("contact_consent", "#meta+consent", lambda r, _: _yes_no(r.contact_consent)),
    Column("contact", "#contact", lambda r, _: r.shareable_contact() or ""),
    Column("hotline", "#contact+phone+hotline", lambda _, n: n.number if n else ""),
    Column("hotline_verified", "#meta+hotline+verified", lambda _, n: _yes_no(n.verified if n else None)),
)
# Country code -> the number given to people for that country (bot.content.countries.hotlines_by_country).
Hotlines = Mapping[str, PhoneNumber]


def rows(reports: Iterable[HazardReport], hotlines: Optional[Hotlines] = None) -> Iterable[list[str]]:
    """One list of cell values per report, in COLUMNS order."""
    for report in reports:
        hotline = (hotlines or {}).get(report.country)
        yield [column.value(report, hotline) for column in COLUMNS]


def write_csv(
    reports: Iterable[HazardReport], out: TextIO, hxl: bool = False, hotlines: Optional[Hotlines] = None
) -> int:
    """Header row (then the HXL hashtag row if `hxl`), one row per report; returns the count."""
    writer = SafeCsvWriter(out)  # people's text never runs as a formula
    writer.writerow([column.name for column in COLUMNS])
    if hxl:
        writer.writerow([column.hxl for column in COLUMNS])
    count = 0
    for row in rows(reports, hotlines):
        writer.writerow(row)
        count += 1
    return count


def feature(report: HazardReport, hotlines: Optional[Hotlines] = None) -> dict[str, Any]:
    """A GeoJSON Feature: a Point where coordinates were shared, else geometry null."""
    hotline = (hotlines or {}).get(report.country)
    properties = {column.name: column.value(report, hotline) for column in COLUMNS}
    for name in ("latitude", "longitude"):
        properties.pop(name)
    geometry = (
        {"type": "Point", "coordinates": [report.longitude, report.latitude]}
        if report.latitude is not None and report.longitude is not None
        else None
    )
    return {"type": "Feature", "id": report.id, "geometry": geometry, "properties": properties}


def write_geojson(reports: Iterable[HazardReport], out: TextIO, hotlines: Optional[Hotlines] = None) -> int:
    """A FeatureCollection (RFC 7946: WGS 84 longitude, latitude); returns the count."""
    features = [feature(report, hotlines) for report in reports]
    json.dump({"type": "FeatureCollection", "features": features}, out, ensure_ascii=False, indent=1)
    out.write("\n")
    return len(features)


def export(
    reports: Iterable[HazardReport], out: TextIO, fmt: str, hotlines: Optional[Hotlines] = None
) -> int:
    """Write `reports` to `out` in `fmt` (csv, hxl or geojson); returns how many were written."""
    if fmt == "csv":
        return write_csv(reports, out, hotlines=hotlines)
    if fmt == "hxl":
        return write_csv(reports, out, hxl=True, hotlines=hotlines)
    if fmt == "geojson":
        return write_geojson(reports, out, hotlines)
    raise ValueError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")
