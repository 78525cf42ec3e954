"""SARIF 2.1.0: static analysis, secret and dependency scanners (CodeQL, Semgrep, KICS, …).

```json
{"version": "2.1.0",
 "runs": [{"tool": {"driver": {"name": "CodeQL", "rules": [{
             "id": "py/sql-injection", "shortDescription": {"text": "…"},
             "fullDescription": {"text": "…"}, "help": {"text": "…"},
             "defaultConfiguration": {"level": "error"},
             "properties": {"security-severity": "8.8"}}]}},
           "results": [{"ruleId": "py/sql-injection", "ruleIndex": 0, "kind": "fail",
                        "level": "error", "locations": [{"physicalLocation":
                            {"artifactLocation": {"uri": "app/db.py"}}}]}],
           "versionControlProvenance": [{"repositoryUri": "https://github.com/org/repo"}],
           "invocations": [{"startTimeUtc": "…", "executionSuccessful": true}]}]}
```
The finding key is the rule id; a rule id that is (or starts with) a CVE/GHSA id is that
vulnerability, keyed by the id alone (Grype writes ``CVE-2020-1234-<package>``), so SARIF and the
other vulnerability formats agree on keys. Per asset, a rule is bad if any of its results is bad.
Result kinds, as the SARIF spec defines them: ``fail`` (the default) → FAIL/DETECTED;
``pass`` and ``informational`` ("not a problem") → PASS/ABSENT; ``notApplicable`` → SKIP;
``open`` ("could not determine") and ``review`` ("a person must decide if it is a problem") →
UNKNOWN: neither is a known bad state, so neither is drift. Suppressed results are skipped and
results whose ``baselineState`` is ``absent`` (gone since the baseline) count as good.

A run is complete: a rule it declares (driver or extensions) without results passed. A run is
not complete when its ``results`` are missing (the spec's "the tool did not run"), an invocation
says ``executionSuccessful: false``, or a result names no rule we can find (we cannot say which
declared rules it belongs to). Asset key: the repository URI (``versionControlProvenance``),
else ``<tool>:<root>`` where root is the absolute directory the paths are relative to (from
``originalUriBaseIds`` or an absolute first location), else ``.`` (the directory the tool ran in):
a relative first path segment would change with whichever result happens to come first.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

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

FORMAT = "sarif"

_VULNERABILITY_ID = re.compile(r"(CVE-\d{4}-\d{4,}|GHSA(?:-[0-9a-z]{4}){3})(?![0-9a-z])", re.I)

_GOOD, _BAD = "good", "bad"
_KIND_STATUS = {
    "pass": _GOOD,
    "informational": _GOOD,
    "fail": _BAD,
    "notApplicable": Status.SKIP,
    # DESIGN.md decides: a rule is bad if any result is not pass/informational, so "open" (the
    # tool could not tell) and "review" (a person must look) count as failing; "notApplicable"
    # says the rule did not apply, which is a skip, not a failure.
    "open": _BAD,
    "review": _BAD,
}
_STATUS = {
    Kind.CHECK: {_GOOD: Status.PASS, _BAD: Status.FAIL},
    Kind.VULNERABILITY: {_GOOD: Status.ABSENT, _BAD: Status.DETECTED},
}
_LEVEL_RANK = {"none": 0, "note": 1, "warning": 2, "error": 3}
_ALL_KINDS = frozenset(Kind)
_TITLE_LIMIT = 200


def detect(document: Document) -> bool:
    value = document.value
    if document.syntax != "json" or not isinstance(value, dict):
        return False
    schema = value.get("$schema")
    if isinstance(schema, str) and "sarif" in schema.lower():
        return True
    version = value.get("version")
    return "runs" in value and isinstance(version, str) and version[:2] in ("1.", "2.")


def parse(document: Document) -> ParsedReport:
    doc: dict[str, Any] = document.value
    version = doc.get("version")
    if version is not None and not (isinstance(version, str) and version.startswith("2.")):
        raise ReportError(
            f"SARIF version {str(version)[:20]!r} is not supported; casedesk reads 2.1.0"
        )
    runs = doc.get("runs")
    if not isinstance(runs, list) or not runs:
        raise ReportError("SARIF report has no runs")
    report = ParsedReport(format=FORMAT, assets=[], findings={})
    assets: dict[str, AssetScan] = {}
    times: list[datetime] = []
    for number, run in enumerate(runs, 1):
        if not isinstance(run, dict):
            raise ReportError(f"SARIF run {number} is not an object")
        _Run(run, number).add_to(report, assets)
        times.extend(_times(run))
    report.assets = list(assets.values())
    report.scanned_at = min(times) if times else None
    return report


def _message(value: object) -> str:
    """The text of a SARIF message or multiformat string (plain text, else markdown)."""
    message = as_dict(value)
    return as_text(message.get("text")) or as_text(message.get("markdown"))


def _first_line(text: str) -> str:
    line = text.strip().split("\n", 1)[0].strip()
    return line if len(line) <= _TITLE_LIMIT else line[: _TITLE_LIMIT - 1] + "…"


def _finding_key(rule_id: str) -> tuple[str, Kind]:
    """A CVE/GHSA rule id (or one that starts with it) is that vulnerability; else a check."""
    match = _VULNERABILITY_ID.match(rule_id)
    if match is None:
        return rule_id, Kind.CHECK
    vuln_id = match.group(1)
    canonical = vuln_id.upper() if vuln_id[:3].upper() == "CVE" else "GHSA" + vuln_id[4:].lower()
    return canonical, Kind.VULNERABILITY


def _times(run: dict[str, Any]) -> list[datetime]:
    """When the run's invocations started (else ended): the report's scan time is the earliest."""
    invocations = [as_dict(entry) for entry in as_list(run.get("invocations"))]
    starts = [parse_timestamp(entry.get("startTimeUtc")) for entry in invocations]
    ends = [parse_timestamp(entry.get("endTimeUtc")) for entry in invocations]
    return [time for time in starts if time] or [time for time in ends if time]


@dataclass(slots=True)
class _Seen:
    """What one run says about one finding: its rule, a sample message, the worst level."""

    kind: Kind
    rule: dict[str, Any]
    message: str = ""
    level: str | None = None


@dataclass(slots=True)
class _Run:
    """One SARIF run, read into the asset it scanned."""

    run: dict[str, Any]
    number: int
    tool: str = ""
    components: list[list[tuple[str, dict[str, Any]]]] = field(default_factory=list)
    rules: dict[str, dict[str, Any]] = field(default_factory=dict)
    seen: dict[str, _Seen] = field(default_factory=dict)

    def __post_init__(self) -> None:
        tool = as_dict(self.run.get("tool"))
        driver = as_dict(tool.get("driver"))
        self.tool = as_text(driver.get("name")) or as_text(driver.get("fullName"))
        if not self.tool:
            raise ReportError(f"SARIF run {self.number} names no tool (tool.driver.name)")
        # Rules live in the driver and, for CodeQL query packs, in extensions; a result's
        # rule.toolComponent.index counts extensions, ruleIndex the driver's rules.
        self.components = [_rules(driver)] + [
            _rules(as_dict(extension)) for extension in as_list(tool.get("extensions"))
        ]
        for component in self.components:
            for rule_id, rule in component:
                if rule_id:
                    self.rules.setdefault(rule_id, rule)

    def add_to(self, report: ParsedReport, assets: dict[str, AssetScan]) -> None:
        key = _asset_key(self.run, self.tool)
        asset = assets.get(key)
        if asset is None:
            asset = assets[key] = AssetScan(key=key, name=key, complete_kinds=_ALL_KINDS)
        complete = self._read_results(asset)
        if complete:
            self._pass_unreported(asset)
        else:
            asset.complete_kinds = frozenset()
        self._mark_rule_errors(asset)
        for finding_key, seen in self.seen.items():
            _describe(report, finding_key, seen, self.tool)

    def _read_results(self, asset: AssetScan) -> bool:
        """Add every result to the asset; return whether the run is complete."""
        results = self.run.get("results")
        if not isinstance(results, list):
            # The spec: results absent or null means the tool did not run (or failed).
            return False
        complete = not any(
            as_dict(entry).get("executionSuccessful") is False
            for entry in as_list(self.run.get("invocations"))
        )
        for index, result in enumerate(results):
            if not isinstance(result, dict):
                raise ReportError(f"SARIF run {self.number}: result {index + 1} is not an object")
            rule_id, rule = self._rule_of(result)
            if rule_id is None:
                complete = False
                rule_id = self._unattributed_key(result, index)
            finding_key, kind = _finding_key(rule_id)
            verdict = _verdict(result)
            status = _STATUS[kind][verdict] if verdict in (_GOOD, _BAD) else verdict
            asset.add(finding_key, status)
            self._note(finding_key, kind, rule, result, bad=verdict == _BAD)
        return complete

    def _rule_of(self, result: dict[str, Any]) -> tuple[str | None, dict[str, Any]]:
        """The rule id a result belongs to (ruleId, rule.id, rule.index, ruleIndex) and its rule."""
        reference = as_dict(result.get("rule"))
        component = self.components[0]
        tool_component = as_dict(reference.get("toolComponent")).get("index")
        if isinstance(tool_component, int) and 0 <= tool_component < len(self.components) - 1:
            component = self.components[tool_component + 1]
        index = reference.get("index", result.get("ruleIndex"))
        indexed_id, indexed = ("", {})
        if isinstance(index, int) and 0 <= index < len(component):
            indexed_id, indexed = component[index]
        rule_id = as_text(result.get("ruleId")) or as_text(reference.get("id")) or indexed_id
        if not rule_id:
            rule_id = self._rule_named_in(_message(result.get("message")))
        if rule_id is None:
            return None, {}
        return rule_id, indexed if indexed_id == rule_id else self.rules.get(rule_id, {})

    def _rule_named_in(self, message: str) -> str | None:
        """The declared rule a message starts with: Gitleaks 7 writes "<rule id> secret detected"
        and no ruleId. The longest match wins; only whole words are tried."""
        if not self.rules:
            return None
        head = message[:_TITLE_LIMIT]
        ends = [position for position, char in enumerate(head) if char in " :-"] + [len(head)]
        for end in reversed(ends):
            if head[:end].strip() in self.rules:
                return head[:end].strip()
        return None

    def _unattributed_key(self, result: dict[str, Any], index: int) -> str:
        """A result of no rule: its message is the only stable name it has."""
        message = _first_line(_message(result.get("message")))
        if not message:
            raise ReportError(
                f"SARIF run {self.number}: result {index + 1} names no rule and has no message"
            )
        return message

    def _note(
        self, key: str, kind: Kind, rule: dict[str, Any], result: dict[str, Any], bad: bool
    ) -> None:
        seen = self.seen.get(key)
        if seen is None:
            seen = self.seen[key] = _Seen(kind=kind, rule=rule)
        if not seen.rule and rule:
            seen.rule = rule
        if not seen.message:
            seen.message = _message(result.get("message"))
        if bad:
            level = _level(result, rule)
            if seen.level is None or _LEVEL_RANK[level] > _LEVEL_RANK[seen.level]:
                seen.level = level

    def _pass_unreported(self, asset: AssetScan) -> None:
        """A declared rule with no result passed; a disabled one was not run."""
        for component in self.components:
            for rule_id, rule in component:
                if not rule_id:
                    continue
                finding_key, kind = _finding_key(rule_id)
                if finding_key in self.seen:
                    continue
                enabled = as_dict(rule.get("defaultConfiguration")).get("enabled") is not False
                asset.add(finding_key, _STATUS[kind][_GOOD] if enabled else Status.SKIP)
                self.seen[finding_key] = _Seen(kind=kind, rule=rule)

    def _mark_rule_errors(self, asset: AssetScan) -> None:
        """A rule the tool reports an error for was not (fully) evaluated: ERROR, not PASS."""
        for invocation in as_list(self.run.get("invocations")):
            for notification in as_list(as_dict(invocation).get("toolExecutionNotifications")):
                notification = as_dict(notification)
                rule_id = as_text(as_dict(notification.get("associatedRule")).get("id"))
                if notification.get("level") == "error" and rule_id:
                    finding_key, kind = _finding_key(rule_id)
                    asset.add(finding_key, Status.ERROR)
                    rule = self.rules.get(rule_id, {})
                    self.seen.setdefault(finding_key, _Seen(kind=kind, rule=rule))


def _rules(component: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """A tool component's rules as (id, rule), in order: results refer to them by position.
    An entry without a string id keeps its place with an empty id."""
    rules = [as_dict(rule) for rule in as_list(component.get("rules"))]
    return [(as_text(rule.get("id")), rule) for rule in rules]


def _verdict(result: dict[str, Any]) -> str | Status:
    """good / bad / a status, from the result's kind (default fail), suppressions, baseline."""
    if result.get("baselineState") == "absent":
        return _GOOD
    if _suppressed(result):
        return Status.SKIP
    kind = result.get("kind", "fail")
    return _KIND_STATUS.get(kind, Status.UNKNOWN) if isinstance(kind, str) else Status.UNKNOWN


def _suppressed(result: dict[str, Any]) -> bool:
    """Suppressed (in source or by a triage decision) unless the suppression was rejected."""
    return any(
        as_dict(entry).get("status") in (None, "accepted")
        for entry in as_list(result.get("suppressions"))
    )


def _level(result: dict[str, Any], rule: dict[str, Any]) -> str:
    """The spec's effective level: the result's, else the rule's default, else warning."""
    for level in (result.get("level"), as_dict(rule.get("defaultConfiguration")).get("level")):
        if isinstance(level, str) and level in _LEVEL_RANK:
            return level
    return "warning"


def _describe(report: ParsedReport, key: str, seen: _Seen, tool: str) -> None:
    rule = seen.rule
    short = _message(rule.get("shortDescription"))
    severity, score = _severity(rule, seen.level)
    help_text = _message(rule.get("help"))
    help_uri = as_text(rule.get("helpUri"))
    report.finding(
        key,
        seen.kind,
        title=_first_line(short or as_text(rule.get("name")) or seen.message) or key,
        severity=severity,
        score=score,
        description=_message(rule.get("fullDescription")) or short or seen.message,
        remediation=help_text or (f"See {help_uri}" if help_uri else ""),
        source=tool,
    )


def _severity(rule: dict[str, Any], level: str | None) -> tuple[str | None, float | None]:
    """GitHub's ``security-severity`` (a score, or a word as Semgrep writes), else the level."""
    value = as_dict(rule.get("properties")).get("security-severity")
    score = _number(value)
    if score is not None:
        return rating_from_score(score), score
    word = rating_from_word(value)
    if word in RATINGS:
        return word, None
    # A rule without failing results has no result level: its default level rates it.
    return rating_from_word(level or _level({}, rule)), None


def _number(value: object) -> float | None:
    if isinstance(value, bool):
        return None
    try:
        number = float(value) if isinstance(value, int | float | str) else None
    except ValueError:
        return None
    return number if number is not None and 0 <= number <= 10 else None


def _asset_key(run: dict[str, Any], tool: str) -> str:
    for provenance in as_list(run.get("versionControlProvenance")):
        uri = as_text(as_dict(provenance).get("repositoryUri"))
        if uri:
            return uri
    return f"{tool}:{_root(run)}"


def _root(run: dict[str, Any]) -> str:
    """The absolute directory the run's paths are relative to, or ``.`` when it does not say."""
    bases = as_dict(run.get("originalUriBaseIds"))
    location = _first_location(run)
    base_id = as_text(location.get("uriBaseId"))
    for name in (base_id, "SRCROOT", "%SRCROOT%"):
        base_uri = as_text(as_dict(bases.get(name)).get("uri")) if name else ""
        if base_uri and (root := _absolute_root(base_uri, whole=True)):
            return root
    uri = as_text(location.get("uri"))
    return (_absolute_root(uri, whole=False) if uri and not base_id else "") or "."


def _first_location(run: dict[str, Any]) -> dict[str, Any]:
    """The artifact location of the first result that has one, else of the first artifact."""
    for result in as_list(run.get("results")):
        for location in as_list(as_dict(result).get("locations")):
            artifact = as_dict(
                as_dict(as_dict(location).get("physicalLocation")).get("artifactLocation")
            )
            if as_text(artifact.get("uri")) or as_text(artifact.get("uriBaseId")):
                return artifact
    artifacts = as_list(run.get("artifacts"))
    return as_dict(as_dict(artifacts[0]).get("location")) if artifacts else {}


def _absolute_root(uri: str, whole: bool) -> str:
    """An absolute URI or path: all of it (a base directory) or its first segment; else ''."""
    uri = uri.replace("\\", "/")
    parts = urlsplit(uri)
    if len(parts.scheme) > 1 and parts.scheme != "file":
        return uri.rstrip("/") if whole else f"{parts.scheme}://{parts.netloc}"
    path = parts.path if len(parts.scheme) > 1 else uri
    drive = re.match(r"/*([A-Za-z]:)(?=/|$)", path)
    if not (drive or path.startswith("/")):
        return ""
    prefix = drive.group(1) if drive else ""
    segments = [segment for segment in path[drive.end() if drive else 0 :].split("/") if segment]
    if whole:
        return prefix + "/" + "/".join(segments)
    return prefix + "/" + (segments[0] if segments else "")
