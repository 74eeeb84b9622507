"""Alert subscriptions through the real servers (issue 17): Telegram (webhook + fake Bot API) and
SMS (Twilio webhook + fake gateway). The region is chosen by button, by SMS menu number or typed in
any script; the stored row keeps the language, country, region, channel and the sealed chat id or
number; typing "stop" in one's language, /stop, SMS STOP and "delete my data" remove it and stop
what the outbox still holds for the person. REST has no address: nothing is stored."""

from __future__ import annotations

from typing import Any, Optional

import pytest

from bot.nlg import ResponseContext
from bot.outreach.outbox import Outbox, Outgoing
from bot.outreach.store import CAMPAIGN, QUEUED, STOPPED, outreach_messages
from bot.outreach.subscriptions import Subscription, Subscriptions, address_sealer
from bot.services.regions import load_regions
from bot.store.db import Database
from bot.store.pseudonym import Pseudonymizer
from tests.assistant import Sms, Webhook, at_least, callback_data, new_chat_id, new_number, wait_for
from tests.channels.fake_telegram import FakeTelegram
from tests.factories import PROJECT_ROOT
from tests.servers import SHARED_PSEUDONYM_KEY, Shared
from tests.sms.expected import RENDERER, one, pages

pytestmark = pytest.mark.server

REGIONS = load_regions(PROJECT_ROOT / "content" / "regions")
PSEUDONYMS = Pseudonymizer(SHARED_PSEUDONYM_KEY.encode())
SEALER = address_sealer(PSEUDONYMS)
RUN = "campaign:test-alerts:2026-12-04"

# language -> (country, a request for alerts, the region typed in that script, its id)
TYPED = {
    "en": ("ukraine", "subscribe to alerts", "Kharkiv", "kharkiv"),
    "fr": ("lebanon", "je veux recevoir des alertes", "Beyrouth", "beirut"),
    "es": ("colombia", "quiero alertas por sms", "Nariño", "narino"),
    "uk": ("ukraine", "підписка на оповіщення", "Харків", "kharkiv"),
    "ar": ("lebanon", "أريد تلقي تنبيهات", "بيروت", "beirut"),
    "km": ("cambodia", "ខ្ញុំចង់ទទួលការព្រមាន", "បាត់ដំបង", "battambang"),
}
# The word utter_alerts_subscribed tells people to write to stop (content/sms_keywords.yml, stop).
STOP_WORD = {"en": "stop", "fr": "arrêt", "es": "parar", "uk": "стоп", "ar": "توقف", "km": "ឈប់"}


@pytest.fixture(scope="module")
def telegram(servers: Shared) -> FakeTelegram:
    return servers.telegram


@pytest.fixture(scope="module")
def webhook(servers: Shared) -> Webhook:
    return servers.webhook


@pytest.fixture(scope="module")
def sms(servers: Shared) -> Sms:
    return servers.sms


@pytest.fixture(scope="module")
def app_db(servers: Shared) -> Any:
    database = Database.from_url(servers.app_db)
    yield database
    database.dispose()


def shown(
    key: str, language: str, country: Optional[str], buttons: tuple = (), **values: Any
) -> tuple[str, list[str]]:
    """The text and button titles Telegram must show for response `key`."""
    context = ResponseContext(language, RENDERER.profile(country))
    rendered = RENDERER.render(key, context, "telegram", dict(values))
    assert rendered is not None, key
    return str(rendered["text"]), [str(b["title"]) for b in [*(rendered.get("buttons") or []), *buttons]]


def on_screen(sent: dict[str, Any]) -> tuple[str, list[str]]:
    keyboard = (sent.get("reply_markup") or {}).get("inline_keyboard") or []
    return str(sent["text"]), [button["text"] for row in keyboard for button in row]


def region_buttons(country: str, language: str) -> tuple[dict[str, str], ...]:
    """The buttons action_ask_alerts_region adds: each region's name, sending the name."""
    names = [region.name(language) for region in REGIONS[country].values()]
    return tuple({"title": name, "payload": name} for name in names)


class Chat:
    """One person's Telegram chat."""

    def __init__(self, webhook: Webhook, telegram: FakeTelegram, language: str) -> None:
        self.webhook, self.telegram, self.language = webhook, telegram, language
        self.chat_id = new_chat_id()
        self.seen = 0

    def replies(self, count: int) -> list[dict[str, Any]]:
        sent = wait_for(at_least(self.seen + count, lambda: self.telegram.sent_to(self.chat_id)))
        new = sent[self.seen : self.seen + count]
        self.seen += count
        return new

    def say(self, text: str, count: int = 1) -> list[dict[str, Any]]:
        self.webhook.say(self.chat_id, text, self.language)
        return self.replies(count)

    def press(self, sent: dict[str, Any], title: str, count: int = 1) -> list[dict[str, Any]]:
        self.webhook.press(self.chat_id, callback_data(sent, title), self.language)
        return self.replies(count)

    @property
    def pseudonym(self) -> str:
        return PSEUDONYMS.of(f"tg-{PSEUDONYMS.of(f'telegram:{self.chat_id}')[:32]}")


def subscription(app_db: Database, pseudonym: str) -> Optional[Subscription]:
    return Subscriptions(app_db).get(pseudonym)


def queue_campaign_message(app_db: Database, pseudonym: str) -> str:
    """A campaign message waiting in the outbox for the person; its key."""
    box = Outbox.sealed_with(app_db, PSEUDONYMS)
    (key,) = box.open_run(
        RUN + pseudonym[:8], CAMPAIGN, "test-alerts", [Outgoing(pseudonym, "sms", "x", "en", "hi")]
    )
    return key


def status_of(app_db: Database, key: str) -> str:
    query = outreach_messages.select().where(outreach_messages.c.key == key)
    with app_db.sessions.begin() as session:
        return str(session.execute(query).mappings().one()["status"])


def test_telegram_country_and_region_by_button_then_slash_stop(webhook, telegram, app_db):
    chat = Chat(webhook, telegram, "en")
    (country,) = chat.say("subscribe to alerts")
    assert on_screen(country) == shown("utter_ask_alerts_country", "en", None)
    (region,) = chat.press(country, "Ukraine")
    buttons = region_buttons("ukraine", "en")
    assert on_screen(region) == shown("utter_ask_alerts_region", "en", "ukraine", buttons)
    (done,) = chat.press(region, "Kharkiv")
    assert on_screen(done) == shown("utter_alerts_subscribed", "en", "ukraine", region="Kharkiv")
    row = subscription(app_db, chat.pseudonym)
    assert row is not None
    assert (row.channel, row.language, row.country, row.region, row.track) == (
        "telegram", "en", "ukraine", "kharkiv", None)  # fmt: skip
    assert SEALER.open(row.address) == str(chat.chat_id)
    key = queue_campaign_message(app_db, chat.pseudonym)
    assert status_of(app_db, key) == QUEUED
    (stopped,) = chat.say("/stop")
    assert on_screen(stopped) == shown("utter_unsubscribe", "en", "ukraine")
    assert subscription(app_db, chat.pseudonym) is None
    assert status_of(app_db, key) == STOPPED


@pytest.mark.parametrize("language", sorted(TYPED))
def test_telegram_region_typed_in_every_language_then_stop_typed(webhook, telegram, app_db, language):
    country, request, typed, region_id = TYPED[language]
    chat = Chat(webhook, telegram, language)
    (asked,) = chat.say(request)
    assert on_screen(asked) == shown("utter_ask_alerts_country", language, None)
    country_title = shown("utter_ask_alerts_country", language, None)[1][
        ["ukraine", "cambodia", "colombia", "lebanon"].index(country)
    ]
    (region,) = chat.press(asked, country_title)
    assert on_screen(region) == shown(
        "utter_ask_alerts_region", language, country, region_buttons(country, language)
    )
    (done,) = chat.say(typed)
    name = REGIONS[country][region_id].name(language)
    assert on_screen(done) == shown("utter_alerts_subscribed", language, country, region=name)
    row = subscription(app_db, chat.pseudonym)
    assert row is not None
    assert (row.channel, row.language, row.country, row.region) == ("telegram", language, country, region_id)
    assert SEALER.open(row.address) == str(chat.chat_id)
    (stopped,) = chat.say(STOP_WORD[language])
    assert on_screen(stopped) == shown("utter_unsubscribe", language, country)
    assert subscription(app_db, chat.pseudonym) is None


def test_telegram_delete_my_data_removes_the_subscription(webhook, telegram, app_db):
    chat = Chat(webhook, telegram, "uk")
    (asked,) = chat.say("підписка на оповіщення")
    chat.press(asked, shown("utter_ask_alerts_country", "uk", None)[1][0])  # Україна
    chat.say("Харків")
    assert subscription(app_db, chat.pseudonym) is not None
    key = queue_campaign_message(app_db, chat.pseudonym)
    (confirm,) = chat.say("/delete")
    assert on_screen(confirm) == shown("utter_delete_confirm", "uk", "ukraine")
    (done,) = chat.press(confirm, shown("utter_delete_confirm", "uk", "ukraine")[1][0])
    assert on_screen(done) == shown("utter_data_deleted", "uk", "ukraine")
    assert subscription(app_db, chat.pseudonym) is None
    assert status_of(app_db, key) == STOPPED


def sms_pseudonym(sms: Sms, number: str) -> str:
    return PSEUDONYMS.of(sms.conversation_of(number))


def test_sms_region_by_menu_number_then_stop(sms, app_db):
    number = new_number("ukraine")
    buttons = region_buttons("ukraine", "uk")
    question = pages("utter_ask_alerts_region", "uk", "ukraine", buttons)
    assert sms.say(number, "підписка на оповіщення", 1) == [question[0]]
    name = str(buttons[1]["title"])  # Харківська область
    assert question[0].splitlines()[1:3] == [f"1 {buttons[0]['title']}", f"2 {name}"]
    assert sms.say(number, "2", 1) == [one("utter_alerts_subscribed", "uk", "ukraine", {"region": name})]
    row = subscription(app_db, sms_pseudonym(sms, number))
    assert row is not None
    assert (row.channel, row.language, row.country, row.region) == ("sms", "uk", "ukraine", "kharkiv")
    assert SEALER.open(row.address) == number
    key = queue_campaign_message(app_db, row.pseudonym)
    assert sms.say(number, "STOP", 1) == [one("utter_sms_stopped", "uk", "ukraine")]
    assert subscription(app_db, row.pseudonym) is None
    assert status_of(app_db, key) == STOPPED


# language -> a typed request to stop alerts (data/nlu, unsubscribe), not an SMS keyword
SMS_UNSUBSCRIBE = {
    "en": ("ukraine", "i want to unsubscribe from alerts"),
    "fr": ("lebanon", "plus d alertes svp"),
    "es": ("colombia", "no mas notificaciones"),
    "uk": ("ukraine", "вимкнути оповіщення"),
    "ar": ("lebanon", "بدي الغي الاشتراك"),
    "km": ("cambodia", "បិទសារព្រមានតំបន់"),
}


@pytest.mark.parametrize("language", sorted(TYPED))
def test_sms_region_typed_in_every_language_then_unsubscribe_typed(sms, app_db, language):
    country, request, typed, region_id = TYPED[language]
    number = new_number(country)
    question = pages("utter_ask_alerts_region", language, country, region_buttons(country, language))
    assert sms.say(number, request, 1) == [question[0]]
    name = REGIONS[country][region_id].name(language)
    assert sms.say(number, typed, 1) == [one("utter_alerts_subscribed", language, country, {"region": name})]
    pseudonym = sms_pseudonym(sms, number)
    row = subscription(app_db, pseudonym)
    assert row is not None
    assert (row.channel, row.language, row.country, row.region) == ("sms", language, country, region_id)
    assert SEALER.open(row.address) == number
    assert sms.say(number, SMS_UNSUBSCRIBE[language][1], 1) == [one("utter_unsubscribe", language, country)]
    assert subscription(app_db, pseudonym) is None


def test_rest_has_no_address_so_nothing_is_stored(servers: Shared, app_db):
    rest = servers.rest
    sender = f"rest-alerts-{new_chat_id()}"
    assert rest.texts(sender, "subscribe to alerts") == [shown("utter_alerts_channel_only", "en", None)[0]]
    assert subscription(app_db, PSEUDONYMS.of(sender)) is None
