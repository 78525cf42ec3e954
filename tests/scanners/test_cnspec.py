"""cnspec parser: json-v1/v2, report collections and ``cnspec vuln`` reports."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import orjson
import pytest

from integrations.scanners import cnspec, parse_report
from integrations.scanners.loading import Document, load_document
from integrations.scanners.records import Kind, ParsedReport, ReportError, Status
from tests.conftest import SAMPLES
from tests.scanners.helpers import parse_sample, status_counts

CNSPEC_SAMPLES = sorted((SAMPLES / "cnspec").glob("*.json"))
ASSET = "//policy.api.mondoo.com/assets/"
MAC_QUERIES = "//local.cnspec.io/run/local-execution/queries/mondoo-macos-security-"
SUDO = MAC_QUERIES + "reduce-the-sudo-timeout-period"
AUDIT = MAC_QUERIES + "control-access-to-audit-records"


def parse(doc: object) -> ParsedReport:
    return parse_report(orjson.dumps(doc), format="auto")


# --- every sample ---------------------------------------------------------------------------


@pytest.mark.parametrize("path", CNSPEC_SAMPLES, ids=lambda path: path.name)
def test_every_sample_parses_and_is_detected(path: Path) -> None:
    # 7 files in scan-samples/cnspec; an empty list here would silently test nothing.
    assert len(CNSPEC_SAMPLES) == 7
    report = parse_sample(path)
    assert report.format == "cnspec"
    for asset in report.assets:
        assert Kind.CHECK not in asset.complete_kinds  # only the listed checks were scanned
        for key in asset.results:
            assert key in report.findings


def test_detect_claims_no_other_formats_sample(samples: Path) -> None:
    for path in sorted(samples.rglob("*")):
        if not path.is_file() or path.suffix == ".md" or path.parent.name == "cnspec":
            continue
        try:
            document = load_document(path.read_bytes())
        except ReportError:
            continue
        assert not cnspec.detect(document), path.name


# --- json-v2 --------------------------------------------------------------------------------


def test_jsonv2_pass(samples: Path) -> None:
    report = parse_sample(samples / "cnspec/jsonv2-mac-pass.json")
    # Read from the file: one asset, both values entries have "status": "pass".
    [asset] = report.assets
    assert asset.key == ASSET + "2x5c0nwiaianioOv2cda2OuAAzk"
    assert (asset.name, asset.platform) == ("mac.fritz.box", "macos")
    assert status_counts(report) == {"pass": 2}
    assert asset.complete_kinds == frozenset()
    assert report.scanned_at is None
    # No bundle in json-v2: the title is the check's uid, the last part of its MRN.
    assert report.findings[SUDO].title == "mondoo-macos-security-reduce-the-sudo-timeout-period"
    assert report.findings[SUDO].kind is Kind.CHECK
    assert report.findings[SUDO].severity is None


def test_jsonv2_mixed_with_trailing_comma(samples: Path) -> None:
    report = parse_sample(samples / "cnspec/jsonv2-mac-mixed.json")
    # Read from the file: audit-records "pass", sudo-timeout "fail" (no score), other MRN.
    [asset] = report.assets
    assert asset.key == ASSET + "2x5c0nwiaianioOv2cda2OuQKwk"
    assert asset.results == {AUDIT: Status.PASS, SUDO: Status.FAIL}
    assert status_counts(report) == {"pass": 1, "fail": 1}


def test_jsonv2_skips_the_assets_own_score_and_maps_status_words() -> None:
    mrn = ASSET + "a1"
    values = {
        mrn: {"score": 40, "status": "fail"},  # the asset's overall score: not a check
        "//q/out": {"status": "out of scope"},
        "//q/snoozed": {"status": "snoozed"},
        "//q/unscored": {"status": "unscored"},
        "//q/future": {"status": "something new"},
        "//q/score-only": {"score": 100},
        "//q/risk-only": {"riskScore": 20},
    }
    report = parse(
        {"assets": {mrn: {"mrn": mrn, "name": "a1"}}, "scores": {mrn: {"values": values}}}
    )
    assert report.assets[0].results == {
        "//q/out": Status.SKIP,
        "//q/snoozed": Status.SKIP,
        "//q/unscored": Status.UNKNOWN,
        "//q/future": Status.UNKNOWN,
        "//q/score-only": Status.PASS,
        "//q/risk-only": Status.UNKNOWN,
    }


def test_jsonv1_flat_scores_and_errored_asset() -> None:
    # cnspec v9's json: scores map asset MRN -> check MRN -> {score, status}, no "values".
    ok, broken = ASSET + "ok", ASSET + "broken"
    report = parse(
        {
            "assets": {ok: {"mrn": ok, "name": "web-1", "platformName": "debian"}},
            "data": {},
            "scores": {
                ok: {ok: {"score": 50, "status": "fail"}, "//q/a": {"score": 0, "status": "fail"}}
            },
            "errors": {broken: "rpc error: asset doesn't support any policies"},
        }
    )
    assert [(a.key, a.name, a.platform) for a in report.assets] == [
        (ok, "web-1", "debian"),
        (broken, broken, ""),
    ]
    assert report.assets[0].results == {"//q/a": Status.FAIL}
    assert report.assets[1].results == {}


def test_asset_without_mrn_is_keyed_by_name() -> None:
    report = parse({"assets": {"x": {"name": "host-7"}}, "scores": {"x": {"values": {}}}})
    assert report.assets[0].key == "host-7"


# --- report collections ---------------------------------------------------------------------


def test_collection_arch_simple(samples: Path) -> None:
    report = parse_sample(samples / "cnspec/reportcollection-arch-simple.json")
    # Read from the file: reports.*.scores has the query MRN with type 2 (result), value 100.
    [asset] = report.assets
    assert asset.key == ASSET + "2rRJKGpXib47ho8tWVyJegTXogt"
    assert (asset.name, asset.platform) == ("planetexpress", "Arch Linux")
    assert status_counts(report) == {"pass": 1}
    finding = report.findings[
        "//local.cnspec.io/run/local-execution/queries/custom-query-passing-1"
    ]
    assert (finding.title, finding.source) == ("Failing Query", "Custom Test Policy 1")


def test_collection_debian_v7_scored_by_code_id(samples: Path) -> None:
    report = parse_sample(samples / "cnspec/reportcollection-debian-10-image-v7.json")
    # jq '.reports[].scores | to_entries[] | select(.key|startswith("//")|not)
    #     | "\(.value.type) \(.value.value==100)"' | sort | uniq -c
    # -> type 2: 37 value 100 + 40 below; type 4 (error): 3; type 8 (skip): 5. No shared code ids.
    [asset] = report.assets
    assert asset.key == ASSET + "2KgCZg1j6OABQbEutHyDe3ui4p2"
    assert (asset.name, asset.platform) == (
        "debian:10@edcf96f9d9d9",
        "Debian GNU/Linux 10 (buster)",
    )
    assert status_counts(report) == {"pass": 37, "fail": 40, "error": 3, "skip": 5}
    assert asset.complete_kinds == frozenset()
    key = (
        "//local.cnspec.io/run/local-execution/queries/"
        "mondoo-linux-security-baseline--window-system-is-not-installed"
    )
    finding = report.findings[key]
    assert finding.title == "Ensure X Window System is not installed"
    assert (finding.severity, finding.score) == ("critical", 10.0)  # v7 "severity": {"value": 100}
    assert finding.source == "Linux Security by Mondoo"
    assert finding.remediation.startswith("Run the following command to remove the X Windows")


def test_collection_ubuntu_checks_only_and_vuln_stats(samples: Path) -> None:
    report = parse_sample(samples / "cnspec/reportcollection-ubuntu-24.04-container.json")
    # Score keys that are query MRNs whose reporting job has type 1 (CHECK), by jq over
    # resolved_policies[].collector_job.reporting_jobs: 18 type 2/value 100, 2 type 2/no value
    # (0 = fail), 4 type 4 (error). The 28 data queries (job type 2) are not checks.
    [asset] = report.assets
    assert asset.key.endswith("/assets/310qEuaqCbVCMU5tGa1HbLx8TZc")
    assert (asset.name, asset.platform) == ("ubuntu:24.04", "Ubuntu 24.04.2 LTS")
    assert status_counts(report) == {"pass": 18, "fail": 2, "error": 4}
    assert "//policy.api.mondoo.app/queries/asset-overview-clientversion" not in report.findings
    # vuln_reports has stats with no advisories (advisories: {}): complete, nothing detected.
    assert asset.complete_kinds == frozenset({Kind.VULNERABILITY})
    key = (
        "//policy.api.mondoo.app/queries/"
        "mondoo-linux-security-permissions-on-etcgroup--are-configured"
    )
    assert asset.results[key] is Status.FAIL
    finding = report.findings[key]
    assert finding.title == "Ensure secure permissions on /etc/group- are set"
    assert finding.source == "Mondoo Linux Security"
    assert finding.remediation.startswith("**Using the CLI**")


def test_collection_k8s_all_errored(samples: Path) -> None:
    report = parse_sample(samples / "cnspec/reportcollection-k8s-15-assets-all-errors.json")
    # jq '.assets | length' -> 15; jq '.errors | length' -> 15; no reports: no results.
    assert len(report.assets) == 15
    assert len({asset.key for asset in report.assets}) == 15
    assert all(asset.key.startswith(ASSET) for asset in report.assets)
    assert status_counts(report) == {}
    assert report.findings == {}
    names = {asset.name: asset.platform for asset in report.assets}
    assert names["kube-system/etcd-minikube"] == "Kubernetes Pod"


def _collection(jobs: dict[str, dict], scores: dict[str, dict], queries: list[dict]) -> dict:
    mrn = ASSET + "c1"
    return {
        "assets": {mrn: {"mrn": mrn, "name": "c1", "platform": {"name": "ubuntu"}}},
        "bundle": {"queries": queries},
        "reports": {mrn: {"scores": scores, "modified": "1700000000"}},
        "resolved_policies": {mrn: {"collector_job": {"reporting_jobs": jobs}}},
    }


def test_collection_shared_code_id_counts_only_the_assets_queries() -> None:
    # Same MQL under a Linux and a Windows query: one code id; only the Linux one ran here.
    queries = [
        {
            "mrn": "//q/linux",
            "code_id": "C1=",
            "title": "Linux",
            "impact": {"value": {"value": 65}},
        },
        {"mrn": "//q/windows", "code_id": "C1=", "title": "Windows"},
        {"mrn": "//q/data", "code_id": "D1=", "title": "Data"},
    ]
    jobs = {
        "u1": {"qr_id": "//q/linux", "type": 1},
        "u2": {"qr_id": "//q/data", "type": 2},
        "u3": {"qr_id": "C1=", "type": 8},
    }
    scores = {"C1=": {"type": 2, "value": 30}, "D1=": {"type": 8}, "//p/policy": {"type": 2}}
    report = parse(_collection(jobs, scores, queries))
    assert report.assets[0].results == {"//q/linux": Status.FAIL}
    assert (report.findings["//q/linux"].severity, report.findings["//q/linux"].score) == (
        "medium",
        6.5,
    )
    assert report.scanned_at == datetime(2023, 11, 14, 22, 13, 20, tzinfo=UTC)


def test_collection_without_resolved_policy_leaves_out_policy_data_queries() -> None:
    doc = _collection({}, {"//q/c": {"type": 2}, "//q/d": {"type": 8}}, [])
    group = {"checks": [{"mrn": "//q/c", "title": "Check"}], "queries": [{"mrn": "//q/d"}]}
    doc["bundle"]["policies"] = [{"mrn": "//p/1", "name": "Policy 1", "groups": [group]}]
    del doc["resolved_policies"]
    report = parse(doc)
    assert report.assets[0].results == {"//q/c": Status.FAIL}
    assert (report.findings["//q/c"].title, report.findings["//q/c"].source) == (
        "Check",
        "Policy 1",
    )


@pytest.mark.parametrize(
    ("score", "status"),
    [
        ({}, Status.UNKNOWN),
        ({"type": 2}, Status.FAIL),
        ({"type": 2, "value": 100}, Status.PASS),
        ({"type": 4, "message": "boom"}, Status.ERROR),
        ({"type": 8}, Status.SKIP),
        ({"type": 16}, Status.UNKNOWN),
        ({"type": 32}, Status.SKIP),
        ({"type": 64}, Status.SKIP),
        ({"type": 128}, Status.SKIP),
        ({"type": 4096}, Status.UNKNOWN),
    ],
)
def test_collection_score_types(score: dict, status: Status) -> None:
    report = parse(_collection({}, {"//q/a": score}, [{"mrn": "//q/a", "code_id": "A="}]))
    assert report.assets[0].results == {"//q/a": status}


# --- cnspec vuln ----------------------------------------------------------------------------


def test_vuln_report(samples: Path) -> None:
    report = parse_sample(samples / "cnspec/vulnreport-debug.json")
    # jq '.advisories | length, (map(.ID) | unique | length)' -> 24, 24; no "state" set.
    [asset] = report.assets
    assert asset.key == asset.name == "Ubuntu 20.04.3 LTS, Docker Image"
    assert asset.platform == "ubuntu 20.04"
    assert status_counts(report) == {"detected": 24}
    assert asset.complete_kinds == frozenset({Kind.VULNERABILITY})
    assert report.scanned_at == datetime(2023, 4, 26, 15, 50, 32, tzinfo=UTC)
    finding = report.findings["USN-5825-1"]
    assert finding.kind is Kind.VULNERABILITY
    assert (finding.title, finding.severity, finding.score) == (
        "PAM vulnerability",
        "critical",
        9.8,
    )
    assert finding.description.endswith("CVEs: CVE-2022-28321")
    # USN-5391-1: advisory score 21, no worse CVSS than 2.1 -> low.
    assert report.findings["USN-5391-1"].severity == "low"


def test_vuln_report_states_and_omitted_advisories() -> None:
    platform = {"name": "alpine", "release": "3.19"}
    report = parse(
        {
            "platform": platform,
            "advisories": [
                {"ID": "CVE-1", "score": 75},
                {"ID": "CVE-2", "state": "NOT_AFFECTED"},
                {"ID": "CVE-3", "state": 3},
            ],
        }
    )
    [asset] = report.assets
    assert asset.key == "alpine 3.19"
    assert asset.results == {
        "CVE-1": Status.DETECTED,
        "CVE-2": Status.ABSENT,
        "CVE-3": Status.ABSENT,
    }
    assert report.findings["CVE-1"].severity == "high"
    # Stats count advisories that are not listed: not a complete scan.
    stats = {"advisories": {"total": 3}}
    report = parse({"platform": platform, "packages": [], "stats": stats})
    assert report.assets[0].complete_kinds == frozenset()
    report = parse({"platform": platform, "packages": [], "stats": {"advisories": {}}})
    assert report.assets[0].complete_kinds == frozenset({Kind.VULNERABILITY})


def test_vuln_printout_shape() -> None:
    # cnspec v8/v9 `cnspec vuln -o json`: target, stats, vulnerabilities{platform, packages}.
    report = parse(
        {
            "target": "debian-host",
            "stats": {"advisories": {"total": 2}},
            "vulnerabilities": {
                "platform": [{"score": "9.8", "advisory": "DSA-1", "current": "10"}],
                "packages": [
                    {"score": 5.5, "package": "curl", "advisory": "", "cves": ["CVE-9", "CVE-8"]},
                    {"score": 7.1, "package": "zlib", "advisory": "DSA-1", "cves": []},
                ],
            },
        }
    )
    [asset] = report.assets
    assert asset.key == "debian-host"
    assert asset.complete_kinds == frozenset({Kind.VULNERABILITY})
    assert status_counts(report) == {"detected": 3}
    assert (report.findings["DSA-1"].severity, report.findings["CVE-9"].severity) == (
        "critical",
        "medium",
    )


# --- malformed input ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "doc",
    [
        {"assets": {"a": "not an object"}, "scores": {}},
        {"assets": {"a": {"mrn": "a"}}, "scores": {"a": {"values": ["x"]}}},
        {"assets": {"a": {"mrn": "a"}}, "scores": {"a": {"values": {"//q": "pass"}}}},
        {"assets": {"a": {"mrn": "a"}}, "scores": {"a": {"values": {"//q": {"status": 7}}}}},
        {"assets": {}, "scores": {}, "errors": []},
        {"assets": {"": {}}, "scores": {}},
        {"assets": {}, "reports": {"a": []}},
        {"assets": {}, "reports": {"a": {"scores": {"x": {"type": "2"}}}}, "bundle": []},
        {
            "assets": {},
            "reports": {"a": {"scores": {"//q": {"type": "2"}}}},
            "bundle": {"queries": [{"mrn": "//q"}]},
        },
        {"assets": {}, "reports": {"a": {"scores": []}}},
        {"assets": {}, "bundle": {"queries": "nope"}, "reports": {}},
        {"assets": {}, "vuln_reports": {"a": {"advisories": {}}}},
        {"platform": {"name": "x"}, "advisories": [{"title": "no id"}]},
        {"platform": {"name": "x"}, "advisories": ["USN-1"]},
        {"platform": {}, "advisories": []},
        {"target": " ", "vulnerabilities": {"platform": []}},
        {"target": "t", "vulnerabilities": {"platform": "x"}},
        {"target": "t", "vulnerabilities": {"platform": [1]}},
    ],
)
def test_malformed_reports_raise_one_line(doc: dict) -> None:
    with pytest.raises(ReportError) as error:
        parse_report(orjson.dumps(doc), format="cnspec")
    assert "\n" not in str(error.value)
    assert "cnspec" in str(error.value)


def test_hostile_values_do_not_crash() -> None:
    mrn = ASSET + "c1"
    doc = _collection(
        {"u": {"qr_id": "//q/a", "type": True}, "v": "junk", "w": {"qr_id": 5}},
        {"//q/a": {"type": 2, "value": 100}},
        [{"mrn": "//q/a", "impact": {"value": 10**18}, "docs": {"remediation": {"items": [5]}}}, 7],
    )
    doc["reports"][mrn]["modified"] = 10**18
    doc["reports"][mrn]["created"] = "9" * 5000
    doc["assets"][mrn]["name"] = "x" * 100_000
    report = parse(doc)
    assert report.assets[0].results == {"//q/a": Status.PASS}
    assert report.findings["//q/a"].severity is None
    assert report.scanned_at is None


def test_not_claimed_when_not_cnspec() -> None:
    assert not cnspec.detect(Document("json", {"assets": []}))
    assert not cnspec.detect(Document("json", {"assets": {}}))
    assert not cnspec.detect(Document("json", {"platform": {"name": "x"}, "profiles": []}))
    assert not cnspec.detect(Document("jsonlines", [{"assets": {}, "scores": {}}]))
