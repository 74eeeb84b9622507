"""The app database's MetaData; each feature declares its tables on it in its own module."""

import importlib

import sqlalchemy as sa

# Stable constraint names, so Alembic migrations work the same on SQLite and PostgreSQL.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)

# Every module that declares app-database tables on `metadata`: the migrations must create
# exactly these (tests/store/test_migrations_match.py). The tracker store's pending_erasures
# (bot.privacy) lives in the tracker database, not here. Names, not imports: the stores import
# this module, so importing them here would be a cycle.
STORE_MODULES = (
    "bot.sms.store",
    "bot.services.store",
    "bot.reports.store",
    "bot.inbox.store",
    "bot.outreach.store",
)


def app_metadata() -> sa.MetaData:
    """`metadata` with every store's tables declared on it (imports the store modules)."""
    for module in STORE_MODULES:
        importlib.import_module(module)
    return metadata
