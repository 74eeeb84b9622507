"""Every setting the assistant reads from its environment, parsed and checked in one place.

Entry points (`bot` commands, `bot serve`, the action server's modules, the
components Rasa builds from credentials.yml and endpoints.yml) build a
`Settings` once and pass it, or the values in it, to the code that needs them;
nothing else reads the environment. A bad value (a timeout that is not a
number, a webhook URL without http) stops the start with a message naming the
variable, instead of failing later in the middle of a conversation.

Not here: the channels' secrets in credentials.yml (TELEGRAM_BOT_USERNAME,
TWILIO_*, AT_*), which Rasa expands itself from ${VARS}, and variables only
passed through to the Rasa subprocesses (RASA_TELEMETRY_ENABLED,
SANIC_REQUEST_MAX_SIZE, TF_CPP_MIN_LOG_LEVEL). `.env.example` lists them all.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Mapping, Optional

from bot.retention.policy import Retention

BOT_HOME_ENV = "BOT_HOME"
DATABASE_URL_ENV = "DATABASE_URL"
CONNECT_TIMEOUT_ENV = "DATABASE_CONNECT_TIMEOUT"
STATEMENT_TIMEOUT_ENV = "DATABASE_STATEMENT_TIMEOUT"
MIGRATION_TIMEOUT_ENV = "DATABASE_MIGRATION_TIMEOUT"
PSEUDONYM_KEY_ENV = "PSEUDONYM_KEY"
ERASURE_RETRY_ENV = "ERASURE_RETRY_SECONDS"
HAZARD_WEBHOOK_URL_ENV = "HAZARD_WEBHOOK_URL"
PARTNER_WEBHOOKS_ENV = "PARTNER_WEBHOOKS"
TELEGRAM_TOKEN_ENV = "TELEGRAM_TOKEN"
TELEGRAM_SECRET_TOKEN_ENV = "TELEGRAM_SECRET_TOKEN"
TELEGRAM_API_BASE_URL_ENV = "TELEGRAM_API_BASE_URL"
ACTIONS_HOST_ENV = "SANIC_HOST"
REPLICA_NAME_ENV = "REPLICA_NAME"
INBOX_LEASE_ENV = "INBOX_LEASE_SECONDS"
REDIS_URL_ENV = "REDIS_URL"
RETAIN_CONVERSATIONS_ENV = "RETAIN_CONVERSATIONS_DAYS"
RETAIN_SMS_STATE_ENV = "RETAIN_SMS_STATE_DAYS"
RETAIN_REPORT_CONTACTS_ENV = "RETAIN_REPORT_CONTACTS_DAYS"
RETAIN_CLOSED_REFERRALS_ENV = "RETAIN_CLOSED_REFERRALS_DAYS"
RETAIN_OUTREACH_MESSAGES_ENV = "RETAIN_OUTREACH_MESSAGES_DAYS"
RETAIN_SURVEY_ANSWERS_ENV = "RETAIN_SURVEY_ANSWERS_DAYS"
BOT_ENV_ENV = "BOT_ENV"
BIND_HOST_ENV = "BIND_HOST"
ACTION_SERVER_TOKEN_ENV = "ACTION_SERVER_TOKEN"
OUTREACH_QUEUE_ENV = "OUTREACH_QUEUE"
OUTREACH_QUEUE_NAME_ENV = "OUTREACH_QUEUE_NAME"
OUTREACH_LEASE_ENV = "OUTREACH_LEASE_SECONDS"
OUTREACH_MAX_ATTEMPTS_ENV = "OUTREACH_MAX_ATTEMPTS"
OUTREACH_RETRY_ENV = "OUTREACH_RETRY_SECONDS"
SMS_SEND_RATE_ENV = "SMS_SEND_RATE"
SMTP_HOST_ENV = "SMTP_HOST"
SMTP_PORT_ENV = "SMTP_PORT"
SMTP_FROM_ENV = "SMTP_FROM"
SMS_PRICE_ENV = "SMS_PRICE_PER_SEGMENT"
# Every variable `Settings.from_environ` reads (tests check the list against the fields).
VARIABLES = (
    BOT_HOME_ENV,
    DATABASE_URL_ENV,
    CONNECT_TIMEOUT_ENV,
    STATEMENT_TIMEOUT_ENV,
    MIGRATION_TIMEOUT_ENV,
    PSEUDONYM_KEY_ENV,
    ERASURE_RETRY_ENV,
    HAZARD_WEBHOOK_URL_ENV,
    PARTNER_WEBHOOKS_ENV,
    TELEGRAM_TOKEN_ENV,
    TELEGRAM_SECRET_TOKEN_ENV,
    TELEGRAM_API_BASE_URL_ENV,
    ACTIONS_HOST_ENV,
    REPLICA_NAME_ENV,
    INBOX_LEASE_ENV,
    REDIS_URL_ENV,
    RETAIN_CONVERSATIONS_ENV,
    RETAIN_SMS_STATE_ENV,
    RETAIN_REPORT_CONTACTS_ENV,
    RETAIN_CLOSED_REFERRALS_ENV,
    RETAIN_OUTREACH_MESSAGES_ENV,
    RETAIN_SURVEY_ANSWERS_ENV,
    BOT_ENV_ENV,
    BIND_HOST_ENV,
    ACTION_SERVER_TOKEN_ENV,
    OUTREACH_QUEUE_ENV,
    OUTREACH_QUEUE_NAME_ENV,
    OUTREACH_LEASE_ENV,
    OUTREACH_MAX_ATTEMPTS_ENV,
    OUTREACH_RETRY_ENV,
    SMS_SEND_RATE_ENV,
    SMTP_HOST_ENV,
    SMTP_PORT_ENV,
    SMTP_FROM_ENV,
    SMS_PRICE_ENV,
)
# The value of a RETAIN_*_DAYS variable that keeps that data until it is erased on request.
NEVER = "never"
DEVELOPMENT = "development"
PRODUCTION = "production"
ENVIRONMENTS = (DEVELOPMENT, PRODUCTION)
DEFAULT_BIND_HOST = "127.0.0.1"
_MIN_ACTION_SERVER_TOKEN_CHARS = 16
DEFAULT_ERASURE_RETRY_SECONDS = 60.0
DEFAULT_INBOX_LEASE_SECONDS = 60.0
_MIN_PSEUDONYM_KEY_BYTES = 16
_MAX_RETAIN_DAYS = 36500
# Where the outreach job queue keeps its jobs: a SQLite file under var/, or Redis (REDIS_URL).
SQLITE_QUEUE = "sqlite"
REDIS_QUEUE = "redis"
QUEUES = (SQLITE_QUEUE, REDIS_QUEUE)


class SettingsError(ValueError):
    """An environment variable has a value the assistant cannot use (the message names it)."""


@dataclass(frozen=True)
class Timeouts:
    """Seconds a database call may wait: to connect (and for a pooled connection), per statement,
    and for a migration (including waiting for another process's)."""

    connect: float = 5.0
    statement: float = 5.0
    migration: float = 120.0


@dataclass(frozen=True)
class Scale:
    """What replicas behind a load balancer share and how they tell each other apart."""

    # REPLICA_NAME: this server's stable name among the replicas (None: the host's name, right
    # for one server per host); a restarted replica answers at once what its former run accepted.
    replica_name: Optional[str] = None
    # INBOX_LEASE_SECONDS: how long an accepted message stays with the replica that took it
    # without a renewal before another replica answers it (renewed three times per period).
    inbox_lease_seconds: float = DEFAULT_INBOX_LEASE_SECONDS
    # REDIS_URL: shared Telegram rate limits and button payloads across replicas (None: per process).
    redis_url: Optional[str] = None


@dataclass(frozen=True)
class Outreach:
    """How campaigns, alerts, follow-ups and partner notifications go (README "Alerts and campaigns")."""

    # OUTREACH_QUEUE: "sqlite" (a file under var/, one machine) or "redis" (REDIS_URL: workers on
    # any number of machines).
    queue: str = SQLITE_QUEUE
    # OUTREACH_QUEUE_NAME: the queue's name (its Redis keys), distinct per assistant sharing a Redis.
    queue_name: str = "eore-outreach"
    # OUTREACH_LEASE_SECONDS: how long a worker holds a message it is sending; a worker that dies
    # leaves it to another once this has passed.
    lease_seconds: float = 120.0
    # OUTREACH_MAX_ATTEMPTS: sends of one message before it is recorded as failed.
    max_attempts: int = 5
    # OUTREACH_RETRY_SECONDS: the wait before the first retry, doubled after each (up to an hour).
    retry_seconds: float = 30.0
    # SMS_SEND_RATE: messages a second each SMS gateway is sent, across every worker.
    sms_send_rate: int = 10
    # SMTP_HOST, SMTP_PORT, SMTP_FROM: the mail server partner notifications by e-mail go through.
    smtp_host: Optional[str] = None
    smtp_port: int = 25
    smtp_from: Optional[str] = None


@dataclass(frozen=True)
class Settings:
    """The assistant's settings; the defaults are those of an unset environment."""

    # BOT_HOME: the project folder (domain.yml, locales/, content/); None: the current directory.
    home: Optional[Path] = None
    # DATABASE_URL (postgres:// spelled postgresql://); None: SQLite at var/app.db.
    database_url: Optional[str] = None
    # DATABASE_CONNECT_TIMEOUT, DATABASE_STATEMENT_TIMEOUT, DATABASE_MIGRATION_TIMEOUT.
    timeouts: Timeouts = field(default_factory=Timeouts)
    # PSEUDONYM_KEY; None: a random key generated once in var/pseudonym.key.
    pseudonym_key: Optional[str] = None
    # ERASURE_RETRY_SECONDS: the first wait before a failed erasure is tried again.
    erasure_retry_seconds: float = DEFAULT_ERASURE_RETRY_SECONDS
    # HAZARD_WEBHOOK_URL; None: reports are not forwarded.
    hazard_webhook_url: Optional[str] = None
    # PARTNER_WEBHOOKS: "partner_id=https://...,other=https://...": where referral partners
    # (content/services/partners.yml) are told of referrals; URLs may hold secrets, so not in content.
    partner_webhooks: Mapping[str, str] = field(default_factory=dict)
    # TELEGRAM_TOKEN, TELEGRAM_SECRET_TOKEN: for `bot telegram set-webhook` and `poll`.
    telegram_token: Optional[str] = None
    telegram_secret_token: Optional[str] = None
    # TELEGRAM_API_BASE_URL; None: Telegram's own (a test server sets its own).
    telegram_api_base_url: Optional[str] = None
    # SANIC_HOST: the address the action server listens on (rasa-sdk's variable); None: BIND_HOST.
    actions_host: Optional[str] = None
    # Scale-out (README "Running at scale"):
    scale: Scale = field(default_factory=Scale)
    # Retention (README "Data kept, and for how long"): RETAIN_*_DAYS, days or "never".
    retention: Retention = field(default_factory=Retention)
    # Private by default.
    # BOT_ENV: "development" or "production"; production refuses to start without PSEUDONYM_KEY
    # and ACTION_SERVER_TOKEN (nothing secret is generated and kept beside the data).
    environment: str = DEVELOPMENT
    # BIND_HOST: the address the Rasa server and the action server listen on (a load balancer
    # or reverse proxy in front reaches them; 0.0.0.0 exposes them to the network).
    bind_host: str = DEFAULT_BIND_HOST
    # ACTION_SERVER_TOKEN: the secret the Rasa server sends with every action call (endpoints.yml
    # `token:`); None in development: `bot` commands generate one per run.
    action_server_token: Optional[str] = None
    # Outreach sending: the job queue, retries, rates, mail server.
    outreach: Outreach = field(default_factory=Outreach)
    # SMS_PRICE_PER_SEGMENT: what the SMS gateway charges per segment, for the cost `bot campaigns
    # send NAME --dry-run` shows (in the gateway's currency); None: the cost is not shown.
    sms_price_per_segment: Optional[Decimal] = None

    @property
    def production(self) -> bool:
        """True when BOT_ENV says production (secrets must be given, never generated)."""
        return self.environment == PRODUCTION

    @property
    def action_server_host(self) -> str:
        """The action server's address: SANIC_HOST, else BIND_HOST."""
        return self.actions_host or self.bind_host

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> Settings:
        """Read and check every variable; raises SettingsError naming the first bad one."""
        home = _text(environ, BOT_HOME_ENV)
        key = _text(environ, PSEUDONYM_KEY_ENV)
        if key is not None and len(key.encode("utf-8")) < _MIN_PSEUDONYM_KEY_BYTES:
            raise SettingsError(f"{PSEUDONYM_KEY_ENV} must be at least {_MIN_PSEUDONYM_KEY_BYTES} bytes long")
        environment = _text(environ, BOT_ENV_ENV) or DEVELOPMENT
        if environment not in ENVIRONMENTS:
            raise SettingsError(
                f"{BOT_ENV_ENV} must be one of {', '.join(ENVIRONMENTS)}, not {environment!r}"
            )
        token = _text(environ, ACTION_SERVER_TOKEN_ENV)
        if token is not None and len(token) < _MIN_ACTION_SERVER_TOKEN_CHARS:
            raise SettingsError(
                f"{ACTION_SERVER_TOKEN_ENV} must be at least {_MIN_ACTION_SERVER_TOKEN_CHARS} characters long"
            )
        if environment == PRODUCTION:
            for name, value in ((PSEUDONYM_KEY_ENV, key), (ACTION_SERVER_TOKEN_ENV, token)):
                if value is None:
                    raise SettingsError(f"{name} must be set when {BOT_ENV_ENV}={PRODUCTION}")
        default = Timeouts()
        redis_url = _redis_url(_text(environ, REDIS_URL_ENV))
        return cls(
            home=Path(home) if home else None,
            database_url=_database_url(_text(environ, DATABASE_URL_ENV)),
            timeouts=Timeouts(
                connect=_seconds(environ, CONNECT_TIMEOUT_ENV, default.connect, positive=True),
                statement=_seconds(environ, STATEMENT_TIMEOUT_ENV, default.statement, positive=True),
                migration=_seconds(environ, MIGRATION_TIMEOUT_ENV, default.migration, positive=True),
            ),
            pseudonym_key=key,
            erasure_retry_seconds=_seconds(environ, ERASURE_RETRY_ENV, DEFAULT_ERASURE_RETRY_SECONDS),
            hazard_webhook_url=_url(environ, HAZARD_WEBHOOK_URL_ENV),
            partner_webhooks=_partner_webhooks(_text(environ, PARTNER_WEBHOOKS_ENV)),
            telegram_token=_text(environ, TELEGRAM_TOKEN_ENV),
            telegram_secret_token=_text(environ, TELEGRAM_SECRET_TOKEN_ENV),
            telegram_api_base_url=_url(environ, TELEGRAM_API_BASE_URL_ENV),
            actions_host=_text(environ, ACTIONS_HOST_ENV),
            scale=Scale(
                replica_name=_text(environ, REPLICA_NAME_ENV),
                inbox_lease_seconds=_seconds(
                    environ, INBOX_LEASE_ENV, DEFAULT_INBOX_LEASE_SECONDS, positive=True
                ),
                redis_url=redis_url,
            ),
            retention=_retention(environ),
            environment=environment,
            bind_host=_text(environ, BIND_HOST_ENV) or DEFAULT_BIND_HOST,
            action_server_token=token,
            outreach=_outreach(environ, redis_url),
            sms_price_per_segment=_price(environ, SMS_PRICE_ENV),
        )


def load_settings() -> Settings:
    """The settings of this process's environment (entry points call this once and pass it on)."""
    return Settings.from_environ(os.environ)


def settings_or_exit(environ: Mapping[str, str]) -> Settings:
    """Settings.from_environ for a command's start: a bad value exits with its message, no traceback."""
    try:
        return Settings.from_environ(environ)
    except SettingsError as error:
        raise SystemExit(f"{error} (see .env.example)") from error


def _text(environ: Mapping[str, str], name: str) -> Optional[str]:
    """The variable's value without surrounding blanks; None when unset or blank."""
    return environ.get(name, "").strip() or None


def _seconds(environ: Mapping[str, str], name: str, default: float, positive: bool = False) -> float:
    raw = _text(environ, name)
    if raw is None:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise SettingsError(f"{name} must be a number of seconds, not {raw!r}") from None
    if value != value or value in (float("inf"), float("-inf")):  # nan and inf parse as floats
        raise SettingsError(f"{name} must be a finite number of seconds, not {raw!r}")
    if positive and not value > 0:
        raise SettingsError(f"{name} must be a positive number of seconds, not {raw!r}")
    if value < 0:
        raise SettingsError(f"{name} must not be negative, not {raw!r}")
    return value


def _price(environ: Mapping[str, str], name: str) -> Optional[Decimal]:
    raw = _text(environ, name)
    if raw is None:
        return None
    try:
        value = Decimal(raw)
    except InvalidOperation:
        raise SettingsError(f"{name} must be a price such as 0.05, not {raw!r}") from None
    if not value.is_finite() or value < 0:
        raise SettingsError(f"{name} must be a price of 0 or more, such as 0.05, not {raw!r}")
    return value


def _url(environ: Mapping[str, str], name: str) -> Optional[str]:
    raw = _text(environ, name)
    if raw is not None and not raw.startswith(("http://", "https://")):
        raise SettingsError(f"{name} must be an http:// or https:// URL, not {raw!r}")
    return raw


def _partner_webhooks(raw: Optional[str]) -> dict[str, str]:
    webhooks: dict[str, str] = {}
    items = [item for item in (raw or "").replace("\n", ",").split(",") if item.strip()]
    for number, item in enumerate(items, start=1):
        partner, _, url = (part.strip() for part in item.partition("="))
        if not partner or not url.startswith(("http://", "https://")):
            # The URL may hold a secret: the error names the pair's position, never its text.
            raise SettingsError(
                f"{PARTNER_WEBHOOKS_ENV} must be partner_id=https://... pairs separated by commas "
                f"(pair {number} is not)"
            )
        webhooks[partner] = url
    return webhooks


def _database_url(raw: Optional[str]) -> Optional[str]:
    if raw is None:
        return None
    if "://" not in raw:
        raise SettingsError(f"{DATABASE_URL_ENV} must be a database URL such as postgresql://user@host/db")
    # Heroku-style "postgres://" is not a SQLAlchemy dialect name.
    return "postgresql://" + raw[len("postgres://") :] if raw.startswith("postgres://") else raw


def _redis_url(raw: Optional[str]) -> Optional[str]:
    if raw is not None and not raw.startswith(("redis://", "rediss://", "unix://")):
        raise SettingsError(f"{REDIS_URL_ENV} must be a redis://, rediss:// or unix:// URL, not {raw!r}")
    return raw


def _outreach(environ: Mapping[str, str], redis_url: Optional[str]) -> Outreach:
    default = Outreach()
    queue = (_text(environ, OUTREACH_QUEUE_ENV) or default.queue).lower()
    if queue not in QUEUES:
        raise SettingsError(f"{OUTREACH_QUEUE_ENV} must be one of {', '.join(QUEUES)}, not {queue!r}")
    if queue == REDIS_QUEUE and redis_url is None:
        raise SettingsError(f"{OUTREACH_QUEUE_ENV} must not be {REDIS_QUEUE} without {REDIS_URL_ENV}")
    return Outreach(
        queue=queue,
        queue_name=_text(environ, OUTREACH_QUEUE_NAME_ENV) or default.queue_name,
        lease_seconds=_seconds(environ, OUTREACH_LEASE_ENV, default.lease_seconds, positive=True),
        max_attempts=_count(environ, OUTREACH_MAX_ATTEMPTS_ENV, default.max_attempts),
        retry_seconds=_seconds(environ, OUTREACH_RETRY_ENV, default.retry_seconds),
        sms_send_rate=_count(environ, SMS_SEND_RATE_ENV, default.sms_send_rate),
        smtp_host=_text(environ, SMTP_HOST_ENV),
        smtp_port=_count(environ, SMTP_PORT_ENV, default.smtp_port),
        smtp_from=_text(environ, SMTP_FROM_ENV),
    )


def _count(environ: Mapping[str, str], name: str, default: int) -> int:
    """A whole positive number."""
    raw = _text(environ, name)
    if raw is None:
        return default
    if not (raw.isascii() and raw.isdigit()) or int(raw) < 1:
        raise SettingsError(f"{name} must be a whole positive number, not {raw!r}")
    return int(raw)


def _retention(environ: Mapping[str, str]) -> Retention:
    default = Retention()
    return Retention(
        conversations_days=_days(environ, RETAIN_CONVERSATIONS_ENV, default.conversations_days),
        sms_state_days=_days(environ, RETAIN_SMS_STATE_ENV, default.sms_state_days),
        report_contacts_days=_days(environ, RETAIN_REPORT_CONTACTS_ENV, default.report_contacts_days),
        closed_referrals_days=_days(environ, RETAIN_CLOSED_REFERRALS_ENV, default.closed_referrals_days),
        outreach_messages_days=_days(environ, RETAIN_OUTREACH_MESSAGES_ENV, default.outreach_messages_days),
        survey_answers_days=_days(environ, RETAIN_SURVEY_ANSWERS_ENV, default.survey_answers_days),
    )


def _days(environ: Mapping[str, str], name: str, default: Optional[int]) -> Optional[int]:
    """A whole positive number of days, or None for "never"."""
    raw = _text(environ, name)
    if raw is None:
        return default
    if raw.lower() == NEVER:
        return None
    # The bound keeps `now - period` a representable date; a century is "never" in practice.
    if not (raw.isascii() and raw.isdigit()) or not 0 < int(raw) <= _MAX_RETAIN_DAYS:
        raise SettingsError(
            f"{name} must be a whole number of days from 1 to {_MAX_RETAIN_DAYS}, or {NEVER!r}, not {raw!r}"
        )
    return int(raw)
