"""`bot content check` for content/campaigns/*.yml, and what `bot campaigns send` asks first.

Two kinds of problems, each with the campaign file's line:
- the file is wrong (unknown field, audience value or placeholder, a bad schedule, no text):
  always an error;
- the campaign "will not send" in a language it targets: the translation of a text it sends
  there is missing or fuzzy (a changed English text), or its SMS form in that language is over
  CAMPAIGN_SEGMENT_BUDGET segments, or a country it targets has no value for a placeholder.
  An error when the campaign sends now or within SOON_DAYS days (it would go out incomplete);
  a warning otherwise (translators still have time, or it is over).
A campaign with any problem does not send: `bot campaigns send` refuses and prints them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, Iterable, Optional

import yaml
from babel.messages.pofile import PoFileError

from bot.clock import utc_now
from bot.content.check import NUMBER_PLACEHOLDERS
from bot.content.countries import GENERIC_PROFILE, CountryProfile, load_profiles
from bot.content.problems import Problem, child, compose, mapping_items, relative
from bot.content.translations import MISSING, REVIEW, EntryStatus, language_status, po_path
from bot.i18n import SOURCE_LANGUAGE, SUPPORTED_LANGUAGES, Catalogs
from bot.outreach.campaign_render import CAMPAIGN_SEGMENT_BUDGET, CAMPAIGN_VALUES, CampaignRenderer
from bot.outreach.campaigns import (
    AUDIENCE_FIELDS,
    CHANNELS,
    FIELDS,
    NAME_PATTERN,
    SCHEDULE_FIELDS,
    SMS,
    TELEGRAM,
    Campaign,
    as_date,
    campaign_paths,
    load_campaign,
    month_day,
)
from bot.paths import ProjectPaths
from bot.responses import placeholders
from bot.services.regions import load_regions

# A campaign whose sending starts within this many days must be complete (its problems are errors).
SOON_DAYS = 14
# The key prefix of an audience track in content/lesson_topics.yml (track_farmers -> farmers).
TRACK_PREFIX = "track_"
SINGULAR = {"countries": "country", "languages": "language", "channels": "channel", "tracks": "track"}
SCHEDULE_HELP = "once: YYYY-MM-DD, dates: [YYYY-MM-DD, ...] or season: {from: MM-DD, to: MM-DD}"


@dataclass(frozen=True)
class Known:
    """The values a campaign's audience may name."""

    profiles: dict[str, CountryProfile]
    regions: dict[str, set[str]]  # country -> region and district ids
    tracks: tuple[str, ...]
    districts: dict[str, dict[str, set[str]]] = field(default_factory=dict)  # country -> region -> ids

    @classmethod
    def of(cls, paths: ProjectPaths) -> Known:
        """Country profiles, region and district ids per country, and track ids of the project."""
        regions: dict[str, set[str]] = {}
        districts: dict[str, dict[str, set[str]]] = {}
        if paths.regions.is_dir():
            for country, areas in load_regions(paths.regions).items():
                ids = regions.setdefault(country, set())
                for region in areas.values():
                    ids |= {region.id, *region.districts}
                    districts.setdefault(country, {})[region.id] = set(region.districts)
        return cls(load_profiles(paths.countries), regions, tuple(_tracks(paths)), districts)


def _tracks(paths: ProjectPaths) -> list[str]:
    if not paths.lesson_topics.exists():
        return []
    data = yaml.safe_load(paths.lesson_topics.read_text(encoding="utf-8")) or {}
    return sorted(str(k)[len(TRACK_PREFIX) :] for k in data if str(k).startswith(TRACK_PREFIX))


def check_campaigns(paths: ProjectPaths) -> list[Problem]:
    """Every campaign file's problems, as of today (UTC)."""
    return campaigns_problems(paths, utc_now().date())


def campaigns_problems(
    paths: ProjectPaths, today: date, names: Optional[Iterable[str]] = None
) -> list[Problem]:
    """The problems of every campaign file (or of those `names`), as of `today`."""
    files = campaign_paths(paths)
    if names is not None:
        wanted = set(names)
        files = [path for path in files if path.stem in wanted]
    if not files:
        return []
    try:
        known = Known.of(paths)
        renderer = CampaignRenderer(Catalogs.load(paths.locales), known.profiles)
    except (OSError, ValueError, yaml.YAMLError, PoFileError) as error:
        # Another check reports the broken file; until it is fixed no campaign can be checked.
        broken = type(error).__name__
        reason = f"cannot check this campaign until the profiles, regions and catalogs load ({broken})"
        return [Problem(relative(path, paths.root), 1, reason) for path in files]
    problems: list[Problem] = []
    for path in files:
        problems += campaign_problems(paths, path, today, known, renderer)
    return problems


def campaign_problems(
    paths: ProjectPaths, path: Path, today: date, known: Known, renderer: CampaignRenderer
) -> list[Problem]:
    """One campaign file's problems: the file's, then why it will not send."""
    where = relative(path, paths.root)
    node, syntax = compose(path, where)
    if syntax or node is None:
        return syntax or [
            Problem(where, 1, "the file is empty: a campaign needs text, audience and schedule")
        ]
    if not isinstance(node, yaml.MappingNode):
        return [Problem(where, 1, "a campaign file must be a mapping of text, sms, audience, schedule")]
    problems: list[Problem] = []
    if not NAME_PATTERN.match(path.stem):
        problems.append(
            Problem(where, 1, "the file name names the campaign: lower-case letters, digits and dashes")
        )
    problems += _field_problems(where, node)
    problems += _audience_problems(where, child(node, "audience"), known)
    problems += _schedule_problems(where, node)
    campaign = load_campaign(path)
    problems += _placeholder_problems(where, campaign)
    if any(not p.warning for p in problems):
        return problems  # a broken file: what it would send is not worth measuring yet
    soon = campaign.schedule.soon(today, SOON_DAYS)
    problems += [
        Problem(where, line, f"will not send: {reason}", warning=not soon)
        for line, reason in unsendable(paths, campaign, known, renderer)
    ]
    return problems


def _field_problems(where: str, node: yaml.Node) -> list[Problem]:
    problems: list[Problem] = []
    fields = {name: (value, line) for name, value, line in mapping_items(node)}
    for name, (value, line) in fields.items():
        if name not in FIELDS:
            problems.append(
                Problem(where, line, f"unknown field '{name}' (a campaign has {', '.join(FIELDS)})")
            )
        elif name in ("text", "sms", "note", "survey") and not isinstance(value, yaml.ScalarNode):
            problems.append(Problem(where, line, f"'{name}' must be text"))
    text = fields.get("text")
    if text is None or not isinstance(text[0], yaml.ScalarNode) or not str(text[0].value).strip():
        problems.append(Problem(where, text[1] if text else 1, "'text' (the English message) is missing"))
    return problems


def _audience_problems(where: str, node: yaml.Node, known: Known) -> list[Problem]:
    problems: list[Problem] = []
    values: dict[str, list[tuple[str, int]]] = {}
    for name, value, line in mapping_items(node):
        if name not in AUDIENCE_FIELDS:
            problems.append(
                Problem(
                    where,
                    line,
                    f"unknown audience field '{name}' (an audience has {', '.join(AUDIENCE_FIELDS)})",
                )
            )
            continue
        items = _scalars(value)
        if items is None:
            problems.append(
                Problem(where, line, f"audience '{name}' must be a list, e.g. [{_example(name)}]")
            )
            continue
        values[name] = items
    countries = [c for c, _ in values.get("countries", [])] or sorted(known.regions)
    allowed: dict[str, Iterable[str]] = {
        "countries": sorted(p for p in known.profiles if p != GENERIC_PROFILE),
        "languages": SUPPORTED_LANGUAGES,
        "channels": CHANNELS,
        "tracks": known.tracks,
    }
    for name, items in values.items():
        for item, line in items:
            if name == "regions":
                if not any(item in known.regions.get(country, ()) for country in countries):
                    problems.append(
                        Problem(
                            where,
                            line,
                            f"unknown region '{item}' (not a region or district id of content/regions/"
                            f"{{{','.join(countries)}}}.yml)",
                        )
                    )
            elif item not in allowed[name]:
                problems.append(
                    Problem(
                        where, line, f"unknown {SINGULAR[name]} '{item}' (known: {', '.join(allowed[name])})"
                    )
                )
    return problems


def _example(name: str) -> str:
    return {
        "countries": "ukraine",
        "regions": "kharkiv",
        "languages": "uk, en",
        "channels": "sms, telegram",
    }.get(name, "farmers")


def _scalars(node: yaml.Node) -> Optional[list[tuple[str, int]]]:
    """The items of a list of plain values with their lines; None for anything else."""
    if not isinstance(node, yaml.SequenceNode) or not all(isinstance(i, yaml.ScalarNode) for i in node.value):
        return None
    return [(str(i.value).strip(), i.start_mark.line + 1) for i in node.value]


def _schedule_problems(where: str, node: yaml.Node) -> list[Problem]:
    entry = {name: (value, line) for name, value, line in mapping_items(node)}.get("schedule")
    if entry is None:
        return [Problem(where, 1, f"'schedule' is missing ({SCHEDULE_HELP})")]
    schedule, line = entry
    fields = list(mapping_items(schedule))
    if not isinstance(schedule, yaml.MappingNode) or not fields:
        return [Problem(where, line, f"'schedule' must be one of {SCHEDULE_HELP}")]
    problems: list[Problem] = []
    kinds = [name for name, _, _ in fields if name in SCHEDULE_FIELDS]
    if len(kinds) > 1:
        problems.append(Problem(where, line, f"'schedule' has {' and '.join(kinds)}: give only one of them"))
    for name, value, item_line in fields:
        if name not in SCHEDULE_FIELDS:
            problems.append(Problem(where, item_line, f"unknown schedule field '{name}' ({SCHEDULE_HELP})"))
        elif name == "once":
            problems += _date_problems(where, [(value, item_line)], "once")
        elif name == "dates":
            items = value.value if isinstance(value, yaml.SequenceNode) else None
            if not items:
                problems.append(Problem(where, item_line, "'dates' must be a list of dates (YYYY-MM-DD)"))
            else:
                problems += _date_problems(where, [(i, i.start_mark.line + 1) for i in items], "dates")
        else:
            problems += _season_problems(where, value, item_line)
    return problems


def _date_problems(where: str, items: list[tuple[yaml.Node, int]], name: str) -> list[Problem]:
    problems = []
    for node, line in items:
        value = node.value if isinstance(node, yaml.ScalarNode) else None
        if value is None or as_date(value) is None:
            problems.append(Problem(where, line, f"'{name}': {value!r} is not a date (YYYY-MM-DD)"))
    return problems


def _season_problems(where: str, node: yaml.Node, line: int) -> list[Problem]:
    ends = {name: (value, item_line) for name, value, item_line in mapping_items(node)}
    if set(ends) != {"from", "to"}:
        return [Problem(where, line, "'season' must be {from: MM-DD, to: MM-DD}")]
    problems = []
    for name, (value, item_line) in ends.items():
        raw: Any = value.value if isinstance(value, yaml.ScalarNode) else None
        if month_day(raw) is None:
            problems.append(
                Problem(
                    where,
                    item_line,
                    f"season '{name}': {raw!r} is not a day of every year (MM-DD, not 02-29)",
                )
            )
    return problems


def _placeholder_problems(where: str, campaign: Campaign) -> list[Problem]:
    problems = []
    allowed = NUMBER_PLACEHOLDERS | CAMPAIGN_VALUES
    for name in ("text", "sms"):
        if name == "sms" and name not in campaign.lines:
            continue  # the SMS form is the text
        text = campaign.text if name == "text" else campaign.sms
        try:
            used = placeholders(text)
        except ValueError:
            problems.append(Problem(where, campaign.line(name), f"'{name}': a {{ or }} without its pair"))
            continue
        for unknown in sorted(used - allowed):
            problems.append(
                Problem(
                    where,
                    campaign.line(name),
                    f"'{name}': unknown placeholder {{{unknown}}} (a campaign may use "
                    f"{', '.join('{' + p + '}' for p in sorted(allowed))})",
                )
            )
    return problems


def unsendable(
    paths: ProjectPaths, campaign: Campaign, known: Known, renderer: CampaignRenderer
) -> list[tuple[int, str]]:
    """(line, reason) for each language, channel and country the campaign cannot be sent in."""
    reasons: list[tuple[int, str]] = []
    languages = campaign.audience.languages or SUPPORTED_LANGUAGES
    channels = campaign.audience.channels or CHANNELS
    fields = [("text", TELEGRAM), ("sms", SMS)]
    countries = campaign.audience.countries or tuple(known.profiles)
    for language in languages:
        statuses = {}
        if language != SOURCE_LANGUAGE:
            found = language_status(paths.locales, language, [campaign.text, campaign.sms]).entries
            statuses = {entry.msgid: entry for entry in found}
        for name, channel in fields:
            if channel not in channels:
                continue
            english = campaign.message(channel)
            field_name = name if name in campaign.lines else "text"
            if language != SOURCE_LANGUAGE:
                reason = _translation_problem(paths, language, statuses[english])
                if reason:
                    reasons.append((campaign.line(field_name), f"{language} {channel}: {reason}"))
                    continue
            for country in countries:
                rendered = renderer.render(campaign, language, channel, country)
                if rendered.unfilled:
                    missing = ", ".join("{" + n + "}" for n in sorted(rendered.unfilled))
                    reasons.append(
                        (
                            campaign.line(field_name),
                            f"{language} {channel}: {country} has no value for {missing}",
                        )
                    )
                elif rendered.segments > CAMPAIGN_SEGMENT_BUDGET:
                    reasons.append(
                        (
                            campaign.line(field_name),
                            f"{language} {channel}: {rendered.segments} SMS segments in {country}, over the "
                            f"budget of {CAMPAIGN_SEGMENT_BUDGET} (shorten '{field_name}')",
                        )
                    )
    return _unique(reasons)


def _translation_problem(paths: ProjectPaths, language: str, status: EntryStatus) -> str:
    where = relative(po_path(paths.locales, language), paths.root)
    if status.status == MISSING and status.line == 0:
        return "not in the catalog (run `bot content update`, then translate it)"
    if status.status == MISSING:
        return f"translation missing ({status.reason}) at {where}:{status.line}"
    if status.status == REVIEW:
        return f"translation fuzzy (the English text changed: review it) at {where}:{status.line}"
    return ""


def _unique(items: list[tuple[int, str]]) -> list[tuple[int, str]]:
    return list(dict.fromkeys(items))
