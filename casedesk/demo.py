"""``casedesk demo``: a demo space built from a generated fleet with a few days of drift.

Builds the space once (or reuses it) in the configured database - by default the embedded
SQLite file - with an e-mail integration that writes its tickets as ``.eml`` files into a local
folder (nothing leaves the machine), shows what casedesk found, then opens the app on it.
"""

from __future__ import annotations

import argparse
from datetime import timedelta
from pathlib import Path

import platformdirs
from sqlalchemy import func, select

from casedesk.fleet import Fleet, drifted, native_report
from integrations.scanners import parse_report
from integrations.scanners.sanitize import clean_report
from store.engine import read_session
from store.models import Asset, Case, DriftEvent, Finding, Report, Space, Ticket
from worker.due import run_due_work
from worker.ingest import ingest, prepare
from worker.integration_service import IntegrationService

DEMO_SPACE = "demo"
DEMO_FLEET = Fleet(assets=40, checks=60, vulnerabilities=25, seed=2026, fail_rate=0.08)
#: Daily scans ending today; each rescan drifts (and fixes) a couple of percent of results.
DEMO_DAYS = 4
DEMO_MAIL = "demo-mail"
#: Hours after each daily scan when the demo runs the worker: the 4-hour windows have closed.
WORKER_DELAY = timedelta(hours=5)


def demo_mail_folder() -> Path:
    """Where the demo's e-mail tickets land: a folder in the user's data directory."""
    return Path(platformdirs.user_data_dir("casedesk", appauthor=False)) / "demo-mail"


def run_demo(context, args: argparse.Namespace) -> int:  # type: ignore[no-untyped-def]
    engine = context.engine()
    space = args.space or DEMO_SPACE
    with read_session(engine) as session:
        existing = session.scalar(
            select(func.count(Report.id)).join(Space).where(Space.name == space)
        )
    if existing:
        print(f"Reusing the demo space {space!r} ({existing} reports already ingested).")
        run_due_work(engine, context.now, context.dispatcher())
    else:
        _build(context, space)
    _summarise(context, space)
    if args.no_app:
        return 0
    from casedesk.app_command import has_terminal, run_tui

    if not has_terminal():
        print(f"\nNot a terminal, so the app stays closed. Open it with: casedesk --space {space}")
        return 0
    return run_tui(context, args, space=space)


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
        if not day:
            _add_mail_integration(context, space, scanned_at)
        # The worker as it would have run after each scan: windows close, e-mails go out.
        worker_at = min(scanned_at + WORKER_DELAY, context.now)
        run_due_work(context.engine(), worker_at, context.dispatcher())


def _add_mail_integration(context, space: str, now) -> None:  # type: ignore[no-untyped-def]
    folder = demo_mail_folder()
    IntegrationService(context.engine(), context.user).save(
        space,
        {
            "name": DEMO_MAIL,
            "kind": "email",
            "project": "secops@example.com",
            "create_drift_tickets": True,
            "options": {
                "security": "file",
                "directory": str(folder),
                "from_address": "casedesk@localhost",
            },
        },
        now=now,
    )
    print(f"  e-mail integration {DEMO_MAIL!r}: tickets are written as .eml files to {folder}")


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
        by_status = dict(
            session.execute(
                select(Case.status, func.count(Case.id))
                .where(Case.space_id == space_id)
                .group_by(Case.status)
            ).all()
        )
        tickets = session.scalar(
            select(func.count(Ticket.id)).join(Case).where(Case.space_id == space_id)
        )
    print(f"\nSpace {space!r}: {assets} assets, {findings} findings, {drift} drift events.")
    statuses = ", ".join(
        f"{by_status.get(status, 0)} {status}" for status in ("open", "pending", "closed", "error")
    )
    print(f"Cases: {statuses}; {tickets} tickets sent.")
    if top:
        print("Most drifted findings:")
        for severity, title, events in top:
            print(f"  [{(severity or 'none').upper():8}] {title} - {events} drift events")
