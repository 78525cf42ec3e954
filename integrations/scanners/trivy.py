"""Trivy JSON reports: image/fs/repo/config scans, k8s cluster reports, legacy lists, operator.

Forms read (all ``trivy --format json`` unless said otherwise):

* **JSON v2** (``SchemaVersion``, ``ArtifactName``, ``Results[]``): one asset, keyed by
  ``ArtifactName``. When that is empty, the first ``Target`` with its `` (debian 10.13)`` OS suffix
  removed names the asset, so an image keeps its key when its base OS is upgraded.
* **legacy, before 0.20**: a top-level list of results; the asset key is the first ``Target`` with
  its OS suffix removed (the same rule), which is what a v2 report of that image calls
  ``ArtifactName``; the removed suffix becomes the platform.
* **k8s cluster report** (``ClusterName`` with ``Vulnerabilities``/``Misconfigurations`` lists of
  resources, or the newer ``Resources`` list): one asset per resource, keyed
  ``<cluster>/<namespace>/<Kind>/<name>`` (the namespace left out for cluster-scoped resources).
* **trivy-operator** CRDs: a dict of CRD lists (``vulnerabilityreports.aquasecurity.github.io``
  …), a ``kubectl get -o json`` ``List`` of them, or one CRD. One asset per scanned resource,
  keyed ``<namespace>/<Kind>/<name>`` (the CRDs do not name the cluster). A
  ``ClusterComplianceReport`` is one asset ``ClusterComplianceReport/<name>`` with one check per
  control, keyed ``<spec id>:<control id>`` (``cis:5.2.3``) so benchmark numbers of different
  specs never collide. A control fails when any of its checks failed; one with no checks
  (a manual control) is SKIP.

Finding keys: the vulnerability ID (CVE, GHSA, TEMP-…); the misconfiguration ID as the report
writes it (``KSV-0001``, ``KSV001``, ``DS002``; ``AVDID`` only when there is no ``ID``); the secret
``RuleID`` as a check that fails.

Statuses: a misconfiguration ``PASS`` is PASS, ``FAIL`` (or ``WARN``, or no status: Trivy lists
failures) is FAIL, ``EXCEPTION`` is SKIP. Every vulnerability Status is DETECTED except
``not_affected``, which is the vendor saying the package is not vulnerable: ABSENT (an explicit
good result; a DETECTED entry for the same ID in another package still wins).

Completeness (DESIGN.md rule 3), per asset, decided from what the report shows it scanned:
vulnerabilities when a result has Class ``os-pkgs``/``lang-pkgs`` (legacy results have no Class:
one with a ``Vulnerabilities`` key and no misconfigurations); checks when a result has Class
``config`` or a ``MisconfSummary``; for the operator, a VulnerabilityReport makes vulnerabilities
complete and a config/RBAC/infra assessment report checks (an ExposedSecretReport claims nothing).
An image scan without misconfiguration scanning therefore never claims checks complete. A claim
is withdrawn when the report contradicts it: a ``MisconfSummary``/operator summary counting more
failures than are listed (an edited or truncated report), or a k8s resource with an ``Error``.
Not detectable, so use ``--partial`` for them: ``--severity``, ``--ignore-unfixed``,
``--pkg-types`` or ``--scanners`` filters that leave some of a scanned class out. Secrets are
checks, so a later report with complete checks but no secret scanning turns them PASS.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from integrations.scanners.loading import Document
from integrations.scanners.records import (
    AssetScan,
    Kind,
    ParsedReport,
    ReportError,
    Status,
    rating_from_score,
    rating_from_word,
)
from integrations.scanners.timestamps import parse_timestamp

FORMAT = "trivy"

_OPERATOR_GROUP = "aquasecurity.github.io"
_VULN_CLASSES = frozenset({"os-pkgs", "lang-pkgs"})
_MISCONF_STATUSES = {
    "PASS": Status.PASS,
    "FAIL": Status.FAIL,
    "WARN": Status.FAIL,
    "EXCEPTION": Status.SKIP,
}
_CVSS_FIELDS = ("V40Score", "V3Score", "V2Score")
_SEVERITY_COUNTS = (
    "criticalCount",
    "highCount",
    "mediumCount",
    "lowCount",
    "unknownCount",
    "noneCount",
)
#: Fixed versions listed in one vulnerability's remediation before "… and N more".
_MAX_FIXES = 10
_OPERATOR_CHECK_KINDS = frozenset(
    {
        "ConfigAuditReport",
        "ClusterConfigAuditReport",
        "RbacAssessmentReport",
        "ClusterRbacAssessmentReport",
        "InfraAssessmentReport",
        "ClusterInfraAssessmentReport",
    }
)
_OPERATOR_VULN_KINDS = frozenset({"VulnerabilityReport", "ClusterVulnerabilityReport"})


# --- detection ---------------------------------------------------------------------------


def detect(document: Document) -> bool:
    """Trivy v2, legacy list, k8s cluster report or trivy-operator CRDs."""
    if document.syntax != "json":
        return False
    value = document.value
    if isinstance(value, list):
        return _is_legacy(value)
    if not isinstance(value, dict):
        return False
    return _is_v2(value) or _is_k8s(value) or _is_operator(value)


def _is_v2(doc: dict[str, Any]) -> bool:
    # Any two of these: Results is omitted when empty, SchemaVersion by some converters.
    return sum(name in doc for name in ("SchemaVersion", "ArtifactName", "Results")) >= 2


def _is_k8s(doc: dict[str, Any]) -> bool:
    return "ClusterName" in doc and any(
        name in doc for name in ("Vulnerabilities", "Misconfigurations", "Resources")
    )


def _is_legacy(doc: list[Any]) -> bool:
    first = doc[0] if doc else None
    return (
        isinstance(first, dict)
        and isinstance(first.get("Target"), str)
        and any(name in first for name in ("Vulnerabilities", "Misconfigurations", "Type"))
    )


def _is_operator(doc: dict[str, Any]) -> bool:
    if _is_operator_crd(doc):
        return True
    if doc.get("kind") == "List" and isinstance(doc.get("items"), list) and doc["items"]:
        return _is_operator_crd(doc["items"][0])
    return any(isinstance(name, str) and name.endswith("." + _OPERATOR_GROUP) for name in doc)


def _is_operator_crd(value: Any) -> bool:
    return (
        isinstance(value, dict)
        and isinstance(value.get("apiVersion"), str)
        and value["apiVersion"].startswith(_OPERATOR_GROUP + "/")
    )


# --- parsing -----------------------------------------------------------------------------


def parse(document: Document) -> ParsedReport:
    """Parse any of the Trivy forms described in the module docstring."""
    value = document.value
    builder = _Builder()
    if isinstance(value, list):
        builder.legacy(value)
    elif isinstance(value, dict) and _is_v2(value):
        builder.v2(value)
    elif isinstance(value, dict) and _is_k8s(value):
        builder.k8s(value)
    elif isinstance(value, dict) and _is_operator(value):
        builder.operator(value)
    else:
        raise ReportError("not a Trivy JSON report")
    return builder.finish()


class _Builder:
    """Collects assets, results and completeness claims while walking one report."""

    def __init__(self) -> None:
        self.report = ParsedReport(format=FORMAT, assets=[], findings={})
        self._assets: dict[str, AssetScan] = {}
        self._claims: dict[str, set[Kind]] = {}
        # A contradiction anywhere for an asset beats a claim anywhere else for it.
        self._vetoes: dict[str, set[Kind]] = {}
        self._fixes: dict[str, dict[str, None]] = {}
        self._more_fixes: dict[str, int] = {}
        self._links: dict[str, str] = {}
        self._times: list[datetime] = []

    # -- forms --

    def v2(self, doc: dict[str, Any]) -> None:
        """A JSON v2 report: one artifact."""
        results = _results(doc.get("Results"), "Results")
        name = _text(doc.get("ArtifactName")).strip()
        platform = ""
        if not name:
            name, platform = _name_from_first_target(results)
        os_info = _dict(_dict(doc.get("Metadata")).get("OS"))
        os_words = (_text(os_info.get("Family")), _text(os_info.get("Name")))
        platform = " ".join(word for word in os_words if word) or platform
        asset = self._asset(name, name, platform or _text(doc.get("ArtifactType")))
        for result in results:
            self._result(asset.key, result)
        self._time(doc.get("CreatedAt"))

    def legacy(self, doc: list[Any]) -> None:
        """A pre-0.20 report: a list of results, named by the first target."""
        results = _results(doc, "the report")
        name, platform = _name_from_first_target(results)
        asset = self._asset(name, name, platform)
        for result in results:
            self._result(asset.key, result)

    def k8s(self, doc: dict[str, Any]) -> None:
        """A ``trivy k8s`` cluster report: one asset per Kubernetes resource."""
        cluster = _text(doc.get("ClusterName")).strip()
        sections = (
            ("Vulnerabilities", {Kind.VULNERABILITY}),
            ("Misconfigurations", {Kind.CHECK}),
            ("Resources", {Kind.VULNERABILITY, Kind.CHECK}),
        )
        for section, error_vetoes in sections:
            for resource in _objects(doc.get(section), section):
                self._k8s_resource(cluster, resource, error_vetoes)

    def operator(self, doc: dict[str, Any]) -> None:
        """trivy-operator CRDs: a dict of CRD lists, a ``List``, or one CRD."""
        if _is_operator_crd(doc):
            crds: Iterable[Any] = [doc]
        elif doc.get("kind") == "List":
            crds = _objects(doc.get("items"), "items")
        else:
            crds = (
                crd
                for name, items in doc.items()
                if name.endswith("." + _OPERATOR_GROUP)
                for crd in _objects(items, name)
            )
        for crd in crds:
            self._operator_crd(crd)

    def finish(self) -> ParsedReport:
        """Settle completeness, remediation and the scan time; return the report."""
        for key, asset in self._assets.items():
            asset.complete_kinds = frozenset(
                self._claims.get(key, set()) - self._vetoes.get(key, set())
            )
            self.report.assets.append(asset)
        self._finish_remediation()
        # Several CRDs carry several times: the newest is the closest to when the dump was made.
        self.report.scanned_at = max(self._times, default=None)
        return self.report

    # -- shared pieces --

    def _asset(self, key: str, name: str, platform: str) -> AssetScan:
        if not key:
            raise ReportError("trivy report: no artifact name or target to name the asset")
        asset = self._assets.get(key)
        if asset is None:
            asset = AssetScan(key=key, name=name, platform=platform)
            self._assets[key] = asset
        return asset

    def _claim(self, key: str, kind: Kind) -> None:
        self._claims.setdefault(key, set()).add(kind)

    def _veto(self, key: str, kinds: Iterable[Kind]) -> None:
        self._vetoes.setdefault(key, set()).update(kinds)

    def _time(self, value: object) -> None:
        moment = parse_timestamp(value)
        if moment is not None:
            self._times.append(moment)

    def _result(self, key: str, result: dict[str, Any]) -> None:
        """One entry of ``Results``: a target and what each scanner found in it."""
        summary = result.get("MisconfSummary")
        result_class = _result_class(result)
        if result_class in _VULN_CLASSES:
            self._claim(key, Kind.VULNERABILITY)
        misconfigurations = _objects(result.get("Misconfigurations"), "Misconfigurations")
        if result_class == "config" or summary is not None:
            self._claim(key, Kind.CHECK)
            failures = _dict(summary).get("Failures")
            listed = sum(1 for entry in misconfigurations if _misconf_status(entry) is Status.FAIL)
            if isinstance(failures, int) and failures > listed:
                self._veto(key, [Kind.CHECK])
        asset = self._assets[key]
        for entry in _objects(result.get("Vulnerabilities"), "Vulnerabilities"):
            self._vulnerability(asset, entry)
        for entry in misconfigurations:
            self._misconfiguration(asset, entry)
        for entry in _objects(result.get("Secrets"), "Secrets"):
            self._secret(asset, entry)

    def _vulnerability(self, asset: AssetScan, entry: dict[str, Any]) -> None:
        key = _key(entry.get("VulnerabilityID"), "a vulnerability without a VulnerabilityID")
        status = _text(entry.get("Status")).lower()
        asset.add(key, Status.ABSENT if status == "not_affected" else Status.DETECTED)
        score = _cvss_score(entry.get("CVSS"), entry.get("SeveritySource"))
        self.report.finding(
            key,
            Kind.VULNERABILITY,
            title=_text(entry.get("Title")) or key,
            severity=_severity(entry.get("Severity"), score),
            score=score,
            description=_text(entry.get("Description")),
            source=_text(_dict(entry.get("DataSource")).get("Name")) or "Trivy",
        )
        if status != "not_affected":
            self._note_fix(key, entry.get("PkgName"), entry.get("FixedVersion"))
        self._note_link(key, entry.get("PrimaryURL"))

    def _misconfiguration(self, asset: AssetScan, entry: dict[str, Any]) -> None:
        key = _key(entry.get("ID") or entry.get("AVDID"), "a misconfiguration without an ID")
        asset.add(key, _misconf_status(entry))
        self.report.finding(
            key,
            Kind.CHECK,
            title=_text(entry.get("Title")) or key,
            severity=rating_from_word(entry.get("Severity")),
            description=_text(entry.get("Description")),
            remediation=_text(entry.get("Resolution")),
            source=_text(entry.get("Type")) or "Trivy",
        )
        self._note_link(key, entry.get("PrimaryURL"))

    def _secret(self, asset: AssetScan, entry: dict[str, Any]) -> None:
        key = _key(entry.get("RuleID") or entry.get("ruleID"), "a secret without a RuleID")
        asset.add(key, Status.FAIL)
        category = _text(entry.get("Category") or entry.get("category"))
        self.report.finding(
            key,
            Kind.CHECK,
            title=_text(entry.get("Title") or entry.get("title")) or key,
            severity=rating_from_word(entry.get("Severity") or entry.get("severity")),
            # The match itself is left out: even masked, it is not for tickets.
            description=f"Trivy found a {category} secret." if category else "",
            remediation="Remove the secret from the files and revoke or rotate it.",
            source="Trivy secret scanning",
        )

    def _k8s_resource(
        self, cluster: str, resource: dict[str, Any], error_vetoes: set[Kind]
    ) -> None:
        namespace, kind, name = (
            _text(resource.get(field)) for field in ("Namespace", "Kind", "Name")
        )
        key = _resource_key(cluster, namespace, kind, name)
        self._asset(key, _resource_key("", namespace, kind, name), "kubernetes")
        if _text(resource.get("Error")):
            self._veto(key, error_vetoes)
        for result in _results(resource.get("Results"), "a resource's Results"):
            self._result(key, result)

    # -- trivy-operator --

    def _operator_crd(self, crd: dict[str, Any]) -> None:
        kind = _text(crd.get("kind"))
        if kind == "ClusterComplianceReport":
            self._compliance(crd)
            return
        if kind in _OPERATOR_VULN_KINDS:
            handler = self._operator_vulnerabilities
        elif kind in _OPERATOR_CHECK_KINDS:
            handler = self._operator_checks
        elif kind == "ExposedSecretReport":
            handler = self._operator_secrets
        else:
            return  # SBOM reports and kinds newer than this parser say nothing about findings
        report = _dict(crd.get("report"))
        asset = self._operator_asset(crd)
        handler(asset, report)
        self._time(
            report.get("updateTimestamp") or _dict(crd.get("metadata")).get("creationTimestamp")
        )

    def _operator_asset(self, crd: dict[str, Any]) -> AssetScan:
        metadata = _dict(crd.get("metadata"))
        labels = _dict(metadata.get("labels"))
        prefix = "trivy-operator.resource."
        namespace = _text(labels.get(prefix + "namespace"))
        kind = _text(labels.get(prefix + "kind"))
        name = _text(labels.get(prefix + "name"))
        if not (kind and name):
            owners = metadata.get("ownerReferences")
            owner = _dict(owners[0]) if isinstance(owners, list) and owners else {}
            namespace = _text(metadata.get("namespace"))
            kind, name = _text(owner.get("kind")), _text(owner.get("name"))
        if not (kind and name):
            kind_name = _text(crd.get("kind"))
            raise ReportError(
                f"trivy-operator {kind_name}: no resource label or owner names the asset"
            )
        key = _resource_key("", namespace, kind, name)
        return self._asset(key, key, "kubernetes")

    def _operator_vulnerabilities(self, asset: AssetScan, report: dict[str, Any]) -> None:
        entries = _objects(report.get("vulnerabilities"), "vulnerabilities")
        self._claim(asset.key, Kind.VULNERABILITY)
        if _summary_total(report.get("summary")) > len(entries):
            self._veto(asset.key, [Kind.VULNERABILITY])
        for entry in entries:
            key = _key(entry.get("vulnerabilityID"), "a vulnerability without a vulnerabilityID")
            asset.add(key, Status.DETECTED)
            score = _score(entry.get("score"))
            self.report.finding(
                key,
                Kind.VULNERABILITY,
                title=_text(entry.get("title")) or key,
                severity=_severity(entry.get("severity"), score),
                score=score,
                description=_text(entry.get("description")),
                source="Trivy",
            )
            self._note_fix(key, entry.get("resource"), entry.get("fixedVersion"))
            self._note_link(key, entry.get("primaryLink"))

    def _operator_checks(self, asset: AssetScan, report: dict[str, Any]) -> None:
        entries = _objects(report.get("checks"), "checks")
        self._claim(asset.key, Kind.CHECK)
        failed = sum(1 for entry in entries if entry.get("success") is not True)
        if _summary_total(report.get("summary")) > failed:
            self._veto(asset.key, [Kind.CHECK])
        for entry in entries:
            key = _key(entry.get("checkID") or entry.get("id"), "a check without a checkID")
            asset.add(key, _success_status(entry.get("success")))
            self.report.finding(
                key,
                Kind.CHECK,
                title=_text(entry.get("title")) or key,
                severity=rating_from_word(entry.get("severity")),
                description=_text(entry.get("description")),
                remediation=_text(entry.get("remediation")),
                source=_text(entry.get("category")) or "Trivy",
            )

    def _operator_secrets(self, asset: AssetScan, report: dict[str, Any]) -> None:
        for entry in _objects(report.get("secrets"), "secrets"):
            self._secret(asset, entry)

    def _compliance(self, crd: dict[str, Any]) -> None:
        """A ClusterComplianceReport: pass/fail per control of one benchmark for the cluster."""
        spec = _dict(_dict(crd.get("spec")).get("compliance"))
        status = _dict(crd.get("status"))
        detail = _dict(status.get("detailReport"))
        summary = _dict(status.get("summaryReport"))
        spec_id = _text(spec.get("id") or detail.get("id") or summary.get("id")) or "compliance"
        source = _text(spec.get("title") or detail.get("title")) or spec_id
        name = _text(_dict(crd.get("metadata")).get("name")) or spec_id
        asset = self._asset(
            _resource_key("", "", "ClusterComplianceReport", name), source, "kubernetes"
        )
        if "results" in detail:
            controls = _objects(detail.get("results"), "results")
            status_of = _control_status
        elif "controlCheck" in summary:
            controls = _objects(summary.get("controlCheck"), "controlCheck")
            status_of = _summary_control_status
        else:
            raise ReportError("trivy-operator compliance report: no status results to read")
        # Every control of the benchmark is listed with its outcome.
        self._claim(asset.key, Kind.CHECK)
        for control in controls:
            key = f"{spec_id}:{_key(control.get('id'), 'a compliance control without an id')}"
            asset.add(key, status_of(control))
            self.report.finding(
                key,
                Kind.CHECK,
                title=_text(control.get("name")) or key,
                severity=rating_from_word(control.get("severity")),
                description=_text(control.get("description")),
                remediation=_first_remediation(control.get("checks")),
                source=source,
            )
        self._time(
            status.get("updateTimestamp") or _dict(crd.get("metadata")).get("creationTimestamp")
        )

    # -- remediation --

    def _note_fix(self, key: str, package: object, fixed: object) -> None:
        version = _text(fixed).strip()
        if not version:
            return
        fixes = self._fixes.setdefault(key, {})
        text = f"{_text(package)} {version}".strip()
        if text in fixes:
            return
        if len(fixes) < _MAX_FIXES:
            fixes[text] = None
        else:
            self._more_fixes[key] = self._more_fixes.get(key, 0) + 1

    def _note_link(self, key: str, url: object) -> None:
        if isinstance(url, str) and url.strip() and key not in self._links:
            self._links[key] = url.strip()

    def _finish_remediation(self) -> None:
        for key, finding in self.report.findings.items():
            parts = [finding.remediation] if finding.remediation else []
            fixes = self._fixes.get(key)
            if fixes:
                more = self._more_fixes.get(key)
                tail = f", … and {more} more" if more else ""
                parts.append(f"Upgrade to a fixed version: {', '.join(fixes)}{tail}.")
            if key in self._links:
                parts.append(f"See {self._links[key]}")
            finding.remediation = "\n".join(parts)


# --- small readers -----------------------------------------------------------------------


def _text(value: object) -> str:
    """A string field, or "" for anything else (hostile reports put numbers and lists there)."""
    return value if isinstance(value, str) else ""


def _dict(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _objects(value: object, what: str) -> list[dict[str, Any]]:
    """A list of objects; ``null`` is Trivy's way of writing an empty list."""
    if value is None:
        return []
    if not isinstance(value, list):
        raise ReportError(f"trivy report: {what:.80} must be a list, not {type(value).__name__}")
    for item in value:
        if not isinstance(item, dict):
            raise ReportError(
                f"trivy report: {what:.80} must hold objects, found {type(item).__name__}"
            )
    return value


def _results(value: object, what: str) -> list[dict[str, Any]]:
    results = _objects(value, what)
    for result in results:
        if "Target" in result and not isinstance(result["Target"], str):
            raise ReportError("trivy report: a result's Target must be a string")
    return results


def _key(value: object, missing: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ReportError(f"trivy report: {missing}")
    return value.strip()


def _score(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if 0.0 <= value <= 10.0 else None


def _cvss_score(cvss: object, preferred: object) -> float | None:
    """The CVSS score of the source Trivy took the severity from, else NVD's, else any."""
    if not isinstance(cvss, dict):
        return None
    for source in (preferred, "nvd", *cvss):
        vectors = cvss.get(source) if isinstance(source, str) else None
        if isinstance(vectors, dict):
            for field in _CVSS_FIELDS:
                score = _score(vectors.get(field))
                if score is not None:
                    return score
    return None


def _severity(word: object, score: float | None) -> str | None:
    """The report's severity word; its score only when the word is missing or UNKNOWN."""
    rating = rating_from_word(word)
    if rating is None or _text(word).strip().lower() == "unknown":
        return rating_from_score(score) or rating
    return rating


def _result_class(result: dict[str, Any]) -> str:
    """The result's Class; legacy results have none, so it is told from what they hold."""
    if result.get("Class") is not None:
        return _text(result["Class"])
    if result.get("MisconfSummary") is not None or "Misconfigurations" in result:
        return "config"
    return "os-pkgs" if "Vulnerabilities" in result else ""


def _misconf_status(entry: dict[str, Any]) -> Status:
    status = entry.get("Status")
    if status is None:
        return Status.FAIL  # Trivy lists failures; old reports did not say so
    return _MISCONF_STATUSES.get(_text(status).upper(), Status.UNKNOWN)


def _success_status(success: object) -> Status:
    if success is True:
        return Status.PASS
    if success is False:
        return Status.FAIL
    return Status.UNKNOWN


def _control_status(control: dict[str, Any]) -> Status:
    """FAIL if any check of the control failed; a control with no checks was not assessed."""
    checks = _objects(control.get("checks"), "a control's checks")
    if not checks:
        return Status.SKIP
    statuses = {_success_status(check.get("success")) for check in checks}
    for status in (Status.FAIL, Status.UNKNOWN):
        if status in statuses:
            return status
    return Status.PASS


def _summary_control_status(control: dict[str, Any]) -> Status:
    total_fail = control.get("totalFail")
    # trivy-operator omits totalFail when it is zero.
    if total_fail is None:
        return Status.PASS
    if isinstance(total_fail, bool) or not isinstance(total_fail, int):
        return Status.UNKNOWN
    return Status.FAIL if total_fail > 0 else Status.PASS


def _first_remediation(checks: object) -> str:
    if isinstance(checks, list):
        for check in checks:
            text = _text(_dict(check).get("remediation"))
            if text:
                return text
    return ""


def _summary_total(summary: object) -> int:
    """Findings an operator summary counts (failures only, for checks)."""
    counts = _dict(summary)
    return sum(
        count
        for count in (counts.get(name) for name in _SEVERITY_COUNTS)
        if isinstance(count, int) and not isinstance(count, bool)
    )


def _resource_key(cluster: str, namespace: str, kind: str, name: str) -> str:
    if not (kind and name):
        raise ReportError("trivy k8s report: a resource without a Kind or Name")
    return "/".join(part for part in (cluster, namespace, kind, name) if part)


def _name_from_first_target(results: list[dict[str, Any]]) -> tuple[str, str]:
    """The first target without its OS suffix, and that suffix: ``("debian", "debian 10.8")``."""
    for result in results:
        target = _text(result.get("Target")).strip()
        if target:
            return _split_os_suffix(target)
    raise ReportError("trivy report: no ArtifactName and no Target to name the asset")


def _split_os_suffix(target: str) -> tuple[str, str]:
    """Split ``image (alpine 3.9.4)`` or ``img (amazon 2 (Karoo))`` into name and OS.

    A single backwards scan for the matching parenthesis: no regex backtracking on hostile text.
    """
    if not target.endswith(")"):
        return target, ""
    depth = 0
    for index in range(len(target) - 1, -1, -1):
        char = target[index]
        if char == ")":
            depth += 1
        elif char == "(":
            depth -= 1
            if depth == 0:
                name, inner = target[:index], target[index + 1 : -1]
                if name.endswith(" ") and name.strip() and " " in inner.strip():
                    return name.strip(), inner.strip()
                return target, ""
    return target, ""
