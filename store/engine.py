"""Engines and transactions: SQLite by default, any SQLAlchemy URL (PostgreSQL) by choice.

No engine exists at import time: callers build one with :func:`make_engine` and pass it down.
Write transactions on SQLite are ``BEGIN IMMEDIATE`` so that two processes never deadlock on a
read lock that wants to become a write lock; the busy timeout then makes the second one wait.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.orm import Session

from store.location import default_database_url

#: How long a SQLite writer waits for another process's write transaction before giving up.
SQLITE_BUSY_TIMEOUT_MS = 30_000

_READ_ONLY = "casedesk_read_only"


class DatabaseUrlError(ValueError):
    """The database URL is not one casedesk can open."""


def make_engine(url: str | None = None) -> Engine:
    """Build an engine for ``url`` (default: the embedded SQLite file), ready for casedesk."""
    url = url or default_database_url()
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise DatabaseUrlError(f"not a database URL: {_redact(url)}") from None
    if parsed.get_backend_name() == "sqlite":
        return _sqlite_engine(url)
    if parsed.get_backend_name() == "postgresql":
        if parsed.drivername == "postgresql":
            parsed = parsed.set(drivername="postgresql+psycopg")
        return create_engine(parsed, pool_pre_ping=True)
    raise DatabaseUrlError(
        f"unsupported database {parsed.get_backend_name()!r}: use sqlite or postgresql"
    )


def _sqlite_engine(url: str) -> Engine:
    parsed = make_url(url)
    database = parsed.database
    if database and database != ":memory:":
        path = Path(database).expanduser()
        if str(path) != database:
            # sqlite3 would open "~/x.db" under the current folder, beside the file checked
            # and created here in the home folder: open the same file everywhere.
            parsed = parsed.set(database=str(path))
        if not path.parent.is_dir():
            if url != default_database_url():
                # A mistyped --db would otherwise grow folders and a fresh, empty database.
                raise DatabaseUrlError(f"no such folder for the database: {path.parent}")
            path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        # The database file is the trust boundary on a shared host: create it private.
        if not path.exists():
            fd = os.open(path, os.O_CREAT | os.O_WRONLY, 0o600)
            os.close(fd)
    engine = create_engine(parsed, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000})

    @event.listens_for(engine, "connect")
    def _configure(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
        # Let SQLAlchemy's "begin" event emit BEGIN itself (pysqlite's own BEGIN is deferred).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(connection: Connection) -> None:
        if connection.get_execution_options().get(_READ_ONLY):
            connection.exec_driver_sql("BEGIN")
        else:
            connection.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


@contextmanager
def write_session(engine: Engine) -> Iterator[Session]:
    """One unit of work that writes: committed at the end, rolled back on any error."""
    with Session(engine, expire_on_commit=False) as session, session.begin():
        yield session


@contextmanager
def read_session(engine: Engine) -> Iterator[Session]:
    """A read-only unit of work: never takes SQLite's write lock."""
    with (
        engine.connect().execution_options(**{_READ_ONLY: True}) as connection,
        Session(bind=connection, expire_on_commit=False) as session,
    ):
        yield session


def _redact(url: str) -> str:
    """A URL fit for an error message: never the password."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return url.split("@")[-1][:200]


def describe_url(url: str) -> str:
    return _redact(url)
