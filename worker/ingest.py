"""Ingest one parsed report into the store: states, history, drift (DESIGN.md rules 1-6).

A report is applied in one write transaction: it is all in, or nothing is. The hot path works in
bulk (one SELECT per chunk of assets, one executemany per table) because a fleet scan carries
hundreds of thousands of results.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, Table, bindparam, insert, select, update
from sqlalchemy.orm import Session

from integrations.scanners.records import AssetScan, ParsedReport, ReportError, Status
from store.engine import write_session
from store.models import Asset, Coverage, DriftEvent, Finding, Report, ResultState, StateChange
from store.retry import retrying
from store.spaces import (
    DEFAULT_SPACE,
    find_default_space,
    find_space,
    get_or_create_space,
    lock_space,
)
from worker.cases import CaseCounts, apply_drift, apply_fixes
from worker.drift import AssetChanges, compare, in_kind

#: Called with (assets done, assets in all) as a big report is stored.
ProgressCallback = Callable[[int, int], None]

#: Bound parameters per IN (...) list: well under SQLite's and PostgreSQL's limits.
CHUNK = 500


@dataclass(slots=True)
class PreparedReport:
    """A parsed report with its identity, ready to ingest (no database touched yet)."""

    file_name: str
    parsed: ParsedReport
    content_hash: str
    partial: bool = False

    @property
    def assets_hash(self) -> str:
        keys = "\n".join(sorted({asset.key for asset in self.parsed.assets}))
        return hashlib.sha256(keys.encode()).hexdigest()


@dataclass(slots=True)
class IngestOutcome:
    """What ingesting one report did; the ``--json`` report object is made from this."""

    file: str
    format: str
    assets: int
    results: int
    drift: int = 0
    fixed: int = 0
    duplicate: bool = False
    stale: int = 0  # assets already known from a newer report: left as they were (rule 5)
    new_space: str | None = None  # the space this report created in a database that had others
    report_id: int | None = None
    space_id: int | None = None
    scanned_at: datetime | None = None
    # (asset id, finding id) pairs, for the case engine (worker.cases)
    drift_pairs: list[tuple[int, int]] = field(default_factory=list)
    fixed_pairs: list[tuple[int, int]] = field(default_factory=list)
    cases: CaseCounts = field(default_factory=CaseCounts)

    def as_json(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "format": self.format,
            "assets": self.assets,
            "results": self.results,
            "drift": self.drift,
            "fixed": self.fixed,
            "duplicate": self.duplicate,
        }


def prepare(
    data: bytes,
    parsed: ParsedReport,
    *,
    file_name: str,
    asset_key: str | None = None,
    partial: bool = False,
) -> PreparedReport:
    """Apply ``--asset`` and ``--partial`` and merge repeated assets; raises ReportError."""
    assets = _merge_repeated_assets(parsed.assets)
    if asset_key is not None:
        if len(assets) > 1:
            raise ReportError(
                f"--asset applies to a report with one asset; this one has {len(assets)}"
            )
        for asset in assets:
            if asset.name in ("", asset.key):
                asset.name = asset_key
            asset.key = asset_key
    if partial:
        for asset in assets:
            asset.complete_kinds = frozenset()
    parsed.assets = assets
    return PreparedReport(
        file_name=file_name,
        parsed=parsed,
        content_hash=hashlib.sha256(data).hexdigest(),
        partial=partial,
    )


def _merge_repeated_assets(assets: list[AssetScan]) -> list[AssetScan]:
    merged: dict[str, AssetScan] = {}
    for asset in assets:
        existing = merged.get(asset.key)
        if existing is None:
            merged[asset.key] = asset
            continue
        for key, status in asset.results.items():
            existing.add(key, status)
        existing.complete_kinds = existing.complete_kinds | asset.complete_kinds
    return list(merged.values())


def ingest(
    engine: Engine,
    prepared: PreparedReport,
    *,
    space: str | None,
    user: str,
    now: datetime,
    progress: ProgressCallback | None = None,
) -> IngestOutcome:
    """Ingest one prepared report, and apply its drift and fixes to cases, in one transaction
    (run again from the start if a concurrent writer made the database fail it)."""

    def attempt() -> IngestOutcome:
        with write_session(engine) as session:
            outcome = ingest_in_session(
                session, prepared, space=space, user=user, now=now, progress=progress
            )
            if not outcome.duplicate:
                assert outcome.space_id is not None and outcome.scanned_at is not None
                outcome.cases = apply_drift(
                    session, outcome.space_id, outcome.drift_pairs, outcome.scanned_at
                )
                outcome.cases.add(
                    apply_fixes(session, outcome.space_id, outcome.fixed_pairs, outcome.scanned_at)
                )
            return outcome

    return retrying(attempt)


def ingest_in_session(
    session: Session,
    prepared: PreparedReport,
    *,
    space: str | None,
    user: str,
    now: datetime,
    progress: ProgressCallback | None = None,
) -> IngestOutcome:
    """Ingest inside a transaction the caller owns (the case engine joins the same one).

    ``space`` None is the space every command uses without ``--space`` (a new database's first
    space is called "default")."""
    parsed = prepared.parsed
    outcome = IngestOutcome(
        file=prepared.file_name,
        format=parsed.format,
        assets=len(parsed.assets),
        results=parsed.result_count,
    )
    default = find_default_space(session)  # None: the database has no space yet
    named = find_space(session, space) if space else None
    space_row = (default if space is None else named) or get_or_create_space(
        session, name=space or DEFAULT_SPACE, user=user, now=now
    )
    if default is not None and space is not None and named is None:
        outcome.new_space = space_row.name  # a new space beside others: maybe a typo
    space_id = space_row.id
    assert space_id is not None
    lock_space(session, space_id)  # one writer per space: duplicates and joins stay exact
    scanned_at = parsed.scanned_at or now
    if _is_duplicate(session, space_id, prepared, dated=parsed.scanned_at is not None):
        outcome.duplicate = True
        return outcome

    finding_ids, kinds = _upsert_findings(session, space_id, parsed)
    report = Report(
        space_id=space_id,
        content_hash=prepared.content_hash,
        assets_hash=prepared.assets_hash,
        format=parsed.format,
        file_name=prepared.file_name[:1000],
        scanned_at=scanned_at,
        dated=parsed.scanned_at is not None,
        partial=prepared.partial,
        ingested_at=now,
        ingested_by=user,
        asset_count=outcome.assets,
        result_count=outcome.results,
    )
    session.add(report)
    session.flush()
    assert report.id is not None
    assets, stale = _upsert_assets(session, space_id, parsed.assets, scanned_at, report.id)
    outcome.stale = len(stale)

    live = [scan for scan in parsed.assets if scan.key not in stale]
    # finding key → (id, status word in the finding's stored kind): one lookup per result.
    vocabulary = {
        key: (finding_id, {status: in_kind(status.value, kinds[finding_id]) for status in Status})
        for key, finding_id in finding_ids.items()
    }
    writer = _StateWriter(session, space_id=space_id, report_id=report.id, at=scanned_at)
    for chunk_start, chunk in zip(range(0, len(live), CHUNK), _chunks(live, CHUNK), strict=True):
        asset_ids = [assets[scan.key] for scan in chunk]
        prior = _load_states(session, asset_ids)
        covered = _load_coverage(session, asset_ids)
        _add_missing_kinds(session, kinds, prior)
        for scan, asset_id in zip(chunk, asset_ids, strict=True):
            results = {}
            for key, status in scan.results.items():
                finding_id, words = vocabulary[key]
                results[finding_id] = words[status]
            changes = compare(
                prior=prior.get(asset_id, {}),
                results=results,
                kinds=kinds,
                covered_before=covered.get(asset_id, frozenset()),
                complete_now={kind.value for kind in scan.complete_kinds},
            )
            writer.add(asset_id, changes)
            outcome.drift += len(changes.drift)
            outcome.fixed += changes.fixed
            writer.cover(asset_id, scan.complete_kinds, covered.get(asset_id, frozenset()))
        if progress is not None:
            progress(min(len(live), chunk_start + len(chunk)), len(live))
    writer.flush()
    outcome.drift_pairs = writer.drift_pairs
    outcome.fixed_pairs = writer.fixed_pairs
    outcome.space_id = space_id
    outcome.scanned_at = scanned_at
    report.drift_count = outcome.drift
    report.fixed_count = outcome.fixed
    session.flush()
    outcome.report_id = report.id
    return outcome


def _is_duplicate(
    session: Session, space_id: int, prepared: PreparedReport, *, dated: bool
) -> bool:
    """Rule 5: the same dated report for the same assets again, or an undated repeat of the
    report that last observed every one of its assets.

    "The same" means the same bytes for the same asset keys, seen at least as completely: a
    complete report after the same one ingested ``--partial`` still has fixes to apply.
    """
    same = [
        Report.space_id == space_id,
        Report.assets_hash == prepared.assets_hash,
        Report.content_hash == prepared.content_hash,
    ]
    if not prepared.partial:
        same.append(Report.partial.is_(False))
    if dated:
        return session.scalar(select(Report.id).where(*same).limit(1)) is not None
    # Undated: identical to an older report is a new observation (a host can flip back), and
    # a report that was ignored as older than what was known observed nothing.
    keys = sorted({asset.key for asset in prepared.parsed.assets})
    last_reports: set[int | None] = set()
    known = 0
    for chunk in _chunks(keys, CHUNK):
        for last_report_id in session.scalars(
            select(Asset.last_report_id).where(Asset.space_id == space_id, Asset.key.in_(chunk))
        ):
            last_reports.add(last_report_id)
            known += 1
    if known != len(keys) or len(last_reports) != 1 or None in last_reports:
        return False
    (last_report_id,) = last_reports
    return session.scalar(select(Report.id).where(Report.id == last_report_id, *same)) is not None


def _upsert_findings(
    session: Session, space_id: int, parsed: ParsedReport
) -> tuple[dict[str, int], dict[int, str]]:
    """Finding key → id for the report's findings (created as needed), and id → kind."""
    table = Finding.__table__
    ids: dict[str, int] = {}
    kinds: dict[int, str] = {}
    known: dict[str, Any] = {}
    for chunk in _chunks(list(parsed.findings), CHUNK):
        for row in session.execute(
            select(table).where(table.c.space_id == space_id, table.c.key.in_(chunk))
        ):
            known[row.key] = row
    new_rows = []
    refreshed = []
    for key, finding in parsed.findings.items():
        row = known.get(key)
        details = {
            "title": finding.title,
            "severity": finding.severity,
            "score": finding.score,
            "description": finding.description,
            "remediation": finding.remediation,
            "source": finding.source,
        }
        if row is None:
            new_rows.append(
                {"space_id": space_id, "key": key, "kind": finding.kind.value, **details}
            )
            continue
        ids[key] = row.id
        kinds[row.id] = row.kind
        # Newer reports may describe a finding better; never erase what an older one told us.
        better = {
            name: value
            for name, value in details.items()
            if value not in (None, "") and getattr(row, name) != value
        }
        if better:
            refreshed.append(
                {
                    "finding_id": row.id,
                    **{name: better.get(name, getattr(row, name)) for name in details},
                }
            )
    if new_rows:
        session.execute(insert(table), new_rows)
        for chunk in _chunks([row["key"] for row in new_rows], CHUNK):
            for row in session.execute(
                select(table.c.id, table.c.key, table.c.kind).where(
                    table.c.space_id == space_id, table.c.key.in_(chunk)
                )
            ):
                ids[row.key] = row.id
                kinds[row.id] = row.kind
    if refreshed:
        session.execute(
            update(table).where(table.c.id == bindparam("finding_id")),
            refreshed,
        )
    return ids, kinds


def _upsert_assets(
    session: Session,
    space_id: int,
    scans: list[AssetScan],
    scanned_at: datetime,
    report_id: int,
) -> tuple[dict[str, int], set[str]]:
    """Asset key → id (created as needed), and the keys whose newest observation is newer
    than this report: rule 5 says an older report never moves such an asset backwards.
    Every other asset records this report as the one that last observed it."""
    table = Asset.__table__
    ids: dict[str, int] = {}
    stale: set[str] = set()
    by_key = {scan.key: scan for scan in scans}
    existing: dict[str, Any] = {}
    for chunk in _chunks(list(by_key), CHUNK):
        for row in session.execute(
            select(
                table.c.id, table.c.key, table.c.name, table.c.platform, table.c.last_observed_at
            ).where(table.c.space_id == space_id, table.c.key.in_(chunk))
        ):
            existing[row.key] = row
    new_rows = []
    touched = []
    for key, scan in by_key.items():
        row = existing.get(key)
        if row is None:
            new_rows.append(
                {
                    "space_id": space_id,
                    "key": key,
                    "name": scan.name or key,
                    "platform": scan.platform,
                    "first_seen_at": scanned_at,
                    "last_observed_at": scanned_at,
                    "last_report_id": report_id,
                }
            )
            continue
        ids[key] = row.id
        if row.last_observed_at > scanned_at:
            stale.add(key)
            continue
        touched.append(
            {
                "asset_id": row.id,
                "name": scan.name or row.name,
                "platform": scan.platform or row.platform,
                "last_observed_at": scanned_at,
                "last_report_id": report_id,
            }
        )
    if new_rows:
        session.execute(insert(table), new_rows)
        for chunk in _chunks([row["key"] for row in new_rows], CHUNK):
            for row in session.execute(
                select(table.c.id, table.c.key).where(
                    table.c.space_id == space_id, table.c.key.in_(chunk)
                )
            ):
                ids[row.key] = row.id
    if touched:
        session.execute(
            update(table).where(table.c.id == bindparam("asset_id")),
            touched,
        )
    return ids, stale


def _load_states(session: Session, asset_ids: list[int]) -> dict[int, dict[int, str]]:
    """The current states of these assets. The hottest read of a rescan (every result of the
    fleet), so it goes through the driver's cursor, in the same transaction, without building
    a SQLAlchemy row per result."""
    connection = session.connection()
    marker = "?" if connection.dialect.paramstyle == "qmark" else "%s"
    sql = (
        "SELECT asset_id, finding_id, status FROM result_state"
        f" WHERE asset_id IN ({', '.join([marker] * len(asset_ids))})"
    )
    cursor = connection.connection.dbapi_connection.cursor()
    try:
        cursor.execute(sql, list(asset_ids))
        rows = cursor.fetchall()
    finally:
        cursor.close()
    states: dict[int, dict[int, str]] = {}
    for asset_id, finding_id, status in rows:
        states.setdefault(asset_id, {})[finding_id] = status
    return states


def _load_coverage(session: Session, asset_ids: list[int]) -> dict[int, frozenset[str]]:
    table = Coverage.__table__
    covered: dict[int, set[str]] = {}
    for asset_id, kind in session.execute(
        select(table.c.asset_id, table.c.kind).where(table.c.asset_id.in_(asset_ids))
    ):
        covered.setdefault(asset_id, set()).add(kind)
    return {asset_id: frozenset(kinds) for asset_id, kinds in covered.items()}


def _add_missing_kinds(
    session: Session, kinds: dict[int, str], prior: dict[int, dict[int, str]]
) -> None:
    """Kinds of findings known on these assets but absent from this report (rule 3 needs them)."""
    missing = {fid for states in prior.values() for fid in states if fid not in kinds}
    table = Finding.__table__
    for chunk in _chunks(list(missing), CHUNK):
        for finding_id, kind in session.execute(
            select(table.c.id, table.c.kind).where(table.c.id.in_(chunk))
        ):
            kinds[finding_id] = kind


class _StateWriter:
    """Collects every asset's changes and writes them table by table in bulk."""

    def __init__(self, session: Session, *, space_id: int, report_id: int, at: datetime) -> None:
        self.session = session
        self.space_id = space_id
        self.report_id = report_id
        self.at = at
        self.inserts: list[dict[str, Any]] = []
        self.updates: list[dict[str, Any]] = []
        self.history: list[dict[str, Any]] = []
        self.drift: list[dict[str, Any]] = []
        self.coverage_new: list[dict[str, Any]] = []
        self.coverage_old: list[dict[str, Any]] = []
        self.drift_pairs: list[tuple[int, int]] = []
        self.fixed_pairs: list[tuple[int, int]] = []

    def add(self, asset_id: int, changes: AssetChanges) -> None:
        report_id = self.report_id
        self.inserts.extend(
            {"asset_id": asset_id, "finding_id": fid, "status": status, "report_id": report_id}
            for fid, status in changes.inserts
        )
        self.updates.extend(
            {"a": asset_id, "f": fid, "new_status": status, "rid": report_id}
            for fid, status in changes.updates
        )
        for transition in changes.transitions:
            self.history.append(
                {
                    "asset_id": asset_id,
                    "finding_id": transition.finding_id,
                    "report_id": report_id,
                    "old_status": transition.old,
                    "new_status": transition.new,
                    "implied": transition.implied,
                }
            )
        self.fixed_pairs.extend(
            (asset_id, transition.finding_id)
            for transition in changes.transitions
            if transition.is_fix
        )
        for transition in changes.drift:
            self.drift_pairs.append((asset_id, transition.finding_id))
            self.drift.append(
                {
                    "space_id": self.space_id,
                    "asset_id": asset_id,
                    "finding_id": transition.finding_id,
                    "report_id": report_id,
                    "detected_at": self.at,
                    "from_status": transition.old,
                    "to_status": transition.new,
                }
            )

    def cover(self, asset_id: int, complete: Iterable[Any], covered_before: frozenset[str]) -> None:
        for kind in complete:
            row = {
                "asset_id": asset_id,
                "kind": kind.value,
                "complete_at": self.at,
                "report_id": self.report_id,
            }
            (self.coverage_old if kind.value in covered_before else self.coverage_new).append(row)

    def flush(self) -> None:
        """Write everything collected, table by table."""
        session = self.session.connection()
        if self.inserts:
            _insert_many(session, ResultState.__table__, self.inserts)
        if self.updates:
            table = ResultState.__table__
            session.execute(
                update(table)
                .where(table.c.asset_id == bindparam("a"), table.c.finding_id == bindparam("f"))
                .values(status=bindparam("new_status"), report_id=bindparam("rid")),
                self.updates,
            )
        if self.history:
            _insert_many(session, StateChange.__table__, self.history)
        if self.coverage_new:
            session.execute(insert(Coverage.__table__), self.coverage_new)
        if self.coverage_old:
            table = Coverage.__table__
            session.execute(
                update(table)
                .where(table.c.asset_id == bindparam("a"), table.c.kind == bindparam("k"))
                .values(complete_at=bindparam("at"), report_id=bindparam("rid")),
                [
                    {
                        "a": row["asset_id"],
                        "k": row["kind"],
                        "at": row["complete_at"],
                        "rid": row["report_id"],
                    }
                    for row in self.coverage_old
                ],
            )
        if self.drift:
            session.execute(insert(DriftEvent.__table__), self.drift)


#: Above this many rows, PostgreSQL gets them by COPY, many times faster than INSERTs.
COPY_THRESHOLD = 2000


def _insert_many(connection: Connection, table: Table, rows: list[dict[str, Any]]) -> None:
    """Insert plain rows (ints, strings, booleans) in bulk, the fastest way the database has."""
    if connection.dialect.name != "postgresql" or len(rows) < COPY_THRESHOLD:
        connection.execute(insert(table), rows)
        return
    columns = list(rows[0])
    cursor = connection.connection.dbapi_connection.cursor()
    try:
        with cursor.copy(f"COPY {table.name} ({', '.join(columns)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row([row[column] for column in columns])
    finally:
        cursor.close()


def _chunks(items: list[Any], size: int) -> Iterator[list[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
