"""Grype JSON parser: the real reports in scan-samples/grype and malformed variants."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from integrations.scanners import parse_report
from integrations.scanners.records import Kind, ParsedReport, ReportError, Status
from tests.conftest import SAMPLES
from tests.scanners.helpers import parse_sample, status_counts

GRYPE_SAMPLES = sorted((SAMPLES / "grype").iterdir())
VULNS = frozenset({Kind.VULNERABILITY})


def grype(samples: Path, name: str) -> ParsedReport:
    return parse_sample(samples / "grype" / name)


def ids(report: ParsedReport) -> set[str]:
    return {key for asset in report.assets for key in asset.results}


@pytest.mark.parametrize("path", GRYPE_SAMPLES, ids=lambda path: path.name)
def test_every_sample_parses_and_is_detected(path: Path) -> None:
    report = parse_sample(path)
    assert report.format == "grype"
    assert len(report.assets) == 1
    assert report.assets[0].complete_kinds == VULNS
    assert all(report.findings[key].kind is Kind.VULNERABILITY for key in ids(report))


# Expected numbers below were counted from the raw JSON, not with the parser:
#   python3 -c "import json; d=json.load(open(F)); print(d['source']['target']['userInput'],
#               len({m['vulnerability']['id'] for m in d['matches']}), len(d['matches']))"
@pytest.mark.parametrize(
    ("name", "asset_key", "detected", "matches"),
    [
        ("image-amazonlinux2-cloudwatch.json", "cloudwatch_to_s3:latest", 16, 16),
        ("image-golang-1.12-alpine.json", "golang:1.12-alpine", 47, 89),
        ("image-python-3.6-large.json", "python:3.6", 388, 1509),
        ("image-python-3.7.10-large.json", "python:3.7.10", 387, 1567),
        ("image-ubuntu-20.04-fix-unknown.json", "REDACTED", 1, 1),
        (
            "image-xjoin-kafka-rhel8.json",
            "quay.io/cloudservices/xjoin-kafka-connect-strimzi:latest",
            19,
            35,
        ),
    ],
)
def test_one_result_per_vulnerability_id(
    samples: Path, name: str, asset_key: str, detected: int, matches: int
) -> None:
    report = grype(samples, name)
    assert [asset.key for asset in report.assets] == [asset_key]
    # Many matches (one per package) collapse into one DETECTED per id.
    assert status_counts(report) == {"detected": detected}
    assert len(report.findings) == detected <= matches


def test_no_matches_is_still_one_complete_asset(samples: Path) -> None:
    report = grype(samples, "image-busybox-no-vulns.json")
    asset = report.assets[0]
    assert (asset.key, asset.platform) == ("busybox:latest", "busybox 1.32.1")
    assert asset.results == {}
    assert asset.complete_kinds == VULNS
    assert report.findings == {}


def test_newer_python_image_has_27_new_vulnerability_ids(samples: Path) -> None:
    # Distinct vulnerability.id sets of the raw files: 388 (3.6) and 387 (3.7.10), 27 new in
    # 3.7.10 and 28 gone (python3 set difference over m['vulnerability']['id']).
    first = grype(samples, "image-python-3.6-large.json")
    second = grype(samples, "image-python-3.7.10-large.json")
    assert first.assets[0].platform == second.assets[0].platform == "debian 10"
    assert len(ids(second) - ids(first)) == 27
    assert len(ids(first) - ids(second)) == 28
    assert "CVE-2021-3393" in ids(second) - ids(first)


def test_finding_details_from_a_recent_grype(samples: Path) -> None:
    report = grype(samples, "image-golang-1.12-alpine.json")
    assert report.scanned_at is not None and report.scanned_at.isoformat().startswith(
        "2024-07-23T12:42:03"
    )
    asset = report.assets[0]
    assert asset.platform == "alpine 3.11.3"
    finding = report.findings["CVE-2021-36159"]
    # In the file: severity "Critical", fix.versions ["2.10.7-r0"], package apk-tools 2.10.4-r3;
    # the related NVD record of the same id has CVSS 3.1 base score 9.1.
    assert finding.severity == "critical"
    assert finding.score == 9.1
    assert finding.title == "CVE-2021-36159 in apk-tools 2.10.4-r3"
    assert finding.description.startswith("libfetch before 2021-07-26")
    assert finding.remediation == "Upgrade apk-tools 2.10.4-r3 to 2.10.7-r0."
    assert finding.source == "grype"


def test_fix_state_without_versions(samples: Path) -> None:
    unknown = grype(samples, "image-ubuntu-20.04-fix-unknown.json").findings["CVE-2009-3882"]
    available = grype(samples, "image-ubuntu-20.04-fix-available.json").findings["CVE-2009-3882"]
    assert unknown.remediation == "No fixed version known (fix state: unknown)."
    assert available.remediation.endswith("to 1.2.3.")
    assert (available.severity, available.score) == ("high", 7.5)


def test_grype_0_7_shape(samples: Path) -> None:
    report = grype(samples, "image-python-3.6-large.json")
    assert report.scanned_at is None  # grype 0.7 wrote no timestamp
    # {"id": "CVE-2011-3389", "severity": "Medium", "cvssV2": {"baseScore": 4.3}}, in five
    # gnutls packages
    finding = report.findings["CVE-2011-3389"]
    assert (finding.severity, finding.score) == ("medium", 4.3)
    assert finding.title.startswith("CVE-2011-3389 in libgnutls-openssl27 3.6.7-4+deb10u5, ")
    # {"id": "CVE-2020-36221", …, "fixedInVersion": "2.4.47+dfsg-3+deb10u5"}
    assert "to 2.4.47+dfsg-3+deb10u5." in report.findings["CVE-2020-36221"].remediation


def test_unknown_severity_is_not_lifted_by_another_ids_score(samples: Path) -> None:
    report = grype(samples, "image-amazonlinux2-cloudwatch.json")
    # ALAS-2024-2607: severity "Low", no cvss of its own; the related CVE-2024-39689 scores 7.5.
    finding = report.findings["ALAS-2024-2607"]
    assert (finding.severity, finding.score) == ("low", None)


# Malformed and edge variants, built from small dicts.


def build(**overrides: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "matches": [
            {
                "vulnerability": {"id": "CVE-2024-0001", "severity": "High"},
                "artifact": {"name": "openssl", "version": "1.1.1"},
            }
        ],
        "source": {"type": "image", "target": {"userInput": "app:1"}},
        "distro": {"name": "debian", "version": "12"},
        "descriptor": {
            "name": "grype",
            "version": "0.80.0",
            "timestamp": "2024-05-01T10:00:00+02:00",
        },
    }
    doc.update(overrides)
    return doc


def parse(doc: object, format: str = "auto") -> ParsedReport:
    return parse_report(json.dumps(doc).encode(), format=format)


def test_minimal_report() -> None:
    report = parse(build())
    asset = report.assets[0]
    assert (asset.key, asset.name, asset.platform) == ("app:1", "app:1", "debian 12")
    assert asset.results == {"CVE-2024-0001": Status.DETECTED}
    assert (
        report.scanned_at is not None
        and report.scanned_at.isoformat() == "2024-05-01T08:00:00+00:00"
    )


def test_directory_source_is_keyed_by_its_path() -> None:
    report = parse(build(source={"type": "directory", "target": "/srv/app"}))
    assert report.assets[0].key == "/srv/app"


def test_null_matches_means_none() -> None:
    report = parse(build(matches=None))
    assert report.assets[0].results == {}
    assert report.assets[0].complete_kinds == VULNS


def test_ignored_matches_are_skipped_not_absent() -> None:
    ignored = [{"vulnerability": {"id": "CVE-2024-0002"}, "appliedIgnoreRules": [{}]}]
    report = parse(build(ignoredMatches=ignored))
    assert report.assets[0].results == {
        "CVE-2024-0001": Status.DETECTED,
        "CVE-2024-0002": Status.SKIP,
    }


def test_only_fixed_scan_is_not_complete() -> None:
    descriptor = {"name": "grype", "configuration": {"only-fixed": True}}
    assert parse(build(descriptor=descriptor)).assets[0].complete_kinds == frozenset()


def test_hostile_values_do_not_crash() -> None:
    match = {
        "vulnerability": {"id": "CVE-2024-0003", "severity": ["x"], "cvss": {"a": 1}, "fix": "no"},
        "relatedVulnerabilities": "nope",
        "artifact": "openssl",
    }
    report = parse(build(matches=[match], distro=None, descriptor=[1]))
    assert report.assets[0].results == {"CVE-2024-0003": Status.DETECTED}
    assert report.findings["CVE-2024-0003"].severity is None


@pytest.mark.parametrize(
    ("doc", "message"),
    [
        (build(matches={"a": 1}), "grype report: matches must be a list"),
        (
            build(matches=[{"vulnerability": {"severity": "High"}}]),
            "grype report: match 1 has no vulnerability id",
        ),
        (build(matches=["CVE-2024-0001"]), "grype report: match 1 has no vulnerability id"),
        (build(source={"type": "image", "target": {}}), "grype report: source names no target"),
        (build(ignoredMatches=7), "grype report: ignoredMatches must be a list"),
    ],
)
def test_malformed_reports_are_one_line_errors(doc: dict[str, Any], message: str) -> None:
    with pytest.raises(ReportError) as error:
        parse(doc)
    assert str(error.value).startswith(message)
    assert "\n" not in str(error.value)


def test_explicit_format_refuses_other_documents() -> None:
    with pytest.raises(ReportError, match="this is not a grype report"):
        parse({"version": "2.1.0", "runs": []}, format="grype")
