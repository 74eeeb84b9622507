"""`bot campaigns list | preview | send | status`: what NGO staff run (README "Alerts and campaigns").

Each command prints plain lines (tests compare them exactly) and returns the exit code.
"""

from __future__ import annotations

import time
from datetime import date
from decimal import Decimal
from typing import Callable, Optional, TextIO

from bot.i18n import SUPPORTED_LANGUAGES
from bot.outreach.campaign_check import Known, campaigns_problems
from bot.outreach.campaign_render import CampaignRenderer
from bot.outreach.campaign_send import Enqueue, Plan, open_run, plan, send_due
from bot.outreach.campaigns import CHANNELS, Campaign, load_campaigns
from bot.outreach.outbox import Outbox
from bot.outreach.store import CAMPAIGN, FAILED, FINAL, QUEUED, SENDING, SENT, STOPPED
from bot.paths import ProjectPaths
from bot.sms.segments import count_segments
from bot.store.db import Database
from bot.store.pseudonym import Pseudonymizer

# The order `bot campaigns status` shows each count in (sending is counted as queued: not final).
STATUS_ORDER = (QUEUED, SENT, FAILED, STOPPED)
# Seconds between two looks at the outbox while the progress bar waits.
POLL_SECONDS = 1.0


def _listed(values: tuple[str, ...]) -> str:
    return ", ".join(values) if values else "all"


def _campaign(paths: ProjectPaths, name: str, out: TextIO) -> Optional[Campaign]:
    campaigns = load_campaigns(paths)
    if name not in campaigns:
        known = ", ".join(sorted(campaigns)) or "none"
        print(f"no campaign {name!r} in {paths.campaigns} (campaigns: {known})", file=out)
        return None
    return campaigns[name]


def _run_day(campaign: Campaign, today: date, day: Optional[date]) -> date:
    """The occurrence a staff command is about: --date, else the schedule's, else today."""
    return day or campaign.schedule.occurrence(today) or today


def list_campaigns(paths: ProjectPaths, today: date, out: TextIO) -> int:
    """One line per campaign: schedule, occurrence, audience, and whether it can send."""
    campaigns = load_campaigns(paths)
    if not campaigns:
        print(f"no campaigns in {paths.campaigns}", file=out)
        return 0
    problems = campaigns_problems(paths, today)
    for name, campaign in sorted(campaigns.items()):
        mine = [p for p in problems if p.path.endswith(f"{name}.yml")]
        due = campaign.schedule.due(today)
        when = (
            f"due today ({campaign.run_id(due)})"
            if due
            else f"not due today (a send now opens {campaign.run_id(_run_day(campaign, today, None))})"
        )
        state = f"will not send ({len(mine)} problem(s): bot content check)" if mine else "can send"
        audience = campaign.audience
        print(
            f"{name}: {when}; countries {_listed(audience.countries)}, "
            f"languages {_listed(audience.languages)}, channels {_listed(audience.channels)}; {state}",
            file=out,
        )
    return 0


def preview(paths: ProjectPaths, name: str, country: Optional[str], today: date, out: TextIO) -> int:
    """Each language and channel of the campaign as a person in `country` gets it, with SMS segments."""
    campaign = _campaign(paths, name, out)
    if campaign is None:
        return 1
    renderer = CampaignRenderer.for_project(paths)
    audience = campaign.audience
    chosen = country or (audience.countries[0] if audience.countries else None)
    shown = chosen if chosen in renderer.profiles else "generic"
    print(
        f"{name} ({campaign.run_id(_run_day(campaign, today, None))}), as sent in {shown}; audience: "
        f"countries {_listed(audience.countries)}; regions {_listed(audience.regions)}; "
        f"languages {_listed(audience.languages)}; channels {_listed(audience.channels)}; "
        f"tracks {_listed(audience.tracks)}",
        file=out,
    )
    for language in audience.languages or SUPPORTED_LANGUAGES:
        for channel in audience.channels or CHANNELS:
            rendered = renderer.render(campaign, language, channel, shown)
            cost = ""
            if channel == "sms":
                count = count_segments(rendered.text)
                cost = f": {count.segments} segment(s), {count.encoding}, {count.units} characters"
            print(f"--- {language} {channel}{cost}", file=out)
            print(rendered.text, file=out)
    problems = campaigns_problems(paths, today, [name])
    for problem in problems:
        print(problem, file=out)
    print(f"{name} will not send: {len(problems)} problem(s)" if problems else f"{name} can send", file=out)
    return 0


def _counted(title: str, counts: dict[str, int]) -> str:
    return f"by {title}: " + ", ".join(f"{key} {counts[key]}" for key in sorted(counts))


def dry_run(plan_: Plan, price: Optional[Decimal], out: TextIO) -> None:
    """Print who the run would reach and what its SMS cost."""
    print(f"{plan_.run_id}: {len(plan_.people)} recipient(s)", file=out)
    for field, title in (
        ("country", "country"),
        ("region", "region"),
        ("language", "language"),
        ("channel", "channel"),
    ):
        print(_counted(title, dict(plan_.counts(field))), file=out)
    messages, segments = plan_.sms_segments()
    cost = (
        f"cost {(price * segments).quantize(price)} at {price} per segment"
        if price is not None
        else "cost unknown (set SMS_PRICE_PER_SEGMENT or give --price)"
    )
    print(f"SMS: {messages} message(s), {segments} segment(s), {cost}", file=out)
    print("dry run: nothing was sent", file=out)


def send(
    paths: ProjectPaths,
    database: Database,
    pseudonyms: Pseudonymizer,
    name: str,
    today: date,
    out: TextIO,
    enqueue: Optional[Callable[[], Enqueue]] = None,
    dry: bool = False,
    price: Optional[Decimal] = None,
    day: Optional[date] = None,
    wait: bool = True,
    progress: Optional[Callable[[int], object]] = None,
) -> int:
    """Refuse a campaign with problems; else dry-run it, or open its run, enqueue what is not final
    and (with `wait`) follow it until every message is final."""
    campaign = _campaign(paths, name, out)
    if campaign is None:
        return 1
    problems = campaigns_problems(paths, today, [name])
    if problems:
        print(f"{name} will not send; fix these, then run `bot content check`:", file=out)
        for problem in problems:
            print(problem, file=out)
        return 1
    chosen = plan(paths, database, campaign, _run_day(campaign, today, day), Known.of(paths))
    if dry:
        dry_run(chosen, price, out)
        return 0
    if enqueue is None:
        raise ValueError("send needs a queue")
    keys = open_run(chosen, database, pseudonyms)
    outbox = Outbox.sealed_with(database, pseudonyms)
    total = sum(outbox.counts(chosen.run_id).values())
    print(f"{chosen.run_id}: {total} message(s), {len(keys)} to send", file=out)
    if keys:
        enqueue()(keys)
    if not wait:
        print(f"queued; `bot campaigns status {name}` shows the progress", file=out)
        return 0
    _follow(outbox, chosen.run_id, total, progress)
    return status(database, pseudonyms, name, out, [chosen.run_id])


def _final(outbox: Outbox, run_id: str) -> int:
    return sum(n for (_, _, state), n in outbox.counts(run_id).items() if state in FINAL)


def _follow(outbox: Outbox, run_id: str, total: int, progress: Optional[Callable[[int], object]]) -> None:
    """Wait until every message of the run is final, showing a progress bar."""
    from tqdm import tqdm  # installed with Rasa; only this command draws a bar

    with tqdm(total=total, unit="msg", desc=run_id) as bar:
        done = _final(outbox, run_id)
        bar.update(done)
        while done < total:
            time.sleep(POLL_SECONDS)
            now = _final(outbox, run_id)
            bar.update(now - done)
            done = now
            if progress is not None:
                progress(done)


def status(
    database: Database, pseudonyms: Pseudonymizer, name: str, out: TextIO, run_ids: Optional[list[str]] = None
) -> int:
    """Queued / sent / failed / stopped per channel and language, for each run of the campaign."""
    outbox = Outbox.sealed_with(database, pseudonyms)
    runs = run_ids if run_ids is not None else outbox.run_ids(CAMPAIGN, name)
    if not runs:
        print(f"{name}: never sent", file=out)
        return 0
    for run_id in runs:
        counts = outbox.counts(run_id)
        print(run_id, file=out)
        groups = sorted({(channel, language) for channel, language, _ in counts})
        totals = dict.fromkeys(STATUS_ORDER, 0)
        for channel, language in groups:
            mine = dict.fromkeys(STATUS_ORDER, 0)
            for (c, lang, state), n in counts.items():
                if (c, lang) == (channel, language):
                    shown = QUEUED if state == SENDING else state
                    mine[shown] += n
                    totals[shown] += n
            print(f"  {channel} {language}: " + ", ".join(f"{s} {mine[s]}" for s in STATUS_ORDER), file=out)
        print("  total: " + ", ".join(f"{s} {totals[s]}" for s in STATUS_ORDER), file=out)
    return 0


def send_scheduled(
    paths: ProjectPaths,
    database: Database,
    pseudonyms: Pseudonymizer,
    today: date,
    out: TextIO,
    enqueue: Callable[[], Enqueue],
) -> int:
    """Open and enqueue the run of every campaign due today (what a daily timer runs)."""
    runs = send_due(paths, database, pseudonyms, today, lambda keys: enqueue()(keys) if keys else None)
    for run_id in runs:
        print(f"{run_id}: queued", file=out)
    if not runs:
        print(f"no campaign due on {today.isoformat()}", file=out)
    return 0
