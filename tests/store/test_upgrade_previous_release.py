"""A database made by the previous release upgrades with all its data, on both databases."""

from __future__ import annotations

import shutil

from sqlalchemy import MetaData, create_engine, func, insert, select, text

from store.engine import make_engine, read_session
from store.migrate import current_revision, head_revision, upgrade
from store.models import Case, DriftEvent, ResultState, SpaceSettings
from tests.conftest import PROJECT_ROOT, SAMPLES

FIXTURE = PROJECT_ROOT / "tests/fixtures/release-0.1.0-schema-0001.sqlite"
# In the order foreign keys need them.
TABLES = (
    "space",
    "member",
    "asset",
    "finding",
    "report",
    "result_state",
    "coverage",
    "state_change",
    "drift_event",
)


#: Columns later releases added to the old tables, with the value an upgrade gives them.
ADDED_COLUMNS = {"space": {"marker_seed": ""}, "asset": {"last_report_id": None}}


def _rows(url: str) -> dict[str, list[tuple]]:
    """Every row of the old release's tables, in the old release's columns only."""
    engine = create_engine(url) if url.startswith("sqlite") else make_engine(url)
    metadata = MetaData()
    metadata.reflect(engine, only=TABLES)
    with engine.connect() as connection:
        rows = {}
        for name in TABLES:
            table = metadata.tables[name]
            added = ADDED_COLUMNS.get(name, {})
            old_columns = [column for column in table.c if column.name not in added]
            rows[name] = sorted(map(tuple, connection.execute(select(*old_columns))), key=repr)
    engine.dispose()
    return rows


def _added_values(url: str) -> dict[str, set[tuple]]:
    engine = make_engine(url)
    metadata = MetaData()
    metadata.reflect(engine, only=tuple(ADDED_COLUMNS))
    with engine.connect() as connection:
        values = {
            name: set(connection.execute(select(*(metadata.tables[name].c[c] for c in columns))))
            for name, columns in ADDED_COLUMNS.items()
        }
    engine.dispose()
    return values


def _load_previous_release(db_url: str, db_backend: str) -> None:
    if db_backend == "sqlite":
        shutil.copy(FIXTURE, db_url.removeprefix("sqlite:///"))
        return
    # PostgreSQL: the previous release's schema, filled with the fixture's rows.
    engine = make_engine(db_url)
    upgrade(engine, "0001")
    source = create_engine(f"sqlite:///{FIXTURE}")
    old, new = MetaData(), MetaData()
    old.reflect(source, only=TABLES)
    new.reflect(engine, only=TABLES)
    with source.connect() as reader, engine.begin() as writer:
        for name in TABLES:
            rows = [dict(row._mapping) for row in reader.execute(select(old.tables[name]))]
            if rows:
                writer.execute(insert(new.tables[name]), rows)
            if "id" in new.tables[name].c:
                writer.execute(
                    text(
                        f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "
                        f"(SELECT max(id) FROM {name}))"
                    )
                )
    engine.dispose()


def test_previous_release_database_upgrades_with_all_its_data(cli, db_url, db_backend):
    _load_previous_release(db_url, db_backend)
    engine = make_engine(db_url)
    assert current_revision(engine) == "0001"
    before = _rows(f"sqlite:///{FIXTURE}")
    assert len(before["result_state"]) == 505 and len(before["drift_event"]) == 32

    assert upgrade(engine) is True
    assert current_revision(engine) == head_revision()
    after = _rows(db_url)
    assert _added_values(db_url) == {
        name: {tuple(columns.values())} for name, columns in ADDED_COLUMNS.items()
    }
    if db_backend == "sqlite":
        assert after == before
    else:  # PostgreSQL returns aware datetimes and booleans: compare what matters
        assert {name: len(rows) for name, rows in after.items()} == {
            name: len(rows) for name, rows in before.items()
        }
    with read_session(engine) as session:
        settings = session.scalars(select(SpaceSettings)).one()
        assert (settings.aggregation_window_hours, settings.auto_create_drift_cases) == (4, True)
        assert session.scalar(select(func.count()).select_from(ResultState)) == 505
        assert session.scalar(select(func.count()).select_from(Case)) == 0


def test_upgraded_database_keeps_working(cli, db_url, db_backend):
    _load_previous_release(db_url, db_backend)
    # web-2 was good in the old release; now it goes bad: drift against the preserved state.
    outcome = cli.ingest_json(
        SAMPLES / "inspec/nginx-baseline-bad.json",
        "--asset",
        "web-2",
        "--at",
        "2026-02-01T00:00:00Z",
    )
    assert (outcome["reports"][0]["drift"], outcome["cases"]["created"]) == (3, 3)
    # web-1 is good again: its old drift had no case, so nothing closes; states move on.
    fixed = cli.ingest_json(
        SAMPLES / "inspec/nginx-baseline-good.json",
        "--asset",
        "web-1",
        "--at",
        "2026-02-01T01:00:00Z",
    )
    assert fixed["reports"][0]["fixed"] == 3
    cli.ok("worker", "--once", "--at", "2026-02-01T05:00:00Z")
    cases = cli.ok("cases", "list", "--json").json()
    assert sorted((c["status"], c["assets"]) for c in cases) == [("open", 1)] * 3
    engine = make_engine(db_url)
    with read_session(engine) as session:
        assert session.scalar(select(func.count()).select_from(DriftEvent)) == 35
