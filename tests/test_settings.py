"""Settings: every variable read once, its default, and a clear error for a bad value."""

import dataclasses
import re
from decimal import Decimal
from pathlib import Path

import pytest

from bot.paths import ProjectPaths, project_paths
from bot.privacy import retry_wait
from bot.reports.forward import webhook_url
from bot.retention.policy import Retention
from bot.settings import VARIABLES, Outreach, Scale, Settings, SettingsError, Timeouts, settings_or_exit
from bot.store.db import Database, database_url
from bot.store.pseudonym import load_key
from tests.factories import PROJECT_ROOT

EVERYTHING = {
    "BOT_HOME": "/srv/eore",
    "DATABASE_URL": "postgresql://u@h/db",
    "DATABASE_CONNECT_TIMEOUT": "3",
    "DATABASE_STATEMENT_TIMEOUT": "2.5",
    "DATABASE_MIGRATION_TIMEOUT": "90",
    "PSEUDONYM_KEY": "k" * 32,
    "ERASURE_RETRY_SECONDS": "30",
    "HAZARD_WEBHOOK_URL": "https://bridge.example.org/reports",
    "PARTNER_WEBHOOKS": "rehab=https://rehab.example.org/hook, legal_aid = http://legal.example.org/in",
    "TELEGRAM_TOKEN": "123:abc",
    "TELEGRAM_SECRET_TOKEN": "s" * 20,
    "TELEGRAM_API_BASE_URL": "http://127.0.0.1:8081/bot",
    "SANIC_HOST": "10.0.0.5",
    "BOT_ENV": "production",
    "BIND_HOST": "0.0.0.0",
    "ACTION_SERVER_TOKEN": "t" * 32,
    "REPLICA_NAME": "rasa-2",
    "INBOX_LEASE_SECONDS": "20",
    "REDIS_URL": "redis://127.0.0.1:6379/3",
    "RETAIN_CONVERSATIONS_DAYS": "180",
    "RETAIN_SMS_STATE_DAYS": "never",
    "RETAIN_REPORT_CONTACTS_DAYS": "7",
    "RETAIN_CLOSED_REFERRALS_DAYS": "30",
    "RETAIN_OUTREACH_MESSAGES_DAYS": "never",
    "RETAIN_SURVEY_ANSWERS_DAYS": "400",
    "OUTREACH_QUEUE": "redis",
    "OUTREACH_QUEUE_NAME": "eore-outreach-2",
    "OUTREACH_LEASE_SECONDS": "90",
    "OUTREACH_MAX_ATTEMPTS": "7",
    "OUTREACH_RETRY_SECONDS": "10",
    "SMS_SEND_RATE": "4",
    "SMTP_HOST": "mail.example.org",
    "SMTP_PORT": "587",
    "SMTP_FROM": "eore@example.org",
    "SMS_PRICE_PER_SEGMENT": "0.05",
}
# What production needs beside BOT_ENV.
PRODUCTION_SECRETS = {"PSEUDONYM_KEY": "k" * 32, "ACTION_SERVER_TOKEN": "t" * 32}


def test_an_empty_environment_gives_the_defaults():
    assert Settings.from_environ({}) == Settings()
    assert Settings() == Settings(
        home=None,
        database_url=None,
        timeouts=Timeouts(connect=5.0, statement=5.0, migration=120.0),
        pseudonym_key=None,
        erasure_retry_seconds=60.0,
        hazard_webhook_url=None,
        telegram_token=None,
        telegram_secret_token=None,
        telegram_api_base_url=None,
        actions_host=None,
        environment="development",
        bind_host="127.0.0.1",
        action_server_token=None,
        scale=Scale(replica_name=None, inbox_lease_seconds=60.0, redis_url=None),
        retention=Retention(
            conversations_days=365, sms_state_days=30, report_contacts_days=90, closed_referrals_days=365
        ),
    )
    # Private by default: both servers listen on loopback only.
    assert Settings().action_server_host == "127.0.0.1"
    assert not Settings().production


def test_blank_values_count_as_unset():
    assert Settings.from_environ({name: "  " for name in VARIABLES}) == Settings()


def test_every_variable_is_read():
    assert set(EVERYTHING) == set(VARIABLES)
    assert Settings.from_environ(EVERYTHING) == Settings(
        home=Path("/srv/eore"),
        database_url="postgresql://u@h/db",
        timeouts=Timeouts(connect=3.0, statement=2.5, migration=90.0),
        pseudonym_key="k" * 32,
        erasure_retry_seconds=30.0,
        hazard_webhook_url="https://bridge.example.org/reports",
        partner_webhooks={
            "rehab": "https://rehab.example.org/hook",
            "legal_aid": "http://legal.example.org/in",
        },
        telegram_token="123:abc",
        telegram_secret_token="s" * 20,
        telegram_api_base_url="http://127.0.0.1:8081/bot",
        actions_host="10.0.0.5",
        environment="production",
        bind_host="0.0.0.0",
        action_server_token="t" * 32,
        scale=Scale(replica_name="rasa-2", inbox_lease_seconds=20.0, redis_url="redis://127.0.0.1:6379/3"),
        retention=Retention(
            conversations_days=180,
            sms_state_days=None,
            report_contacts_days=7,
            closed_referrals_days=30,
            outreach_messages_days=None,
            survey_answers_days=400,
        ),
        outreach=Outreach(
            queue="redis",
            queue_name="eore-outreach-2",
            lease_seconds=90.0,
            max_attempts=7,
            retry_seconds=10.0,
            sms_send_rate=4,
            smtp_host="mail.example.org",
            smtp_port=587,
            smtp_from="eore@example.org",
        ),
        sms_price_per_segment=Decimal("0.05"),
    )


def test_each_variable_changes_its_setting_only():
    default = Settings()
    for name, value in EVERYTHING.items():
        # Production refuses to start without its secrets, a queue in Redis without REDIS_URL.
        bases = {"BOT_ENV": PRODUCTION_SECRETS, "OUTREACH_QUEUE": {"REDIS_URL": EVERYTHING["REDIS_URL"]}}
        base = bases.get(name, {})
        before = Settings.from_environ(base) if base else default
        changed = Settings.from_environ({**base, name: value})
        differing = [
            f.name
            for f in dataclasses.fields(Settings)
            if getattr(changed, f.name) != getattr(before, f.name)
        ]
        assert len(differing) == 1, (name, differing)


def test_bind_host_moves_both_servers_and_sanic_host_only_the_action_server():
    assert Settings.from_environ({"BIND_HOST": "0.0.0.0"}).action_server_host == "0.0.0.0"
    assert (
        Settings.from_environ({"BIND_HOST": "0.0.0.0", "SANIC_HOST": "10.0.0.5"}).action_server_host
        == "10.0.0.5"
    )


@pytest.mark.parametrize("missing", ["PSEUDONYM_KEY", "ACTION_SERVER_TOKEN"])
def test_production_refuses_to_start_without_its_secrets(missing: str):
    environ = {"BOT_ENV": "production", **PRODUCTION_SECRETS}
    del environ[missing]
    with pytest.raises(SettingsError) as refused:
        Settings.from_environ(environ)
    assert str(refused.value) == f"{missing} must be set when BOT_ENV=production"
    with pytest.raises(SystemExit) as stopped:
        settings_or_exit(environ)
    assert stopped.value.code == f"{missing} must be set when BOT_ENV=production (see .env.example)"
    assert Settings.from_environ({"BOT_ENV": "production", **PRODUCTION_SECRETS}).production


def test_production_never_writes_a_key_beside_the_data(tmp_path: Path):
    with pytest.raises(SettingsError):
        load_key(tmp_path / "var", Settings(environment="production"))
    assert not (tmp_path / "var" / "pseudonym.key").exists()
    given = Settings.from_environ({"BOT_ENV": "production", **PRODUCTION_SECRETS})
    assert load_key(tmp_path / "var", given) == b"k" * 32
    assert not (tmp_path / "var").exists()


def test_heroku_style_database_url_is_spelled_for_sqlalchemy():
    assert Settings.from_environ({"DATABASE_URL": "postgres://u@h/db"}).database_url == "postgresql://u@h/db"


def test_zero_retry_seconds_retries_at_once():
    assert Settings.from_environ({"ERASURE_RETRY_SECONDS": "0"}).erasure_retry_seconds == 0.0


DAYS = "must be a whole number of days from 1 to 36500, or 'never', not "


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("DATABASE_CONNECT_TIMEOUT", "five", "must be a number of seconds, not 'five'"),
        ("DATABASE_STATEMENT_TIMEOUT", "0", "must be a positive number of seconds, not '0'"),
        ("DATABASE_MIGRATION_TIMEOUT", "-1", "must be a positive number of seconds, not '-1'"),
        ("DATABASE_CONNECT_TIMEOUT", "nan", "must be a finite number of seconds, not 'nan'"),
        ("ERASURE_RETRY_SECONDS", "soon", "must be a number of seconds, not 'soon'"),
        ("ERASURE_RETRY_SECONDS", "-5", "must not be negative, not '-5'"),
        ("HAZARD_WEBHOOK_URL", "example.org", "must be an http:// or https:// URL, not 'example.org'"),
        (
            "PARTNER_WEBHOOKS",
            "rehab=https://r.example.org,legal",
            "must be partner_id=https://... pairs separated by commas (pair 2 is not)",
        ),
        ("TELEGRAM_API_BASE_URL", "ftp://x", "must be an http:// or https:// URL, not 'ftp://x'"),
        ("PSEUDONYM_KEY", "short", "must be at least 16 bytes long"),
        ("ACTION_SERVER_TOKEN", "short", "must be at least 16 characters long"),
        ("BOT_ENV", "staging", "must be one of development, production, not 'staging'"),
        ("DATABASE_URL", "db.example.org", "must be a database URL such as postgresql://user@host/db"),
        ("INBOX_LEASE_SECONDS", "0", "must be a positive number of seconds, not '0'"),
        ("REDIS_URL", "127.0.0.1:6379", "must be a redis://, rediss:// or unix:// URL, not '127.0.0.1:6379'"),
        ("RETAIN_CONVERSATIONS_DAYS", "0", DAYS + "'0'"),
        ("RETAIN_SMS_STATE_DAYS", "-3", DAYS + "'-3'"),
        ("RETAIN_REPORT_CONTACTS_DAYS", "1.5", DAYS + "'1.5'"),
        ("RETAIN_CLOSED_REFERRALS_DAYS", "36501", DAYS + "'36501'"),
        ("RETAIN_CLOSED_REFERRALS_DAYS", "forever", DAYS + "'forever'"),
        ("RETAIN_CONVERSATIONS_DAYS", "٣٠", DAYS + "'٣٠'"),
        ("OUTREACH_QUEUE", "rabbitmq", "must be one of sqlite, redis, not 'rabbitmq'"),
        ("OUTREACH_QUEUE", "redis", "must not be redis without REDIS_URL"),
        ("OUTREACH_MAX_ATTEMPTS", "0", "must be a whole positive number, not '0'"),
        ("SMS_SEND_RATE", "2.5", "must be a whole positive number, not '2.5'"),
        ("OUTREACH_LEASE_SECONDS", "0", "must be a positive number of seconds, not '0'"),
        ("SMS_PRICE_PER_SEGMENT", "5 cents", "must be a price such as 0.05, not '5 cents'"),
        ("SMS_PRICE_PER_SEGMENT", "-0.05", "must be a price of 0 or more, such as 0.05, not '-0.05'"),
        ("SMS_PRICE_PER_SEGMENT", "NaN", "must be a price of 0 or more, such as 0.05, not 'NaN'"),
    ],
)
def test_a_bad_value_is_refused_with_a_message_naming_the_variable(name: str, value: str, message: str):
    with pytest.raises(SettingsError) as refused:
        Settings.from_environ({name: value})
    assert str(refused.value) == f"{name} {message}"


def test_secrets_are_not_repeated_in_errors():
    with pytest.raises(SettingsError) as refused:
        Settings.from_environ({"PSEUDONYM_KEY": "secret12"})
    assert "secret12" not in str(refused.value)
    with pytest.raises(SettingsError) as refused:
        Settings.from_environ({"DATABASE_URL": "user:pa55word@host"})
    assert "pa55word" not in str(refused.value)


def test_a_command_start_exits_with_the_message_and_no_traceback():
    with pytest.raises(SystemExit) as stopped:
        settings_or_exit({"DATABASE_STATEMENT_TIMEOUT": "abc"})
    assert (
        stopped.value.code
        == "DATABASE_STATEMENT_TIMEOUT must be a number of seconds, not 'abc' (see .env.example)"
    )


def test_settings_are_frozen():
    with pytest.raises(dataclasses.FrozenInstanceError):
        Settings().database_url = "sqlite://"  # type: ignore[misc]


def test_modules_take_their_values_from_the_settings_given(tmp_path: Path):
    settings = Settings.from_environ(EVERYTHING | {"BOT_HOME": str(tmp_path)})
    paths = ProjectPaths(tmp_path)
    assert project_paths(settings=settings) == paths
    assert project_paths(PROJECT_ROOT, settings) == ProjectPaths(PROJECT_ROOT.resolve())
    assert database_url(paths, settings) == "postgresql://u@h/db"
    assert database_url(paths, Settings()) == f"sqlite:///{tmp_path / 'var' / 'app.db'}"
    assert load_key(tmp_path / "var", settings) == b"k" * 32
    assert webhook_url(settings) == "https://bridge.example.org/reports"
    assert webhook_url(Settings()) is None
    assert [retry_wait(n, settings) for n in (1, 2, 8)] == [30.0, 60.0, 3600.0]
    database = Database.for_project(paths, Settings(timeouts=Timeouts(statement=2.0, migration=9.0)))
    assert database.timeouts == Timeouts(connect=5.0, statement=2.0, migration=9.0)
    database.dispose()


def test_without_a_pseudonym_key_one_is_generated_once(tmp_path: Path):
    first = load_key(tmp_path / "var", Settings())
    assert len(first) == 64 and load_key(tmp_path / "var", Settings()) == first


def test_env_example_lists_every_variable():
    text = (PROJECT_ROOT / ".env.example").read_text(encoding="utf-8")
    listed = set(re.findall(r"^#? ?([A-Z][A-Z0-9_]+)=", text, re.MULTILINE))
    assert set(VARIABLES) <= listed


# Where the environment may still be read: the settings, and entry points that pass the
# environment through to child processes (bot serve, training, the SMS simulator) or give it
# to credentials.yml's ${VARS} check.
READERS = {"bot/settings.py", "bot/cli.py", "actions/server.py", "bot/training.py", "bot/sms/simulate.py"}


def test_only_the_settings_and_entry_points_read_the_environment():
    readers = {
        str(path.relative_to(PROJECT_ROOT))
        for folder in ("bot", "actions")
        for path in (PROJECT_ROOT / folder).rglob("*.py")
        if re.search(r"os\.environ|getenv\(", path.read_text(encoding="utf-8"))
    }
    assert readers == READERS
