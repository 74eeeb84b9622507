"""`bot reports replay` and `bot reports forward` against a real database."""

from pathlib import Path

import pytest

from bot.cli import main
from bot.clock import utc_now
from bot.paths import ProjectPaths
from bot.reports import store
from bot.reports.commands import forward
from bot.reports.forward import RetryPolicy
from bot.reports.spool import Spool, save_report
from bot.settings import Settings
from bot.store.db import Database
from tests.factories import hazard_report


def use(monkeypatch: pytest.MonkeyPatch, database: Database) -> None:
    monkeypatch.setenv("DATABASE_URL", database.engine.url.render_as_string(hide_password=False))


def test_replay_command_moves_the_spool_and_reports_counts(
    app_database: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
):
    spool = Spool.for_var(tmp_path / "var")
    down = Database.from_url("postgresql://postgres@127.0.0.1:1/eore_down")
    report = hazard_report()
    assert save_report(report, down, spool).where == "spool"
    down.dispose()
    use(monkeypatch, app_database)

    assert main(["--root", str(tmp_path), "reports", "replay"]) == 0
    assert "inserted 1, already stored 0, quarantined 0, still spooled 0" in capsys.readouterr().out
    with app_database.sessions.begin() as session:
        assert store.get_report(session, report.id) == report


def test_forward_command_without_a_webhook_does_nothing(
    app_database: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    use(monkeypatch, app_database)
    monkeypatch.delenv("HAZARD_WEBHOOK_URL", raising=False)
    assert main(["--root", str(tmp_path), "reports", "forward"]) == 0


def test_forward_command_exits_1_while_reports_wait(app_database: Database, tmp_path: Path):
    with app_database.sessions.begin() as session:
        store.insert_report(session, hazard_report(), utc_now())
    url = app_database.engine.url.render_as_string(hide_password=False)
    settings = Settings(database_url=url, hazard_webhook_url="http://127.0.0.1:1/hook")
    assert forward(ProjectPaths(tmp_path), RetryPolicy(attempts=1, base_delay=0.0), settings) == 1
