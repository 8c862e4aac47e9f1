"""The body of every service's Alembic ``env.py``: run migrations on the engine it is given."""

from __future__ import annotations

from typing import Any

from sqlalchemy import MetaData


def run_migrations(context: Any, target_metadata: MetaData) -> None:
    """Run online migrations on ``config.attributes['engine']`` (set by :func:`shared.db.upgrade`)."""
    engine = context.config.attributes.get("engine")
    if engine is None:
        raise RuntimeError("run migrations through shared.db.upgrade (or `amparo migrate`), not bare alembic")
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=connection.dialect.name == "sqlite",
            transaction_per_migration=True,
            version_table=context.config.attributes["version_table"],
        )
        with context.begin_transaction():
            context.run_migrations()
        connection.commit()
