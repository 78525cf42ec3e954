"""InSpec JSON (``inspec exec --reporter json``) and InSpec's one-control-per-line stream.

The JSON report has a ``platform`` (name, release, target_id) and ``profiles[]`` whose
``controls[]`` carry their ``results[]`` (passed / failed / skipped / error). The line stream
(loaded as ``jsonlines``) has one control per line, each with its own ``platform`` and ``profile``.

A control's status over its results: any failed → FAIL, else any error → ERROR, else any passed →
PASS, else (all skipped, or no results) SKIP - exactly :meth:`AssetScan.add`'s precedence, so
each result is simply added. A wrapper profile repeats its dependencies' controls without results;
adding those as SKIP lets the dependency's real results win, so each control counts once.
Every control is listed explicitly, so no kind is complete (DESIGN.md formats table).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, NamedTuple

from integrations.scanners.loading import Document
from integrations.scanners.records import (
    AssetScan,
    Kind,
    ParsedReport,
    ReportError,
    Status,
    rating_from_score,
)

FORMAT = "inspec"

_STATUSES = {
    "passed": Status.PASS,
    "failed": Status.FAIL,
    "error": Status.ERROR,
    "skipped": Status.SKIP,
}


class _Entry(NamedTuple):
    """One control as read from either shape, with what names its asset."""

    platform: dict[str, Any]
    owner: str  # the profile the user ran: names the asset when the platform does not
    profile: str  # the profile this control is listed in
    control: object


def detect(document: Document) -> bool:
    value = document.value
    if document.syntax == "json" and isinstance(value, dict):
        return _is_report(value) or _is_line(value)
    if document.syntax == "jsonlines":
        return _is_line(value[0])
    return False


def _is_report(value: dict[str, Any]) -> bool:
    """``inspec exec --reporter json``: one document with profiles and a platform."""
    return (
        isinstance(value.get("profiles"), list)
        and isinstance(value.get("platform"), dict)
        and ("statistics" in value or "version" in value)
    )


def _is_line(value: dict[str, Any]) -> bool:
    """One control of InSpec's line output."""
    return (
        isinstance(value.get("id"), str)
        and _status(value.get("status"), Status.UNKNOWN) is not Status.UNKNOWN
        and "impact" in value
        and ("profile" in value or "platform" in value)
    )


def _line_rows(document: Document) -> list[Any] | None:
    """The controls of line output (a file of one line decodes as a single JSON object)."""
    if document.syntax == "jsonlines":
        return document.value
    value = document.value
    return [value] if isinstance(value, dict) and not _is_report(value) else None


def parse(document: Document) -> ParsedReport:
    report = ParsedReport(format=FORMAT, assets=[], findings={})
    assets: dict[str, AssetScan] = {}
    rows = _line_rows(document)
    for entry in _line_controls(rows) if rows is not None else _report_controls(document.value):
        asset = _asset(entry, assets, report)
        key = _control_id(entry.control)
        _describe(report, key, entry.control, entry.profile)
        for status in _statuses(entry.control):
            asset.add(key, status)
    # InSpec writes no report time: a result's start_time is when that one test ran, and the
    # tests of one run are not ordered with the run's other reports. So the report is undated
    # and takes --at/now, like a scanner run from cron (DESIGN.md rule 5).
    return report


def _report_controls(doc: dict[str, Any]) -> Iterator[_Entry]:
    """Every control of every profile of a JSON report."""
    profiles = _list(doc.get("profiles"), "profiles")
    # The first profile is the one the user ran; the others are its dependencies.
    top = _profile_name(profiles[0]) if profiles else ""
    for profile in profiles:
        name = _profile_name(profile)
        for control in _list(profile.get("controls", []), f"controls of profile {name!r:.60}"):
            yield _Entry(doc["platform"], top, name, control)


def _line_controls(lines: list[dict[str, Any]]) -> Iterator[_Entry]:
    """Each line of the one-control-per-line stream: a control with its platform and profile."""
    for line in lines:
        profile = line.get("profile")
        name = _profile_name(profile) if isinstance(profile, dict) else _string(profile)
        platform = line.get("platform")
        yield _Entry(platform if isinstance(platform, dict) else {}, name, name, line)


def _list(value: object, what: str) -> list[Any]:
    if not isinstance(value, list):
        raise ReportError(f"InSpec report: {what} must be a list")
    return value


def _profile_name(profile: object) -> str:
    if not isinstance(profile, dict):
        raise ReportError("InSpec report: every profile must be an object")
    return _string(profile.get("name"))


def _asset(entry: _Entry, assets: dict[str, AssetScan], report: ParsedReport) -> AssetScan:
    """The asset of a control: platform target id, else platform name, else the profile."""
    platform = entry.platform
    name = _string(platform.get("target_id")) or _string(platform.get("name"))
    key = name or f"inspec:{entry.owner}"
    asset = assets.get(key)
    if asset is None:
        os_name = f"{_string(platform.get('name'))} {_string(platform.get('release'))}".strip()
        asset = AssetScan(key=key, name=name or entry.owner, platform=os_name)
        assets[key] = asset
        report.assets.append(asset)
    return asset


def _string(value: object) -> str:
    return value.strip() if isinstance(value, str) else ""


def _control_id(control: object) -> str:
    if not isinstance(control, dict):
        raise ReportError("InSpec report: every control must be an object")
    key = control.get("id")
    if not isinstance(key, str) or not key.strip():
        raise ReportError("InSpec report: a control has no string id")
    return key


def _statuses(control: dict[str, Any]) -> Iterator[Status]:
    """Each result's status; SKIP when there are none."""
    results = control.get("results") or []
    if not isinstance(results, list):
        raise ReportError(f"InSpec report: results of control {control['id']!r:.60} not a list")
    if not results:
        # The line stream states a control's status itself; a JSON control without results ran
        # nothing (skipped profile, or a wrapper's copy of a dependency's control).
        yield _status(control.get("status"), Status.SKIP)
        return
    for result in results:
        if not isinstance(result, dict):
            raise ReportError(f"InSpec report: a result of {control['id']!r:.60} is not an object")
        yield _status(result.get("status"), Status.UNKNOWN)


def _status(word: object, default: Status) -> Status:
    return _STATUSES.get(word, default) if isinstance(word, str) else default


def _describe(report: ParsedReport, key: str, control: dict[str, Any], profile: str) -> None:
    """Fill the control's finding; the first profile that describes it (the wrapper) wins."""
    score = _score(control.get("impact"))
    labelled = _descriptions(control)
    tags = control.get("tags")
    fix = tags.get("fix") if isinstance(tags, dict) else None
    report.finding(
        key,
        Kind.CHECK,
        title=_string(control.get("title")),
        severity=rating_from_score(score),
        score=score,
        description=_first_text(
            control.get("desc"), labelled.get("default"), control.get("description")
        ),
        remediation=_first_text(labelled.get("fix"), fix),
        source=profile,
    )


def _score(impact: object) -> float | None:
    """InSpec impact 0.0-1.0 as a 0-10 score: ≥0.9 critical, ≥0.7 high, ≥0.4 medium, >0 low."""
    if isinstance(impact, bool) or not isinstance(impact, int | float) or not 0 <= impact <= 1:
        return None
    return round(float(impact) * 10, 2)


def _descriptions(control: dict[str, Any]) -> dict[str, Any]:
    """InSpec 4+ ``descriptions``: a list of {label, data}, by label."""
    entries = control.get("descriptions")
    if not isinstance(entries, list):
        return {}
    return {
        entry.get("label"): entry.get("data")
        for entry in entries
        if isinstance(entry, dict) and isinstance(entry.get("label"), str)
    }


def _first_text(*values: object) -> str:
    return next((value.strip() for value in values if isinstance(value, str) and value.strip()), "")
