"""Crash safety (rule 14-15): the worker is SIGKILLed at random moments during dispatch, 25
times over, and restarted. In the end every open case has exactly one ticket on the tracker
and every closed case's ticket is closed."""

from __future__ import annotations

import os
import random
import signal
import time
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from store.engine import make_engine, read_session
from store.models import Case, OutboxJob, Space
from tests import forked
from tests.fakes.tracker_state import TOKEN
from tests.fakes.trackers import FakeTrackers, Fault
from tests.native import native
from worker.dispatch import marker_for

CASES = 40
KILLS = 25


def _worker(db_url: str, config):  # type: ignore[no-untyped-def]
    """``casedesk worker`` in a process of its own (forked warm: see tests/forked.py)."""
    env = {
        **os.environ,
        "CASEDESK_USER": "alice",
        "CASEDESK_CONFIG": str(config),
        "TRACKER_TOKEN": TOKEN,
    }
    return forked.start(["--db", db_url, "worker"], env)


def test_rule_14_sigkill_during_dispatch_never_loses_or_doubles_a_ticket(
    cli, db_url, tmp_path, monkeypatch
):
    rng = random.Random(20261203)
    monkeypatch.setenv("TRACKER_TOKEN", TOKEN)
    config = tmp_path / "worker.toml"
    config.write_text("worker_interval_seconds = 0.05\nworker_lease_seconds = 1\n")
    findings = [f"check-{n:02d}" for n in range(CASES)]
    with FakeTrackers() as fake:
        fake.latency = 0.03  # the issue exists before its answer arrives: the dangerous window
        settings = tmp_path / "jira.toml"
        settings.write_text(
            "[[spaces.default.integrations]]\n"
            f'name = "jira"\nkind = "jira"\nurl = "{fake.url}"\nflavor = "cloud"\n'
            'email = "bot@example.com"\ntoken_env = "TRACKER_TOKEN"\nproject = "SEC"\n'
            "[spaces.default.integrations.options]\nconcurrency = 2\n"
        )
        cli.ok(
            "--ingest",
            "-",
            "--at",
            "2026-03-01T00:00:00Z",
            stdin=native({"h": dict.fromkeys(findings, "pass")}),
        )
        cli.ok("settings", "import", settings)
        cli.ok("settings", "set", "aggregation_window_hours", "0")  # every drift case opens at once
        # The tracker is down while the cases open: every create is refused and rescheduled, so
        # the real sending happens in the workers that get killed.
        for _ in range(CASES):
            fake.fail_next(Fault.answer(503, method="POST", path="/rest/api/3/issue"))
        cli.ok(
            "--ingest",
            "-",
            "--at",
            "2026-03-01T01:00:00Z",
            stdin=native({"h": dict.fromkeys(findings, "fail")}),
        )
        assert fake.issues_in("jira", "SEC") == []
        closing = set(rng.sample(range(1, CASES + 1), 12))
        for kill in range(KILLS):
            if kill == KILLS // 2:  # half-way, close some cases: their close jobs race too
                for case_id in sorted(closing):
                    cli.ok("cases", "close", str(case_id))
            before = len(fake.requests)
            worker = _worker(cli.db_url, config)
            deadline = time.monotonic() + 3
            while (
                len(fake.requests) == before and time.monotonic() < deadline and worker.is_alive()
            ):
                time.sleep(0.005)
            time.sleep(rng.uniform(0, 0.15))
            worker.kill()  # SIGKILL
            worker.join(timeout=10)
            # It was still running when killed (a worker that died by itself proves nothing).
            assert worker.exitcode == -signal.SIGKILL, worker.exitcode
        # Recovery: leases and backoffs expire; a final worker finishes everything.
        engine = make_engine(db_url)
        later = datetime.now(UTC) + timedelta(hours=2)
        for step in range(6):
            cli.ok("worker", "--once", "--at", (later + timedelta(hours=step)).isoformat())
        with read_session(engine) as session:
            leftover = session.scalars(select(OutboxJob).where(OutboxJob.status == "pending")).all()
            assert leftover == []
            space = session.scalars(select(Space)).one()
            cases = session.scalars(select(Case)).all()
            markers = {case.id: marker_for(space, case.id) for case in cases}
            statuses = {case.id: case.status for case in cases}
        issues = fake.issues_in("jira", "SEC")
    by_marker: dict[str, list] = {}
    for issue in issues:
        for label in issue.labels:
            if label.startswith("casedesk-"):
                by_marker.setdefault(label, []).append(issue)
    assert len(cases) == CASES
    assert all(len(found) == 1 for found in by_marker.values()), "a ticket was sent twice"
    assert set(by_marker) <= set(markers.values()), "a ticket belongs to no case"
    for case_id, marker in markers.items():
        tickets = by_marker.get(marker, [])
        if statuses[case_id] == "closed":
            assert all(ticket.closed for ticket in tickets), (
                f"case {case_id}'s ticket is still open"
            )
        else:
            assert statuses[case_id] == "open"
            assert len(tickets) == 1, f"open case {case_id} has {len(tickets)} tickets"
    assert {case_id for case_id, status in statuses.items() if status == "closed"} == closing
