"""No chat id, phone number or message text in WARNING or ERROR logs (operators' logs travel
further than the data they describe): a scan of every logging call, and the failures that log."""

from __future__ import annotations

import ast
import asyncio
import logging
from pathlib import Path

import aiohttp
import pytest
import sqlalchemy as sa

from bot.channels.telegram import CallbackPayloads, RateLimiter, TelegramSender, build_bot
from bot.sms.gateways import SendRefusedError, Twilio
from bot.store.db import make_engine
from tests.channels.fake_sms_gateway import FakeSmsGateway
from tests.channels.fake_telegram import FakeTelegram
from tests.factories import PROJECT_ROOT

LOUD = {"warning", "error", "exception", "critical"}
# Names whose values are personal: a person's ids, numbers and words.
PERSONAL = {"chat_id", "sender_id", "sender", "number", "phone", "recipient_id", "contact", "body", "text"}
# Where such a name holds no person's data (file, name): why.
NOT_PERSONAL = {
    ("bot/responses.py", "text"): "a response template from domain.yml or a catalog",
}


def loud_logging_calls(path: Path) -> list[tuple[int, set[str]]]:
    """(line, names used in the arguments) of each logger.warning/error/exception/critical call."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in LOUD
            and isinstance(node.func.value, ast.Name)
            and node.func.value.id == "logger"
        ):
            names = set()
            for argument in [*node.args, *(k.value for k in node.keywords)]:
                for inner in ast.walk(argument):
                    if isinstance(inner, ast.Name):
                        names.add(inner.id)
                    elif isinstance(inner, ast.Attribute):
                        names.add(inner.attr)
            found.append((node.lineno, names))
    return found


def test_no_loud_log_call_passes_a_persons_id_or_words():
    offending = []
    for folder in ("bot", "actions"):
        for path in sorted((PROJECT_ROOT / folder).rglob("*.py")):
            relative = str(path.relative_to(PROJECT_ROOT))
            for line, names in loud_logging_calls(path):
                bad = {n for n in names & PERSONAL if (relative, n) not in NOT_PERSONAL}
                if bad:
                    offending.append(f"{relative}:{line} {sorted(bad)}")
    assert offending == []


def test_the_scan_sees_a_chat_id():
    source = 'logger.warning("failed for chat %s", incoming.chat_id)\nlogger.info("%s", text)\n'
    path = Path(__file__).parent / "__scan_probe.py"
    try:
        path.write_text(source, encoding="utf-8")
        assert loud_logging_calls(path) == [(1, {"incoming", "chat_id"})]
    finally:
        path.unlink()


def test_database_errors_do_not_quote_what_was_stored(tmp_path: Path):
    engine = make_engine(f"sqlite:///{tmp_path / 'x.db'}")
    table = sa.Table(
        "t", sa.MetaData(), sa.Column("id", sa.Integer, primary_key=True), sa.Column("v", sa.Text)
    )
    table.metadata.create_all(engine)
    with engine.begin() as connection:
        connection.execute(table.insert().values(id=1, v="I found a mine at 5 Main st"))
    with pytest.raises(sa.exc.IntegrityError) as refused, engine.begin() as connection:
        connection.execute(table.insert().values(id=1, v="my number is +380501234567"))
    assert "+380501234567" not in str(refused.value) and "hidden" in str(refused.value)
    engine.dispose()


def test_a_telegram_reply_that_fails_logs_no_chat_id_or_text(caplog: pytest.LogCaptureFixture):
    chat_id, words = 918273645, "the answer about the grenade"
    fake = FakeTelegram().start()
    try:
        sender = TelegramSender(build_bot("1:A", fake.base_url), RateLimiter(), CallbackPayloads())

        async def scenario() -> int:
            fake.fail_next(3, "500", "sendMessage")  # then refused for good
            fake.fail_next(1, "timeout", "sendMessage")
            try:
                parts = sender.parts([{"text": words}])
                return await sender.send_all(chat_id, parts)
            finally:
                await sender.bot.shutdown()

        with caplog.at_level(logging.WARNING):
            asyncio.run(scenario())
    finally:
        fake.stop()
    loud = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert loud, "the failures were logged"
    assert [m for m in loud if str(chat_id) in m or words in m] == []


def test_an_sms_the_gateway_refuses_logs_no_number(caplog: pytest.LogCaptureFixture):
    number = "+380501234567"
    gateway = FakeSmsGateway().start()
    try:
        gateway.refuse_next(1, body=f"The 'To' number {number} is not a valid phone number")
        twilio = Twilio("AC1", "token", "+15550001111", "https://bot.example.org/sms", api_url=gateway.url)

        async def scenario() -> None:
            async with aiohttp.ClientSession() as session:
                await twilio.send(session, number, "your answer")

        with caplog.at_level(logging.WARNING), pytest.raises(SendRefusedError) as refused:
            asyncio.run(scenario())
    finally:
        gateway.stop()
    assert number not in str(refused.value)
    assert [r for r in caplog.records if r.levelno >= logging.WARNING and number in r.getMessage()] == []
