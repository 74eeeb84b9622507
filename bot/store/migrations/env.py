"""Alembic environment: runs on the engine that `bot.store.db.alembic_config` passes in."""

from alembic import context

from bot.store.schema import metadata

engine = context.config.attributes["engine"]
with engine.connect() as connection:
    context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()
