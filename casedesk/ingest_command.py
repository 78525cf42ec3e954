"""``casedesk --ingest FILE…``: read, parse and validate every file, then store them.

Every file is read and parsed before anything is written, so bad input anywhere changes nothing
(exit 2). Each report is then stored in its own transaction (rule 6).
"""

from __future__ import annotations

import argparse
import sys
from datetime import datetime, timedelta
from pathlib import Path
from typing import BinaryIO

import orjson

from casedesk.errors import UsageError, one_line
from casedesk.progress import Progress
from integrations.scanners import parse_report
from integrations.scanners.records import AssetScan, ReportError
from integrations.scanners.sanitize import MAX_KEY_LENGTH, clean_report
from worker.cases import CaseCounts
from worker.due import run_due_work
from worker.ingest import IngestOutcome, PreparedReport, ingest, prepare

#: Reports bigger than this get a progress bar on a terminal.
PROGRESS_THRESHOLD_ASSETS = 200


#: Larger input is refused before it is read whole (``--ingest /dev/zero`` must not eat the
#: machine's memory); the largest real fleet reports are a few hundred megabytes.
MAX_REPORT_BYTES = 1 << 30
#: A scanner's clock may run a little ahead of ours; a report dated later than this after
#: the clock is refused, since it would hold its assets still until that time.
CLOCK_SKEW = timedelta(days=1)
#: Asset keys scanners fall back to when they know nothing better: reports of different
#: hosts or repositories would then be one asset, and a clean scan of one fix the other.
GENERIC_ASSET_KEYS = frozenset({".", "/", "localhost", "localhost.localdomain", "127.0.0.1", "::1"})


def read_input(name: str) -> bytes:
    """The bytes of a file, or of standard input for ``-``, up to MAX_REPORT_BYTES."""
    if name == "-":
        return _read_capped(sys.stdin.buffer, name)
    path = Path(name)
    try:
        if path.is_dir():
            raise UsageError(f"{name}: is a directory, not a report file")
        with path.open("rb") as stream:
            return _read_capped(stream, name)
    except FileNotFoundError:
        if name in _command_names():  # `casedesk --ingest a.json worker`: taken as a file
            raise UsageError(
                f"{name}: no such file (--ingest takes every word after it as a file;"
                f" run `casedesk {name}` as its own command)"
            ) from None
        raise UsageError(f"{name}: no such file") from None
    except PermissionError:
        raise UsageError(f"{name}: permission denied") from None
    except OSError as error:
        raise UsageError(f"{name}: cannot read: {error.strerror}") from None


def _command_names() -> set[str]:
    """casedesk's commands, as the parser knows them (read only when a file is missing)."""
    from casedesk.cli import build_parser

    return {
        name
        for action in build_parser()._actions
        if isinstance(action, argparse._SubParsersAction)
        for name in action.choices
    }


def _read_capped(stream: BinaryIO, name: str) -> bytes:
    data = stream.read(MAX_REPORT_BYTES + 1)  # a pipe or device may never end
    if len(data) > MAX_REPORT_BYTES:
        label = "standard input" if name == "-" else name
        raise UsageError(f"{label}: larger than {MAX_REPORT_BYTES >> 30} GiB; split the report")
    return data


def load_reports(args: argparse.Namespace, now: datetime) -> list[PreparedReport]:
    """Read and parse every file named by ``--ingest``; raises UsageError on the first bad one."""
    if args.ingest.count("-") > 1:
        raise UsageError("standard input ('-') can be read only once")
    if args.asset is not None:
        _check_asset_option(args.asset)
        if len(args.ingest) > 1:  # the reports' assets would all become one, and fix each other
            raise UsageError("--asset names the asset of one report; ingest one file with it")
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
        _check_scan_time(label, parsed.scanned_at, now)
        if args.asset is None:
            _warn_about_generic_keys(label, parsed.assets)
    return prepared


def _check_asset_option(key: str) -> None:
    if not key.strip():
        raise UsageError("--asset needs a non-empty key")
    if not key.isprintable():
        raise UsageError("--asset must be printable text (no control characters or newlines)")
    if len(key) > MAX_KEY_LENGTH:
        raise UsageError(f"--asset is longer than {MAX_KEY_LENGTH} characters")


def _check_scan_time(label: str, scanned_at: datetime | None, now: datetime) -> None:
    if scanned_at is not None and scanned_at > now + CLOCK_SKEW:
        raise UsageError(
            f"{label}: scanned at {scanned_at:%Y-%m-%d %H:%M} UTC, later than the clock"
            f" ({now:%Y-%m-%d %H:%M} UTC); check the scanner's clock, or give --at"
        )


def is_generic_asset_key(asset: AssetScan) -> bool:
    """A key that names no particular host or repository (see GENERIC_ASSET_KEYS)."""
    key = asset.key.lower()
    platform_name = asset.platform.split()[0].lower() if asset.platform.strip() else ""
    # SARIF without a repository URI falls back to "<tool>:<root>", InSpec to the platform.
    return key in GENERIC_ASSET_KEYS or key.endswith(":.") or key == platform_name


def _warn_about_generic_keys(label: str, assets: list[AssetScan]) -> None:
    generic = [asset.key for asset in assets if is_generic_asset_key(asset)]
    if generic:
        shown = ", ".join(repr(one_line(key, 60)) for key in generic[:3])
        more = f" and {len(generic) - 3} more" if len(generic) > 3 else ""
        print(
            f"casedesk: warning: {one_line(label, 200)}: asset {shown}{more} is a generic name;"
            " give --asset so scans of different hosts or repositories stay apart",
            file=sys.stderr,
        )


def run_ingest(context, args: argparse.Namespace) -> int:  # type: ignore[no-untyped-def]
    reports = load_reports(args, context.now)
    engine = context.engine()
    outcomes: list[IngestOutcome] = []
    for report in reports:
        progress = Progress(f"storing {Path(report.file_name).name}: assets")
        big = len(report.parsed.assets) >= PROGRESS_THRESHOLD_ASSETS
        try:
            outcome = ingest(
                engine,
                report,
                space=args.space,
                user=context.user,
                now=context.now,
                progress=progress.update if big else None,
            )
        finally:
            progress.finish()
        outcomes.append(outcome)
    for name in dict.fromkeys(o.new_space for o in outcomes if o.new_space):
        print(
            f"casedesk: note: created space {one_line(name, 200)!r} (check --space for a typo)",
            file=sys.stderr,
        )
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
    line = f"{head}; {_plural(outcome.drift, 'drift event')}, {outcome.fixed:,} fixed"
    if outcome.stale:
        line += (
            f"; {_plural(outcome.stale, 'asset')} left as they were"
            " (a newer report of them is known)"
        )
    return line


def _plural(count: int, noun: str) -> str:
    return f"{count:,} {noun}" + ("" if count == 1 else "s")
