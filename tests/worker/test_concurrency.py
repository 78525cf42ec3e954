"""Many writers at once (issue 6): 4 worker processes and concurrent ingests of overlapping real
reports against one database, tickets to the fake Jira. The end state equals a serial run of
the same inputs, every case has exactly one ticket, and no lock/deadlock error reaches a user."""

from __future__ import annotations

import itertools
import os

from sqlalchemy import select

from store.engine import make_engine, read_session
from store.models import Asset, Case, CaseItem, Finding, Report, ResultState
from tests import forked
from tests.conftest import SAMPLES
from tests.fakes.tracker_state import TOKEN
from tests.fakes.trackers import FakeTrackers

GOOD = SAMPLES / "inspec/nginx-baseline-good.json"
BAD = SAMPLES / "inspec/nginx-baseline-bad.json"
PY36 = SAMPLES / "grype/image-python-3.6-large.json"
PY37 = SAMPLES / "grype/image-python-3.7.10-large.json"
HOSTS = ("a1", "a2", "a3", "a4")
T0, T1, T2, T6, T7 = (f"2026-03-01T{h:02d}:00:00Z" for h in (0, 1, 2, 6, 7))
TROUBLE = ("database is locked", "deadlock", "serializ", "Traceback", "internal error")

# Phase 2: every drifting report twice (the same report racing itself must count once).
DRIFT_INGESTS = [[str(BAD), "--asset", host] for host in HOSTS] * 2 + [
    [str(PY37), "--asset", "py"]
] * 2


def _env(tmp_path) -> dict[str, str]:
    config = tmp_path / "worker.toml"
    config.write_text("worker_interval_seconds = 0.1\nworker_lease_seconds = 10\n")
    return {
        **os.environ,
        "CASEDESK_USER": "alice",
        "TRACKER_TOKEN": TOKEN,
        "CASEDESK_CONFIG": str(config),
    }


def _setup(cli, db_url: str, fake: FakeTrackers, tmp_path) -> None:
    cli.db_url = db_url
    for host in HOSTS:
        cli.ok("--ingest", GOOD, "--asset", host, "--at", T0)
    cli.ok("--ingest", PY36, "--asset", "py", "--at", T0)
    settings = tmp_path / f"jira-{abs(hash(db_url))}.toml"
    settings.write_text(
        "[[spaces.default.integrations]]\n"
        f'name = "jira"\nkind = "jira"\nurl = "{fake.url}"\nflavor = "cloud"\n'
        'email = "bot@example.com"\ntoken_env = "TRACKER_TOKEN"\nproject = "SEC"\n'
    )
    cli.ok("settings", "import", settings)


def _serial(cli, db_url: str, fake: FakeTrackers, tmp_path) -> None:
    _setup(cli, db_url, fake, tmp_path)
    for args in DRIFT_INGESTS:
        cli.ok("--ingest", *args, "--at", T1)
    cli.ok("worker", "--once", "--at", T6)
    cli.ok("worker", "--once", "--at", T7)


def _concurrent(cli, db_url: str, fake: FakeTrackers, tmp_path) -> list[str]:
    _setup(cli, db_url, fake, tmp_path)
    env = _env(tmp_path)
    numbers = itertools.count()
    started = []  # (process, stdout file, stderr file)

    def start(*args: str):  # type: ignore[no-untyped-def]
        """``casedesk *args`` in a process of its own (forked warm: see tests/forked.py)."""
        n = next(numbers)
        out, err = tmp_path / f"{n}.out", tmp_path / f"{n}.err"
        process = forked.start(["--db", db_url, *args], env, stdout=out, stderr=err)
        started.append((process, out, err))
        return process

    def finish(processes, timeout: float) -> list[int | None]:  # type: ignore[no-untyped-def]
        for process in processes:
            process.join(timeout=timeout)
        return [process.exitcode for process in processes]

    def outputs() -> list[tuple[str, str]]:
        return [(out.read_text(), err.read_text()) for _, out, err in started]

    # Phase 2: workers loop (their clock at T0+2h: windows still open) while ingests race.
    workers = [start("worker", "--at", T2) for _ in range(4)]
    ingests = [start("--ingest", *args, "--at", T1, "--json") for args in DRIFT_INGESTS]
    assert finish(ingests, 120) == [0] * len(ingests), outputs()
    for worker in workers:
        worker.terminate()
    assert finish(workers, 60) == [0] * 4, outputs()  # SIGTERM ends the loop cleanly
    # Phase 3: four workers finalize the windows and send the tickets at the same time.
    finishers = [start("worker", "--once", "--at", T6) for _ in range(4)]
    assert finish(finishers, 120) == [0] * 4, outputs()
    cli.ok("worker", "--once", "--at", T7)  # anything rescheduled by contention
    return [err for _, err in outputs()]


def _state(db_url: str) -> dict[str, object]:
    engine = make_engine(db_url)
    with read_session(engine) as session:
        states = sorted(
            session.execute(
                select(Asset.key, Finding.key, ResultState.status)
                .join(Asset, Asset.id == ResultState.asset_id)
                .join(Finding, Finding.id == ResultState.finding_id)
            ).all()
        )
        cases = []
        for case in session.scalars(select(Case)):
            assets = sorted(
                session.scalars(
                    select(Asset.key)
                    .join(CaseItem, CaseItem.asset_id == Asset.id)
                    .where(CaseItem.case_id == case.id)
                )
            )
            finding = session.get(Finding, case.finding_id).key
            cases.append((finding, tuple(assets), case.status, case.title))
        reports = len(session.scalars(select(Report.id)).all())
    engine.dispose()
    return {"states": states, "cases": sorted(cases), "reports": reports}


def test_concurrent_workers_and_ingests_equal_a_serial_run(cli, db_url, tmp_path, monkeypatch):
    monkeypatch.setenv("TRACKER_TOKEN", TOKEN)
    with FakeTrackers() as serial_fake:
        _serial(cli, f"sqlite:///{tmp_path / 'serial.db'}", serial_fake, tmp_path)
        expected = _state(f"sqlite:///{tmp_path / 'serial.db'}")
        assert len(serial_fake.issues_in("jira", "SEC")) == len(expected["cases"])
    with FakeTrackers() as fake:
        fake.latency = 0.01
        errors = _concurrent(cli, db_url, fake, tmp_path)
        issues = fake.issues_in("jira", "SEC")
        assert fake.spec_violations == []
    actual = _state(db_url)
    # 3 controls drift on 4 hosts (3 cases of 4 assets) and 27 CVEs on py (27 cases of 1).
    assert len(expected["cases"]) == 30
    assert actual == expected
    markers = [label for issue in issues for label in issue.labels if label.startswith("casedesk-")]
    assert len(markers) == len(set(markers)) == len(actual["cases"])  # one ticket per case
    for stderr in errors:
        assert not any(word in stderr for word in TROUBLE), stderr
