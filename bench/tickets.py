"""Ticket throughput: 1,000 cases opening at once against a fake Jira that answers after 20 ms.

    .venv/bin/python bench/tickets.py [--cases 1000] [--latency 0.02] [--github 100]

Measures the wall time of the dispatcher sending every create (bounded concurrency per
integration), the requests per second, and, for GitHub, the paced serial rate. Figures are
printed, never asserted (docs/performance.md keeps them).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from integrations.scanners import parse_report
from store.engine import make_engine, read_session, write_session
from store.migrate import upgrade
from store.models import Integration, OutboxJob
from store.settings import change_setting
from store.spaces import get_or_create_space
from tests.fakes.tracker_state import TOKEN
from tests.fakes.trackers import FakeTrackers
from tests.native import native
from worker.dispatch import Dispatcher
from worker.ingest import ingest, prepare

T0 = datetime(2026, 3, 1, tzinfo=UTC)


def open_cases(url: str, count: int, integration: dict[str, object]) -> None:
    """``count`` drift cases opened at once (no aggregation), each with a create job queued."""
    engine = make_engine(url)
    upgrade(engine)
    with write_session(engine) as session:
        space = get_or_create_space(session, name="default", user="bench", now=T0)
        change_setting(session, space, "aggregation_window_hours", 0, actor="bench", now=T0)
        session.add(Integration(space_id=space.id, **integration))
    checks = [f"check-{n:04d}" for n in range(count)]
    for at, status in ((T0, "pass"), (T0 + timedelta(hours=1), "fail")):
        data = native({"host": dict.fromkeys(checks, status)})
        ingest(
            engine,
            prepare(data, parse_report(data), file_name="x"),
            space="default",
            user="bench",
            now=at,
        )
    engine.dispose()


def measure(label: str, url: str, fake: FakeTrackers, system: str, destination: str) -> None:
    engine = make_engine(url)
    before = len(fake.requests)
    started = time.perf_counter()
    Dispatcher().dispatch(engine, T0 + timedelta(hours=2))
    elapsed = time.perf_counter() - started
    requests = len(fake.requests) - before
    created = len(fake.issues_in(system, destination))
    with read_session(engine) as session:
        pending = session.query(OutboxJob).filter(OutboxJob.status == "pending").count()
    print(
        f"{label}: {created:,} tickets in {elapsed:.2f} s = {created / elapsed:,.1f} tickets/s, "
        f"{requests / elapsed:,.1f} requests/s ({requests:,} requests, {pending} jobs left)"
    )


def main() -> None:
    options = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    options.add_argument("--cases", type=int, default=1000)
    options.add_argument("--latency", type=float, default=0.02)
    options.add_argument("--github", type=int, default=100, help="cases for the paced GitHub run")
    args = options.parse_args()
    os.environ["BENCH_TRACKER_TOKEN"] = TOKEN
    with FakeTrackers() as fake, tempfile.TemporaryDirectory() as directory:
        fake.latency = args.latency
        print(f"fake tracker answers after {args.latency * 1000:.0f} ms")
        jira = {
            "name": "jira",
            "kind": "jira",
            "url": fake.url,
            "flavor": "cloud",
            "email": "bot@example.com",
            "token_env": "BENCH_TRACKER_TOKEN",
            "project": "SEC",
        }
        url = f"sqlite:///{Path(directory) / 'jira.db'}"
        open_cases(url, args.cases, jira)
        measure(f"Jira, {args.cases:,} cases, 4 connections", url, fake, "jira", "SEC")
        github = {
            "name": "gh",
            "kind": "github",
            "url": fake.url,
            "token_env": "BENCH_TRACKER_TOKEN",
            "project": "acme/app",
        }
        url = f"sqlite:///{Path(directory) / 'github.db'}"
        open_cases(url, args.github, github)
        measure(
            f"GitHub, {args.github:,} cases, serial, paced 0.8 s", url, fake, "github", "acme/app"
        )
        if fake.spec_violations:
            print(f"Jira spec violations: {len(fake.spec_violations)}")


if __name__ == "__main__":
    main()
