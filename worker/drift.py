"""Drift detection for one asset in one report: pure logic, no database (DESIGN.md rules 1-4).

Given what casedesk believed about an asset before the report and what the report says, work out
the new states, the history rows, the drift events and the fixes. Kept free of I/O so that the
rules can be tested directly and the ingest loop stays fast.
"""

from __future__ import annotations

from dataclasses import dataclass, field

CHECK = "check"
VULNERABILITY = "vulnerability"

GOOD = {CHECK: "pass", VULNERABILITY: "absent"}
BAD = {CHECK: "fail", VULNERABILITY: "detected"}
GOOD_STATUSES = frozenset(GOOD.values())
BAD_STATUSES = frozenset(BAD.values())

# A check's words and a vulnerability's words for the same thing, so a status reported in the
# other kind's vocabulary (a SARIF rule that is a CVE, a finding a scanner files differently)
# is read in the kind casedesk first stored for the finding.
_AS_KIND = {
    CHECK: {"detected": "fail", "absent": "pass"},
    VULNERABILITY: {"fail": "detected", "pass": "absent"},
}


def in_kind(status: str, kind: str) -> str:
    """``status`` in the vocabulary of ``kind`` (``detected`` on a check reads as ``fail``)."""
    return _AS_KIND[kind].get(status, status)


@dataclass(slots=True)
class Transition:
    """One (asset, finding) moving from ``old`` (None: nothing known) to ``new``."""

    finding_id: int
    old: str | None
    new: str
    implied: bool = False  # the new status comes from a complete scan, not a listed result

    @property
    def is_drift(self) -> bool:
        return self.old in GOOD_STATUSES and self.new in BAD_STATUSES

    @property
    def is_fix(self) -> bool:
        return self.old in BAD_STATUSES and self.new in GOOD_STATUSES


@dataclass(slots=True)
class AssetChanges:
    """What one report does to one asset's states."""

    inserts: list[tuple[int, str]] = field(default_factory=list)  # (finding_id, status)
    updates: list[tuple[int, str]] = field(default_factory=list)  # (finding_id, new status)
    transitions: list[Transition] = field(default_factory=list)  # history rows
    drift: list[Transition] = field(default_factory=list)
    fixed: int = 0


def compare(
    *,
    prior: dict[int, str],
    results: dict[int, str],
    kinds: dict[int, str],
    covered_before: frozenset[str] | set[str],
    complete_now: frozenset[str] | set[str],
) -> AssetChanges:
    """Compare an asset's known states with one report's results.

    ``prior``: finding id → status before the report. ``results``: finding id → status in the
    report (already in the finding's kind). ``kinds``: finding id → kind, for every id in either.
    ``covered_before``: kinds that had a complete scan on this asset before this report (rule 3:
    an unlisted finding of such a kind was good). ``complete_now``: kinds this report scanned
    completely (rule 3: every prior finding of those kinds it does not list becomes good).
    """
    changes = AssetChanges()
    for finding_id, status in results.items():
        old = prior.get(finding_id)
        if old is None:
            changes.inserts.append((finding_id, status))
            kind = kinds[finding_id]
            if kind in covered_before and status != GOOD[kind]:
                # An earlier complete scan of this kind did not list it: it was good then.
                _record(changes, Transition(finding_id, GOOD[kind], status))
        elif old != status:
            changes.updates.append((finding_id, status))
            _record(changes, Transition(finding_id, old, status))
    if complete_now:
        for finding_id, old in prior.items():
            if finding_id in results:
                continue
            kind = kinds[finding_id]
            good = GOOD[kind]
            if kind in complete_now and old != good:
                changes.updates.append((finding_id, good))
                _record(changes, Transition(finding_id, old, good, implied=True))
    return changes


def _record(changes: AssetChanges, transition: Transition) -> None:
    changes.transitions.append(transition)
    if transition.is_drift:
        changes.drift.append(transition)
    elif transition.is_fix:
        changes.fixed += 1
