"""casedesk's own JSON format: for scripts, generated fleets, and scanners we do not parse yet.

```json
{"casedesk_report": 1,
 "scanned_at": "2026-01-31T12:00:00Z",
 "findings": [{"key": "ssh-root-login", "kind": "check", "title": "…", "severity": "high",
               "score": 7.5, "description": "…", "remediation": "…", "source": "…"}],
 "assets": [{"key": "host-1", "name": "host-1", "platform": "debian",
             "complete": ["check", "vulnerability"],
             "results": {"ssh-root-login": "fail", "CVE-2024-1234": "detected"}}]}
```
Every key in an asset's ``results`` must be described in ``findings``.
"""

from __future__ import annotations

from typing import Any

from integrations.scanners.loading import Document
from integrations.scanners.records import (
    RATINGS,
    AssetScan,
    Finding,
    Kind,
    ParsedReport,
    ReportError,
    Status,
)
from integrations.scanners.timestamps import parse_timestamp

FORMAT = "native"

_STATUSES = {status.value: status for status in Status}
_KIND_STATUSES = {
    Kind.CHECK: {Status.PASS, Status.FAIL, Status.SKIP, Status.ERROR, Status.UNKNOWN},
    Kind.VULNERABILITY: {Status.DETECTED, Status.ABSENT, Status.SKIP, Status.ERROR, Status.UNKNOWN},
}


def detect(document: Document) -> bool:
    return (
        document.syntax == "json"
        and isinstance(document.value, dict)
        and "casedesk_report" in document.value
    )


def parse(document: Document) -> ParsedReport:
    doc: dict[str, Any] = document.value
    version = doc.get("casedesk_report")
    if isinstance(version, bool) or version != 1:  # True == 1 in Python; a version is a number
        raise ReportError("native report: casedesk_report must be 1")
    report = ParsedReport(format=FORMAT, assets=[], findings={})
    if doc.get("scanned_at") is not None:
        report.scanned_at = parse_timestamp(doc["scanned_at"])
        if report.scanned_at is None:
            raise ReportError(
                f"native report: scanned_at is not an ISO 8601 time: {doc['scanned_at']!r:.60}"
            )
    for entry in _list(doc, "findings"):
        finding = _finding(entry)
        report.findings[finding.key] = finding
    for entry in _list(doc, "assets"):
        report.assets.append(_asset(entry, report.findings))
    return report


def _list(doc: dict[str, Any], name: str) -> list[Any]:
    value = doc.get(name, [])
    if not isinstance(value, list):
        raise ReportError(f"native report: {name} must be a list")
    return value


def _finding(entry: Any) -> Finding:
    if not isinstance(entry, dict) or not isinstance(entry.get("key"), str):
        raise ReportError("native report: every finding needs a string key")
    try:
        kind = Kind(entry.get("kind", "check"))
    except ValueError:
        raise ReportError(
            f"native report: finding {entry['key']!r:.60} has an unknown kind"
        ) from None
    severity = entry.get("severity")
    if severity is not None and severity not in RATINGS:
        raise ReportError(f"native report: severity must be one of {', '.join(RATINGS)}")
    score = entry.get("score")
    if score is not None and not isinstance(score, int | float):
        raise ReportError("native report: score must be a number")
    return Finding(
        key=entry["key"],
        kind=kind,
        title=str(entry.get("title", "")),
        severity=severity,
        score=float(score) if score is not None else None,
        description=str(entry.get("description", "")),
        remediation=str(entry.get("remediation", "")),
        source=str(entry.get("source", "")),
    )


def _asset(entry: Any, findings: dict[str, Finding]) -> AssetScan:
    if not isinstance(entry, dict) or not isinstance(entry.get("key"), str):
        raise ReportError("native report: every asset needs a string key")
    try:
        complete = frozenset(Kind(kind) for kind in entry.get("complete", []))
    except (ValueError, TypeError):
        raise ReportError("native report: complete lists kinds: check, vulnerability") from None
    results = entry.get("results", {})
    if not isinstance(results, dict):
        raise ReportError("native report: an asset's results map finding keys to statuses")
    scan = AssetScan(
        key=entry["key"],
        name=str(entry.get("name", "")),
        platform=str(entry.get("platform", "")),
        complete_kinds=complete,
    )
    statuses = _STATUSES
    for key, word in results.items():
        finding = findings.get(key)
        if finding is None:
            raise ReportError(f"native report: result for undescribed finding {key!r:.60}")
        status = statuses.get(word)
        if status is None or status not in _KIND_STATUSES[finding.kind]:
            raise ReportError(f"native report: {word!r:.20} is not a status for a {finding.kind}")
        scan.results[key] = status
    return scan
