"""The app database: URL choice, migrations on SQLite and PostgreSQL."""

from pathlib import Path

import sqlalchemy as sa

from bot.paths import ProjectPaths
from bot.store.db import Database, database_url, downgrade


def test_default_url_is_sqlite_under_var(tmp_path: Path):
    assert database_url(ProjectPaths(tmp_path), {}) == f"sqlite:///{tmp_path / 'var' / 'app.db'}"


def test_database_url_from_environment_and_heroku_style(tmp_path: Path):
    paths = ProjectPaths(tmp_path)
    assert database_url(paths, {"DATABASE_URL": "postgresql://u@h/db"}) == "postgresql://u@h/db"
    assert database_url(paths, {"DATABASE_URL": "postgres://u@h/db"}) == "postgresql://u@h/db"


def test_migrations_create_tables_and_are_idempotent(app_database: Database):
    app_database.migrate()
    Database(app_database.engine).migrate()  # a second process finds nothing to do
    tables = set(sa.inspect(app_database.engine).get_table_names())
    assert {"inbox", "sms_numbers", "alembic_version"} <= tables


def test_downgrade_to_base_removes_tables(app_database: Database):
    downgrade(app_database.engine, "base")
    assert "sms_numbers" not in sa.inspect(app_database.engine).get_table_names()
