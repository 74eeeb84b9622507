"""The migrations create exactly the tables, columns and indexes the stores declare (SQLite, PostgreSQL)."""

from __future__ import annotations

import ast
from typing import Any

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from bot.store.db import Database
from bot.store.schema import STORE_MODULES, app_metadata, metadata
from tests.factories import PROJECT_ROOT

# Tables of the app database (alembic_version is Alembic's own).
APP_TABLES = {
    *("sms_numbers", "services", "referrals", "hazard_reports", "inbox"),
    *("alert_subscriptions", "outreach_runs", "outreach_messages", "survey_responses", "survey_answers"),
}


def schema_diff(database: Database, target: sa.MetaData) -> list[Any]:
    """What Alembic's autogenerate would change to make the migrated database match `target`."""
    with database.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return list(compare_metadata(context, target))


def test_every_store_module_declares_its_tables_on_the_one_metadata():
    assert STORE_MODULES == (
        "bot.sms.store",
        "bot.services.store",
        "bot.reports.store",
        "bot.inbox.store",
        "bot.outreach.store",
    )
    assert {table.name for table in app_metadata().sorted_tables} == APP_TABLES


def _modules_importing_the_schema() -> set[str]:
    """Modules under bot/ and actions/ that import bot.store.schema (the migrations' env excepted)."""
    found = set()
    for folder in ("bot", "actions"):
        for path in (PROJECT_ROOT / folder).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.ImportFrom) and node.module == "bot.store.schema":
                    found.add(".".join(path.relative_to(PROJECT_ROOT).with_suffix("").parts))
    return found


def test_every_module_declaring_tables_is_in_the_list():
    # A store module missing from STORE_MODULES would be invisible to the migrations' env.
    assert _modules_importing_the_schema() == set(STORE_MODULES)


def test_migrations_produce_what_the_stores_declare(app_database: Database):
    assert schema_diff(app_database, app_metadata()) == []


def test_a_column_no_migration_creates_is_a_difference(app_database: Database):
    # A copy of the stores' tables with one more column: what a store edited without a migration declares.
    edited = sa.MetaData(naming_convention=metadata.naming_convention)
    for table in app_metadata().sorted_tables:
        table.to_metadata(edited)
    sa.Table("inbox", edited, sa.Column("priority", sa.Integer()), extend_existing=True)
    diff = schema_diff(app_database, edited)
    assert [(kind, table, column.name) for kind, _schema, table, column in diff] == [
        ("add_column", "inbox", "priority")
    ]


def test_an_index_no_migration_creates_is_a_difference(app_database: Database):
    edited = sa.MetaData(naming_convention=metadata.naming_convention)
    for table in app_metadata().sorted_tables:
        table.to_metadata(edited)
    sa.Index("ix_referrals_category", edited.tables["referrals"].c.category)
    diff = schema_diff(app_database, edited)
    assert [(kind, index.name) for kind, index in diff] == [("add_index", "ix_referrals_category")]


def test_a_table_no_store_declares_is_a_difference(app_database: Database):
    edited = sa.MetaData(naming_convention=metadata.naming_convention)
    for table in app_metadata().sorted_tables:
        if table.name != "sms_numbers":
            table.to_metadata(edited)
    diff = schema_diff(app_database, edited)
    assert [(kind, table.name) for kind, table in diff] == [("remove_table", "sms_numbers")]
