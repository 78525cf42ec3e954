"""Ingest speed: a generated fleet, first ingest and a rescan with 1 % drift, beside a raw insert.

    .venv/bin/python bench/ingest.py [--assets 1000] [--checks 500] [--postgres URL]

The yardstick is the same rows written by Python's own ``sqlite3`` with one ``executemany`` into
a comparable table (same columns, same primary key, same pragmas), measured in the same run on the
same disk. Goals (issue 2): first ingest within 4x of it, rescan within 2.5x. Figures are printed,
never asserted: machines differ, the ratio is what we track (docs/performance.md).
"""

from __future__ import annotations

import argparse
import resource
import sqlite3
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from casedesk.fleet import Fleet, drifted, native_report
from integrations.scanners import parse_report
from integrations.scanners.sanitize import clean_report
from store.engine import make_engine
from store.migrate import upgrade
from worker.ingest import IngestOutcome, ingest, prepare

T0 = datetime(2026, 1, 5, 6, 0, tzinfo=UTC)


def raw_insert_seconds(path: Path, rows: list[tuple[int, int, str, int]]) -> float:
    """The yardstick: sqlite3 executemany of the same rows into a comparable table."""
    connection = sqlite3.connect(path, isolation_level=None)
    connection.execute("PRAGMA journal_mode = WAL")
    connection.execute("PRAGMA synchronous = NORMAL")
    connection.execute(
        "CREATE TABLE result_state (asset_id INTEGER NOT NULL, finding_id INTEGER NOT NULL,"
        " status VARCHAR(20) NOT NULL, report_id INTEGER NOT NULL,"
        " PRIMARY KEY (asset_id, finding_id))"
    )
    started = time.perf_counter()
    connection.execute("BEGIN IMMEDIATE")
    connection.executemany("INSERT INTO result_state VALUES (?, ?, ?, ?)", rows)
    connection.execute("COMMIT")
    elapsed = time.perf_counter() - started
    connection.close()
    return elapsed


def timed_ingest(url: str, data: bytes, at: datetime) -> tuple[float, float, IngestOutcome]:
    """(parse seconds, store seconds, outcome) for one report, as ``--ingest`` does it."""
    engine = make_engine(url)
    upgrade(engine)
    started = time.perf_counter()
    parsed = clean_report(parse_report(data))
    prepared = prepare(data, parsed, file_name="fleet.json")
    parsed_at = time.perf_counter()
    outcome = ingest(engine, prepared, space="bench", user="bench", now=at)
    stored_at = time.perf_counter()
    engine.dispose()
    return parsed_at - started, stored_at - parsed_at, outcome


def main() -> None:
    options = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    options.add_argument("--assets", type=int, default=1000)
    options.add_argument("--checks", type=int, default=500)
    options.add_argument(
        "--postgres", metavar="URL", help="also measure on this PostgreSQL database"
    )
    args = options.parse_args()

    fleet = Fleet(assets=args.assets, checks=args.checks)
    baseline = fleet.baseline_statuses()
    first = native_report(fleet, baseline, scanned_at=T0)
    rescan = native_report(
        fleet, drifted(baseline, 0.01, seed=11), scanned_at=T0 + timedelta(days=1)
    )
    results = args.assets * args.checks
    print(f"fleet: {args.assets:,} assets x {args.checks:,} checks = {results:,} results")
    print(f"report size: {len(first) / 1e6:.1f} MB")

    with tempfile.TemporaryDirectory() as directory:
        rows = [
            (asset + 1, check + 1, status, 1)
            for asset, row in enumerate(baseline)
            for check, status in enumerate(row)
        ]
        raw = raw_insert_seconds(Path(directory) / "raw.db", rows)
        del rows
        print(f"raw sqlite3 executemany of {results:,} rows: {raw:.2f} s")

        targets = [("SQLite", f"sqlite:///{Path(directory) / 'casedesk.db'}")]
        if args.postgres:
            targets.append(("PostgreSQL", args.postgres))
        for label, url in targets:
            if label == "PostgreSQL":
                _reset_postgres(url)
            parse1, store1, outcome1 = timed_ingest(url, first, T0)
            parse2, store2, outcome2 = timed_ingest(url, rescan, T0 + timedelta(days=1))
            total1, total2 = parse1 + store1, parse2 + store2
            print(f"\n{label}")
            print(
                f"  first ingest: {total1:.2f} s (parse {parse1:.2f} + store {store1:.2f})"
                f"  = {total1 / raw:.2f}x raw  [goal 4x]  {results / total1:,.0f} results/s"
            )
            print(
                f"  rescan, 1% drift: {total2:.2f} s (parse {parse2:.2f} + store {store2:.2f})"
                f"  = {total2 / raw:.2f}x raw  [goal 2.5x]"
                f"  drift {outcome2.drift:,}, fixed {outcome2.fixed:,}"
            )
            assert outcome1.drift == 0 and outcome2.drift > 0, (
                "the benchmark measured the wrong thing"
            )
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"\npeak memory (max RSS of this process): {peak:.0f} MB")


def _reset_postgres(url: str) -> None:
    """Start PostgreSQL measurements from an empty schema."""
    from sqlalchemy import text

    engine = make_engine(url)
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    engine.dispose()


if __name__ == "__main__":
    main()
