"""Grype JSON (``grype IMAGE -o json``): vulnerability matches for one image, directory or file.

```json
{"matches": [{"vulnerability": {"id": "CVE-…", "severity": "High", "description": "…",
                                "cvss": [{"version": "3.1", "metrics": {"baseScore": 7.5}}],
                                "fix": {"versions": ["1.2.3"], "state": "fixed"}},
              "relatedVulnerabilities": [{"id": "CVE-…", "severity": "…", "cvss": […]}],
              "artifact": {"name": "openssl", "version": "1.1.1"}}],
 "ignoredMatches": […],
 "source": {"type": "image", "target": {"userInput": "python:3.6", "imageID": "sha256:…"}},
 "distro": {"name": "debian", "version": "10"},
 "descriptor": {"name": "grype", "version": "0.96.0", "timestamp": "…"}}
```
Grype 0.7 wrote ``links``, ``cvssV2``/``cvssV3`` objects and ``fixedInVersion`` instead; both
shapes are read. One report is one asset (the source target); the finding key is the
vulnerability id, once per asset however many packages carry it. A grype scan lists every
vulnerability it matched, so vulnerabilities are complete - unless it was told to leave some
out (``only-fixed`` / ``only-notfixed``), and matches silenced by ignore rules (``ignoredMatches``)
are recorded as skipped rather than left out, so silencing a vulnerability never reads as a fix.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from integrations.scanners.loading import Document
from integrations.scanners.records import (
    RATINGS,
    AssetScan,
    Kind,
    ParsedReport,
    ReportError,
    Status,
    rating_from_score,
    rating_from_word,
)
from integrations.scanners.shapes import as_dict, as_list, as_text
from integrations.scanners.timestamps import parse_timestamp

FORMAT = "grype"

#: How many affected packages a title or remediation names before "… and N more".
_MAX_PACKAGES = 10


def detect(document: Document) -> bool:
    value = document.value
    if document.syntax != "json" or not isinstance(value, dict) or "matches" not in value:
        return False
    descriptor = value.get("descriptor")
    if isinstance(descriptor, dict) and descriptor.get("name") == "grype":
        return True
    source = value.get("source")
    return isinstance(source, dict) and "target" in source


def parse(document: Document) -> ParsedReport:
    doc: dict[str, Any] = document.value
    descriptor = as_dict(doc.get("descriptor"))
    report = ParsedReport(
        format=FORMAT,
        assets=[],
        findings={},
        scanned_at=parse_timestamp(descriptor.get("timestamp")),
    )
    asset = _asset(doc, descriptor)
    vulns: dict[str, _Vulnerability] = {}
    for number, match in enumerate(_matches(doc, "matches"), 1):
        vuln_id = _collect(vulns, match, number)
        asset.add(vuln_id, Status.DETECTED)
    for number, match in enumerate(_matches(doc, "ignoredMatches"), 1):
        vuln_id = _collect(vulns, match, number)
        # Silenced by an ignore rule: grype still saw it, so it must not read as fixed.
        asset.add(vuln_id, Status.SKIP)
    for vuln_id, vuln in vulns.items():
        vuln.describe(report, vuln_id)
    report.assets.append(asset)
    return report


def _matches(doc: dict[str, Any], name: str) -> list[Any]:
    value = doc.get(name)
    # Go writes a nil slice as null: no matches.
    if value is None:
        return []
    if not isinstance(value, list):
        raise ReportError(f"grype report: {name} must be a list")
    return value


def _asset(doc: dict[str, Any], descriptor: dict[str, Any]) -> AssetScan:
    source = as_dict(doc.get("source"))
    key = _target(source.get("target"))
    if not key:
        raise ReportError("grype report: source names no target (image or directory)")
    distro = as_dict(doc.get("distro"))
    platform = " ".join(
        part for part in (as_text(distro.get("name")), as_text(distro.get("version"))) if part
    )
    return AssetScan(
        key=key,
        name=key,
        platform=platform,
        complete_kinds=frozenset() if _filtered(descriptor) else frozenset({Kind.VULNERABILITY}),
    )


def _target(target: object) -> str:
    """The asset key: the image as the user named it, else the directory or file path."""
    if isinstance(target, str):
        return target.strip()
    target = as_dict(target)
    for name in ("userInput", "name"):
        if as_text(target.get(name)):
            return as_text(target[name])
    tags = [tag for tag in as_list(target.get("tags")) if as_text(tag)]
    return tags[0].strip() if tags else as_text(target.get("imageID"))


def _filtered(descriptor: dict[str, Any]) -> bool:
    """Was grype told to report only some vulnerabilities? Then absence proves nothing."""
    configuration = as_dict(descriptor.get("configuration"))
    return configuration.get("only-fixed") is True or configuration.get("only-notfixed") is True


@dataclass(slots=True)
class _Vulnerability:
    """What the matches of one vulnerability id say, gathered over all its packages."""

    severity: str | None = None
    score: float | None = None
    description: str = ""
    packages: list[str] = field(default_factory=list)
    fixes: list[str] = field(default_factory=list)
    fix_states: set[str] = field(default_factory=set)

    def add(self, match: dict[str, Any], vulnerability: dict[str, Any], vuln_id: str) -> None:
        related = [
            entry
            for entry in as_list(match.get("relatedVulnerabilities"))
            if isinstance(entry, dict)
        ]
        # The NVD record of the same id comes first among the related ones.
        related.sort(key=lambda entry: entry.get("id") != vuln_id)
        records = [vulnerability, *related]
        # A related record of another id (the CVE behind an ALAS) has its own score: not ours.
        same_id = [vulnerability, *(entry for entry in related if entry.get("id") == vuln_id)]
        score = next((s for s in map(_score, same_id) if s is not None), None)
        if score is not None and (self.score is None or score > self.score):
            self.score = score
        severity = _severity(records, score)
        if _rank(severity) > _rank(self.severity):
            self.severity = severity
        if not self.description:
            self.description = next(
                (as_text(r.get("description")) for r in records if as_text(r.get("description"))),
                "",
            )
        self._add_package(as_dict(match.get("artifact")), vulnerability)

    def _add_package(self, artifact: dict[str, Any], vulnerability: dict[str, Any]) -> None:
        name, version = as_text(artifact.get("name")), as_text(artifact.get("version"))
        package = f"{name} {version}".strip()
        if not package or package in self.packages:
            return
        self.packages.append(package)
        fix = as_dict(vulnerability.get("fix"))
        versions = [v for v in as_list(fix.get("versions")) if as_text(v)]
        if not versions and as_text(vulnerability.get("fixedInVersion")):
            versions = [vulnerability["fixedInVersion"]]
        if versions:
            self.fixes.append(
                f"Upgrade {name or 'the package'} {version} to {', '.join(versions)}."
            )
        elif as_text(fix.get("state")):
            self.fix_states.add(as_text(fix["state"]))

    def describe(self, report: ParsedReport, vuln_id: str) -> None:
        report.finding(
            vuln_id,
            Kind.VULNERABILITY,
            title=f"{vuln_id} in {_some(self.packages)}" if self.packages else vuln_id,
            severity=self.severity,
            score=self.score,
            description=self.description,
            remediation=self._remediation(),
            source="grype",
        )

    def _remediation(self) -> str:
        lines = self.fixes[:_MAX_PACKAGES]
        if len(self.fixes) > _MAX_PACKAGES:
            lines.append(f"… and {len(self.fixes) - _MAX_PACKAGES} more packages.")
        if self.fix_states and not self.fixes:
            lines.append(
                f"No fixed version known (fix state: {', '.join(sorted(self.fix_states))})."
            )
        return "\n".join(lines)


def _collect(vulns: dict[str, _Vulnerability], match: object, number: int) -> str:
    """Add one match to what is known of its vulnerability; return the vulnerability id."""
    vulnerability = as_dict(match.get("vulnerability")) if isinstance(match, dict) else {}
    vuln_id = as_text(vulnerability.get("id"))
    if not vuln_id:
        # Dropping it would read as "absent" in a complete scan: refuse the report instead.
        raise ReportError(f"grype report: match {number} has no vulnerability id")
    vulns.setdefault(vuln_id, _Vulnerability()).add(match, vulnerability, vuln_id)
    return vuln_id


def _score(record: dict[str, Any]) -> float | None:
    """The CVSS base score of one vulnerability record, preferring the newest CVSS version."""
    scored = []
    for entry in as_list(record.get("cvss")):
        entry = as_dict(entry)
        base = as_dict(entry.get("metrics")).get("baseScore")
        if _is_score(base):
            scored.append((str(entry.get("version", "")), float(base)))
    for version, name in (("3", "cvssV3"), ("2", "cvssV2")):  # grype 0.7
        base = as_dict(record.get(name)).get("baseScore")
        if _is_score(base):
            scored.append((version, float(base)))
    return max(scored)[1] if scored else None


def _is_score(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and 0 <= value <= 10


def _severity(records: list[dict[str, Any]], score: float | None) -> str | None:
    """Grype's own word; where it says Unknown, a related record's word or the CVSS score."""
    words = [rating_from_word(record.get("severity")) for record in records]
    known = next((word for word in words if word not in (None, "none")), None)
    if known:
        return known
    return rating_from_score(score) or next((word for word in words if word), None)


def _rank(severity: str | None) -> int:
    return len(RATINGS) - RATINGS.index(severity) if severity in RATINGS else 0


def _some(packages: list[str]) -> str:
    shown = ", ".join(packages[:_MAX_PACKAGES])
    extra = len(packages) - _MAX_PACKAGES
    return f"{shown} and {extra} more" if extra > 0 else shown
