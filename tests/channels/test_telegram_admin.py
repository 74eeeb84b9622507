"""`bot telegram set-webhook` and `poll` never write the bot token (or the webhook secret) to
their output, though every Bot API URL holds the token."""

from __future__ import annotations

import logging
import subprocess
import sys
import time
from typing import Iterator

import pytest

from bot.channels.telegram_admin import REDACTED, RedactSecrets, keep_out_of_logs
from bot.serve import free_port, stop
from bot.training import rasa_environment
from tests.assistant import telegram_message
from tests.channels.fake_telegram import FakeTelegram
from tests.factories import PROJECT_ROOT

TOKEN = "987654:SECRET-bot-token-never-logged"
SECRET = "webhook-secret-never-logged"


@pytest.fixture()
def telegram() -> Iterator[FakeTelegram]:
    fake = FakeTelegram().start()
    yield fake
    fake.stop()


def environment(telegram: FakeTelegram) -> dict[str, str]:
    return {
        **rasa_environment(),
        "TELEGRAM_TOKEN": TOKEN,
        "TELEGRAM_SECRET_TOKEN": SECRET,
        "TELEGRAM_API_BASE_URL": telegram.base_url,
    }


def test_set_webhook_output_has_no_token(telegram: FakeTelegram):
    done = subprocess.run(
        [sys.executable, "-m", "bot.cli", "telegram", "set-webhook", "https://bot.example.org/hook"],
        cwd=PROJECT_ROOT,
        env=environment(telegram),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "Webhook set to https://bot.example.org/hook" in done.stdout
    assert telegram.calls_of("setWebhook")  # the token was used, in the URL
    output = done.stdout + done.stderr
    assert TOKEN not in output and SECRET not in output


def test_poll_output_has_no_token_even_when_calls_fail(telegram: FakeTelegram):
    telegram.pending_updates.append({"update_id": 777_000, **telegram_message(7777, "hello")})
    telegram.fail_next(1, "500", "getUpdates")  # logged: getUpdates failed
    nowhere = f"http://127.0.0.1:{free_port()}/webhooks/telegram/webhook"  # logged: could not forward
    poller = subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "telegram", "poll", "--url", nowhere],
        cwd=PROJECT_ROOT,
        env=environment(telegram),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and len(telegram.calls_of("getUpdates")) < 2:
            time.sleep(0.2)
        time.sleep(1)
    finally:
        stop([poller])
    output = poller.stdout.read().decode() if poller.stdout else ""
    assert "getUpdates failed" in output and "Could not forward update 777000" in output, output
    assert TOKEN not in output and SECRET not in output


def fail_with_the_token() -> None:
    raise ValueError(f"bad URL /bot{TOKEN}/x")


def test_the_filter_redacts_messages_arguments_and_tracebacks(caplog: pytest.LogCaptureFixture):
    logger = logging.getLogger("tests.redaction")
    redactor = keep_out_of_logs(TOKEN, SECRET, None)
    try:
        with caplog.at_level(logging.INFO):
            logger.warning("POST https://api.telegram.org/bot%s/getUpdates", TOKEN)
            logger.warning(f"header {SECRET}")
            try:
                fail_with_the_token()
            except ValueError:
                logger.exception("failed")
        text = caplog.text
    finally:
        for handler in logging.getLogger().handlers:
            handler.removeFilter(redactor)
    assert TOKEN not in text and SECRET not in text
    assert f"/bot{REDACTED}/getUpdates" in text and f"header {REDACTED}" in text
    assert f"ValueError: bad URL /bot{REDACTED}/x" in text
    assert logging.getLogger("httpx").level == logging.WARNING


def test_a_record_without_secrets_is_unchanged():
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "update %s of chat %s", (5, 7), None)
    assert RedactSecrets([TOKEN]).filter(record) and record.getMessage() == "update 5 of chat 7"
