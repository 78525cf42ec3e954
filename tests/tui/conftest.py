"""Data for the terminal app's tests, built through the real services on a real SQLite file.

One small space is built once per session (native reports ingested with fixed clocks, windows
finalized by ``run_due_work``, tickets sent by the real dispatcher to an in-process tracker)
and copied into each test's tmp_path, so every test starts from the same bytes and snapshots
stay stable.
"""

from __future__ import annotations

import contextlib
import shutil
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson
import pytest
from sqlalchemy import Engine
from textual.pilot import Pilot
from textual.worker import WorkerCancelled, WorkerState

from integrations.scanners import parse_report
from integrations.scanners.sanitize import clean_report
from integrations.tickets.base import PermanentError, TicketContent, TicketRef
from store.engine import make_engine
from store.migrate import upgrade
from tests.native import native
from tui.app import CasedeskApp
from worker.admin_service import AdminService
from worker.case_service import CaseService
from worker.dispatch import Dispatcher
from worker.due import run_due_work
from worker.ingest import IngestOutcome, ingest, prepare
from worker.integration_service import IntegrationService

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
#: "Now" for every app under test: a day after the first scan, frozen.
NOW = T0 + timedelta(days=1)
HOSTS = [f"web-{n}.example" for n in range(1, 7)]
#: Finding key → (title, severity, score).
FINDINGS = {
    "ssh-root-login": ("Ensure SSH root login is disabled", "critical", 9.1),
    "tls-old": ("Ensure TLS 1.0 and 1.1 are disabled", "medium", 5.3),
    "audit-log": ("Ensure audit logging is enabled", "low", 3.1),
    "CVE-2026-0001": ("openssl: buffer overflow in the X.509 parser", "high", 8.1),
    **{
        f"cis-{n:02d}": (title, severity, score)
        for n, (title, severity, score) in enumerate(
            [
                ("Ensure password expiration is 365 days or less", "medium", 5.0),
                ("Ensure the firewall default deny policy is set", "high", 7.4),
                ("Ensure core dumps are restricted", "low", 2.2),
                ("Ensure permissions on /etc/shadow are configured", "critical", 9.4),
                ("Ensure NTP is configured", "none", 0.0),
                ("Ensure unused filesystems are disabled", "medium", 4.8),
                ("Ensure sudo logs to a dedicated file", "low", 3.0),
                ("Ensure SELinux is enforcing", "high", 7.9),
                ("Ensure remote rsyslog is configured", "medium", 5.5),
                ("Ensure AIDE is installed", "low", 2.9),
            ],
            start=1,
        )
    },
}
CIS = [key for key in FINDINGS if key.startswith("cis-")]


def frozen() -> datetime:
    return NOW


class FakeTracker:
    """An in-process ticket system: SEC-<100 + case id>; refuses vulnerability tickets."""

    def create(self, destination: str, content: TicketContent) -> TicketRef:
        if content.kind == "vulnerability":
            raise PermanentError("project SEC does not accept issue type Task (HTTP 400)")
        key = f"SEC-{100 + content.case_id}"
        return TicketRef(key=key, url=f"https://jira.example/browse/{key}")

    def find(self, destination: str, marker: str) -> TicketRef | None:
        return None

    def close(self, destination: str, ref: TicketRef) -> None:
        return None

    def test(self, destination: str) -> None:
        return None


def dispatcher(tracker: object | None = None) -> Dispatcher:
    return Dispatcher(client_factory=lambda _settings: tracker or FakeTracker())


def report(
    assets: dict[str, dict[str, str]],
    at: datetime,
    findings: dict[str, tuple[str, str, float]] | None = None,
) -> bytes:
    """A native report (vulnerabilities scanned completely) with titles and ratings."""
    described = findings or FINDINGS
    document = orjson.loads(
        native(
            assets,
            scanned_at=at.isoformat(),
            complete=("vulnerability",),
            titles={key: title for key, (title, _rating, _score) in described.items()},
        )
    )
    for finding in document["findings"]:
        _title, rating, score = described.get(finding["key"], ("", "high", 7.0))
        finding.update(severity=rating, score=score, source="casedesk test baseline")
        finding["description"] = f"Why {finding['key']} matters."
        finding["remediation"] = f"How to fix {finding['key']}."
    return orjson.dumps(document)


def ingest_report(
    engine: Engine,
    assets: dict[str, dict[str, str]],
    at: datetime,
    *,
    space: str = "default",
    user: str = "alice",
    findings: dict[str, tuple[str, str, float]] | None = None,
) -> IngestOutcome:
    """Ingest one report dated ``at`` through the real parser and ingest."""
    data = report(assets, at, findings)
    prepared = prepare(data, clean_report(parse_report(data)), file_name="scan.json")
    return ingest(engine, prepared, space=space, user=user, now=at)


def scan(bad: dict[str, set[str]] | None = None) -> dict[str, dict[str, str]]:
    """Every host scanned for every finding; ``bad`` maps a finding to the hosts failing it."""
    bad = bad or {}
    return {
        host: {
            key: (
                ("detected" if key.startswith("CVE-") else "fail")
                if host in bad.get(key, set())
                else ("absent" if key.startswith("CVE-") else "pass")
            )
            for key in FINDINGS
        }
        for host in HOSTS
    }


def build_space(engine: Engine) -> None:
    """alice (owner), bob (editor), carol (viewer); open, pending, error and closed cases."""
    upgrade(engine)
    ingest_report(engine, scan(), T0)
    admin = AdminService(engine, "alice")
    admin.add_member("default", "bob", "editor", now=T0)
    admin.add_member("default", "carol", "viewer", now=T0)
    IntegrationService(engine, "alice").save(
        "default",
        {
            "name": "jira-sec",
            "kind": "jira",
            "url": "https://jira.example",
            "flavor": "cloud",
            "email": "bot@example.com",
            "token_env": "CASEDESK_TEST_JIRA_TOKEN",
            "project": "SEC",
            "options": {"concurrency": 1, "min_interval_seconds": 0},
        },
        now=T0,
    )
    drifted = drift_state()
    ingest_report(engine, scan(drifted), T0 + timedelta(hours=1))
    run_due_work(engine, T0 + timedelta(hours=6), dispatcher())
    ingest_report(engine, scan(fixed_state()), T0 + timedelta(hours=8))
    cases = CaseService(engine, "alice")
    tls = next(case for case in cases.list_cases("default", "all") if "TLS" in case.title)
    cases.close(tls.id, now=T0 + timedelta(hours=9), reason="accepted risk")
    run_due_work(engine, T0 + timedelta(hours=9), dispatcher())
    ingest_report(engine, scan(final_state()), NOW - timedelta(hours=1))


def drift_state() -> dict[str, set[str]]:
    """An hour after the baseline: ssh on every host, TLS on one, a new CVE on two, CIS checks
    here and there (cis-NN fails on the first NN % 4 + 1 hosts)."""
    return {
        "ssh-root-login": set(HOSTS),
        "tls-old": {HOSTS[0]},
        "CVE-2026-0001": {HOSTS[1], HOSTS[2]},
        **{key: set(HOSTS[: n % 4 + 1]) for n, key in enumerate(CIS, start=1)},
    }


def fixed_state() -> dict[str, set[str]]:
    """Some hosts fixed (cis-04 on every host: its case closes by itself)."""
    state = drift_state()
    state["ssh-root-login"] -= {HOSTS[0], HOSTS[1]}
    state["cis-02"] -= {HOSTS[0]}
    state["cis-06"] -= {HOSTS[0], HOSTS[2]}
    state["cis-04"] = set()
    return state


def final_state() -> dict[str, set[str]]:
    """What the last scan said: new drift on audit-log, still inside its window at NOW."""
    state = fixed_state()
    state["audit-log"] = {HOSTS[3]}
    return state


@pytest.fixture
def anyio_backend() -> str:
    """Pilot tests run on asyncio, through anyio's pytest plugin (``pytest.mark.anyio``)."""
    return "asyncio"


@pytest.fixture(scope="session")
def template_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "casedesk.db"
    engine = make_engine(f"sqlite:///{path}")
    build_space(engine)
    engine.dispose()
    return path


@pytest.fixture
def engine(template_db: Path, tmp_path: Path) -> Iterator[Engine]:
    """A private copy of the session's space for one test."""
    path = tmp_path / "casedesk.db"
    shutil.copy(template_db, path)
    engine = make_engine(f"sqlite:///{path}")
    yield engine
    engine.dispose()


AppFactory = Callable[..., CasedeskApp]


@pytest.fixture
def make_app(engine: Engine) -> AppFactory:
    """A CasedeskApp on the test's database: frozen clock, no background loops unless asked,
    notifications recorded (``notes_of``)."""

    def factory(
        user: str = "alice",
        clock: Callable[[], datetime] = frozen,
        space: str | None = None,
        **options: object,
    ) -> CasedeskApp:
        options.setdefault("worker_interval", None)
        options.setdefault("refresh_interval", None)
        app = CasedeskApp(engine, user, space, clock, **options)  # type: ignore[arg-type]
        app.animation_level = "none"  # no tab underline sliding: stable, fast snapshots
        notes: list[str] = []
        shown = app.notify

        def notify(message: str, **kwargs: object) -> None:
            notes.append(str(message))
            shown(message, **kwargs)  # type: ignore[arg-type]

        app.notify = notify  # type: ignore[method-assign]
        app.recorded_notes = notes  # type: ignore[attr-defined]
        return app

    return factory


def notes_of(app: CasedeskApp) -> list[str]:
    """Every notification the app showed, oldest first."""
    return app.recorded_notes  # type: ignore[attr-defined,no-any-return]


async def settle(pilot: Pilot[object]) -> None:
    """Wait until the app's workers are done and the messages they posted are handled
    (handlers may start more workers: loop until none is left)."""
    workers = pilot.app.workers
    for _ in range(20):
        # An exclusive worker replaced by a newer one (a reload after a context change) ends
        # cancelled: expected, and the newer one is waited for on the next pass.
        with contextlib.suppress(WorkerCancelled):
            await workers.wait_for_complete()
        await pilot.pause()
        if not any(
            worker.state in (WorkerState.PENDING, WorkerState.RUNNING) for worker in workers
        ):
            await pilot.pause()
            return
