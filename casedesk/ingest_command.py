"""``casedesk --ingest FILE…``: read, parse and validate every file, then store them.

Every file is read and parsed before anything is written, so bad input anywhere changes nothing
(exit 2). Each report is then stored in its own transaction (rule 6).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import orjson

from casedesk.errors import UsageError, one_line
from casedesk.progress import Progress
from integrations.scanners import parse_report
from integrations.scanners.records import ReportError
from integrations.scanners.sanitize import clean_report
from store.spaces import DEFAULT_SPACE
from worker.cases import CaseCounts
from worker.due import run_due_work
from worker.ingest import IngestOutcome, PreparedReport, ingest, prepare

#: Reports bigger than this get a progress bar on a terminal.
PROGRESS_THRESHOLD_ASSETS = 200


def read_input(name: str) -> bytes:
    """The bytes of a file, or of standard input for ``-``."""
    if name == "-":
        return sys.stdin.buffer.read()
    path = Path(name)
    try:
        if path.is_dir():
            raise UsageError(f"{name}: is a directory, not a report file")
        return path.read_bytes()
    except FileNotFoundError:
        raise UsageError(f"{name}: no such file") from None
    except PermissionError:
        raise UsageError(f"{name}: permission denied") from None
    except OSError as error:
        raise UsageError(f"{name}: cannot read: {error.strerror}") from None


def load_reports(args: argparse.Namespace) -> list[PreparedReport]:
    """Read and parse every file named by ``--ingest``; raises UsageError on the first bad one."""
    if args.ingest.count("-") > 1:
        raise UsageError("standard input ('-') can be read only once")
    prepared = []
    for name in args.ingest:
        data = read_input(name)
        label = "<stdin>" if name == "-" else name
        try:
            parsed = clean_report(parse_report(data, format=args.format))
            prepared.append(
                prepare(data, parsed, file_name=label, asset_key=args.asset, partial=args.partial)
            )
        except ReportError as error:
            raise UsageError(f"{label}: {error}") from None
    if args.asset is not None and not args.asset.strip():
        raise UsageError("--asset needs a non-empty key")
    return prepared


def run_ingest(context, args: argparse.Namespace) -> int:  # type: ignore[no-untyped-def]
    reports = load_reports(args)
    engine = context.engine()
    outcomes: list[IngestOutcome] = []
    for report in reports:
        progress = Progress(f"storing {Path(report.file_name).name}: assets")
        big = len(report.parsed.assets) >= PROGRESS_THRESHOLD_ASSETS
        try:
            outcome = ingest(
                engine,
                report,
                space=args.space or DEFAULT_SPACE,
                user=context.user,
                now=context.now,
                progress=progress.update if big else None,
            )
        finally:
            progress.finish()
        outcomes.append(outcome)
    cases = CaseCounts()
    for outcome in outcomes:
        cases.add(outcome.cases)
    # The same due work the worker runs: windows that closed, cases now fixed, tickets.
    cases.add(run_due_work(engine, context.now, context.dispatcher()))
    if args.json:
        document = {"reports": [o.as_json() for o in outcomes], "cases": cases.as_json()}
        sys.stdout.write(orjson.dumps(document, option=orjson.OPT_INDENT_2).decode() + "\n")
    else:
        for outcome in outcomes:
            print(describe(outcome))
        if any(cases.as_json().values()):
            print(
                f"cases: {cases.created} created, {cases.joined} joined, "
                f"{cases.finalized} finalized, {cases.closed} closed"
            )
    return 0


def describe(outcome: IngestOutcome) -> str:
    """One human line per report."""
    name = one_line(outcome.file, 200)
    counts = f"{_plural(outcome.assets, 'asset')}, {_plural(outcome.results, 'result')}"
    head = f"{name} ({outcome.format}): {counts}"
    if outcome.duplicate:
        return f"{head}; already ingested, nothing changed"
    return f"{head}; {_plural(outcome.drift, 'drift event')}, {outcome.fixed} fixed"


def _plural(count: int, noun: str) -> str:
    return f"{count:,} {noun}" + ("" if count == 1 else "s")
