"""The terminal app's first screen, read with the standard library before the data layer loads.

Importing SQLAlchemy, SQLModel and the services costs more than half a second, longer than
Textual takes to paint. So for a SQLite database that is already at the newest schema, the
command line reads what the case list shows first (the space, the user's role in it, the tab
counts, the first page of open cases, the data version) with :mod:`sqlite3`, in one read
transaction, and the app paints it while the services load behind it.

The queries answer exactly what :class:`worker.case_service.CaseService` answers for the same
request (a test compares them on the same databases). Anything out of the ordinary - another
database, an older schema, a missing space, any error at all - returns ``None``, and the app
takes the ordinary path, which also gives the ordinary error messages.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from store.vocabulary import DEFAULT_SPACE, HEAD_REVISION
from worker.case_views import STATUS_SETS, CaseSummary, TicketInfo

_SQLITE_PREFIX = "sqlite:///"
#: SQLite allows 32,766 parameters in one statement; a page is far below it.
_MAX_PAGE = 1000


@dataclass(frozen=True, slots=True)
class FirstScreen:
    """What the case list shows before anything is pressed, and when it was true."""

    space: str
    role: str
    active: int
    closed: int
    page_size: int
    #: The first ``page_size`` open, pending and error cases, newest first.
    rows: tuple[CaseSummary, ...]
    #: :meth:`CaseService.data_version` at the same moment: the app's first poll compares
    #: with it, so nothing written after this read goes unnoticed.
    version: tuple[int, int, int, int]


def sqlite_path(url: str) -> Path | None:
    """The file of a plain ``sqlite:///`` URL; ``None`` for anything this reader leaves alone.

    Only the plain form: no query string, no percent-escapes, no in-memory database. Other
    forms go the ordinary way, where SQLAlchemy reads the URL.
    """
    if not url.startswith(_SQLITE_PREFIX):
        return None
    database = url[len(_SQLITE_PREFIX) :]
    if not database or database == ":memory:" or any(char in database for char in "?%#"):
        return None
    return Path(database).expanduser()


def read_first_screen(
    url: str, user: str, space: str | None, *, page_size: int
) -> FirstScreen | None:
    """The first screen of ``space`` (default: "default", else the oldest) for ``user``."""
    path = sqlite_path(url)
    if path is None or not path.is_file() or not 0 < page_size <= _MAX_PAGE:
        return None
    try:
        # mode=rw: never create a database here (the ordinary path decides what a new one gets).
        connection = sqlite3.connect(f"file:{path}?mode=rw", uri=True, isolation_level=None)
    except sqlite3.Error:
        return None
    try:
        connection.execute("PRAGMA busy_timeout = 5000")
        connection.execute("BEGIN")  # one snapshot for every query below
        return _read(connection, user, space, page_size)
    except (sqlite3.Error, ValueError, KeyError, TypeError):
        # An odd file, a busy lock, an unexpected value: the ordinary path will say what it is.
        return None
    finally:
        connection.close()


def _read(
    connection: sqlite3.Connection, user: str, space: str | None, page_size: int
) -> FirstScreen | None:
    versions = [row[0] for row in connection.execute("SELECT version_num FROM alembic_version")]
    if versions != [HEAD_REVISION]:
        return None  # the ordinary path migrates first
    found = _find_space(connection, space)
    if found is None:
        return None
    space_id, space_name = found
    role = _role(connection, space_id, user)
    active_statuses = STATUS_SETS["active"]
    active = _count(connection, space_id, active_statuses)
    closed = _count(connection, space_id, STATUS_SETS["closed"])
    marks = _marks(active_statuses)
    cases = connection.execute(
        'SELECT id, title, status, kind, finding_id, created_at FROM "case"'
        f" WHERE space_id = ? AND status IN ({marks})"
        " ORDER BY created_at DESC, id DESC LIMIT ?",
        (space_id, *active_statuses, page_size),
    ).fetchall()
    return FirstScreen(
        space=space_name,
        role=role,
        active=active,
        closed=closed,
        page_size=page_size,
        rows=tuple(_summaries(connection, cases)),
        version=_version(connection),
    )


def _find_space(connection: sqlite3.Connection, name: str | None) -> tuple[int, str] | None:
    """As ``resolve_space``: the named space, else "default", else the oldest one."""
    if name:
        return connection.execute("SELECT id, name FROM space WHERE name = ?", (name,)).fetchone()
    return (
        connection.execute("SELECT id, name FROM space WHERE name = ?", (DEFAULT_SPACE,)).fetchone()
        or connection.execute("SELECT id, name FROM space ORDER BY id LIMIT 1").fetchone()
    )


def _role(connection: sqlite3.Connection, space_id: int, user: str) -> str:
    """As ``store.access.role_of``: the membership, else the space's default role, else viewer."""
    member = connection.execute(
        'SELECT role FROM member WHERE space_id = ? AND "user" = ?', (space_id, user)
    ).fetchone()
    if member is not None:
        return str(member[0])
    default = connection.execute(
        "SELECT default_role FROM space_settings WHERE space_id = ?", (space_id,)
    ).fetchone()
    return str(default[0]) if default and default[0] else "viewer"


def _count(connection: sqlite3.Connection, space_id: int, statuses: Sequence[str]) -> int:
    row = connection.execute(
        f'SELECT count(id) FROM "case" WHERE space_id = ? AND status IN ({_marks(statuses)})',
        (space_id, *statuses),
    ).fetchone()
    return int(row[0])


def _summaries(connection: sqlite3.Connection, cases: list[tuple]) -> list[CaseSummary]:  # type: ignore[type-arg]
    """As ``CaseService._summaries``: rating, finding key, asset progress and tickets per case."""
    if not cases:
        return []
    ids = [row[0] for row in cases]
    marks = _marks(ids)
    # An asset counts fixed when all its items are: "fixed" < "open", so the maximum says it.
    progress: dict[int, tuple[int, int]] = {}
    for case_id, highest in connection.execute(
        f"SELECT case_id, max(status) FROM case_item WHERE case_id IN ({marks})"
        " GROUP BY case_id, asset_id",
        ids,
    ):
        fixed, total = progress.get(case_id, (0, 0))
        progress[case_id] = (fixed + (highest == "fixed"), total + 1)
    finding_ids = sorted({row[4] for row in cases})
    findings = {
        finding_id: (key, severity)
        for finding_id, key, severity in connection.execute(
            f"SELECT id, key, severity FROM finding WHERE id IN ({_marks(finding_ids)})",
            finding_ids,
        )
    }
    tickets: dict[int, list[TicketInfo]] = {}
    for case_id, name, key, url, state in connection.execute(
        "SELECT ticket.case_id, integration.name, ticket.key, ticket.url, ticket.state"
        " FROM ticket JOIN integration ON integration.id = ticket.integration_id"
        f" WHERE ticket.case_id IN ({marks}) ORDER BY ticket.id",
        ids,
    ):
        tickets.setdefault(case_id, []).append(
            TicketInfo(integration=name, key=key, url=url, state=state)
        )
    summaries = []
    for case_id, title, status, kind, finding_id, created_at in cases:
        finding_key, severity = findings[finding_id]
        fixed, total = progress.get(case_id, (0, 0))
        summaries.append(
            CaseSummary(
                id=case_id,
                title=title,
                status=status,
                kind=kind,
                rating=severity or "none",
                finding=finding_key,
                assets=total,
                fixed=fixed,
                created_at=_utc(created_at),
                tickets=tuple(tickets.get(case_id, ())),
            )
        )
    return summaries


def _version(connection: sqlite3.Connection) -> tuple[int, int, int, int]:
    """As ``CaseService.data_version``."""

    def number(sql: str) -> int:
        row = connection.execute(sql).fetchone()
        return int(row[0] or 0)

    return (
        number("SELECT max(id) FROM audit_event"),
        number("SELECT max(id) FROM ticket"),
        number("SELECT max(id) FROM outbox_job"),
        number("SELECT count(id) FROM outbox_job WHERE status != 'pending'"),
    )


def _utc(value: str) -> datetime:
    """A stored time (SQLite keeps UTC text without a zone; see ``store.models.UTCDateTime``)."""
    parsed = datetime.fromisoformat(value)
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def _marks(values: Sequence[object]) -> str:
    return ", ".join("?" * len(values))
