"""Trivy parser: every real sample, hand-counted numbers, drift-relevant shapes, malformed input.

Numbers below were worked out from the raw files with jq, not with the parser; each assertion
says how.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import pytest

from integrations.scanners import parse_report, trivy
from integrations.scanners.loading import load_document
from integrations.scanners.records import AssetScan, Kind, ParsedReport, ReportError, Status
from integrations.scanners.trivy import _split_os_suffix
from tests.conftest import SAMPLES
from tests.scanners.helpers import parse_sample, status_counts

TRIVY_SAMPLES = sorted(path.name for path in (SAMPLES / "trivy").iterdir())
CLUSTER = "arn:aws:eks:us-east-1:576036489467:cluster/monitoring-test-cluster"


def _parse(doc: Any) -> ParsedReport:
    return parse_report(orjson.dumps(doc), format="auto")


def _fails(report: ParsedReport) -> set[str]:
    return {key for asset in report.assets for key, s in asset.results.items() if s is Status.FAIL}


def _only_asset(report: ParsedReport) -> AssetScan:
    assert len(report.assets) == 1
    return report.assets[0]


# --- every sample --------------------------------------------------------------------------


def test_samples_are_listed() -> None:
    assert len(TRIVY_SAMPLES) == 11


@pytest.mark.parametrize("name", TRIVY_SAMPLES)
def test_every_sample_parses_and_is_detected(samples: Path, name: str) -> None:
    report = parse_sample(samples / "trivy" / name)
    assert report.format == "trivy"
    assert report.assets
    for asset in report.assets:
        for key in asset.results:
            assert key in report.findings


def test_detect_claims_no_other_formats_sample(samples: Path) -> None:
    for path in sorted(samples.rglob("*")):
        if not path.is_file() or path.parent.name == "trivy":
            continue
        try:
            document = load_document(path.read_bytes())
        except ReportError:
            continue
        assert not trivy.detect(document), path


# --- helm chart config scans (SEQ-TV3) ----------------------------------------------------


def test_helm_chart_before(samples: Path) -> None:
    report = parse_sample(samples / "trivy" / "config-helm-testchart.json")
    asset = _only_asset(report)
    assert asset.key == "testdata/fixtures/repo/helm_testchart"
    # jq '[.Results[].Misconfigurations[]? | select(.Status=="FAIL") | .ID] | unique | length' -> 6
    assert status_counts(report) == {"fail": 6}
    # Three Class "config" results whose MisconfSummary Failures (6, 0, 0) match the FAIL list.
    assert asset.complete_kinds == {Kind.CHECK}
    assert report.scanned_at == datetime(2021, 8, 25, 12, 20, 30, tzinfo=UTC)
    finding = report.findings["KSV-0118"]
    assert finding.kind is Kind.CHECK
    assert finding.severity == "high"


def test_helm_chart_overridden_fails_exactly_two_more_checks(samples: Path) -> None:
    before = parse_sample(samples / "trivy" / "config-helm-testchart.json")
    after = parse_sample(samples / "trivy" / "config-helm-testchart-overridden.json")
    assert [a.key for a in before.assets] == [a.key for a in after.assets]
    assert all(Kind.CHECK in a.complete_kinds for a in before.assets + after.assets)
    # jq: 8 FAIL IDs in the overridden file; its summary says 90 successes / 8 failures.
    assert status_counts(after) == {"fail": 8}
    assert _fails(after) - _fails(before) == {"KSV-0020", "KSV-0105"}
    assert _fails(before) - _fails(after) == set()
    assert after.findings["KSV-0020"].title == "Runs with UID <= 10000"
    assert after.findings["KSV-0105"].severity == "low"


# --- fs / image scans --------------------------------------------------------------------


def test_fs_scan_with_vulns_misconfig_and_secrets(samples: Path) -> None:
    report = parse_sample(samples / "trivy" / "fs-vulns-misconfig-secrets.json")
    asset = _only_asset(report)
    assert asset.key == "."
    assert asset.platform == "filesystem"
    # 2 CVEs in requirements.txt (lang-pkgs); DS002 FAIL (summary 22/1); github-pat in 2 targets.
    assert status_counts(report) == {"detected": 2, "fail": 2}
    assert asset.results["github-pat"] is Status.FAIL
    assert asset.results["DS002"] is Status.FAIL
    assert asset.complete_kinds == {Kind.CHECK, Kind.VULNERABILITY}
    assert report.scanned_at is None  # no CreatedAt in this report
    cve = report.findings["CVE-2021-33503"]
    assert cve.title == "python-urllib3: ReDoS in the parsing of authority part of URL"
    assert cve.severity == "high"
    assert cve.score == 7.5
    assert "urllib3 1.26.5" in cve.remediation
    ds002 = report.findings["DS002"]
    assert ds002.remediation.startswith("Add 'USER <non root user name>' line to the Dockerfile")
    assert ds002.source == "Dockerfile Security Check"
    secret = report.findings["github-pat"]
    assert secret.kind is Kind.CHECK
    assert secret.title == "GitHub Personal Access Token"
    assert secret.severity == "critical"


def test_image_alpine_full_and_severity_subset(samples: Path) -> None:
    full = parse_sample(samples / "trivy" / "image-alpine-3.9.json")
    subset = parse_sample(samples / "trivy" / "image-alpine-3.9-high-critical.json")
    asset = _only_asset(full)
    assert asset.key == _only_asset(subset).key == "testdata/fixtures/images/alpine-39.tar.gz"
    assert asset.platform == "alpine 3.9.4"
    # jq '[.Results[].Vulnerabilities[].VulnerabilityID] | unique | length' -> 3 and 1
    assert status_counts(full) == {"detected": 3}
    assert status_counts(subset) == {"detected": 1}
    # Vulnerabilities scanned (Class os-pkgs), misconfigurations not: checks are not complete.
    assert asset.complete_kinds == {Kind.VULNERABILITY}
    cve = full.findings["CVE-2019-1549"]
    assert cve.title == "openssl: information disclosure in fork()"
    assert cve.severity == "medium"
    assert cve.score == 5.3  # SeveritySource nvd, V3Score
    assert "libcrypto1.1 1.1.1d-r0" in cve.remediation
    assert "libssl1.1 1.1.1d-r0" in cve.remediation
    assert "https://avd.aquasec.com/nvd/cve-2019-1549" in cve.remediation
    musl = full.findings["CVE-2019-14697"]
    assert (musl.title, musl.severity, musl.score) == ("CVE-2019-14697", "critical", 9.8)


def test_image_all_vulnerability_statuses(samples: Path) -> None:
    report = parse_sample(samples / "trivy" / "image-all-vuln-statuses.json")
    asset = _only_asset(report)
    # ArtifactName is "": the first Target without its " (debian 10.13)" suffix names the image.
    assert asset.key == "noppaknopsta/example-app:main-159"
    assert asset.platform == "debian 10.13"
    # jq: 8 entries, 8 distinct IDs, one with Status not_affected.
    assert status_counts(report) == {"detected": 7, "absent": 1}
    assert asset.results["CVE-2019-18276"] is Status.ABSENT
    for key in ("CVE-2011-3374", "TEMP-0841856-B18BAF", "CVE-2018-12698", "CVE-2018-12934"):
        assert asset.results[key] is Status.DETECTED
    assert asset.complete_kinds == {Kind.VULNERABILITY}
    assert report.scanned_at == datetime(2024, 1, 15, 8, 58, 29, 827537, tzinfo=UTC)


def test_legacy_list(samples: Path) -> None:
    report = parse_sample(samples / "trivy" / "legacy-list-debian-10.json")
    asset = _only_asset(report)
    # Target "debian (debian 10.8)": the suffix is removed from the key and kept as the platform.
    assert (asset.key, asset.platform) == ("debian", "debian 10.8")
    # jq '[.[0].Vulnerabilities[].VulnerabilityID] | (length, (unique|length))' -> 93, 60
    assert status_counts(report) == {"detected": 60}
    assert asset.complete_kinds == {Kind.VULNERABILITY}
    assert report.scanned_at is None
    assert report.findings["CVE-2011-3374"].severity == "low"


# --- k8s cluster reports (SEQ-TV4) -------------------------------------------------------


def test_k8s_cluster_report(samples: Path) -> None:
    report = parse_sample(samples / "trivy" / "k8s-eks-cluster.json")
    by_key = {asset.key: asset for asset in report.assets}
    assert set(by_key) == {
        f"{CLUSTER}/default/Deployment/redis-follower",
        f"{CLUSTER}/default/Deployment/redis-leader",
        f"{CLUSTER}/default/Service/redis-follower",
        f"{CLUSTER}/default/Service/redis-leader",
    }
    # jq per resource: 5 distinct CVEs + 5 distinct FAIL IDs on each Deployment, none on Services.
    assert status_counts(report) == {"detected": 10, "fail": 10}
    follower = by_key[f"{CLUSTER}/default/Deployment/redis-follower"]
    assert len(follower.results) == 10
    assert follower.name == "default/Deployment/redis-follower"
    assert follower.platform == "kubernetes"
    # MisconfSummary says 8 failures but only 5 are listed (trimmed by DefectDojo): not complete.
    assert follower.complete_kinds == {Kind.VULNERABILITY}
    assert by_key[f"{CLUSTER}/default/Service/redis-leader"].complete_kinds == {Kind.CHECK}
    assert report.findings["KSV001"].severity == "medium"
    assert report.scanned_at is None


def test_k8s_cluster_subset(samples: Path) -> None:
    report = parse_sample(samples / "trivy" / "k8s-eks-cluster-subset-derived.json")
    assert len(report.assets) == 4
    # jq per resource: follower 3 CVEs + 1 FAIL, leader 4 CVEs + 5 FAIL.
    assert status_counts(report) == {"detected": 7, "fail": 6}
    sizes = {asset.name: len(asset.results) for asset in report.assets}
    assert sizes == {
        "default/Deployment/redis-follower": 4,
        "default/Deployment/redis-leader": 9,
        "default/Service/redis-follower": 0,
        "default/Service/redis-leader": 0,
    }


def test_k8s_resources_form_and_scan_errors() -> None:
    doc = {
        "ClusterName": "kind-test",
        "Resources": [
            {
                "Namespace": "web",
                "Kind": "Deployment",
                "Name": "app",
                "Results": [
                    {"Target": "nginx:1 (debian 12)", "Class": "os-pkgs", "Vulnerabilities": None},
                    {
                        "Target": "Deployment/app",
                        "Class": "config",
                        "MisconfSummary": {"Successes": 1, "Failures": 1},
                        "Misconfigurations": [
                            {"ID": "KSV001", "Status": "FAIL"},
                            {"ID": "KSV002", "Status": "PASS"},
                            {"ID": "KSV003", "Status": "EXCEPTION"},
                        ],
                    },
                ],
            },
            {"Kind": "ClusterRole", "Name": "admin", "Error": "timeout", "Results": None},
        ],
    }
    report = _parse(doc)
    app, role = report.assets
    assert app.key == "kind-test/web/Deployment/app"
    assert app.results == {"KSV001": Status.FAIL, "KSV002": Status.PASS, "KSV003": Status.SKIP}
    assert app.complete_kinds == {Kind.CHECK, Kind.VULNERABILITY}
    assert role.key == "kind-test/ClusterRole/admin"  # cluster-scoped: no namespace part
    assert role.complete_kinds == frozenset()


# --- trivy-operator ------------------------------------------------------------------------


def test_operator_compliance_report(samples: Path) -> None:
    report = parse_sample(samples / "trivy" / "operator-k8s-cis-compliance.json")
    asset = _only_asset(report)
    assert asset.key == "ClusterComplianceReport/cis"
    assert asset.name == "CIS Kubernetes Benchmarks v1.23"
    # jq over .status.detailReport.results: a control fails when any check has success false
    # -> 14 fail, 102 pass (also .status.summary: failCount 14, passCount 102).
    assert status_counts(report) == {"pass": 102, "fail": 14}
    assert asset.results["cis:5.2.3"] is Status.FAIL
    assert asset.results["cis:1.1.1"] is Status.PASS
    control = report.findings["cis:5.2.3"]
    assert control.title == (
        "Minimize the admission of containers wishing to share the host process ID namespace"
    )
    assert control.severity == "high"
    assert control.remediation == "Do not set 'spec.template.spec.hostPID' to true."
    assert control.source == "CIS Kubernetes Benchmarks v1.23"
    assert asset.complete_kinds == {Kind.CHECK}
    assert report.scanned_at == datetime(2024, 3, 13, 12, 1, 32, tzinfo=UTC)


def test_operator_mixed_crds(samples: Path) -> None:
    report = parse_sample(samples / "trivy" / "operator-mixed-crds.json")
    by_key = {asset.key: asset for asset in report.assets}
    audited = by_key["default/ReplicaSet/nginx-deployment-965685897"]
    secret = by_key["default/ReplicaSet/nginx-deployment-c868466d4"]
    assert len(by_key) == 2
    # jq: VulnerabilityReport 41 entries, 31 distinct IDs (summary 2+3+25+11 = 41 listed);
    # ConfigAuditReport KSV014 success false (summary lowCount 1); ExposedSecretReport 1 secret.
    assert status_counts(report) == {"detected": 31, "fail": 2}
    assert len(audited.results) == 32
    assert audited.results["KSV014"] is Status.FAIL
    assert audited.complete_kinds == {Kind.CHECK, Kind.VULNERABILITY}
    assert secret.results == {"aws-secret-access-key": Status.FAIL}
    assert secret.complete_kinds == frozenset()
    curl = report.findings["CVE-2023-23914"]
    # The operator says CRITICAL with a score of 4.2: the word wins for the rating.
    assert (curl.title, curl.severity, curl.score) == (
        "curl: HSTS ignored on multiple requests",
        "critical",
        4.2,
    )
    assert "curl 7.87.0-r2" in curl.remediation
    assert report.findings["aws-secret-access-key"].title == "AWS Secret Access Key"
    # The newest updateTimestamp of the three CRDs.
    assert report.scanned_at == datetime(2023, 3, 24, 8, 34, 18, tzinfo=UTC)


def _operator_vuln_crd(summary: dict[str, int]) -> dict[str, Any]:
    return {
        "apiVersion": "aquasecurity.github.io/v1alpha1",
        "kind": "VulnerabilityReport",
        "metadata": {
            "namespace": "shop",
            "ownerReferences": [{"kind": "StatefulSet", "name": "db"}],
        },
        "report": {
            "summary": summary,
            "vulnerabilities": [{"vulnerabilityID": "CVE-2024-1", "severity": "HIGH"}],
        },
    }


def test_operator_single_crd_and_truncated_summary() -> None:
    complete = _parse(_operator_vuln_crd({"highCount": 1}))
    asset = _only_asset(complete)
    assert asset.key == "shop/StatefulSet/db"  # no resource labels: the owner reference
    assert asset.complete_kinds == {Kind.VULNERABILITY}
    truncated = _parse({"kind": "List", "items": [_operator_vuln_crd({"highCount": 3})]})
    assert _only_asset(truncated).complete_kinds == frozenset()


# --- synthetic shapes ----------------------------------------------------------------------


def test_misconfiguration_statuses_and_truncated_summary() -> None:
    doc = {
        "SchemaVersion": 2,
        "ArtifactName": "repo",
        "Results": [
            {
                "Target": "main.tf",
                "Class": "config",
                "MisconfSummary": {"Successes": 5, "Failures": 4},
                "Misconfigurations": [
                    {"ID": "AVD-AWS-0001", "Status": "FAIL"},
                    {"AVDID": "AVD-AWS-0002", "Status": "WARN"},
                    {"ID": "AVD-AWS-0003", "Status": "PASS"},
                    {"ID": "AVD-AWS-0003", "Status": "FAIL"},
                    {"ID": "AVD-AWS-0004", "Status": "MAYBE"},
                ],
            }
        ],
    }
    asset = _only_asset(_parse(doc))
    assert asset.results == {
        "AVD-AWS-0001": Status.FAIL,
        "AVD-AWS-0002": Status.FAIL,
        "AVD-AWS-0003": Status.FAIL,  # a failure anywhere beats a pass elsewhere
        "AVD-AWS-0004": Status.UNKNOWN,
    }
    # Three failures listed (WARN counts) against a summary of 4: the list is cut, not complete.
    assert asset.complete_kinds == frozenset()


def test_hostile_optional_values_are_ignored() -> None:
    doc = {
        "SchemaVersion": 2,
        "ArtifactName": "x" * 200_000,
        "CreatedAt": 12,
        "Metadata": [],
        "Results": [
            {
                "Target": "t",
                "Class": "os-pkgs",
                "Vulnerabilities": [
                    {
                        "VulnerabilityID": "CVE-2024-0001",
                        "Title": ["not", "text"],
                        "Severity": 9,
                        "CVSS": {"nvd": {"V3Score": "high"}, "ghsa": {"V3Score": 99}},
                        "DataSource": "nope",
                        "FixedVersion": {"v": 1},
                        "Status": None,
                    }
                ],
            }
        ],
    }
    report = _parse(doc)
    finding = report.findings["CVE-2024-0001"]
    assert (finding.title, finding.severity, finding.score) == ("CVE-2024-0001", None, None)
    assert report.scanned_at is None
    assert status_counts(report) == {"detected": 1}


def test_compliance_summary_report_and_odd_classes() -> None:
    summary = {
        "apiVersion": "aquasecurity.github.io/v1alpha1",
        "kind": "ClusterComplianceReport",
        "metadata": {"name": "k8s-nsa"},
        "spec": {"compliance": {"id": "k8s-nsa-1.0", "title": "NSA"}},
        "status": {
            "summaryReport": {
                "controlCheck": [
                    {"id": "1.0", "totalFail": 2},
                    {"id": "1.1"},
                    {"id": "1.2", "totalFail": "x"},
                ]
            }
        },
    }
    asset = _only_asset(_parse(summary))
    assert asset.key == "ClusterComplianceReport/k8s-nsa"
    assert asset.results == {
        "k8s-nsa-1.0:1.0": Status.FAIL,
        "k8s-nsa-1.0:1.1": Status.PASS,
        "k8s-nsa-1.0:1.2": Status.UNKNOWN,
    }
    # A Class that is not text, or a licence result, claims nothing.
    odd = {
        "SchemaVersion": 2,
        "ArtifactName": "a",
        "Results": [{"Class": ["os-pkgs"]}, {"Class": "license"}],
    }
    assert _only_asset(_parse(odd)).complete_kinds == frozenset()


def test_unknown_severity_falls_back_to_the_score() -> None:
    doc = {
        "SchemaVersion": 2,
        "ArtifactName": "img",
        "Results": [
            {
                "Target": "img",
                "Class": "lang-pkgs",
                "Vulnerabilities": [
                    {
                        "VulnerabilityID": "GHSA-aaaa",
                        "Severity": "UNKNOWN",
                        "CVSS": {"ghsa": {"V3Score": 7.1}},
                    }
                ],
            }
        ],
    }
    assert _parse(doc).findings["GHSA-aaaa"].severity == "high"


def test_many_results_parse() -> None:
    vulns = [
        {"VulnerabilityID": f"CVE-2024-{n}", "PkgName": "p", "FixedVersion": "2", "Severity": "LOW"}
        for n in range(100_000)
    ]
    doc = {
        "SchemaVersion": 2,
        "ArtifactName": "big",
        "Results": [{"Class": "os-pkgs", "Vulnerabilities": vulns}],
    }
    report = _parse(doc)
    assert report.result_count == 100_000


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("alpine:3.9 (alpine 3.9.4)", ("alpine:3.9", "alpine 3.9.4")),
        ("img (amazon 2 (Karoo))", ("img", "amazon 2 (Karoo)")),
        ("app/Gemfile.lock", ("app/Gemfile.lock", "")),
        ("notes (draft)", ("notes (draft)", "")),
        ("weird)", ("weird)", "")),
        ("(debian 10)", ("(debian 10)", "")),
    ],
)
def test_os_suffix(target: str, expected: tuple[str, str]) -> None:
    assert _split_os_suffix(target) == expected


# --- malformed input -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("doc", "message"),
    [
        ({"SchemaVersion": 2, "ArtifactName": "a", "Results": {"x": 1}}, "Results must be a list"),
        ({"SchemaVersion": 2, "ArtifactName": "a", "Results": ["x"]}, "must hold objects"),
        (
            {
                "SchemaVersion": 2,
                "ArtifactName": "a",
                "Results": [{"Vulnerabilities": [{"PkgName": "x"}]}],
            },
            "without a VulnerabilityID",
        ),
        (
            {
                "SchemaVersion": 2,
                "ArtifactName": "a",
                "Results": [{"Misconfigurations": [{"ID": 7}]}],
            },
            "without an ID",
        ),
        ({"SchemaVersion": 2, "ArtifactName": "", "Results": []}, "no ArtifactName"),
        ({"SchemaVersion": 2, "ArtifactName": "a", "Results": [{"Target": 5}]}, "Target"),
        ([{"Target": "", "Vulnerabilities": None}], "no ArtifactName and no Target"),
        ([{"Target": "debian (debian 10)", "Vulnerabilities": "many"}], "must be a list"),
        (
            {"ClusterName": "c", "Vulnerabilities": [{"Namespace": "n", "Results": []}]},
            "Kind or Name",
        ),
        ({"ClusterName": "c", "Misconfigurations": 3}, "must be a list"),
        (
            {
                "apiVersion": "aquasecurity.github.io/v1alpha1",
                "kind": "ConfigAuditReport",
                "report": {},
            },
            "names the asset",
        ),
        (
            {"apiVersion": "aquasecurity.github.io/v1alpha1", "kind": "ClusterComplianceReport"},
            "no status results",
        ),
        (
            {"vulnerabilityreports.aquasecurity.github.io": {"items": []}},
            "must be a list",
        ),
    ],
)
def test_malformed_reports_give_one_line(doc: Any, message: str) -> None:
    with pytest.raises(ReportError) as error:
        parse_report(orjson.dumps(doc), format="trivy")
    text = str(error.value)
    assert message in text
    assert "\n" not in text


def test_other_json_is_not_trivy() -> None:
    with pytest.raises(ReportError, match="not a trivy report"):
        parse_report(b'{"matches": [], "source": {}}', format="trivy")
    with pytest.raises(ReportError, match="not a trivy report"):
        parse_report(b"[]", format="trivy")
