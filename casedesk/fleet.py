"""A generated fleet of scans in casedesk's native format, for the demo and the benchmarks.

Deterministic for a given seed: the same arguments always produce the same reports, so demo
output and benchmark inputs are reproducible.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson

PLATFORMS = ("debian 12", "ubuntu 24.04", "rhel 9", "amazonlinux 2023", "alpine 3.20")
AREAS = ("ssh", "sudo", "auditd", "kernel", "filesystem", "network", "logging", "accounts")
SEVERITIES = ("critical", "high", "medium", "low", "none")
SEVERITY_WEIGHTS = (1, 4, 8, 5, 2)
PACKAGES = ("openssl", "libxml2", "zlib", "curl", "glibc", "sudo", "expat", "libpng")
_FLIP = {"pass": "fail", "fail": "pass", "absent": "detected", "detected": "absent"}
_BAD = ("fail", "detected")


#: The score range of each rating (CVSS v3 bands), so a demo finding's two never disagree.
SCORE_BANDS = {
    "critical": (9.0, 10.0),
    "high": (7.0, 8.9),
    "medium": (4.0, 6.9),
    "low": (0.1, 3.9),
    "none": (0.0, 0.0),
}


def _rating(score: float) -> str:
    return "critical" if score >= 9 else "high" if score >= 7 else "medium" if score >= 4 else "low"


@dataclass(frozen=True, slots=True)
class Fleet:
    """``assets`` hosts, each scanned against the same ``checks`` checks."""

    assets: int
    checks: int
    seed: int = 7
    fail_rate: float = 0.1
    vulnerabilities: int = 0  # CVE findings, scanned completely on every asset

    def check_keys(self) -> list[str]:
        return [f"fleet-check-{index:05d}" for index in range(self.checks)]

    def vulnerability_keys(self) -> list[str]:
        return [f"CVE-2026-{10000 + index}" for index in range(self.vulnerabilities)]

    def asset_keys(self) -> list[str]:
        return [f"host-{index:05d}.fleet.example" for index in range(self.assets)]

    def findings(self) -> list[dict[str, Any]]:
        rng = random.Random(self.seed)
        findings = []
        for index, key in enumerate(self.check_keys()):
            area = AREAS[index % len(AREAS)]
            severity = rng.choices(SEVERITIES, SEVERITY_WEIGHTS)[0]
            findings.append(
                {
                    "key": key,
                    "kind": "check",
                    "title": f"Ensure {area} hardening control {index} is configured",
                    "severity": severity,
                    "score": round(rng.uniform(*SCORE_BANDS[severity]), 1),
                    "description": f"Control {index} of the {area} baseline.",
                    "remediation": f"Apply the {area} baseline setting number {index}.",
                    "source": "Fleet Hardening Baseline",
                }
            )
        for index, key in enumerate(self.vulnerability_keys()):
            package = PACKAGES[index % len(PACKAGES)]
            score = round(rng.uniform(3, 10), 1)
            findings.append(
                {
                    "key": key,
                    "kind": "vulnerability",
                    "title": f"{package}: out-of-bounds write in {package} parser",
                    "severity": _rating(score),
                    "score": score,
                    "description": f"A crafted input makes {package} write past a buffer.",
                    "remediation": f"Upgrade {package} to the fixed release.",
                    "source": "Fleet Vulnerability Feed",
                }
            )
        return findings

    def baseline_statuses(self) -> list[list[str]]:
        """Per asset: the first scan's status of each check, then of each vulnerability."""
        rng = random.Random(self.seed + 1)
        return [
            ["fail" if rng.random() < self.fail_rate else "pass" for _ in range(self.checks)]
            + [
                "detected" if rng.random() < self.fail_rate else "absent"
                for _ in range(self.vulnerabilities)
            ]
            for _ in range(self.assets)
        ]


def drifted(statuses: list[list[str]], fraction: float, seed: int) -> list[list[str]]:
    """A rescan where ``fraction`` of the good results turn bad (drift) and as many bad ones
    turn good (fixes)."""
    rng = random.Random(seed)
    result = [row[:] for row in statuses]
    total = sum(len(row) for row in result)
    flips = int(total * fraction)
    good = [(a, c) for a, row in enumerate(result) for c, s in enumerate(row) if s not in _BAD]
    bad = [(a, c) for a, row in enumerate(result) for c, s in enumerate(row) if s in _BAD]
    for a, c in rng.sample(good, min(flips, len(good))) + rng.sample(bad, min(flips, len(bad))):
        result[a][c] = _FLIP[result[a][c]]
    return result


def native_report(
    fleet: Fleet,
    statuses: list[list[str]],
    scanned_at: datetime | None = None,
    assets: range | None = None,
) -> bytes:
    """One native-format report of the fleet (or of the ``assets`` slice of it)."""
    keys = fleet.asset_keys()
    findings = fleet.check_keys() + fleet.vulnerability_keys()
    complete = ["vulnerability"] if fleet.vulnerabilities else []
    chosen = assets if assets is not None else range(fleet.assets)
    document: dict[str, Any] = {
        "casedesk_report": 1,
        "findings": fleet.findings(),
        "assets": [
            {
                "key": keys[index],
                "name": keys[index],
                "platform": PLATFORMS[index % len(PLATFORMS)],
                "complete": complete,
                # A vulnerability scan lists what it detected; the rest is absent (complete).
                "results": {
                    key: status
                    for key, status in zip(findings, statuses[index], strict=True)
                    if status != "absent"
                },
            }
            for index in chosen
        ],
    }
    if scanned_at is not None:
        document["scanned_at"] = scanned_at.isoformat()
    return orjson.dumps(document)
