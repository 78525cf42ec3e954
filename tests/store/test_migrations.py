"""Migrations: a database from nothing, and an upgrade that keeps the data (alembic)."""

from __future__ import annotations

from datetime import UTC, datetime

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text
from sqlmodel import SQLModel

from store.engine import make_engine
from store.migrate import (
    HEAD_REVISION,
    alembic_config,
    current_revision,
    head_revision,
    is_at_head,
    upgrade,
)


def test_creates_a_database_from_nothing(db_url):
    engine = make_engine(db_url)
    assert upgrade(engine) is True
    assert current_revision(engine) == head_revision()
    tables = set(inspect(engine).get_table_names())
    assert {
        "space",
        "member",
        "asset",
        "finding",
        "report",
        "result_state",
        "state_change",
        "drift_event",
        "coverage",
    } <= tables
    # The migrations build exactly what the models describe: nothing missing, nothing extra.
    with engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), SQLModel.metadata)
    assert differences == []


def test_upgrading_an_up_to_date_database_changes_nothing(db_url):
    engine = make_engine(db_url)
    assert is_at_head(engine) is False  # nothing there yet
    upgrade(engine)
    assert is_at_head(engine) is True
    assert upgrade(engine) is False


def test_the_fast_head_check_names_the_newest_migration():
    # A new migration without a new HEAD_REVISION would be skipped on every existing database.
    assert head_revision() == HEAD_REVISION


def test_a_database_one_revision_behind_is_not_taken_for_head(db_url):
    engine = make_engine(db_url)
    upgrade(engine, "0002")
    assert is_at_head(engine) is False
    assert upgrade(engine) is True
    assert current_revision(engine) == HEAD_REVISION


def test_every_revision_upgrades_one_step_at_a_time_keeping_data(db_url):
    engine = make_engine(db_url)
    revisions = list(reversed(list(ScriptDirectory.from_config(alembic_config()).walk_revisions())))
    upgrade(engine, revisions[0].revision)
    with engine.begin() as connection:
        connection.execute(
            text("INSERT INTO space (name, created_at, created_by) VALUES ('kept', :at, 'alice')"),
            {"at": datetime(2026, 1, 1, tzinfo=UTC).replace(tzinfo=None)},
        )
    for revision in revisions[1:]:
        upgrade(engine, revision.revision)
        assert current_revision(engine) == revision.revision
    assert current_revision(engine) == head_revision()
    with engine.connect() as connection:
        assert connection.execute(text("SELECT name, created_by FROM space")).all() == [
            ("kept", "alice")
        ]


def test_sqlite_database_is_private_and_in_wal_mode(tmp_path):
    # The default file, in the data directory (XDG_DATA_HOME is tmp_path/data here), which
    # casedesk creates itself; another --db folder must exist already (test_usage).
    path = tmp_path / "data" / "casedesk" / "casedesk.db"
    engine = make_engine()
    upgrade(engine)
    assert path.stat().st_mode & 0o777 == 0o600
    assert path.parent.stat().st_mode & 0o777 == 0o700
    with engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
