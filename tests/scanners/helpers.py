"""Small helpers for parser tests: parse a sample and count its results."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from integrations.scanners import parse_report
from integrations.scanners.records import ParsedReport


def parse_sample(path: Path, format: str = "auto") -> ParsedReport:
    return parse_report(path.read_bytes(), format=format)


def status_counts(report: ParsedReport) -> dict[str, int]:
    """Distinct (asset, finding) results by status, over all assets of the report."""
    counts: Counter[str] = Counter()
    for asset in report.assets:
        counts.update(status.value for status in asset.results.values())
    return dict(counts)
