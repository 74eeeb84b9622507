"""Regions (admin1) and districts (admin2) per country, with the names people type.

NGO staff keep them in content/regions/<country>.yml: for each region a name in
every supported language (shown on buttons) and aliases in any language or
script (transliterations, old names, misspellings). Matching ignores case,
accents and Arabic diacritics (bot.nlu.normalise).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Mapping, Optional

import yaml

from bot.nlu.normalise import normalise

ID_PATTERN = re.compile(r"^[a-z0-9_]+$")
# Scripts written without spaces between words: aliases match inside longer text.
_NO_SPACES = re.compile(r"[\u1780-\u17ff]")
_SEPARATORS = re.compile(r"[\s,.;:!?()\"'/\-،؟]+")


@dataclass(frozen=True)
class Area:
    """A region or district: its id, its name per language and the forms people type."""

    id: str
    names: Mapping[str, str]
    aliases: tuple[str, ...] = ()

    def name(self, language: str) -> str:
        """The name in `language`, else English, else the id."""
        return self.names.get(language) or self.names.get("en") or self.id


@dataclass(frozen=True)
class Region(Area):
    """An admin1 region and its districts."""

    districts: Mapping[str, Area] = field(default_factory=dict)


@dataclass(frozen=True)
class RegionMatch:
    """Where a person said they are."""

    region: str
    district: Optional[str] = None


def _area_fields(data: Mapping[str, Any]) -> tuple[dict[str, str], tuple[str, ...]]:
    names = {str(k): str(v) for k, v in (data.get("name") or {}).items()}
    aliases = tuple(str(a) for a in data.get("aliases") or ())
    return names, aliases


def regions_from_dict(data: Mapping[str, Any]) -> dict[str, Region]:
    """Build the regions of one country file (already validated)."""
    regions: dict[str, Region] = {}
    for region_id, entry in (data.get("regions") or {}).items():
        names, aliases = _area_fields(entry or {})
        districts = {}
        for district_id, district in ((entry or {}).get("districts") or {}).items():
            d_names, d_aliases = _area_fields(district or {})
            districts[str(district_id)] = Area(str(district_id), d_names, d_aliases)
        regions[str(region_id)] = Region(str(region_id), names, aliases, districts)
    return regions


def load_regions(directory: Path) -> dict[str, dict[str, Region]]:
    """Every content/regions/<country>.yml, by country id (the profile's file name)."""
    countries: dict[str, dict[str, Region]] = {}
    for path in sorted(directory.glob("*.yml")):
        with path.open(encoding="utf-8") as handle:
            countries[path.stem] = regions_from_dict(yaml.safe_load(handle) or {})
    return countries


def _forms(area: Area) -> set[str]:
    """Every normalised form of an area's name: id, names, aliases."""
    forms = {area.id.replace("_", " ")} | set(area.names.values()) | set(area.aliases)
    return {f for f in (normalise(x) for x in forms) if f}


def _contains(text: str, form: str) -> bool:
    if _NO_SPACES.search(form):
        return form in text.replace(" ", "")
    return f" {form} " in f" {text} "


class RegionIndex:
    """Finds the region (and district) in what a person typed, for one country."""

    def __init__(self, regions: Mapping[str, Region]) -> None:
        self.regions = regions
        self._forms: list[tuple[str, RegionMatch]] = []
        for region in regions.values():
            for form in _forms(region):
                self._forms.append((form, RegionMatch(region.id)))
            for district in region.districts.values():
                for form in _forms(district):
                    self._forms.append((form, RegionMatch(region.id, district.id)))
        # Longest forms first ("kharkiv oblast" before "kharkiv"); a region before a
        # district of the same name inside it.
        self._forms.sort(key=lambda item: (-len(item[0]), item[1].district is not None))

    def match(self, text: str) -> Optional[RegionMatch]:
        """The region named in `text` (the whole message or a part of it), or None."""
        typed = _SEPARATORS.sub(" ", normalise(text)).strip()
        if not typed:
            return None
        for form, found in self._forms:
            if form == typed:
                return found
        for form, found in self._forms:
            if _contains(typed, _SEPARATORS.sub(" ", form).strip()):
                return found
        return None

    def region_ids(self) -> Iterable[str]:
        """Region ids in file order."""
        return self.regions.keys()


def ambiguous_forms(regions: Mapping[str, Region]) -> dict[str, set[str]]:
    """Normalised forms shared by two different regions (the matcher could pick either)."""
    owners: dict[str, set[str]] = {}
    for region in regions.values():
        for form in _forms(region):
            owners.setdefault(form, set()).add(region.id)
        for district in region.districts.values():
            for form in _forms(district):
                owners.setdefault(form, set()).add(f"{region.id}/{district.id}")
    # A district may share its region's name (the city and its oblast): that is not ambiguous.
    return {form: ids for form, ids in owners.items() if len({i.split("/")[0] for i in ids}) > 1}
