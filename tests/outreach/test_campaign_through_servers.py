"""The whole path of a campaign, as people and staff walk it (issue 17): people subscribe in the
conversation (Telegram webhook and SMS webhook of the running servers), one of them then sends STOP;
staff send a campaign to one region (`bot campaigns send`'s function); a real worker process sends
through the same fake Telegram Bot API and SMS gateway the servers answer through. Exactly the
region's remaining subscribers get it, once, in their own language, the SMS within the budget."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from bot.clock import utc_now
from bot.outreach import queue
from bot.outreach.campaign_commands import send
from bot.outreach.campaign_render import CampaignRenderer
from bot.outreach.campaigns import load_campaigns
from bot.outreach.store import FINAL, SENT, outreach_messages
from bot.outreach.subscriptions import Subscriptions
from bot.sms import DEFAULT_SEGMENT_BUDGET
from bot.store.db import Database
from bot.store.pseudonym import Pseudonymizer
from tests.assistant import Sms, at_least, new_chat_id, new_number, wait_for
from tests.channels.test_alert_subscriptions import REGIONS, Chat, on_screen, region_buttons, shown
from tests.factories import copy_project
from tests.outreach.workers import outreach_workers
from tests.servers import SHARED_PSEUDONYM_KEY, Shared
from tests.sms.expected import one, pages

pytestmark = pytest.mark.server

PSEUDONYMS = Pseudonymizer(SHARED_PSEUDONYM_KEY.encode())
CAMPAIGN = "kharkiv-floods"
KHARKIV = REGIONS["ukraine"]["kharkiv"]
COUNTRIES = ["ukraine", "cambodia", "colombia", "lebanon"]  # the order of the country buttons


def subscribe_on_telegram(
    servers: Shared, language: str, request: str, country: str, region: str, region_id: str
) -> Chat:
    """A new chat asks for alerts, presses its country and types its region."""
    chat = Chat(servers.webhook, servers.telegram, language)
    (asked,) = chat.say(request)
    title = shown("utter_ask_alerts_country", language, None)[1][COUNTRIES.index(country)]
    (question,) = chat.press(asked, title)
    assert on_screen(question) == shown(
        "utter_ask_alerts_region", language, country, region_buttons(country, language)
    )
    (done,) = chat.say(region)
    name = REGIONS[country][region_id].name(language)
    assert on_screen(done) == shown("utter_alerts_subscribed", language, country, region=name)
    return chat


def subscribe_by_sms(sms: Sms, language: str, request: str, region: str) -> str:
    """A new Ukrainian number asks for alerts and types its region; the number."""
    number = new_number("ukraine")
    buttons = region_buttons("ukraine", language)
    assert sms.say(number, request, 1) == [pages("utter_ask_alerts_region", language, "ukraine", buttons)[0]]
    assert sms.say(number, region, 1) == [
        one(
            "utter_alerts_subscribed",
            language,
            "ukraine",
            {"region": REGIONS["ukraine"]["kharkiv"].name(language)},
        )
    ]
    return number


def campaign_project(tmp_path: Path) -> Any:
    """A project copy with one campaign: the flood text, to Ukraine's Kharkiv region, today."""
    project = copy_project(tmp_path, files=("domain.yml", "babel.cfg"))
    flood = (project.campaigns / "flood-season.yml").read_text(encoding="utf-8")
    flood = flood.replace(
        "countries: [cambodia, colombia, ukraine]", "countries: [ukraine]\n  regions: [kharkiv]"
    )
    flood = flood.replace("season: {from: 05-01, to: 05-31}", f"once: {utc_now().date().isoformat()}")
    (project.campaigns / f"{CAMPAIGN}.yml").write_text(flood, encoding="utf-8")
    return project


def statuses(database: Database, run: str) -> dict[str, str]:
    """Each recipient of the run and the status of their message."""
    query = sa.select(outreach_messages.c.recipient, outreach_messages.c.status).where(
        outreach_messages.c.run_id == run
    )
    with database.sessions.begin() as session:
        return {str(recipient): str(status) for recipient, status in session.execute(query)}


def texts_to(servers: Shared, chat: Chat) -> list[str]:
    return [str(m["text"]) for m in servers.telegram.sent_to(chat.chat_id)]


def test_a_campaign_to_one_region_reaches_exactly_its_subscribers_through_the_servers(
    servers: Shared, tmp_path: Path
):
    english = subscribe_on_telegram(servers, "en", "subscribe to alerts", "ukraine", "Kharkiv", "kharkiv")
    ukrainian = subscribe_on_telegram(servers, "uk", "підписка на оповіщення", "ukraine", "Харків", "kharkiv")
    elsewhere = subscribe_on_telegram(servers, "km", "ខ្ញុំចង់ទទួលការព្រមាន", "cambodia", "បាត់ដំបង", "battambang")
    sms = servers.sms  # one client: it counts what each number was sent
    by_sms = subscribe_by_sms(sms, "uk", "підписка на оповіщення", "Харків")
    stopped = subscribe_by_sms(sms, "en", "subscribe to alerts", "Kharkiv")
    assert sms.say(stopped, "STOP", 1) == [one("utter_sms_stopped", "en", "ukraine")]
    never_asked = new_chat_id()  # wrote to the assistant, never subscribed
    servers.webhook.say(never_asked, "hello", "uk")
    # The greeting and the language question (onboarding), then nothing more until the campaign.
    wait_for(at_least(2, lambda: servers.telegram.sent_to(never_asked)))
    before = {
        "en": texts_to(servers, english),
        "uk": texts_to(servers, ukrainian),
        "km": texts_to(servers, elsewhere),
        "never": [str(m["text"]) for m in servers.telegram.sent_to(never_asked)],
        "sms": servers.gateway.bodies_to(by_sms),
        "stopped": servers.gateway.bodies_to(stopped),
    }

    project = campaign_project(tmp_path)
    campaign = load_campaigns(project)[CAMPAIGN]
    renderer = CampaignRenderer.for_project(project)
    expected_sms = renderer.render(campaign, "uk", "sms", "ukraine")
    assert expected_sms.segments <= DEFAULT_SEGMENT_BUDGET
    run = f"campaign:{CAMPAIGN}:{utc_now().date().isoformat()}"
    database = Database.from_url(servers.app_db)
    try:
        fakes = (servers.telegram, servers.gateway)
        with outreach_workers(
            project.root, servers.app_db, {"PSEUDONYM_KEY": SHARED_PSEUDONYM_KEY}, fakes
        ) as workers:

            def enqueue() -> Any:
                huey = queue.enqueue_only(workers.settings, workers.paths)
                return lambda keys: queue.dispatch(huey, keys)

            # The region's subscribers now: these five people's, and those earlier tests on these
            # servers left (tests of one file run one after another on one stack).
            region = Subscriptions(database).matching(countries=["ukraine"], regions=["kharkiv"])
            subscribed = {subscription.pseudonym for subscription in region}
            mine = {english.pseudonym, ukrainian.pseudonym, PSEUDONYMS.of(sms.conversation_of(by_sms))}
            assert mine <= subscribed
            assert {elsewhere.pseudonym, PSEUDONYMS.of(sms.conversation_of(stopped))}.isdisjoint(subscribed)
            out = io.StringIO()
            today = utc_now().date()
            assert send(project, database, PSEUDONYMS, CAMPAIGN, today, out, enqueue, wait=False) == 0
            n = len(subscribed)
            assert out.getvalue().splitlines()[0] == f"{run}: {n} message(s), {n} to send"
            workers.start()
            wait_for(lambda: set(statuses(database, run).values()) <= set(FINAL))
            sent = statuses(database, run)
            assert set(sent) == subscribed  # exactly the region's subscribers, each once
            assert {person: sent[person] for person in mine} == dict.fromkeys(mine, SENT)
            workers.processes[0].terminate()
            workers.processes[0].wait(timeout=30)
    finally:
        database.dispose()

    assert texts_to(servers, english) == before["en"] + [
        renderer.render(campaign, "en", "telegram", "ukraine").text
    ]
    assert texts_to(servers, ukrainian) == before["uk"] + [
        renderer.render(campaign, "uk", "telegram", "ukraine").text
    ]
    assert texts_to(servers, elsewhere) == before["km"]
    assert [str(m["text"]) for m in servers.telegram.sent_to(never_asked)] == before["never"]
    assert servers.gateway.bodies_to(by_sms) == before["sms"] + [expected_sms.text]
    assert servers.gateway.bodies_to(stopped) == before["stopped"]
