"""Importing the directory: idempotent, all-or-nothing, removed rows retired (SQLite and PostgreSQL)."""

import io

import sqlalchemy as sa

from bot.services.commands import import_services
from bot.services.store import all_services, services
from tests.services.helpers import csv_text, project, row, write


def run_import(paths, database, *files):
    out = io.StringIO()
    code = import_services(paths, [str(f) for f in files], database=database, out=out)
    return code, out.getvalue()


def snapshot(database):
    with database.engine.connect() as connection:
        rows = connection.execute(sa.select(services).order_by(services.c.pk)).mappings().all()
    return [dict(r) for r in rows]


def test_same_file_twice_gives_the_same_rows(app_database, tmp_path):
    paths = project(tmp_path)
    path = write(paths, "ua.csv", csv_text(row("a1", region="kharkiv"), row("a2", "legal")))
    assert run_import(paths, app_database, path) == (
        0,
        "1 file(s): 2 added, 0 updated, 0 unchanged, 0 retired\n",
    )
    first = snapshot(app_database)
    assert (
        run_import(paths, app_database, path)[1] == "1 file(s): 0 added, 0 updated, 2 unchanged, 0 retired\n"
    )
    assert snapshot(app_database) == first
    assert [(s.source, s.id, s.region) for s in all_services(app_database)] == [
        ("ua", "a1", "kharkiv"),
        ("ua", "a2", None),
    ]


def test_changed_row_is_updated_and_removed_row_retired_then_restored(app_database, tmp_path):
    paths = project(tmp_path)
    path = write(paths, "ua.csv", csv_text(row("a1"), row("a2")))
    run_import(paths, app_database, path)
    write(paths, "ua.csv", csv_text(row("a1", organisation="Renamed")))
    assert (
        run_import(paths, app_database, path)[1] == "1 file(s): 0 added, 1 updated, 0 unchanged, 1 retired\n"
    )
    stored = {s.id: s for s in all_services(app_database, include_retired=True)}
    assert stored["a1"].organisation == "Renamed" and not stored["a1"].retired
    assert stored["a2"].retired  # kept, not deleted, and not offered any more
    assert [s.id for s in all_services(app_database)] == ["a1"]
    write(paths, "ua.csv", csv_text(row("a1", organisation="Renamed"), row("a2")))
    assert (
        run_import(paths, app_database, path)[1] == "1 file(s): 0 added, 1 updated, 1 unchanged, 0 retired\n"
    )
    assert [s.id for s in all_services(app_database)] == ["a1", "a2"]


def test_rows_of_other_files_are_left_alone_unless_the_whole_directory_is_imported(app_database, tmp_path):
    paths = project(tmp_path)
    ua = write(paths, "ua.csv", csv_text(row("a1")))
    kh = write(paths, "kh.csv", csv_text(row("k1", country="cambodia")))
    run_import(paths, app_database, ua, kh)
    kh.unlink()
    run_import(paths, app_database, ua)
    assert {s.id for s in all_services(app_database)} == {"a1", "k1"}
    out = io.StringIO()
    assert import_services(paths, [], database=app_database, out=out) == 0  # default: the whole folder
    assert "1 retired" in out.getvalue()
    assert {s.id for s in all_services(app_database)} == {"a1"}


def test_a_file_with_problems_changes_nothing_and_exits_1(app_database, tmp_path):
    paths = project(tmp_path)
    good = write(paths, "good.csv", csv_text(row("a1"), row("a2")))
    run_import(paths, app_database, good)
    before = snapshot(app_database)
    write(paths, "good.csv", csv_text(row("a1", organisation="Changed"), row("a3")))  # valid on its own
    bad = write(paths, "bad.csv", csv_text(row("b1"), row("b2", categories="magic")))
    code, output = run_import(paths, app_database, good, bad)
    assert code == 1
    assert "content/services/bad.csv:4: unknown category 'magic'" in output
    assert output.endswith("1 problem(s) found: nothing was imported\n")
    assert snapshot(app_database) == before


def test_cli_import_exit_codes(tmp_path, monkeypatch, capsys):
    from bot.cli import main

    paths = project(tmp_path)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    write(paths, "ua.csv", csv_text(row("a1")))
    assert main(["--root", str(paths.root), "services", "import"]) == 0
    assert "1 added" in capsys.readouterr().out
    write(paths, "ua.csv", csv_text(row("a1", region="atlantis")))
    assert main(["--root", str(paths.root), "services", "import"]) == 1
    assert "content/services/ua.csv:3: unknown region 'atlantis'" in capsys.readouterr().out
    assert main(["--root", str(paths.root), "services", "import", str(tmp_path / "nope.csv")]) == 1
