"""The services directory NGO staff keep in content/services/*.csv: reading and validation.

One row per service. Every problem is reported as `file:line: message` and a
file with problems is never imported (see bot.services.store).
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Mapping, Optional, Sequence

from bot.content.countries import NUMBER_KINDS, CountryProfile, load_profiles
from bot.content.phones import phone_number_problem
from bot.content.problems import Problem
from bot.paths import ProjectPaths
from bot.services.categories import CATEGORIES
from bot.services.regions import Region, RegionIndex, load_regions

COLUMNS: tuple[str, ...] = (
    "id",
    "organisation",
    "service",
    "categories",
    "country",
    "region",
    "district",
    "address",
    "phone",
    "hours",
    "languages",
    "accessibility",
    "cost",
    "last_verified",
    "example",
)
REQUIRED = ("id", "organisation", "service", "categories", "country", "cost", "last_verified")
COSTS = ("free", "paid", "mixed")
# A service's phone may point to a number of the country profile instead of repeating it.
PROFILE_PHONE_PREFIX = "profile:"
LIST_SEPARATOR = ";"
_LANGUAGE_CODE = re.compile(r"^[a-z]{2,3}$")
_ID = re.compile(r"^[A-Za-z0-9_.\-]{1,64}$")


@dataclass(frozen=True)
class Service:
    """One row of the directory, validated."""

    source: str  # the CSV file's name without .csv: with `id`, the natural key
    id: str
    organisation: str
    name: str
    categories: tuple[str, ...]
    country: str
    region: Optional[str]  # None: the service is national
    district: Optional[str]
    address: str
    phone: str
    hours: str
    languages: tuple[str, ...]
    accessibility: str
    cost: str
    last_verified: dt.date
    example: bool


@dataclass(frozen=True)
class DirectoryFile:
    """What one CSV file holds: its services, or the problems that stop its import."""

    path: Path
    services: tuple[Service, ...]
    problems: tuple[Problem, ...]


@dataclass(frozen=True)
class Reference:
    """What rows are checked against: country profiles and their regions."""

    profiles: Mapping[str, CountryProfile]
    regions: Mapping[str, Mapping[str, Region]]


def load_reference(paths: ProjectPaths) -> Reference:
    """Country profiles and regions, what directory rows are checked against."""
    return Reference(load_profiles(paths.countries), load_regions(paths.regions))


def _split(value: str) -> list[str]:
    return [part.strip() for part in value.split(LIST_SEPARATOR) if part.strip()]


def _is_hxl_row(row: Sequence[str]) -> bool:
    cells = [c.strip() for c in row if c.strip()]
    return bool(cells) and all(c.startswith("#") for c in cells)


def _phone_problem(raw: str, profile: CountryProfile) -> Optional[str]:
    if raw.startswith(PROFILE_PHONE_PREFIX):
        kind = raw[len(PROFILE_PHONE_PREFIX) :]
        if kind not in NUMBER_KINDS:
            return f"phone '{raw}': use profile:{'|profile:'.join(NUMBER_KINDS)}"
        if kind not in profile.numbers:
            return f"phone '{raw}': the {profile.id} profile has no '{kind}' number"
        return None
    return phone_number_problem(raw, profile.iso2)


def _row_problems(row: Mapping[str, str], reference: Reference, today: dt.date) -> list[str]:
    """Everything wrong with one row, as messages (the caller adds file:line)."""
    problems = [f"'{column}' is empty" for column in REQUIRED if not row.get(column)]
    problems += _id_and_category_problems(row)
    profile = reference.profiles.get(row.get("country", ""))
    problems += _place_problems(row, reference, profile)
    problems += _row_phone_problems(row, profile)
    problems += _row_language_problems(row)
    if row.get("cost") and row["cost"] not in COSTS:
        problems.append(f"cost '{row['cost']}' must be one of {', '.join(COSTS)}")
    problems += _last_verified_problems(row, today)
    if row.get("example", "").lower() not in ("", "true", "false"):
        problems.append(f"example '{row['example']}' must be true or false")
    return problems


def _id_and_category_problems(row: Mapping[str, str]) -> list[str]:
    """A malformed id, then unknown categories."""
    problems = []
    if row.get("id") and not _ID.match(row["id"]):
        problems.append(f"id '{row['id']}' may use only letters, digits and _ . -")
    for category in _split(row.get("categories", "")):
        if category not in CATEGORIES:
            problems.append(f"unknown category '{category}' (use {', '.join(CATEGORIES)})")
    return problems


def _place_problems(
    row: Mapping[str, str], reference: Reference, profile: Optional[CountryProfile]
) -> list[str]:
    """An unknown country, then an unknown region or district (or a district without its region)."""
    problems = []
    country = row.get("country", "")
    if country and profile is None:
        problems.append(f"unknown country '{country}' (no content/countries/{country}.yml)")
    regions = reference.regions.get(country, {})
    region_id, district_id = row.get("region", ""), row.get("district", "")
    if region_id and country and region_id not in regions:
        problems.append(f"unknown region '{region_id}' for {country} (see content/regions/{country}.yml)")
    elif district_id and not region_id:
        problems.append("a district needs its region")
    elif district_id and district_id not in regions[region_id].districts:
        problems.append(f"unknown district '{district_id}' in region '{region_id}'")
    return problems


def _row_phone_problems(row: Mapping[str, str], profile: Optional[CountryProfile]) -> list[str]:
    """A phone on an example row, or a phone that is wrong for the row's country."""
    if row.get("phone") and row.get("example", "").lower() == "true":
        # Rule: an example row has no phone at all (no range of numbers is reserved as fictitious
        # in every country, and a profile's number would send people to a real line for a
        # service that does not exist). The message says "example" in the reader's language.
        return [f"phone '{row['phone']}' on an example row: leave the phone of an example empty"]
    if row.get("phone") and profile is not None:
        problem = _phone_problem(row["phone"], profile)
        if problem:
            return [problem]
    return []


def _row_language_problems(row: Mapping[str, str]) -> list[str]:
    """Entries of `languages` that are not language codes."""
    return [
        f"language '{language}' is not a language code such as uk or km"
        for language in _split(row.get("languages", ""))
        if not _LANGUAGE_CODE.match(language)
    ]


def _last_verified_problems(row: Mapping[str, str], today: dt.date) -> list[str]:
    """A last_verified that is not an ISO date, or is after `today`."""
    if not row.get("last_verified"):
        return []
    try:
        verified = dt.date.fromisoformat(row["last_verified"])
    except ValueError:
        return [f"last_verified '{row['last_verified']}' is not a date like 2025-01-31"]
    if verified > today:
        return [f"last_verified {verified} is in the future"]
    return []


def _service(source: str, row: Mapping[str, str]) -> Service:
    return Service(
        source=source,
        id=row["id"],
        organisation=row["organisation"],
        name=row["service"],
        categories=tuple(_split(row["categories"])),
        country=row["country"],
        region=row.get("region") or None,
        district=row.get("district") or None,
        address=row.get("address", ""),
        phone=row.get("phone", ""),
        hours=row.get("hours", ""),
        languages=tuple(_split(row.get("languages", ""))),
        accessibility=row.get("accessibility", ""),
        cost=row["cost"],
        last_verified=dt.date.fromisoformat(row["last_verified"]),
        example=row.get("example", "").lower() == "true",
    )


def read_directory_file(
    path: Path, reference: Reference, where: Optional[str] = None, today: Optional[dt.date] = None
) -> DirectoryFile:
    """Read and validate one CSV file; `where` is the name used in problems."""
    where = where or str(path)
    today = today or dt.datetime.now().astimezone().date()  # staff's "today": the local date, tz-aware
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as error:
        return DirectoryFile(path, (), (Problem(where, 0, f"cannot read the file as UTF-8: {error}"),))
    reader = csv.reader(text.splitlines(keepends=True))
    try:
        header = [h.strip() for h in next(reader)]
    except StopIteration:
        return DirectoryFile(path, (), (Problem(where, 1, "empty file: the first line names the columns"),))
    except csv.Error as error:
        return DirectoryFile(path, (), (Problem(where, 1, f"not valid CSV: {error}"),))
    problems = [Problem(where, 1, f"missing column '{c}'") for c in COLUMNS if c not in header]
    problems += [Problem(where, 1, f"unknown column '{c}'") for c in header if c not in COLUMNS]
    if problems:
        return DirectoryFile(path, (), tuple(problems))
    services: list[Service] = []
    seen: dict[str, int] = {}
    try:
        for row in reader:
            line = reader.line_num
            if not any(cell.strip() for cell in row) or (line == 2 and _is_hxl_row(row)):
                continue
            if len(row) != len(header):
                problems.append(Problem(where, line, f"{len(row)} cells, but {len(header)} columns"))
                continue
            values = {column: cell.strip() for column, cell in zip(header, row, strict=True)}
            found = _row_problems(values, reference, today)
            if values["id"] in seen:
                found.append(f"id '{values['id']}' is already used on line {seen[values['id']]}")
            seen.setdefault(values["id"], line)
            problems += [Problem(where, line, message) for message in found]
            if not found:
                services.append(_service(path.stem, values))
    except csv.Error as error:
        problems.append(Problem(where, reader.line_num, f"not valid CSV: {error}"))
    return DirectoryFile(path, tuple(services), tuple(problems))


def read_directory(
    paths: Iterable[Path], reference: Reference, root: Optional[Path] = None
) -> list[DirectoryFile]:
    """Read several CSV files; problems name files relative to `root`."""
    files = []
    for path in paths:
        where = str(path)
        if root is not None:
            with contextlib.suppress(ValueError):
                where = str(path.resolve().relative_to(root.resolve()))
        files.append(read_directory_file(path, reference, where))
    return files


def region_index(reference: Reference, country: str) -> RegionIndex:
    """The matcher for one country's region names."""
    return RegionIndex(reference.regions.get(country, {}))
