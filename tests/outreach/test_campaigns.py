"""Campaigns as content files: the loader, the schedule, `bot content check`'s exact problems
(a wrong file, and why a campaign will not send), the catalogs' extraction of their texts, and
each language and channel rendered with its SMS segments."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from bot.cli import main
from bot.content.problems import Problem
from bot.i18n import Catalogs
from bot.outreach.campaign_check import campaigns_problems
from bot.outreach.campaign_render import CampaignRenderer
from bot.outreach.campaigns import Audience, Schedule, Season, load_campaign, load_campaigns
from bot.paths import ProjectPaths
from tests.factories import PROJECT_ROOT, copy_project

SHIPPED = ProjectPaths(PROJECT_ROOT)
FLOOD_TEXT = load_campaign(SHIPPED.campaigns / "flood-season.yml").text
FLOOD_SMS = load_campaign(SHIPPED.campaigns / "flood-season.yml").sms
TODAY = date(2026, 12, 4)


@pytest.fixture()
def project(tmp_path: Path) -> ProjectPaths:
    return copy_project(tmp_path, files=("domain.yml", "babel.cfg"))


def write(project: ProjectPaths, name: str, text: str) -> Path:
    path = project.campaigns / f"{name}.yml"
    path.write_text(text, encoding="utf-8")
    return path


def problems(project: ProjectPaths, name: str, today: date = TODAY) -> list[str]:
    return [str(p) for p in campaigns_problems(project, today, [name])]


def test_the_shipped_campaigns_load_and_pass_the_check():
    campaigns = load_campaigns(SHIPPED)
    assert sorted(campaigns) == ["flood-season", "harvest-season"]
    harvest = campaigns["harvest-season"]
    assert harvest.audience == Audience(
        countries=("ukraine",), regions=("kharkiv", "donetsk"), languages=("uk", "en"), tracks=("farmers",)
    )
    assert harvest.schedule == Schedule(season=Season((6, 20), (7, 10)))
    assert harvest.sms.startswith("Harvest: before you plough") and harvest.text.startswith("Harvest time.")
    assert campaigns_problems(SHIPPED, TODAY) == []
    assert campaigns_problems(SHIPPED, date(2027, 6, 25)) == []  # inside the harvest season


def test_schedules_once_dates_and_a_season_over_the_new_year():
    once = Schedule(dates=(date(2026, 12, 10),))
    assert [once.due(date(2026, 12, d)) for d in (9, 10, 16, 17)] == [
        None,
        date(2026, 12, 10),
        date(2026, 12, 10),
        None,
    ]
    assert once.occurrence(date(2026, 12, 1)) == once.occurrence(date(2027, 3, 1)) == date(2026, 12, 10)
    assert once.soon(date(2026, 11, 26), 14) and not once.soon(date(2026, 11, 25), 14)
    dates = Schedule(dates=(date(2026, 6, 1), date(2026, 9, 1)))
    assert dates.occurrence(date(2026, 7, 1)) == date(2026, 6, 1)
    assert dates.due(date(2026, 9, 3)) == date(2026, 9, 1)
    winter = Schedule(season=Season((11, 15), (1, 15)))
    assert winter.due(date(2027, 1, 15)) == date(2026, 11, 15)
    assert winter.due(date(2026, 12, 31)) == date(2026, 11, 15)
    assert winter.due(date(2027, 1, 16)) is None
    assert winter.occurrence(date(2027, 3, 1)) == date(2026, 11, 15)
    assert load_campaign(SHIPPED.campaigns / "flood-season.yml").run_id(date(2027, 5, 1)) == (
        "campaign:flood-season:2027-05-01"
    )


def test_a_wrong_file_gets_one_problem_per_mistake_with_its_line(project):
    write(
        project,
        "Bad_Name",
        "text: Call {emergency_number} or {hotline}.\n"
        "colour: red\n"
        "audience:\n"
        "  countries: [ukraine, atlantis]\n"
        "  regions: [kharkiv, gotham]\n"
        "  languages: [uk, de]\n"
        "  channels: [sms, whatsapp]\n"
        "  tracks: [farmers, pilots]\n"
        "  ages: [10]\n"
        "schedule:\n"
        "  once: 2026-02-30\n"
        "  season: {from: 02-29, to: 03-10}\n",
    )
    where = "content/campaigns/Bad_Name.yml"
    allowed = (
        "{ambulance_number}, {country_name}, {emergency_number}, {police_number}, "
        "{protection_number}, {report_number}, {safe_distance}"
    )
    assert problems(project, "Bad_Name") == [
        f"{where}:1: the file name names the campaign: lower-case letters, digits and dashes",
        f"{where}:2: unknown field 'colour' (a campaign has note, text, sms, audience, schedule, survey)",
        f"{where}:9: unknown audience field 'ages' (an audience has countries, regions, languages, channels, "
        "tracks)",
        f"{where}:4: unknown country 'atlantis' (known: cambodia, colombia, lebanon, ukraine)",
        f"{where}:5: unknown region 'gotham' (not a region or district id of "
        "content/regions/{ukraine,atlantis}.yml)",
        f"{where}:6: unknown language 'de' (known: en, fr, es, uk, ar, km)",
        f"{where}:7: unknown channel 'whatsapp' (known: telegram, sms)",
        f"{where}:8: unknown track 'pilots' (known: children, disability, drivers, farmers, firewood, "
        "fishers_hunters, herders, older, parents, returnees, scrap)",
        f"{where}:10: 'schedule' has once and season: give only one of them",
        f"{where}:11: 'once': '2026-02-30' is not a date (YYYY-MM-DD)",
        f"{where}:12: season 'from': '02-29' is not a day of every year (MM-DD, not 02-29)",
        f"{where}:1: 'text': unknown placeholder {{hotline}} (a campaign may use {allowed})",
    ]


def test_a_file_without_text_or_schedule(project):
    write(project, "empty-ish", "audience: {countries: [ukraine]}\n")
    assert problems(project, "empty-ish") == [
        "content/campaigns/empty-ish.yml:1: 'text' (the English message) is missing",
        "content/campaigns/empty-ish.yml:1: 'schedule' is missing "
        "(once: YYYY-MM-DD, dates: [YYYY-MM-DD, ...] or season: {from: MM-DD, to: MM-DD})",
    ]


def campaign(
    text: str, sms: str, languages: str, when: str = "once: 2026-12-10", countries: str = "[ukraine]"
) -> str:
    return (
        f'text: "{text}"\nsms: "{sms}"\n'
        f"audience:\n  countries: {countries}\n  languages: {languages}\n"
        f"schedule:\n  {when}\n"
    )


def test_missing_translations_and_a_long_sms_will_not_send_an_error_when_it_is_soon(project):
    long_sms = "Do not touch it, do not move it. " * 16 + "Call {emergency_number}."
    write(project, "draft", campaign("A new message nobody translated.", long_sms, "[en, fr]"))
    where = "content/campaigns/draft.yml"
    missing = "not in the catalog (run `bot content update`, then translate it)"
    found = campaigns_problems(project, TODAY, ["draft"])
    assert [str(p) for p in found] == [
        f"{where}:2: will not send: en sms: 4 SMS segments in ukraine, over the budget of 3 (shorten 'sms')",
        f"{where}:1: will not send: fr telegram: {missing}",
        f"{where}:2: will not send: fr sms: {missing}",
    ]
    assert not any(p.warning for p in found)
    # Months before it sends, the same problems are warnings: translators still have time.
    later = campaigns_problems(project, date(2026, 10, 1), ["draft"])
    assert [p.message for p in later] == [p.message for p in found] and all(p.warning for p in later)


def test_a_country_without_the_number_a_text_needs_will_not_send_there(project):
    write(
        project,
        "generic",
        campaign(FLOOD_TEXT, FLOOD_SMS, "[en]", countries="[ukraine]").replace(
            "  countries: [ukraine]\n", ""
        ),
    )
    where = "content/campaigns/generic.yml"
    assert problems(project, "generic") == [
        f"{where}:1: will not send: en telegram: generic has no value for {{emergency_number}}",
        f"{where}:2: will not send: en sms: generic has no value for {{emergency_number}}",
    ]


def test_an_edited_english_text_is_fuzzy_in_the_catalogs_and_the_campaign_will_not_send(project, monkeypatch):
    path = project.campaigns / "flood-season.yml"
    text = path.read_text(encoding="utf-8")
    assert text.count("call {emergency_number}. Reply STOP") == 1
    path.write_text(
        text.replace("call {emergency_number}. Reply", "call {emergency_number} now. Reply"), encoding="utf-8"
    )
    monkeypatch.chdir(project.root)
    assert main(["--root", str(project.root), "content", "update"]) == 0
    pot = (project.locales / "messages.pot").read_text(encoding="utf-8")
    assert "#. campaign:flood-season:sms\n#: content/campaigns/flood-season.yml:13\n" in pot
    assert "#. campaign:harvest-season:text\n#: content/campaigns/harvest-season.yml:4\n" in pot
    found = campaigns_problems(project, date(2027, 5, 1), ["flood-season"])
    edited = load_campaign(path).sms
    lines = {}
    for language in ("fr", "es", "uk", "ar", "km"):
        po = (project.locales / language / "LC_MESSAGES" / "messages.po").read_text(encoding="utf-8")
        lines[language] = po.splitlines().index(f'msgid "{edited}"') + 1
    assert found == [
        Problem(
            "content/campaigns/flood-season.yml",
            13,
            f"will not send: {language} sms: translation fuzzy (the English text changed: review it) at "
            f"locales/{language}/LC_MESSAGES/messages.po:{lines[language]}",
        )
        for language in ("fr", "es", "uk", "ar", "km")
    ]


def test_each_language_and_channel_is_rendered_from_the_catalogs_with_the_country_numbers():
    renderer = CampaignRenderer(
        Catalogs.load(SHIPPED.locales), CampaignRenderer.for_project(SHIPPED).profiles
    )
    flood = load_campaign(SHIPPED.campaigns / "flood-season.yml")
    km_sms = renderer.render(flood, "km", "sms", "KH")
    assert km_sms.text == (
        "ទឹកជំនន់អាចរំកិលមីនទៅវាលស្រែ ផ្លូវ និងមាត់ទន្លេ។ កុំប៉ះអ្វីដែលទឹកនាំមក។ នៅឱ្យឆ្ងាយ ប្រាប់អ្នកដទៃ ទូរសព្ទ 117។ ផ្ញើ STOP ដើម្បីឈប់។"
    )
    assert km_sms.segments == 2
    en_sms = renderer.render(flood, "en", "sms", "ukraine")
    assert en_sms.text == (
        "Floods can move mines to fields, paths and river banks. Do not touch anything the water brought. "
        "Keep away, warn others, call 101. Reply STOP to stop."
    )
    assert en_sms.segments == 1
    fr_telegram = renderer.render(flood, "fr", "telegram", "colombia")
    assert fr_telegram.segments == 1
    assert (
        fr_telegram.text.startswith("La saison des pluies arrive.") and "appelez le 123." in fr_telegram.text
    )
    # A French SMS is sent in its GSM-7 spelling when that is cheaper (é is GSM-7 and stays; ê is not).
    fr_sms = renderer.render(flood, "fr", "sms", "ukraine")
    assert fr_sms.text == (
        "Les inondations peuvent déplacer des mines vers champs, chemins et berges. "
        "Ne touchez rien de ce que l'eau a apporté. Restez loin, prévenez, appelez le 101. STOP pour arreter."
    )
    assert fr_sms.segments == 2
