"""STOP with the conversation unreachable: the opt-out is kept and confirmed, the form is closed
when Rasa answers, and a Rasa that hangs or fails never holds the confirmation."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

import bot.channels.sms as sms_channel
from bot.channels.sms import SmsServices, TwilioInput
from bot.inbox.store import InboxItem
from bot.nlg import ResponseContext
from bot.paths import project_paths
from bot.sms.compose import OutgoingSms, compose
from bot.sms.gateways import InboundSms, Twilio
from bot.store.db import Database
from bot.store.pseudonym import Pseudonymizer
from tests.factories import PROJECT_ROOT

NUMBER = "+380501112233"


class TrackerStoreDown:
    async def retrieve(self, sender_id: str) -> Any:
        raise ConnectionError("tracker store down")


class Agent:
    tracker_store = TrackerStoreDown()


@pytest.fixture()
def channel(tmp_path: Path) -> TwilioInput:
    database = Database.from_url(f"sqlite:///{tmp_path / 'app.db'}").migrate()
    services = SmsServices.for_project(project_paths(PROJECT_ROOT), database, Pseudonymizer(b"k" * 32))
    gateway = Twilio("ACtest", "token", "+15550001111", "https://bot.example.org/webhooks/twilio/webhook")
    return TwilioInput(gateway, 3, services)


def stop_sms(channel: TwilioInput) -> InboxItem:
    return channel.inbox_item(InboundSms("twilio", "SM1", NUMBER, "STOP"), NUMBER)


def sent_by(channel: TwilioInput, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    sent: list[str] = []

    async def send_all(number: str, messages: list[OutgoingSms]) -> bool:
        sent.extend(sms.body for sms in messages)
        return True

    monkeypatch.setattr(channel, "send_all", send_all)
    return sent


def stopped_in_ukrainian(channel: TwilioInput) -> str:
    renderer = channel.services.renderer
    rendered = renderer.render(
        "utter_sms_stopped", ResponseContext("uk", renderer.profile("ukraine")), "sms", {}
    )
    assert rendered is not None
    return compose(str(rendered["text"]), [], 3).body


@pytest.mark.parametrize("rasa", ["fails", "hangs", "answers"])
def test_stop_is_confirmed_and_kept_whatever_rasa_does_and_ends_the_form_through_a_cancel(
    channel, monkeypatch, rasa
):
    # Before: STOP never reached the conversation (the report form stayed open), and with the
    # tracker store down the confirmation was never sent.
    sent = sent_by(channel, monkeypatch)
    monkeypatch.setattr(sms_channel, "STOP_TURN_TIMEOUT_S", 0.2, raising=False)
    turns: list[tuple[str, Any]] = []

    async def on_new_message(message: Any) -> None:
        turns.append((message.text, message.message_id))
        if rasa == "fails":
            raise ConnectionError("lock store down")
        if rasa == "hangs":
            await asyncio.Event().wait()
        message.output_channel.messages.append({"text": "not sent"})

    item = stop_sms(channel)
    asyncio.run(channel.handle(item, on_new_message, Agent()))
    assert sent == [stopped_in_ukrainian(channel)]
    assert channel.services.store.opted_out(channel.services.pseudonyms.of(NUMBER))
    # One cancel turn (its replies are not sent), under a message id of its own.
    assert turns == [("/cancel", f"{item.key}/stop")]
