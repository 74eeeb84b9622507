"""deploy/endpoints.yml and deploy/credentials.yml, read by Rasa's own loaders with the environment set.

The tracker store built from the endpoints file stores and returns a conversation in
a real PostgreSQL database (tests/databases.py postgres_url).
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Dict

import pytest
import sqlalchemy as sa
import yaml
from rasa.core.lock_store import LockStore, RedisLockStore
from rasa.core.run import create_http_input_channels
from rasa.core.tracker_store import TrackerStore
from rasa.core.utils import AvailableEndpoints, read_endpoints_from_path
from rasa.shared.core.events import ActionExecuted, BotUttered, UserUttered
from rasa.shared.utils.io import read_config_file

from bot.channels.ops import OpsChannel
from bot.channels.rest import RestInput
from bot.channels.sms import AfricasTalkingInput, TwilioInput
from bot.channels.telegram import TelegramInput
from bot.store.tracker_store import ErasableSQLTrackerStore
from tests.factories import DOMAIN, PROJECT_ROOT

ENDPOINTS = PROJECT_ROOT / "deploy" / "endpoints.yml"
CREDENTIALS = PROJECT_ROOT / "deploy" / "credentials.yml"

ENDPOINT_VARIABLES = {
    "ACTION_SERVER_URL": "http://10.0.0.5:5055/webhook",
    "ACTION_SERVER_TOKEN": "a-long-shared-token-0123456789",
    "TRACKER_DATABASE_URL": "postgresql://eore:secret@db.internal:5432/eore_tracker",
    "REDIS_HOST": "redis.internal",
    "REDIS_PORT": "6380",
    "REDIS_DB": "2",
    "REDIS_PASSWORD": "",
}
CHANNEL_VARIABLES = {
    "TELEGRAM_TOKEN": "123456:ABCDEF",
    "TELEGRAM_SECRET_TOKEN": "telegram-secret-0123456789",
    "TELEGRAM_BOT_USERNAME": "eore_test_bot",
    "TWILIO_ACCOUNT_SID": "AC0123",
    "TWILIO_AUTH_TOKEN": "twilio-auth",
    "TWILIO_FROM_NUMBER": "+15550001111",
    "TWILIO_PUBLIC_URL": "https://bot.example.org/webhooks/twilio/webhook",
    "AT_USERNAME": "sandbox",
    "AT_API_KEY": "at-api-key",
    "AT_WEBHOOK_KEY": "at-webhook-key-0123456789",
}


def set_environment(monkeypatch: pytest.MonkeyPatch, variables: Dict[str, str]) -> None:
    for name, value in variables.items():
        monkeypatch.setenv(name, value)


@pytest.fixture()
def endpoints(monkeypatch: pytest.MonkeyPatch) -> AvailableEndpoints:
    set_environment(monkeypatch, ENDPOINT_VARIABLES)
    return read_endpoints_from_path(ENDPOINTS)


def test_the_action_endpoint_is_the_action_server_with_its_token(endpoints: AvailableEndpoints) -> None:
    assert endpoints.action is not None
    assert (endpoints.action.url, endpoints.action.token, endpoints.action.token_name) == (
        "http://10.0.0.5:5055/webhook",
        "a-long-shared-token-0123456789",
        "token",
    )
    assert endpoints.action.kwargs == {}


def test_the_tracker_store_is_the_erasable_store_on_the_given_url(endpoints: AvailableEndpoints) -> None:
    store = endpoints.tracker_store
    assert store is not None
    assert (store.type, store.url, store.kwargs) == (
        "bot.store.tracker_store.ErasableSQLTrackerStore",
        "postgresql://eore:secret@db.internal:5432/eore_tracker",
        {},
    )
    # Rasa passes `url` as `host`; a host with "://" is used whole as the database URL.
    assert ErasableSQLTrackerStore.get_db_url(host=store.url) == store.url


def test_the_lock_store_is_rasas_redis_store_on_the_given_host(endpoints: AvailableEndpoints) -> None:
    config = endpoints.lock_store
    assert config is not None
    assert (config.type, config.url) == ("redis", "redis.internal")
    assert config.kwargs == {"port": "6380", "db": "2", "password": "", "key_prefix": "eore"}
    lock_store = LockStore.create(config)
    assert isinstance(lock_store, RedisLockStore)
    connection = lock_store.red.connection_pool.connection_kwargs
    assert (connection["host"], connection["port"], connection["db"]) == ("redis.internal", 6380, 2)
    assert not connection["password"]  # empty: no AUTH
    assert lock_store.key_prefix == "eore:lock:"


def test_the_nlg_is_the_localized_one(endpoints: AvailableEndpoints) -> None:
    assert endpoints.nlg is not None
    assert endpoints.nlg.type == "bot.nlg.LocalizedNLG"


@pytest.mark.parametrize("missing", sorted(set(ENDPOINT_VARIABLES) - {"REDIS_PASSWORD"}))
def test_rasa_refuses_the_endpoints_when_a_variable_is_unset(
    monkeypatch: pytest.MonkeyPatch, missing: str
) -> None:
    set_environment(monkeypatch, ENDPOINT_VARIABLES)
    monkeypatch.delenv(missing)
    with pytest.raises(Exception, match=missing):
        read_endpoints_from_path(ENDPOINTS)


def test_the_tracker_store_from_the_endpoints_file_keeps_a_conversation_in_postgresql(
    monkeypatch: pytest.MonkeyPatch, postgres_url: str, tmp_path: Path
) -> None:
    set_environment(monkeypatch, {**ENDPOINT_VARIABLES, "TRACKER_DATABASE_URL": postgres_url})
    # What the store reads when it first needs app data: nothing under the project's var/.
    monkeypatch.setenv("BOT_HOME", str(tmp_path))
    monkeypatch.setenv("DATABASE_URL", postgres_url)
    monkeypatch.setenv("PSEUDONYM_KEY", "k" * 32)
    endpoints = read_endpoints_from_path(ENDPOINTS)
    store = TrackerStore.create(endpoints.tracker_store, DOMAIN)
    assert isinstance(store, ErasableSQLTrackerStore)
    assert store.engine.url.render_as_string(hide_password=False) == postgres_url
    try:
        tracker = asyncio.run(store.get_or_create_tracker("deploy-alice"))
        tracker.update(UserUttered("hello"))
        tracker.update(ActionExecuted("utter_greet"))
        tracker.update(BotUttered("hi"))
        asyncio.run(store.save(tracker))

        again = asyncio.run(store.retrieve("deploy-alice"))
        assert again is not None
        assert [(type(e).__name__, getattr(e, "text", None)) for e in again.events][-3:] == [
            ("UserUttered", "hello"),
            ("ActionExecuted", None),
            ("BotUttered", "hi"),
        ]
        # In PostgreSQL itself, seen by another connection.
        engine = sa.create_engine(postgres_url)
        try:
            with engine.connect() as connection:
                rows = connection.execute(
                    sa.text("SELECT type_name FROM events WHERE sender_id = 'deploy-alice' ORDER BY id")
                ).scalars()
                assert list(rows)[-3:] == ["user", "action", "bot"]
        finally:
            engine.dispose()
    finally:
        store.engine.dispose()


# ---------------------------------------------------------------- credentials


def test_the_deploy_credentials_list_the_shipped_channels_with_the_same_options() -> None:
    shipped = yaml.safe_load((PROJECT_ROOT / "credentials.yml").read_text(encoding="utf-8"))
    deployed = yaml.safe_load(CREDENTIALS.read_text(encoding="utf-8"))
    assert list(deployed) == list(shipped)
    assert {name: sorted(entry or {}) for name, entry in deployed.items()} == {
        name: sorted(entry or {}) for name, entry in shipped.items()
    }


def test_rasa_reads_the_deploy_credentials_with_every_secret_from_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    set_environment(monkeypatch, CHANNEL_VARIABLES)
    assert read_config_file(str(CREDENTIALS)) == {
        "bot.channels.rest.RestInput": None,
        "bot.channels.ops.OpsChannel": None,
        "bot.channels.telegram.TelegramInput": {
            "token": "123456:ABCDEF",
            "secret_token": "telegram-secret-0123456789",
            "bot_username": "eore_test_bot",
        },
        "bot.channels.sms.TwilioInput": {
            "account_sid": "AC0123",
            "auth_token": "twilio-auth",
            "from_number": "+15550001111",
            "public_url": "https://bot.example.org/webhooks/twilio/webhook",
            "segment_budget": 3,
        },
        "bot.channels.sms.AfricasTalkingInput": {
            "username": "sandbox",
            "api_key": "at-api-key",
            "webhook_key": "at-webhook-key-0123456789",
            "segment_budget": 3,
        },
    }


def test_rasa_builds_every_channel_from_the_deploy_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    set_environment(monkeypatch, CHANNEL_VARIABLES)
    channels = create_http_input_channels(None, str(CREDENTIALS))
    assert [type(c) for c in channels] == [
        RestInput,
        OpsChannel,
        TelegramInput,
        TwilioInput,
        AfricasTalkingInput,
    ]
    telegram, twilio, africastalking = channels[2:]
    assert isinstance(telegram, TelegramInput)
    assert (telegram.secret_token, telegram.identity.username) == (
        "telegram-secret-0123456789",
        "eore_test_bot",
    )
    assert isinstance(twilio, TwilioInput)
    assert twilio.gateway.public_url == "https://bot.example.org/webhooks/twilio/webhook"  # type: ignore[attr-defined]
    assert isinstance(africastalking, AfricasTalkingInput)
    assert africastalking.gateway.webhook_key == "at-webhook-key-0123456789"  # type: ignore[attr-defined]
