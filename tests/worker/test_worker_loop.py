"""The worker loop: interval from config, survives a briefly locked database, stops on SIGTERM."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime

from sqlalchemy import select

from store.engine import make_engine, read_session
from store.models import Case, Space
from tests.conftest import PROJECT_ROOT
from tests.native import native


def _start_worker(db_url: str, tmp_path, *extra: str) -> subprocess.Popen:
    config = tmp_path / "casedesk.toml"
    config.write_text("worker_interval_seconds = 0.2\n")
    env = {
        **os.environ,
        "CASEDESK_USER": "alice",
        "HOME": str(tmp_path),
        "CASEDESK_CONFIG": str(config),
    }
    return subprocess.Popen(
        [sys.executable, "-m", "casedesk.cli", "--db", db_url, "worker", *extra],
        cwd=PROJECT_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _pending_case(cli, db_url) -> None:
    cli.ok("--ingest", "-", "--at", "2026-03-01T00:00:00Z", stdin=native({"h": {"ssh": "pass"}}))
    cli.ok("--ingest", "-", "--at", "2026-03-01T01:00:00Z", stdin=native({"h": {"ssh": "fail"}}))


def _status(db_url: str) -> str:
    engine = make_engine(db_url)
    with read_session(engine) as session:
        status = session.scalar(select(Case.status))
    engine.dispose()
    return status


def test_worker_loop_finalizes_and_stops_cleanly_on_sigterm(cli, db_url, tmp_path):
    _pending_case(cli, db_url)
    worker = _start_worker(db_url, tmp_path)  # real clock: 2026-12 is long past the window
    deadline = time.monotonic() + 20
    while _status(db_url) != "open" and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _status(db_url) == "open"
    worker.send_signal(signal.SIGTERM)
    _, err = worker.communicate(timeout=20)
    assert worker.returncode == 0, err
    assert "casedesk worker: every 0.2 s" in err
    assert "stopped after" in err and "Traceback" not in err


def test_worker_loop_survives_a_briefly_locked_database(cli, db_url, tmp_path):
    _pending_case(cli, db_url)
    engine = make_engine(db_url)
    blocker = engine.connect()
    # Another process holds the write lock (SQLite: BEGIN IMMEDIATE, from the engine) or the
    # space row (PostgreSQL), as a long ingest would.
    blocker.execute(select(Space.id).with_for_update())
    worker = _start_worker(db_url, tmp_path)
    time.sleep(1.5)
    assert worker.poll() is None, worker.communicate()
    assert _status(db_url) == "pending"
    blocker.rollback()
    blocker.close()
    deadline = time.monotonic() + 20
    while _status(db_url) != "open" and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _status(db_url) == "open"
    worker.send_signal(signal.SIGINT)
    _, err = worker.communicate(timeout=20)
    assert worker.returncode == 0, err
    assert "database is locked" not in err


def test_worker_once_with_at_is_deterministic(cli, db_url):
    _pending_case(cli, db_url)
    assert cli.ok("worker", "--once", "--at", "2026-03-01T04:59:00Z", "--json").json() == {
        "cases": {"created": 0, "joined": 0, "finalized": 0, "closed": 0},
        "tickets": {"created": 0, "closed": 0, "retried": 0, "failed": 0, "skipped": 0},
    }
    assert (
        cli.ok(
            "worker", "--once", "--at", datetime(2026, 3, 1, 5, tzinfo=UTC).isoformat(), "--json"
        ).json()["cases"]["finalized"]
        == 1
    )
