"""Alembic environment: always run with a connection handed in by store.migrate."""

from __future__ import annotations

from alembic import context
from sqlmodel import SQLModel

import store.models  # noqa: F401  (registers the tables on SQLModel.metadata)

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=SQLModel.metadata,
    render_as_batch=connection.dialect.name == "sqlite",  # SQLite can only ALTER by copying
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
