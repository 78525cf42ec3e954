"""Bring a database's schema to the newest revision (alembic), from nothing or from old.

Every ``casedesk`` start calls :func:`upgrade`. Loading alembic and its scripts costs a few
hundred milliseconds, so a database already at :data:`HEAD_REVISION` is recognised with one
query and alembic is imported only when there is something to do.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError

from store.vocabulary import HEAD_REVISION

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
MIGRATION_LOCK = 0x63617365  # "case": the advisory lock key every casedesk migration takes


def alembic_config() -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def head_revision() -> str:
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None, "no migrations found"
    return head


def current_revision(engine: Engine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def is_at_head(engine: Engine) -> bool:
    """One cheap query: the database records exactly the newest revision."""
    try:
        with engine.connect() as connection:
            versions = connection.execute(text("SELECT version_num FROM alembic_version")).all()
    except DBAPIError:  # no version table yet: a new database
        return False
    return [row[0] for row in versions] == [HEAD_REVISION]


def upgrade(engine: Engine, revision: str = "head") -> bool:
    """Upgrade to ``revision``; returns True when the database was changed."""
    if revision == "head" and is_at_head(engine):
        return False
    from alembic import command

    target = head_revision() if revision == "head" else revision
    if current_revision(engine) == target:
        return False
    config = alembic_config()
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            # Several hosts may start at once on a new database: one migrates, the others wait
            # and then find nothing left to do. (SQLite's write transaction already does this.)
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK})
        config.attributes["connection"] = connection
        command.upgrade(config, revision)
    return True
