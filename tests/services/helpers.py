"""Builders for services tests: a project copy with profiles and regions, CSV text."""

from __future__ import annotations

from pathlib import Path

from bot.paths import ProjectPaths
from tests.factories import copy_project

HEADER = (
    "id,organisation,service,categories,country,region,district,address,phone,hours,"
    "languages,accessibility,cost,last_verified,example"
)
HXL = (
    "#meta+id,#org+name,#service+name,#sector+category,#country+code,#adm1+code,#adm2+code,"
    "#loc+address,#contact+phone,#meta+hours,#meta+languages,#meta+accessibility,#meta+cost,"
    "#date+verified,#meta+example"
)


def row(
    id: str,
    categories: str = "rehabilitation",
    region: str = "",
    district: str = "",
    organisation: str = "",
    phone: str = "",
    cost: str = "free",
    last_verified: str = "2025-01-31",
    country: str = "ukraine",
    example: str = "true",
) -> str:
    """One CSV line; empty region means a national service."""
    organisation = organisation or f"Org {id}"
    return (
        f"{id},{organisation},Service {id},{categories},{country},{region},{district},Street 1,{phone},"
        f"Mon-Fri 9-17,uk;en,Step-free,{cost},{last_verified},{example}"
    )


def csv_text(*rows: str, hxl: bool = True) -> str:
    """A directory file: header, optional HXL row, rows."""
    lines = [HEADER] + ([HXL] if hxl else []) + list(rows)
    return "\n".join(lines) + "\n"


def project(tmp_path: Path) -> ProjectPaths:
    """A project folder with the shipped profiles and regions and an empty services folder."""
    return copy_project(
        tmp_path, files=(), content=("countries", "regions"), locales=False, empty=("services",)
    )


def write(paths: ProjectPaths, name: str, text: str) -> Path:
    """Write content/services/<name>."""
    path = paths.services / name
    path.write_text(text, encoding="utf-8")
    return path
