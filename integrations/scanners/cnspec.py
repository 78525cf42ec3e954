"""cnspec (Mondoo) reports: ``cnspec scan -o json``, full report collections, ``cnspec vuln``.

Shapes read (all JSON objects):

- **json-v2** (``cnspec scan -o json``): ``assets`` (MRN → mrn, name, platformName) and
  ``scores`` (asset MRN → ``values``: check MRN → ``{score, status, riskScore}``), plus ``data``
  (query results, not checks) and ``errors`` (asset MRN → message).
- **json-v1** (older cnspec): the same, but ``scores`` maps asset MRN → check MRN → score directly.
- **report collection** (the full internal report): ``assets``, ``bundle`` (policies and queries:
  titles, impact, docs), ``reports`` (asset MRN → ``scores`` keyed by query MRN and/or code id,
  each a Score with a numeric ``type``), ``resolved_policies`` (which queries ran on the asset,
  and whether each is a check or a data query), ``errors`` and ``vuln_reports``.
- **cnspec vuln** report: ``platform``, ``packages``, ``advisories``, ``stats``, ``published``;
  and the older printed shape ``{target, stats, vulnerabilities: {platform, packages}}``.

Checks are keyed by query MRN, vulnerabilities by advisory id (DESIGN.md formats table). Checks
are never complete (only the listed ones were scanned); vulnerabilities are complete on an asset
that has a vulnerability report listing its advisories.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from itertools import chain
from typing import Any

from integrations.scanners.loading import Document
from integrations.scanners.records import (
    AssetScan,
    Finding,
    Kind,
    ParsedReport,
    ReportError,
    Status,
    rating_from_score,
)
from integrations.scanners.timestamps import parse_timestamp

FORMAT = "cnspec"

#: cnspec's policy.ScoreType codes (``ScoreType_Unknown = 0``, then ``1 << iota``): Result 2,
#: Error 4, Skip 8, Unscored 16, OutOfScope 32, Disabled 64, Snoozed 128. Result is PASS at
#: value 100, FAIL below; out-of-scope, disabled and snoozed checks were not judged: SKIP.
_RESULT = 2
_SCORE_TYPES = {
    0: Status.UNKNOWN,
    4: Status.ERROR,
    8: Status.SKIP,
    16: Status.UNKNOWN,
    32: Status.SKIP,
    64: Status.SKIP,
    128: Status.SKIP,
}

#: The ``status`` words json-v1/v2 print: ``pass``/``fail`` for results, else Score.TypeLabel().
_STATUS_WORDS = {
    "pass": Status.PASS,
    "fail": Status.FAIL,
    "error": Status.ERROR,
    "skip": Status.SKIP,
    "out of scope": Status.SKIP,
    "disabled": Status.SKIP,
    "snoozed": Status.SKIP,
    "unknown": Status.UNKNOWN,
    "unscored": Status.UNKNOWN,
}

#: ReportingJob types of a resolved policy: CHECK = 1, DATA_QUERY = 2 (data, not a check).
_CHECK_JOB = 1
_DATA_JOB = 2

#: mvd.AdvisoryState NOT_AFFECTED: the advisory explicitly does not apply to the asset.
_NOT_AFFECTED = (3, "NOT_AFFECTED")

_REPORT_KEYS = ("scores", "reports", "errors", "resolved_policies", "bundle", "vuln_reports")


def detect(document: Document) -> bool:
    doc = document.value
    if document.syntax != "json" or not isinstance(doc, dict):
        return False
    return _is_scan(doc) or _is_vuln_report(doc) or _is_vuln_printout(doc)


def _is_scan(doc: dict[str, Any]) -> bool:
    return isinstance(doc.get("assets"), dict) and any(
        isinstance(doc.get(key), dict) for key in _REPORT_KEYS
    )


def _is_vuln_report(doc: dict[str, Any]) -> bool:
    # With no advisories protobuf JSON omits the list, so stats + packages must do.
    return isinstance(doc.get("platform"), dict) and (
        isinstance(doc.get("advisories"), list)
        or (isinstance(doc.get("stats"), dict) and isinstance(doc.get("packages"), list))
    )


def _is_vuln_printout(doc: dict[str, Any]) -> bool:
    vulns = doc.get("vulnerabilities")
    return isinstance(doc.get("target"), str) and isinstance(vulns, dict) and "platform" in vulns


def parse(document: Document) -> ParsedReport:
    doc: dict[str, Any] = document.value
    report = ParsedReport(format=FORMAT, assets=[], findings={})
    if _is_vuln_printout(doc):
        _parse_vuln_printout(doc, report)
    elif _is_vuln_report(doc):
        _parse_vuln_report(doc, report)
    else:
        _parse_scan(doc, report)
    return report


# --- cnspec scan: json-v1, json-v2 and report collections ------------------------------------


def _parse_scan(doc: dict[str, Any], report: ParsedReport) -> None:
    assets = _object(doc, "assets")
    reports = _object(doc, "reports")
    scores = _object(doc, "scores")
    resolved = _object(doc, "resolved_policies")
    vuln_reports = _object(doc, "vuln_reports")
    bundle = _Bundle.read(doc.get("bundle"))
    scans: dict[str, AssetScan] = {}
    # An asset that only errored is still an asset of the report, with no results.
    for map_key in dict.fromkeys(
        chain(assets, reports, scores, _object(doc, "errors"), vuln_reports)
    ):
        scan = _asset(map_key, assets.get(map_key), scans, report)
        if map_key in reports:
            _add_collection_scores(report, scan, reports[map_key], resolved.get(map_key), bundle)
        if map_key in scores:
            _add_printed_scores(report, scan, scores[map_key], {map_key, scan.key}, bundle)
        if map_key in vuln_reports:
            _add_vuln_report(report, scan, vuln_reports[map_key])
    report.scanned_at = _collection_time(reports.values())


def _asset(
    map_key: str, info: object, scans: dict[str, AssetScan], report: ParsedReport
) -> AssetScan:
    """The scan for one asset entry, merged with an earlier entry of the same key."""
    if info is None:
        info = {}
    if not isinstance(info, dict):
        raise ReportError(f"cnspec report: asset {map_key!r:.80} is not an object")
    name = _text(info.get("name"))
    # The assets map is keyed by MRN; the asset's own name stands in when there is none.
    key = _text(info.get("mrn")) or (map_key if map_key.startswith("//") else name or map_key)
    if not key:
        raise ReportError("cnspec report: an asset has no MRN and no name")
    scan = scans.get(key)
    if scan is None:
        scan = AssetScan(key=key, name=name or key, platform=_platform(info))
        scans[key] = scan
        report.assets.append(scan)
    return scan


def _platform(info: dict[str, Any]) -> str:
    platform = info.get("platform")
    if isinstance(platform, dict):
        return _text(platform.get("title")) or _text(platform.get("name"))
    return _text(info.get("platformName"))


def _add_printed_scores(
    report: ParsedReport, scan: AssetScan, entry: object, own_keys: set[str], bundle: _Bundle
) -> None:
    """json-v2 ``{values: {mrn: score}}`` or json-v1 ``{mrn: score}`` for one asset."""
    values = entry.get("values", entry) if isinstance(entry, dict) else entry
    if not isinstance(values, dict):
        raise ReportError(f"cnspec report: scores of asset {scan.key!r:.80} are not an object")
    for mrn, value in values.items():
        if mrn in own_keys:  # the asset's overall score, not a check
            continue
        bundle.describe(report, mrn)
        scan.add(mrn, _printed_status(value))


def _printed_status(value: object) -> Status:
    if not isinstance(value, dict):
        raise ReportError("cnspec report: a check's score is not an object")
    status = value.get("status")
    if isinstance(status, str):
        # A status word from a newer cnspec than this parser knows judges nothing: UNKNOWN.
        return _STATUS_WORDS.get(status.strip().lower(), Status.UNKNOWN)
    if status is not None:
        raise ReportError("cnspec report: a check's status is not a string")
    score = value.get("score")
    if _is_number(score):
        return Status.PASS if score == 100 else Status.FAIL
    return Status.UNKNOWN


def _add_collection_scores(
    report: ParsedReport, scan: AssetScan, entry: object, resolved: object, bundle: _Bundle
) -> None:
    """One asset's Report: its scores by query MRN and/or code id, data queries left out."""
    if not isinstance(entry, dict):
        raise ReportError(f"cnspec report: the report of asset {scan.key!r:.80} is not an object")
    scores = _object(entry, "scores")
    jobs = _job_types(resolved)
    checks: dict[str, object] = {
        key: score
        for key, score in scores.items()
        if key in bundle.queries or _CHECK_JOB in jobs.get(key, ())
    }
    # Older reports score by code id only. Queries with the same MQL share a code id; the
    # asset's reporting jobs say which of them it ran (when they are keyed by MRN at all).
    jobs_by_mrn = any(qr_id in bundle.queries for qr_id in jobs)
    for code_id, score in scores.items():
        for mrn in bundle.code_ids.get(code_id, ()):
            if mrn not in checks and (not jobs_by_mrn or mrn in jobs):
                checks[mrn] = score
    for mrn, score in checks.items():
        kinds = jobs.get(mrn)
        if kinds == {_DATA_JOB} or (not kinds and bundle.is_data(mrn)):
            continue
        bundle.describe(report, mrn)
        scan.add(mrn, _score_status(score))


def _score_status(score: object) -> Status:
    if not isinstance(score, dict):
        raise ReportError("cnspec report: a score is not an object")
    kind = score.get("type", 0)  # protobuf JSON omits zero values: no type is Unknown
    value = score.get("value", 0)
    if not _is_number(kind) or not _is_number(value):
        raise ReportError("cnspec report: a score's type and value must be numbers")
    if kind == _RESULT:
        return Status.PASS if value == 100 else Status.FAIL
    return _SCORE_TYPES.get(int(kind), Status.UNKNOWN)


def _job_types(resolved: object) -> dict[str, set[int]]:
    """Reporting job types per query/policy id in an asset's resolved policy."""
    types: dict[str, set[int]] = {}
    if not isinstance(resolved, dict):
        return types
    collector = resolved.get("collector_job")
    jobs = collector.get("reporting_jobs") if isinstance(collector, dict) else None
    if not isinstance(jobs, dict):
        return types
    for job in jobs.values():
        if not isinstance(job, dict) or not isinstance(job.get("qr_id"), str):
            continue
        kind = job.get("type", 0)
        if job.get("deprecated_v8_is_data") is True or job.get("is_data") is True:
            kind = _DATA_JOB  # cnspec v8 flagged data queries instead of typing them
        if _is_number(kind):
            types.setdefault(job["qr_id"], set()).add(int(kind))
    return types


def _collection_time(reports: Iterable[object]) -> datetime | None:
    """The newest ``modified``/``created`` (Unix seconds) of the asset reports, if any."""
    times = []
    for entry in reports:
        if not isinstance(entry, dict):
            continue
        for name in ("modified", "created"):
            value = entry.get(name)
            # protobuf JSON writes int64 as a string
            if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) < 20:
                value = int(value)
            if _is_number(value) and value > 0:
                try:
                    times.append(datetime.fromtimestamp(value, UTC))
                except (OverflowError, OSError, ValueError):
                    continue
    return max(times, default=None)


@dataclass(slots=True)
class _Bundle:
    """The report's policy bundle, indexed: queries by MRN and by code id, policy per check."""

    queries: dict[str, dict[str, Any]] = field(default_factory=dict)
    code_ids: dict[str, list[str]] = field(default_factory=dict)
    sources: dict[str, str] = field(default_factory=dict)  # check MRN -> policy name
    data_queries: set[str] = field(default_factory=set)  # listed as a policy's data query

    @classmethod
    def read(cls, bundle: object) -> _Bundle:
        index = cls()
        if bundle is None:
            return index
        if not isinstance(bundle, dict):
            raise ReportError("cnspec report: bundle is not an object")
        for query in _list(bundle, "queries"):
            index._add_query(query)
        for policy in _list(bundle, "policies"):
            index._add_policy(policy)
        return index

    def _add_query(self, query: object) -> None:
        if not isinstance(query, dict) or not _text(query.get("mrn")):
            return
        mrn = query["mrn"]
        if mrn in self.queries:
            return
        self.queries[mrn] = query
        code_id = _text(query.get("code_id"))
        if code_id:
            self.code_ids.setdefault(code_id, []).append(mrn)

    def _add_policy(self, policy: object) -> None:
        if not isinstance(policy, dict):
            return
        name = _text(policy.get("name")) or _text(policy.get("mrn"))
        for group in _list(policy, "groups"):
            if isinstance(group, dict):
                for check in _list(group, "checks"):
                    self._add_query(check)  # checks defined inline in the policy
                    if isinstance(check, dict) and _text(check.get("mrn")):
                        self.sources.setdefault(check["mrn"], name)
                for query in _list(group, "queries"):
                    if isinstance(query, dict) and _text(query.get("mrn")):
                        self.data_queries.add(query["mrn"])
        for spec in _list(policy, "specs"):  # cnspec v7 policies
            scoring = spec.get("scoring_queries") if isinstance(spec, dict) else None
            for mrn in scoring if isinstance(scoring, dict) else ():
                self.sources.setdefault(mrn, name)

    def is_data(self, mrn: str) -> bool:
        """Whether the policies list ``mrn`` only as a data query, never as a check."""
        return mrn in self.data_queries and mrn not in self.sources

    def describe(self, report: ParsedReport, mrn: str) -> Finding:
        """The finding for a check MRN, with what the bundle says about the query."""
        known = report.findings.get(mrn)
        if known is not None:  # described on an earlier asset: the bundle has nothing new
            return known
        query = self.queries.get(mrn, {})
        docs = query.get("docs") if isinstance(query.get("docs"), dict) else {}
        impact = _impact(query)
        return report.finding(
            mrn,
            Kind.CHECK,
            # No bundle (json-v1/v2): the MRN's last part is the check's readable uid.
            title=_text(query.get("title")) or mrn.rstrip("/").rpartition("/")[2],
            severity=rating_from_score(impact),
            score=impact,
            description=_text(docs.get("desc")) or _text(query.get("desc")),
            remediation=_remediation(docs.get("remediation")),
            source=self.sources.get(mrn, ""),
        )


def _impact(query: dict[str, Any]) -> float | None:
    """A query's impact (0-100; v7 called it severity) on the 0-10 scale of the ratings."""
    for value in (query.get("impact"), query.get("severity")):
        # {"value": 80}, or {"value": {"value": 80}} as the ImpactValue message
        for _ in range(2):
            if isinstance(value, dict):
                value = value.get("value")
        if _is_number(value) and 0 <= value <= 100:
            return value / 10
    return None


def _remediation(value: object) -> str:
    """Remediation as text: a string, a list of ``{id, desc}``, or ``{items: [...]}``."""
    if isinstance(value, dict):
        value = value.get("items")
    if isinstance(value, list):
        parts = (_text(item.get("desc")) for item in value if isinstance(item, dict))
        return "\n\n".join(part for part in parts if part)
    return _text(value)


# --- cnspec vuln ----------------------------------------------------------------------------


def _parse_vuln_report(doc: dict[str, Any], report: ParsedReport) -> None:
    platform = doc["platform"]
    name = _text(platform.get("name"))
    release = _text(platform.get("release"))
    title = _text(platform.get("title"))
    key = title or f"{name} {release}".strip()
    if not key:
        raise ReportError("cnspec vuln report: the platform has no title or name")
    scan = AssetScan(key=key, name=key, platform=f"{name} {release}".strip() or title)
    report.assets.append(scan)
    _add_vuln_report(report, scan, doc)
    report.scanned_at = parse_timestamp(doc.get("published"))


def _add_vuln_report(report: ParsedReport, scan: AssetScan, vuln: object) -> None:
    """An mvd VulnReport's advisories on one asset; complete when it lists them all."""
    if not isinstance(vuln, dict):
        raise ReportError(f"cnspec report: vulnerability report of {scan.key!r:.80} is no object")
    advisories = vuln.get("advisories")
    if advisories is None:
        # Omitted list: complete only if the stats say there are none to list.
        stats = vuln.get("stats")
        counts = stats.get("advisories") if isinstance(stats, dict) else None
        if isinstance(counts, dict) and not counts.get("total"):
            scan.complete_kinds = scan.complete_kinds | {Kind.VULNERABILITY}
        return
    if not isinstance(advisories, list):
        raise ReportError("cnspec vuln report: advisories is not a list")
    for advisory in advisories:
        key = _advisory(report, advisory)
        state = advisory.get("state")
        scan.add(key, Status.ABSENT if state in _NOT_AFFECTED else Status.DETECTED)
    scan.complete_kinds = scan.complete_kinds | {Kind.VULNERABILITY}


def _advisory(report: ParsedReport, advisory: object) -> str:
    if not isinstance(advisory, dict) or not _text(advisory.get("ID")):
        raise ReportError("cnspec vuln report: an advisory has no ID")
    worst = advisory.get("worstScore")
    score = worst.get("score") if isinstance(worst, dict) else None
    if not _is_number(score) and _is_number(advisory.get("score")):
        score = advisory["score"] / 10  # mvd writes the advisory score as CVSS x 10
    score = float(score) if _is_number(score) else None
    cves = [_text(cve.get("ID")) for cve in _list(advisory, "cves") if isinstance(cve, dict)]
    description = _text(advisory.get("description")).strip()
    if any(cves):
        description += ("\n\n" if description else "") + "CVEs: " + ", ".join(filter(None, cves))
    report.finding(
        advisory["ID"],
        Kind.VULNERABILITY,
        title=_text(advisory.get("title")),
        severity=rating_from_score(score),
        score=score,
        description=description,
    )
    return advisory["ID"]


def _parse_vuln_printout(doc: dict[str, Any], report: ParsedReport) -> None:
    """The printed ``cnspec vuln -o json`` of cnspec v8/v9: platform and package rows."""
    key = doc["target"].strip()
    if not key:
        raise ReportError("cnspec vuln report: target is empty")
    scan = AssetScan(key=key, name=key, complete_kinds=frozenset({Kind.VULNERABILITY}))
    report.assets.append(scan)
    vulns = doc["vulnerabilities"]
    for row in chain(_list(vulns, "platform"), _list(vulns, "packages")):
        if not isinstance(row, dict):
            raise ReportError("cnspec vuln report: a vulnerability row is not an object")
        score = _float(row.get("score"))
        # A package row names its advisory, or only the CVEs it is affected by.
        keys = [_text(row.get("advisory"))] if _text(row.get("advisory")) else row.get("cves")
        for key in keys if isinstance(keys, list) else ():
            if _text(key):
                report.finding(
                    key, Kind.VULNERABILITY, severity=rating_from_score(score), score=score
                )
                scan.add(key, Status.DETECTED)


# --- small helpers --------------------------------------------------------------------------


def _object(parent: dict[str, Any], name: str) -> dict[str, Any]:
    value = parent.get(name)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ReportError(f"cnspec report: {name} is not an object")
    return value


def _list(parent: dict[str, Any], name: str) -> list[Any]:
    value = parent.get(name)
    if value is None:
        return []
    if not isinstance(value, list):
        raise ReportError(f"cnspec report: {name} is not a list")
    return value


def _text(value: object) -> str:
    return value if isinstance(value, str) else ""


def _is_number(value: object) -> bool:
    return type(value) in (int, float)  # not bool, which JSON keeps apart from numbers


def _float(value: object) -> float | None:
    """A score written as a number or as text ("9.8"); None for anything else."""
    if isinstance(value, str):
        try:
            value = float(value)
        except ValueError:
            return None
    return float(value) if _is_number(value) and math.isfinite(value) else None
