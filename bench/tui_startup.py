"""Terminal app speed: start to painted case list on a big database, beside a bare Textual app.

    .venv/bin/python bench/tui_startup.py [--cases 100000] [--items-per-case 10] [--keep DIR]

builds a SQLite database with ``--cases`` cases and ``--cases × --items-per-case`` case items
(SQLAlchemy Core ``executemany``, not through ingest), then measures in the same run:

* the yardstick: a bare Textual app that shows a 50-row DataTable, start → first painted frame;
* casedesk's app on that database, start → the first frame that shows case rows;
* peak memory (VmHWM) of the process that ran the casedesk app;
* key → next painted frame for page-down and for a filter keystroke, and key → the frame that
  shows the new page / the filtered rows.

Goals (issue 5): start within 2.5x of the bare app; key → frame under 50 ms. Figures are
printed, never asserted: machines differ, the ratio is what we track
(docs/performance.md).
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import insert

from store.engine import make_engine, write_session
from store.migrate import upgrade
from store.models import (
    Asset,
    AuditEvent,
    Case,
    CaseItem,
    Finding,
    Integration,
    Member,
    Space,
    Ticket,
)
from tests.terminal import Terminal, casedesk_env
from tui.screens.cases import FILTER_DELAY

T0 = datetime(2026, 1, 5, 6, 0, tzinfo=UTC)
SEVERITIES = ("critical", "high", "medium", "low", "none")
CHUNK = 20_000


def build_database(
    path: Path, *, cases: int = 100_000, items_per_case: int = 10, user: str = "bench"
) -> None:
    """A space with ``cases`` cases and ``cases * items_per_case`` items, written in bulk."""
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    rng = random.Random(5)
    assets = max(items_per_case * 20, 1000)
    findings = 500
    with write_session(engine) as session:
        session.execute(
            insert(Space), [{"id": 1, "name": "default", "created_at": T0, "created_by": user}]
        )
        session.execute(insert(Member), [{"space_id": 1, "user": user, "role": "owner"}])
        session.execute(
            insert(Asset),
            [
                {
                    "id": index + 1,
                    "space_id": 1,
                    "key": f"host-{index:05d}.bench.example",
                    "name": f"host-{index:05d}.bench.example",
                    "platform": "debian 12",
                    "first_seen_at": T0,
                    "last_observed_at": T0,
                }
                for index in range(assets)
            ],
        )
        session.execute(
            insert(Finding),
            [
                {
                    "id": index + 1,
                    "space_id": 1,
                    "key": f"bench-check-{index:04d}",
                    "kind": "check",
                    "title": f"Ensure benchmark control {index} is configured",
                    "severity": SEVERITIES[index % len(SEVERITIES)],
                    "score": round(rng.uniform(1, 10), 1),
                    "description": "",
                    "remediation": "",
                    "source": "Bench Baseline",
                }
                for index in range(findings)
            ],
        )
        session.execute(
            insert(Integration),
            [{"id": 1, "space_id": 1, "name": "jira-sec", "kind": "jira", "project": "SEC"}],
        )
    for start in range(0, cases, CHUNK):
        stop = min(start + CHUNK, cases)
        case_rows, item_rows, ticket_rows, audit_rows = [], [], [], []
        for case_id in range(start + 1, stop + 1):
            finding = rng.randrange(findings) + 1
            created = T0 + timedelta(minutes=case_id)
            roll = rng.random()
            status = (
                "closed"
                if roll < 0.2
                else "pending"
                if roll < 0.25
                else "error"
                if roll < 0.27
                else "open"
            )
            severity = SEVERITIES[(finding - 1) % len(SEVERITIES)].upper()
            case_rows.append(
                {
                    "id": case_id,
                    "space_id": 1,
                    "kind": "drift",
                    "status": status,
                    "finding_id": finding,
                    "title": f"[{severity}] Ensure benchmark control {finding - 1} is configured"
                    f" on {items_per_case} assets",
                    "notes": "",
                    "created_at": created,
                    "created_by": None,
                    "updated_at": created,
                    "close_reason": "",
                    "error_message": "",
                }
            )
            first = rng.randrange(assets - items_per_case)
            fixed = rng.randrange(items_per_case + 1)
            for offset in range(items_per_case):
                item_rows.append(
                    {
                        "case_id": case_id,
                        "asset_id": first + offset + 1,
                        "finding_id": finding,
                        "status": "fixed" if offset < fixed else "open",
                        "added_at": created,
                    }
                )
            if status in ("open", "closed"):
                ticket_rows.append(
                    {
                        "case_id": case_id,
                        "integration_id": 1,
                        "destination": "SEC",
                        "key": f"SEC-{case_id}",
                        "url": f"https://example.atlassian.net/browse/SEC-{case_id}",
                        "state": "open",
                        "created_at": created,
                    }
                )
            audit_rows.append(
                {
                    "space_id": 1,
                    "case_id": case_id,
                    "at": created,
                    "actor": "casedesk",
                    "action": "created",
                    "detail": "drift case",
                }
            )
        with write_session(engine) as session:
            session.execute(insert(Case), case_rows)
            session.execute(insert(CaseItem), item_rows)
            session.execute(insert(Ticket), ticket_rows)
            session.execute(insert(AuditEvent), audit_rows)
    engine.dispose()


#: The yardstick: a bare Textual app that paints a 50-row DataTable.
BARE_APP = """
from textual.app import App
from textual.widgets import DataTable


class Bare(App):
    def compose(self):
        yield DataTable()

    def on_mount(self):
        table = self.query_one(DataTable)
        table.add_columns("Rating", "Title", "Created", "Progress", "Ticket")
        for n in range(50):
            table.add_row("HIGH", f"bare-row-{n:02d} Ensure control is configured",
                          "2026-01-05", "3/10 30%", f"SEC-{n}")


Bare().run()
"""


def _median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def _peak_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    raise RuntimeError("no VmHWM in /proc: this benchmark needs Linux")


def time_to_paint(program: list[str], needle: str, env: dict[str, str], cwd: Path) -> float:
    """Seconds from spawning ``program`` on an 80x24 pty to the first frame showing ``needle``."""
    started = time.monotonic()
    terminal = Terminal([], env=env, cwd=cwd, program=program)
    try:
        terminal.wait_for(needle, timeout=120)
        return time.monotonic() - started
    finally:
        terminal.close()


def measure(database: Path, runs: int, presses: int) -> None:
    workdir = database.parent
    env = casedesk_env(workdir, f"sqlite:///{database}", user="bench")
    casedesk = [sys.executable, "-m", "casedesk.cli"]
    bare = [sys.executable, "-c", BARE_APP]
    # Warm the page cache and Python's bytecode cache once for both, then alternate runs.
    time_to_paint(bare, "bare-row-00", env, workdir)
    time_to_paint(casedesk, "Ensure benchmark control", env, workdir)
    bare_times, app_times = [], []
    for _ in range(runs):
        bare_times.append(time_to_paint(bare, "bare-row-00", env, workdir))
        app_times.append(time_to_paint(casedesk, "Ensure benchmark control", env, workdir))
    print(f"bare 50-row DataTable, start to painted rows: median {_median(bare_times):.3f} s")
    print(f"casedesk case list,     start to painted rows: median {_median(app_times):.3f} s")
    ratio = _median(app_times) / _median(bare_times)
    print(f"  ratio {ratio:.2f}x (goal: within 2.5x)")

    terminal = Terminal([], env=env, cwd=workdir, program=casedesk)
    try:
        terminal.wait_for("Ensure benchmark control", timeout=120)
        terminal.wait_for("cases · sorted by", timeout=120)
        page_first, page_done = [], []
        for _ in range(presses):
            first, done = terminal.time_key("pagedown")
            page_first.append(first)
            page_done.append(done)
        terminal.press("/")
        terminal.settle()
        filter_first, filter_done = [], []
        # Each keystroke narrows the filter; the status line repaints with the new text.
        typed = ""
        for char in "control 4"[: max(1, presses)]:
            typed += char
            first, done = terminal.time_key(char, until=f"matching “{typed}”")
            filter_first.append(first)
            filter_done.append(done)
        # VmHWM, read before quitting: the rusage of a child counts the parent's memory at
        # fork (Linux keeps maxrss across exec), which would charge this script's build to it.
        peak_kb = _peak_kb(terminal.process.pid)
        terminal.press("escape", "q")
        terminal.wait_exit()
    finally:
        terminal.close()
    ms = 1000
    print(
        f"page-down: key to next frame median {_median(page_first) * ms:.1f} ms,"
        f" max {max(page_first) * ms:.1f} ms; to settled frame median"
        f" {_median(page_done) * ms:.1f} ms ({presses} presses; goal under 50 ms)"
    )
    print(
        f"filter keystroke: key to next frame median {_median(filter_first) * ms:.1f} ms,"
        f" max {max(filter_first) * ms:.1f} ms; to the filtered rows (after the"
        f" {FILTER_DELAY * ms:.0f} ms typing pause) median {_median(filter_done) * ms:.1f} ms,"
        f" max {max(filter_done) * ms:.1f} ms"
    )
    print(f"peak memory (VmHWM) of the casedesk app process: {peak_kb / 1024:.0f} MB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--items-per-case", type=int, default=10)
    parser.add_argument("--runs", type=int, default=5, help="start-up runs of each app")
    parser.add_argument("--presses", type=int, default=20, help="page-down presses timed")
    parser.add_argument("--keep", type=Path, help="build (or reuse) the database in this folder")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="casedesk-tui-bench-") as scratch:
        folder = args.keep or Path(scratch)
        folder.mkdir(parents=True, exist_ok=True)
        database = folder / "bench.db"
        if not database.exists():
            began = time.monotonic()
            build_database(database, cases=args.cases, items_per_case=args.items_per_case)
            print(
                f"built {args.cases:,} cases and {args.cases * args.items_per_case:,} case items"
                f" in {time.monotonic() - began:.1f} s"
            )
        measure(database, args.runs, args.presses)


if __name__ == "__main__":
    main()
