"""Database down -> spooled -> replayed exactly once, including a real process killed mid-replay."""

import json
import os
import stat
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from bot.reports import store
from bot.reports.spool import Spool, save_report
from bot.store.db import Database
from tests.factories import PROJECT_ROOT, hazard_report

# Nothing listens on port 1: connecting fails at once, like a database server that is down.
DOWN_URL = "postgresql://postgres@127.0.0.1:1/eore_down"


@pytest.fixture()
def down_database():
    database = Database.from_url(DOWN_URL)
    yield database
    database.dispose()


def stored_ids(database: Database) -> list[str]:
    with database.sessions.begin() as session:
        return list(store.report_ids(session))


def test_saved_in_the_database_when_it_is_up(app_database: Database, tmp_path: Path):
    spool = Spool(tmp_path / "spool")
    report = hazard_report()
    outcome = save_report(report, app_database, spool)
    assert outcome.where == "database" and outcome.report == report
    assert stored_ids(app_database) == [report.id]
    assert spool.pending() == 0


def test_a_taken_reference_is_replaced_before_confirming(app_database: Database, tmp_path: Path):
    first = save_report(hazard_report(), app_database, Spool(tmp_path)).report
    second = save_report(hazard_report(reference=first.reference), app_database, Spool(tmp_path)).report
    assert second.reference != first.reference


def test_database_down_spools_then_replays_exactly_once(
    app_database: Database, down_database: Database, tmp_path: Path
):
    spool = Spool(tmp_path / "spool")
    reports = [hazard_report(), hazard_report(latitude=11.5, longitude=104.9, country="KH")]
    for report in reports:
        assert save_report(report, down_database, spool).where == "spool"
    assert spool.pending() == 2
    line = json.loads(spool.path.read_text().splitlines()[0])
    assert line["id"] == reports[0].id  # one JSON line per report

    still_down = spool.replay(down_database)
    assert (still_down.inserted, still_down.remaining) == (0, 2)
    assert spool.reports() == reports  # nothing dropped while the database is down

    result = spool.replay(app_database)
    assert (result.inserted, result.already_stored, result.remaining) == (2, 0, 0)
    assert spool.pending() == 0
    assert sorted(stored_ids(app_database)) == sorted(r.id for r in reports)
    with app_database.sessions.begin() as session:
        assert store.get_report(session, reports[1].id) == reports[1]

    again = spool.replay(app_database)
    assert again.inserted == 0 and len(stored_ids(app_database)) == 2


def test_bad_line_is_quarantined_and_a_torn_line_does_not_swallow_the_next(
    app_database: Database, down_database: Database, tmp_path: Path
):
    spool = Spool(tmp_path / "spool")
    first, second = hazard_report(), hazard_report()
    save_report(first, down_database, spool)
    with spool.path.open("ab") as handle:
        handle.write(b'{"id": "torn by a crash", "hazard')  # a writer killed mid-line
    save_report(second, down_database, spool)

    result = spool.replay(app_database)
    assert (result.inserted, result.quarantined, result.remaining) == (2, 1, 0)
    assert sorted(stored_ids(app_database)) == sorted([first.id, second.id])
    assert spool.quarantine_path.read_text() == '{"id": "torn by a crash", "hazard\n'


def test_erasure_reaches_spooled_contact_details(down_database: Database, tmp_path: Path):
    spool = Spool(tmp_path / "spool")
    mine = hazard_report(conversation="a" * 64, contact_consent=True, contact="+380501234567")
    other = hazard_report(conversation="b" * 64, contact_consent=True, contact="+380509999999")
    save_report(mine, down_database, spool)
    save_report(other, down_database, spool)
    assert spool.erase_contacts("a" * 64) == 1
    assert "+380501234567" not in spool.path.read_text()
    assert [r.contact for r in spool.reports()] == [None, "+380509999999"]


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_the_spool_stays_owner_only_after_every_rewrite(
    app_database: Database, down_database: Database, tmp_path: Path
):
    old_umask = os.umask(0o022)  # a usual umask: files open() creates are readable by everyone
    try:
        spool = Spool(tmp_path / "spool")
        mine = hazard_report(conversation="a" * 64, contact_consent=True, contact="+380501234567")
        save_report(mine, down_database, spool)
        save_report(hazard_report(), down_database, spool)
        assert mode(spool.path) == 0o600  # appended
        assert spool.erase_contacts("a" * 64) == 1
        assert mode(spool.path) == 0o600  # rewritten without the contact
        assert spool.replay(down_database).remaining == 2
        assert mode(spool.path) == 0o600
        save_report(hazard_report(), down_database, spool)
        with spool.path.open("ab") as handle:
            handle.write(b"not json\n")
        assert spool.replay(app_database).inserted == 3  # rewritten empty, one line quarantined
        assert (mode(spool.path), mode(spool.quarantine_path)) == (0o600, 0o600)
    finally:
        os.umask(old_umask)


CRASH_EXIT_CODE = 86
# Replays the spool; with a third argument, the process dies (os._exit: no cleanup at all)
# right after the first report is committed, before the spool is rewritten.
REPLAY_SCRIPT = textwrap.dedent(
    """
    import os, sys
    from pathlib import Path
    from bot.reports.spool import Spool
    from bot.store.db import Database

    def crash(report):
        os._exit(86)

    hook = {"after_insert": crash} if len(sys.argv) > 3 else {}
    print(Spool(Path(sys.argv[1])).replay(Database.from_url(sys.argv[2]), **hook))
    """
)


def test_killed_between_insert_and_spool_truncation_neither_duplicates_nor_loses(
    app_database: Database, down_database: Database, tmp_path: Path
):
    spool = Spool(tmp_path / "spool")
    reports = [hazard_report() for _ in range(3)]
    for report in reports:
        save_report(report, down_database, spool)
    url = app_database.engine.url.render_as_string(hide_password=False)

    crashed = subprocess.run(
        [sys.executable, "-c", REPLAY_SCRIPT, str(spool.directory), url, "crash"],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert crashed.returncode == CRASH_EXIT_CODE, crashed.stderr
    # The first report was committed, then the process died before the spool was rewritten.
    assert stored_ids(app_database) == [reports[0].id]
    assert spool.reports() == reports

    finished = subprocess.run(
        [sys.executable, "-c", REPLAY_SCRIPT, str(spool.directory), url],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert finished.returncode == 0, finished.stderr
    assert "inserted=2, already_stored=1, quarantined=0, remaining=0" in finished.stdout
    assert sorted(stored_ids(app_database)) == sorted(r.id for r in reports)
    assert spool.pending() == 0
