"""Property test: random scan sequences over a few assets and findings keep the case invariants.

Invariants (issue 3): an (asset, finding) is in at most one pending/open case; progress equals
fixed/total; a closed case never changes; no pending case outlives its window after a worker run.
"""

from __future__ import annotations

import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from integrations.scanners import parse_report
from store.engine import make_engine, read_session, write_session
from store.migrate import upgrade
from store.models import Case, CaseItem
from store.settings import change_setting
from store.spaces import get_or_create_space
from tests.native import native
from worker.case_service import CaseService
from worker.cases import progress
from worker.due import run_due_work
from worker.ingest import ingest, prepare

# Few assets and findings, so that random sequences often revisit the same pairs.
ASSETS = ("a1", "a2")
FINDINGS = ("ssh", "CVE-2024-1")
START = datetime(2026, 3, 1, tzinfo=UTC)

scan = st.fixed_dictionaries(
    {
        "hours": st.integers(min_value=0, max_value=3),  # time since the previous step
        "asset": st.sampled_from(ASSETS),
        "results": st.dictionaries(
            st.sampled_from(FINDINGS),
            st.sampled_from(("good", "bad", "good", "bad", "skip")),
            min_size=1,
        ),
        "worker": st.booleans(),
        # Closing by hand is rare, so that cases live long enough to see regressions.
        "close": st.integers(min_value=0, max_value=9).map(lambda n: n == 0),
    }
)


def _status(finding: str, word: str) -> str:
    vulnerability = finding.startswith("CVE-")
    return {
        "good": "absent" if vulnerability else "pass",
        "bad": "detected" if vulnerability else "fail",
    }.get(word, "skip")


def _snapshot(session, case_id: int) -> tuple:
    case = session.get(Case, case_id)
    items = session.execute(
        select(CaseItem.asset_id, CaseItem.finding_id, CaseItem.status, CaseItem.fixed_at)
        .where(CaseItem.case_id == case_id)
        .order_by(CaseItem.id)
    ).all()
    return (case.status, case.title, case.closed_at, case.updated_at, tuple(map(tuple, items)))


def _step(asset: str, word: str, **extra: object) -> dict:
    return {
        "hours": 1,
        "asset": asset,
        "results": {"ssh": word},
        "worker": False,
        "close": False,
    } | extra


# A regression inside a case (a1 fixed, then failing again while a2 keeps the case open).
REGRESSION = [
    _step("a1", "good"),
    _step("a2", "good"),
    _step("a1", "bad"),
    _step("a2", "bad"),
    _step("a1", "good"),
    _step("a1", "bad"),
]


@pytest.fixture(scope="module")
def migrated(tmp_path_factory) -> Path:
    """A SQLite database at the newest schema, built once: each example starts from a copy,
    not from running every migration again (migrations have their own tests)."""
    path = tmp_path_factory.mktemp("schema") / "template.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    engine.dispose()  # the last connection checkpoints the WAL into the file
    assert not path.with_name("template.db-wal").exists()
    return path


@example(steps=REGRESSION, window=4)
@example(steps=[*REGRESSION[:5], _step("a1", "bad", worker=True, hours=5)], window=4)
@settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(steps=st.lists(scan, min_size=1, max_size=16), window=st.sampled_from((0, 1, 4)))
def test_random_scan_sequences_keep_the_case_invariants(tmp_path_factory, migrated, steps, window):
    path = tmp_path_factory.mktemp("prop") / "p.db"
    shutil.copyfile(migrated, path)
    path.chmod(0o600)
    engine = make_engine(f"sqlite:///{path}")
    assert not upgrade(engine), "the copy is at the newest schema already"
    now = START
    with write_session(engine) as session:
        space = get_or_create_space(session, name="default", user="alice", now=now)
        change_setting(session, space, "aggregation_window_hours", window, actor="alice", now=now)
    closed: dict[int, tuple] = {}
    service = CaseService(engine, "alice")
    for step in steps:
        now += timedelta(hours=step["hours"], minutes=1)
        results = {f: _status(f, word) for f, word in step["results"].items()}
        data = native({step["asset"]: results})
        ingest(
            engine,
            prepare(data, parse_report(data), file_name="x"),
            space="default",
            user="alice",
            now=now,
        )
        if step["worker"]:
            run_due_work(engine, now)
            with read_session(engine) as session:
                overdue = session.scalar(
                    select(func.count(Case.id)).where(
                        Case.status == "pending", Case.window_closes_at <= now
                    )
                )
            assert overdue == 0, "a pending case outlived its window after a worker run"
        if step["close"]:
            open_cases = service.list_cases(None, "active")
            if open_cases:
                service.close(open_cases[-1].id, now=now)
        with read_session(engine) as session:
            # 1. at most one active case per (asset, finding)
            pairs = session.execute(
                select(CaseItem.asset_id, CaseItem.finding_id, func.count())
                .join(Case, Case.id == CaseItem.case_id)
                .where(Case.status.in_(("pending", "open", "error")))
                .group_by(CaseItem.asset_id, CaseItem.finding_id)
            ).all()
            assert all(count == 1 for _, _, count in pairs)
            # 2. progress = assets whose items are all fixed / assets
            ids = list(session.scalars(select(Case.id)))
            computed = progress(session, ids)
            for case_id in ids:
                statuses: dict[int, set[str]] = {}
                for asset_id, status in session.execute(
                    select(CaseItem.asset_id, CaseItem.status).where(CaseItem.case_id == case_id)
                ):
                    statuses.setdefault(asset_id, set()).add(status)
                expected = (sum(s == {"fixed"} for s in statuses.values()), len(statuses))
                assert computed[case_id] == expected
            # 3. a closed case never changes
            for case_id, snapshot in closed.items():
                assert _snapshot(session, case_id) == snapshot
            for case_id in session.scalars(select(Case.id).where(Case.status == "closed")):
                closed.setdefault(case_id, _snapshot(session, case_id))
    engine.dispose()
