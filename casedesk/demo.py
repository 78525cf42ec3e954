"""``casedesk demo``: a demo space built from a generated fleet with a few days of drift.

Builds the space once (or reuses it) in the configured database - by default the embedded
SQLite file - and shows what casedesk found.
"""

from __future__ import annotations

import argparse
from datetime import timedelta

from sqlalchemy import func, select

from casedesk.fleet import Fleet, drifted, native_report
from integrations.scanners import parse_report
from integrations.scanners.sanitize import clean_report
from store.engine import read_session
from store.models import Asset, DriftEvent, Finding, Report, Space
from worker.ingest import ingest, prepare

DEMO_SPACE = "demo"
DEMO_FLEET = Fleet(assets=40, checks=60, vulnerabilities=25, seed=2026, fail_rate=0.08)
#: Daily scans ending today; each rescan drifts (and fixes) a couple of percent of results.
DEMO_DAYS = 4


def run_demo(context, args: argparse.Namespace) -> int:  # type: ignore[no-untyped-def]
    engine = context.engine()
    space = args.space or DEMO_SPACE
    with read_session(engine) as session:
        existing = session.scalar(
            select(func.count(Report.id)).join(Space).where(Space.name == space)
        )
    if existing:
        print(f"Reusing the demo space {space!r} ({existing} reports already ingested).")
    else:
        _build(context, space)
    _summarise(context, space)
    return 0


def _build(context, space: str) -> None:  # type: ignore[no-untyped-def]
    statuses = DEMO_FLEET.baseline_statuses()
    start = context.now - timedelta(days=DEMO_DAYS - 1)
    print(
        f"Building the demo space {space!r}: {DEMO_FLEET.assets} hosts, "
        f"{DEMO_FLEET.checks} checks, {DEMO_FLEET.vulnerabilities} vulnerabilities, "
        f"{DEMO_DAYS} daily scans."
    )
    for day in range(DEMO_DAYS):
        if day:
            statuses = drifted(statuses, 0.02, seed=DEMO_FLEET.seed + day)
        scanned_at = start + timedelta(days=day)
        data = native_report(DEMO_FLEET, statuses, scanned_at=scanned_at)
        prepared = prepare(
            data, clean_report(parse_report(data)), file_name=f"demo-day-{day + 1}.json"
        )
        outcome = ingest(context.engine(), prepared, space=space, user=context.user, now=scanned_at)
        print(
            f"  {scanned_at:%Y-%m-%d} scan: {outcome.results:,} results, "
            f"{outcome.drift} drift, {outcome.fixed} fixed"
        )


def _summarise(context, space: str) -> None:  # type: ignore[no-untyped-def]
    with read_session(context.engine()) as session:
        space_id = session.scalar(select(Space.id).where(Space.name == space))
        assets = session.scalar(select(func.count(Asset.id)).where(Asset.space_id == space_id))
        findings = session.scalar(
            select(func.count(Finding.id)).where(Finding.space_id == space_id)
        )
        drift = session.scalar(
            select(func.count(DriftEvent.id)).where(DriftEvent.space_id == space_id)
        )
        top = session.execute(
            select(Finding.severity, Finding.title, func.count(DriftEvent.id).label("events"))
            .join(DriftEvent, DriftEvent.finding_id == Finding.id)
            .where(DriftEvent.space_id == space_id)
            .group_by(Finding.id)
            .order_by(func.count(DriftEvent.id).desc(), Finding.title)
            .limit(5)
        ).all()
    print(f"\nSpace {space!r}: {assets} assets, {findings} findings, {drift} drift events.")
    if top:
        print("Most drifted findings:")
        for severity, title, events in top:
            print(f"  [{(severity or 'none').upper():8}] {title} - {events} drift events")
