"""Alembic environment: runs on the connection (holding the migration lock) or the engine that
`bot.store.db.alembic_config` passes in."""

from alembic import context
from sqlalchemy.engine import Connection

from bot.store.schema import app_metadata


def _run(connection: Connection) -> None:
    context.configure(connection=connection, target_metadata=app_metadata(), render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


if context.config.attributes.get("connection") is not None:
    _run(context.config.attributes["connection"])
else:
    with context.config.attributes["engine"].connect() as connection:
        _run(connection)
