"""The plain records every report parser returns.

Parsers turn a scanner's own format into these records and nothing else: no database, no Textual.
The ingest engine (``worker/ingest``) only ever sees a :class:`ParsedReport`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum


class Kind(StrEnum):
    """What a finding is: a pass/fail check or a detected/absent vulnerability."""

    CHECK = "check"
    VULNERABILITY = "vulnerability"


class Status(StrEnum):
    """The state of one finding on one asset in one report."""

    PASS = "pass"
    FAIL = "fail"
    DETECTED = "detected"
    ABSENT = "absent"
    SKIP = "skip"
    ERROR = "error"
    UNKNOWN = "unknown"


GOOD_STATUSES = frozenset({Status.PASS, Status.ABSENT})
BAD_STATUSES = frozenset({Status.FAIL, Status.DETECTED})

#: When one report says several things about the same (asset, finding) - a SARIF rule with many
#: results, a vulnerability in three packages - the strongest statement wins: anything bad makes
#: the finding bad; an error beats a pass (we could not check everything); a pass beats a skip.
_PRECEDENCE = {
    Status.FAIL: 6,
    Status.DETECTED: 6,
    Status.ERROR: 5,
    Status.UNKNOWN: 4,
    Status.PASS: 3,
    Status.ABSENT: 3,
    Status.SKIP: 1,
}

#: Ratings, as Mondoo shows them, from a scanner's severity word.
_RATING_WORDS = {
    "critical": "critical",
    "high": "high",
    "error": "high",
    "important": "high",
    "medium": "medium",
    "moderate": "medium",
    "warning": "medium",
    "low": "low",
    "note": "low",
    "negligible": "low",
    "info": "none",
    "informational": "none",
    "none": "none",
    "unknown": "none",
}

RATINGS = ("critical", "high", "medium", "low", "none")


def rating_from_word(word: object) -> str | None:
    """Map a scanner's severity word (``HIGH``, ``Moderate``, ``warning`` …) to a rating."""
    if not isinstance(word, str):
        return None
    return _RATING_WORDS.get(word.strip().lower())


def rating_from_score(score: float | None) -> str | None:
    """CVSS-style 0-10 score to a rating (CVSS v3 bands)."""
    if score is None:
        return None
    if score >= 9.0:
        return "critical"
    if score >= 7.0:
        return "high"
    if score >= 4.0:
        return "medium"
    if score > 0.0:
        return "low"
    return "none"


def stronger(a: Status, b: Status) -> Status:
    """The status that wins when one report says both about the same (asset, finding)."""
    return a if _PRECEDENCE[a] >= _PRECEDENCE[b] else b


@dataclass(slots=True)
class Finding:
    """What a finding is, as far as the report tells: its texts are untrusted report text."""

    key: str
    kind: Kind
    title: str = ""
    severity: str | None = None  # one of RATINGS, or None when the report gives none
    score: float | None = None
    description: str = ""
    remediation: str = ""
    source: str = ""  # policy, profile, tool or benchmark the finding comes from


@dataclass(slots=True)
class AssetScan:
    """One asset's results in one report.

    ``complete_kinds`` names the kinds this report scanned completely on the asset: every finding
    of such a kind that the report does not mention is good (DESIGN.md rule 3).
    """

    key: str
    name: str = ""
    platform: str = ""
    complete_kinds: frozenset[Kind] = frozenset()
    results: dict[str, Status] = field(default_factory=dict)

    def add(self, finding_key: str, status: Status) -> None:
        """Record a result, keeping the stronger status when the finding is already there."""
        previous = self.results.get(finding_key)
        self.results[finding_key] = status if previous is None else stronger(previous, status)


@dataclass(slots=True)
class ParsedReport:
    """Everything the ingest engine needs from one report file."""

    format: str
    assets: list[AssetScan]
    findings: dict[str, Finding]
    scanned_at: datetime | None = None  # timezone-aware when the report carries a time

    @property
    def result_count(self) -> int:
        return sum(len(asset.results) for asset in self.assets)

    def finding(self, key: str, kind: Kind, **details: object) -> Finding:
        """The finding for ``key``, created if new; fills details the first time they are seen."""
        existing = self.findings.get(key)
        if existing is None:
            existing = Finding(key=key, kind=kind)
            self.findings[key] = existing
        for name, value in details.items():
            if value not in (None, "") and getattr(existing, name) in (None, ""):
                setattr(existing, name, value)
        return existing


class ReportError(ValueError):
    """The input is not a report we can read; the message is one line for a person."""
