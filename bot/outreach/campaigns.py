"""Campaigns NGO staff write as content files: content/campaigns/<name>.yml.

A campaign has an English message (`text`, sent on Telegram) and its SMS form (`sms`, default:
`text`), an audience (countries, regions, languages, channels, tracks; a list left out means
all), a schedule (`once: DATE`, `dates: [DATE, ...]` or a yearly `season: {from: MM-DD, to:
MM-DD}`) and, optionally, the survey it invites people to. Its texts are translated in the same
catalogs as every response (`bot content update` extracts them, bot/babel_extract.py).

Loading never raises on a bad file: `bot content check` (check_campaigns) says what is wrong,
with file and line; `campaign_problems` is also what `bot campaigns send` asks before sending.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any, Iterator, Mapping, Optional

import yaml

from bot.content.translations import CAMPAIGN_NOTE
from bot.paths import ProjectPaths

# The channels a campaign may go out on (the subscription's channel).
TELEGRAM = "telegram"
SMS = "sms"
CHANNELS: tuple[str, ...] = (TELEGRAM, SMS)
# The fields of a campaign file, of its audience and of its schedule.
FIELDS = ("note", "text", "sms", "audience", "schedule", "survey")
AUDIENCE_FIELDS = ("countries", "regions", "languages", "channels", "tracks")
SCHEDULE_FIELDS = ("once", "dates", "season")
# A campaign's name is its file name: it appears in run ids and commands.
NAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]{0,47}$")
# Days after a `once` or `dates` date on which the scheduler still sends it (a scheduler that was
# down catches up; the run id keeps it to one message per person).
CATCH_UP_DAYS = 6
_MONTH_DAY = re.compile(r"^(\d{2})-(\d{2})$")


class _Loader(yaml.SafeLoader):
    """SafeLoader that keeps dates as text (as_date reads them; 2026-02-30 is a problem, not a crash)."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


@dataclass(frozen=True)
class Audience:
    """Who a campaign is for; an empty tuple means everyone."""

    countries: tuple[str, ...] = ()
    regions: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()
    channels: tuple[str, ...] = ()
    tracks: tuple[str, ...] = ()


@dataclass(frozen=True)
class Season:
    """A yearly window, both ends included; it may run over the new year (from 11-15 to 01-15)."""

    start: tuple[int, int]  # (month, day)
    end: tuple[int, int]

    def window(self, year: int) -> tuple[date, date]:
        """The window that starts in `year`."""
        first = date(year, *self.start)
        last = date(year if self.end >= self.start else year + 1, *self.end)
        return first, last

    def containing(self, day: date) -> Optional[tuple[date, date]]:
        """The window `day` is in, if any."""
        for year in (day.year, day.year - 1):
            first, last = self.window(year)
            if first <= day <= last:
                return first, last
        return None


@dataclass(frozen=True)
class Schedule:
    """When a campaign goes out: on dates (`once` is one date), or every year in a season."""

    dates: tuple[date, ...] = ()
    season: Optional[Season] = None

    def windows(self, around: date) -> list[tuple[date, date]]:
        """The sending windows (first day, last day) of the years around `around`, in order."""
        if self.season is not None:
            return [self.season.window(year) for year in (around.year - 1, around.year, around.year + 1)]
        return [(d, d + timedelta(days=CATCH_UP_DAYS)) for d in sorted(self.dates)]

    def due(self, today: date) -> Optional[date]:
        """The occurrence the scheduler sends today (the start of the window today is in), if any."""
        inside = [first for first, last in self.windows(today) if first <= today <= last]
        return max(inside) if inside else None

    def occurrence(self, today: date) -> Optional[date]:
        """The occurrence a manual send belongs to: the one due today, else the latest that has
        started, else the next one."""
        windows = self.windows(today)
        if not windows:
            return None
        started = [first for first, _ in windows if first <= today]
        return max(started) if started else min(first for first, _ in windows)

    def soon(self, today: date, days: int) -> bool:
        """True when it is sending now or starts within `days` days."""
        return any(first - timedelta(days=days) <= today <= last for first, last in self.windows(today))


@dataclass(frozen=True)
class Campaign:
    """One campaign file, loaded."""

    name: str
    path: Path
    text: str
    sms: str
    audience: Audience
    schedule: Schedule
    survey: Optional[str] = None
    # The 1-based line of each top-level field, for problems.
    lines: Mapping[str, int] = field(default_factory=dict)

    def run_id(self, day: date) -> str:
        """The run id of the occurrence of `day`: `campaign:NAME:YYYY-MM-DD`."""
        return f"campaign:{self.name}:{day.isoformat()}"

    def message(self, channel: str) -> str:
        """The English text sent on `channel`: the SMS form on SMS, the text elsewhere."""
        return self.sms if channel == SMS else self.text

    def line(self, name: str) -> int:
        """The line of a top-level field (1 when the file does not have it)."""
        return self.lines.get(name, 1)


def campaign_paths(paths: ProjectPaths) -> list[Path]:
    """Every content/campaigns/*.yml, by name."""
    return sorted(paths.campaigns.glob("*.yml")) if paths.campaigns.is_dir() else []


def _strings(value: Any) -> tuple[str, ...]:
    if isinstance(value, (list, tuple)):
        return tuple(str(item).strip() for item in value if item is not None and str(item).strip())
    if isinstance(value, (str, int)) and str(value).strip():
        return (str(value).strip(),)
    return ()


def month_day(value: Any) -> Optional[tuple[int, int]]:
    """`MM-DD` as (month, day), None when it is not a day every year has (02-29 is not)."""
    match = _MONTH_DAY.match(str(value).strip()) if value is not None else None
    if match is None:
        return None
    month, day = int(match.group(1)), int(match.group(2))
    try:
        date(2001, month, day)  # not a leap year: 02-29 is refused
    except ValueError:
        return None
    return month, day


def as_date(value: Any) -> Optional[date]:
    """A YAML date (2026-12-10, quoted or not) as a date, None when it is not one."""
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError:
        return None


def schedule_from(data: Any) -> Schedule:
    """The schedule of a campaign file's `schedule:` (what cannot be read is left out)."""
    if not isinstance(data, Mapping):
        return Schedule()
    dates = [as_date(data.get("once"))] if "once" in data else []
    if isinstance(data.get("dates"), list):
        dates += [as_date(item) for item in data["dates"]]
    season = None
    if isinstance(data.get("season"), Mapping):
        start, end = month_day(data["season"].get("from")), month_day(data["season"].get("to"))
        if start is not None and end is not None:
            season = Season(start, end)
    return Schedule(tuple(sorted({d for d in dates if d is not None})), season)


def load_campaign(path: Path) -> Campaign:
    """Read one campaign file (raises OSError or yaml.YAMLError when it cannot be read at all)."""
    text = path.read_text(encoding="utf-8")
    data = yaml.load(text, Loader=_Loader) or {}  # noqa: S506 (a SafeLoader)
    if not isinstance(data, Mapping):
        data = {}
    node = yaml.compose(text, Loader=yaml.SafeLoader)
    lines = {}
    if isinstance(node, yaml.MappingNode):
        lines = {str(key.value): key.start_mark.line + 1 for key, _ in node.value}
    found = data.get("audience")
    audience: Mapping[str, Any] = found if isinstance(found, Mapping) else {}
    english = str(data.get("text") or "").strip()
    survey = data.get("survey")
    return Campaign(
        name=path.stem,
        path=path,
        text=english,
        sms=str(data.get("sms") or "").strip() or english,
        audience=Audience(**{name: _strings(audience.get(name)) for name in AUDIENCE_FIELDS}),
        schedule=schedule_from(data.get("schedule")),
        survey=str(survey).strip() if survey else None,
        lines=lines,
    )


def load_campaigns(paths: ProjectPaths) -> dict[str, Campaign]:
    """Every campaign that can be read, by name (`bot content check` reports the others)."""
    campaigns: dict[str, Campaign] = {}
    for path in campaign_paths(paths):
        try:
            campaigns[path.stem] = load_campaign(path)
        except (OSError, UnicodeDecodeError, yaml.YAMLError, ValueError):
            continue
    return campaigns


def campaign_messages(text: str, name: str) -> Iterator[tuple[int, str, str]]:
    """(line, note, English text) of each translatable text of a campaign file's content, the
    note naming the campaign and the field (`campaign:flood-season:sms`)."""
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError:
        return
    if not isinstance(node, yaml.MappingNode):
        return
    for key, value in node.value:
        if key.value in ("text", "sms") and isinstance(value, yaml.ScalarNode) and value.value.strip():
            yield key.start_mark.line + 1, f"{CAMPAIGN_NOTE}{name}:{key.value}", value.value.strip()


def all_campaign_messages(paths: ProjectPaths) -> list[tuple[str, int, str]]:
    """(file, line, English text) of every campaign's translatable texts, by file."""
    found = []
    for path in campaign_paths(paths):
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            continue
        found += [(str(path), line, message) for line, _, message in campaign_messages(text, path.stem)]
    return found
