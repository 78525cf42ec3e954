"""SARIF 2.1.0 parser: the real reports in scan-samples/sarif and malformed variants."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from integrations.scanners import parse_report
from integrations.scanners.records import Kind, ParsedReport, ReportError, Status
from tests.conftest import SAMPLES
from tests.scanners.helpers import parse_sample, status_counts

SARIF_SAMPLES = sorted((SAMPLES / "sarif").iterdir())
BOTH = frozenset(Kind)


def sarif(samples: Path, name: str) -> ParsedReport:
    return parse_sample(samples / "sarif" / name)


@pytest.mark.parametrize("path", SARIF_SAMPLES, ids=lambda path: path.name)
def test_every_sample_parses_and_is_detected(path: Path) -> None:
    report = parse_sample(path)
    assert report.format == "sarif"
    assert len(report.assets) == 1
    assert report.assets[0].complete_kinds == BOTH
    for asset in report.assets:
        assert set(asset.results) <= set(report.findings)


# Expected numbers below were counted from the raw JSON, not with the parser, with
#   python3 -c "import json; d=json.load(open(F)); declared={r['id'] for run in d['runs']
#     for r in run['tool']['driver'].get('rules',[])}; used={x.get('ruleId') for run in d['runs']
#     for x in run['results']}; print(len(declared), len(used), len(declared-used),
#     {x.get('kind','fail') for run in d['runs'] for x in run['results']})"
# Every result of these files has kind fail (explicit or by default), so every rule with a
# result fails and every declared rule without one passes.
@pytest.mark.parametrize(
    ("name", "asset_key", "counts"),
    [
        # 149 declared rules, 13 with results (72 results), 136 without.
        ("codeql-2.5.4.sarif", "CodeQL:.", {"fail": 13, "pass": 136}),
        # 2 runs (7 + 20 declared rules), every rule has results: 58 + 452 results.
        ("lgtm-two-runs.sarif", "LGTM.com:.", {"fail": 27}),
        # 17 declared, 17 used.
        ("semgrep-1.69.0.sarif", "Semgrep OSS:.", {"fail": 17}),
        # 1 rule, 2 identical results.
        ("kics-github-actions.sarif", "KICS:.", {"fail": 1}),
        # No rules; 9 distinct ruleIds, 5 of them CVE ids; uris file:////src/...
        ("dependency-check-6.1.2.sarif", "dependency-check:/src", {"fail": 4, "detected": 5}),
        # 22 rules "CVE-…-<package>" / "GHSA-…-<package>": 12 distinct CVE/GHSA prefixes.
        ("grype-0.34.7-cxf.sarif", "Grype:.", {"detected": 12}),
        # 34 rules, no ruleId: 2 distinct messages "<rule id> secret detected".
        ("gitleaks-7.sarif", "Gitleaks:.", {"fail": 2, "pass": 32}),
        # 9 rules, all with results; rule FF1013 has one kind=pass result and failing ones.
        ("flawfinder-2.0.19-kinds.sarif", "Flawfinder:.", {"fail": 9}),
    ],
)
def test_sample_counts(samples: Path, name: str, asset_key: str, counts: dict[str, int]) -> None:
    report = sarif(samples, name)
    assert [asset.key for asset in report.assets] == [asset_key]
    assert status_counts(report) == counts


def test_codeql_details(samples: Path) -> None:
    report = sarif(samples, "codeql-2.5.4.sarif")
    assert report.scanned_at is None
    # Rule py/empty-except: shortDescription "Empty except", defaultConfiguration.level "note".
    finding = report.findings["py/empty-except"]
    assert (finding.kind, finding.title, finding.severity) == (Kind.CHECK, "Empty except", "low")
    assert finding.description == "Except doesn't do anything and has no comment"
    assert finding.source == "CodeQL"
    # Rule py/conflicting-attributes has no result: it passed.
    assert report.assets[0].results["py/conflicting-attributes"] is Status.PASS


def test_two_runs_of_one_tool_merge_into_one_asset(samples: Path) -> None:
    report = sarif(samples, "lgtm-two-runs.sarif")
    keys = set(report.assets[0].results)
    assert "com.lgtm/javascript-queries:js/unused-local-variable" in keys  # run 1
    assert len(keys) == 27  # 7 rules of run 1 + 20 of run 2


def test_grype_sarif_rules_are_vulnerabilities_keyed_by_id(samples: Path) -> None:
    report = sarif(samples, "grype-0.34.7-cxf.sarif")
    results = report.assets[0].results
    # Six rules CVE-2008-0732-<package> are one vulnerability on the asset.
    assert results["CVE-2008-0732"] is Status.DETECTED
    assert results["GHSA-57j2-w4cx-62h2"] is Status.DETECTED
    finding = report.findings["CVE-2008-0732"]
    # Rule properties "security-severity": "2.1".
    assert (finding.kind, finding.severity, finding.score) == (Kind.VULNERABILITY, "low", 2.1)


def test_semgrep_security_severity_word(samples: Path) -> None:
    report = sarif(samples, "semgrep-1.69.0.sarif")
    key = (
        "vulnerability-management-registry.semgrep-rules.gitlab-rules.sast-rules.rules.lgpl."
        "javascript.headers.rules_lgpl_javascript_headers_rule-generic-cors"
    )
    # "security-severity": "MEDIUM", shortDescription "Origin validation error".
    assert (report.findings[key].severity, report.findings[key].title) == (
        "medium",
        "Origin validation error",
    )


def test_dependency_check_levels_and_vulnerabilities(samples: Path) -> None:
    report = sarif(samples, "dependency-check-6.1.2.sarif")
    finding = report.findings["CVE-2012-6708"]
    # No rules: level "error" rates it; the title is the first line of its message.
    assert (finding.kind, finding.severity) == (Kind.VULNERABILITY, "high")
    assert finding.title.startswith("CVE-2012-6708 - jQuery before 1.9.0")
    assert report.findings["Prototype pollution"].kind is Kind.CHECK


def test_gitleaks_results_are_matched_to_rules_by_message(samples: Path) -> None:
    results = sarif(samples, "gitleaks-7.sarif").assets[0].results
    assert results["AWS Access Key"] is Status.FAIL
    assert results["Asymmetric Private Key"] is Status.FAIL
    assert results["AWS Secret Key"] is Status.PASS


# Small SARIF documents built in the tests.


def build(
    results: list[dict[str, Any]] | None, rules: list[Any] | None = None, **run: Any
) -> dict[str, Any]:
    run = {"tool": {"driver": {"name": "Tool", "rules": rules or []}}, "results": results, **run}
    return {"version": "2.1.0", "runs": [run]}


def parse(doc: object, format: str = "auto") -> ParsedReport:
    return parse_report(json.dumps(doc).encode(), format=format)


def results_of(doc: object) -> dict[str, Status]:
    report = parse(doc)
    assert len(report.assets) == 1
    return report.assets[0].results


@pytest.mark.parametrize(
    ("kinds", "status"),
    [
        ([None], Status.FAIL),  # kind defaults to fail
        (["fail"], Status.FAIL),
        (["pass"], Status.PASS),
        (["informational"], Status.PASS),
        (["notApplicable"], Status.SKIP),
        (["open"], Status.FAIL),  # DESIGN.md: not pass/informational is bad
        (["review"], Status.FAIL),
        (["pass", "fail", "notApplicable"], Status.FAIL),
        (["pass", "notApplicable"], Status.PASS),
        (["pass", "review"], Status.FAIL),
        (["bogus"], Status.UNKNOWN),
    ],
)
def test_result_kinds(kinds: list[str | None], status: Status) -> None:
    results = [{"ruleId": "R1"} | ({"kind": kind} if kind else {}) for kind in kinds]
    assert results_of(build(results)) == {"R1": status}


def test_vulnerability_rules_detect_and_declared_ones_are_absent() -> None:
    rules = [
        {"id": "CVE-2024-1111"},
        {"id": "ghsa-abcd-efgh-2345"},
        {"id": "CVE-2024-2222-pkg"},
        {"id": "R1"},
    ]
    results = [
        {"ruleId": "CVE-2024-2222-pkg", "level": "error"},
        {"ruleId": "CVE-2024-3333", "kind": "pass"},
    ]
    assert results_of(build(results, rules)) == {
        "CVE-2024-2222": Status.DETECTED,
        "CVE-2024-3333": Status.ABSENT,
        "CVE-2024-1111": Status.ABSENT,
        "GHSA-abcd-efgh-2345": Status.ABSENT,
        "R1": Status.PASS,
    }


def test_rule_references_by_index_and_extension() -> None:
    doc = build(
        [
            {"ruleIndex": 1},
            {"rule": {"index": 0, "toolComponent": {"index": 0}}},
            {"rule": {"id": "X1"}, "kind": "pass"},
        ],
        rules=[{"id": "D0"}, {"id": "D1", "shortDescription": {"text": "Rule one"}}],
    )
    doc["runs"][0]["tool"]["extensions"] = [{"name": "pack", "rules": [{"id": "E0"}, {"id": "E1"}]}]
    report = parse(doc)
    assert report.assets[0].results == {
        "D1": Status.FAIL,
        "E0": Status.FAIL,
        "X1": Status.PASS,
        "D0": Status.PASS,
        "E1": Status.PASS,
    }
    assert report.findings["D1"].title == "Rule one"


def test_suppressed_and_baseline_absent_results() -> None:
    results = [
        {"ruleId": "S1", "suppressions": [{"kind": "inSource"}]},
        {"ruleId": "S2", "suppressions": [{"kind": "external", "status": "rejected"}]},
        {"ruleId": "B1", "baselineState": "absent"},
    ]
    assert results_of(build(results)) == {"S1": Status.SKIP, "S2": Status.FAIL, "B1": Status.PASS}


def test_disabled_rule_without_result_is_skipped() -> None:
    rules = [{"id": "R1", "defaultConfiguration": {"enabled": False}}]
    assert results_of(build([], rules)) == {"R1": Status.SKIP}


def test_rule_error_notification() -> None:
    notification = {
        "level": "error",
        "associatedRule": {"id": "R1"},
        "message": {"text": "crashed"},
    }
    doc = build(
        [],
        [{"id": "R1"}, {"id": "R2"}],
        invocations=[{"toolExecutionNotifications": [notification]}],
    )
    assert results_of(doc) == {"R1": Status.ERROR, "R2": Status.PASS}


@pytest.mark.parametrize(
    "doc",
    [
        build(None, [{"id": "R1"}]),  # results absent: the tool did not run
        build([{"ruleId": "R2"}], [{"id": "R1"}], invocations=[{"executionSuccessful": False}]),
        build([{"message": {"text": "something odd"}}], [{"id": "R1"}]),  # result of no rule
    ],
)
def test_incomplete_runs_pass_nothing(doc: dict[str, Any]) -> None:
    report = parse(doc)
    assert report.assets[0].complete_kinds == frozenset()
    assert Status.PASS not in report.assets[0].results.values()


def test_result_without_rule_is_keyed_by_its_message() -> None:
    assert results_of(build([{"message": {"text": "Compiler warning\nmore"}}])) == {
        "Compiler warning": Status.FAIL
    }


def test_severity_sources() -> None:
    rules = [
        {"id": "A", "properties": {"security-severity": "9.8"}},
        {"id": "B", "properties": {"security-severity": "high"}},
        {"id": "C", "defaultConfiguration": {"level": "note"}},
        {"id": "D"},
    ]
    results = [
        {"ruleId": "A", "level": "note"},
        {"ruleId": "B"},
        {"ruleId": "C", "level": "error"},
        {"ruleId": "D"},
    ]
    findings = parse(build(results, rules)).findings
    assert (findings["A"].severity, findings["A"].score) == ("critical", 9.8)
    assert findings["B"].severity == "high"
    assert findings["C"].severity == "high"  # the result's level beats the rule default
    assert findings["D"].severity == "medium"  # the spec's default level: warning


def test_finding_texts_from_the_rule() -> None:
    rule = {
        "id": "R1",
        "name": "RuleName",
        "fullDescription": {"text": "Long text"},
        "help": {"markdown": "Fix **it**"},
    }
    finding = parse(build([{"ruleId": "R1"}], [rule])).findings["R1"]
    assert (finding.title, finding.description, finding.remediation) == (
        "RuleName",
        "Long text",
        "Fix **it**",
    )
    assert finding.source == "Tool"


@pytest.mark.parametrize(
    ("run", "key"),
    [
        (
            {"versionControlProvenance": [{"repositoryUri": "https://github.com/org/repo"}]},
            "https://github.com/org/repo",
        ),
        (
            {"originalUriBaseIds": {"SRCROOT": {"uri": "file:///home/ci/repo/"}}},
            "Tool:/home/ci/repo",
        ),
        ({}, "Tool:."),
    ],
)
def test_asset_keys(run: dict[str, Any], key: str) -> None:
    location = {
        "physicalLocation": {"artifactLocation": {"uri": "src/a.py", "uriBaseId": "SRCROOT"}}
    }
    doc = build([{"ruleId": "R1", "locations": [location]}], **run)
    assert parse(doc).assets[0].key == key


def test_absolute_locations_give_their_first_directory() -> None:
    location = {"physicalLocation": {"artifactLocation": {"uri": "C:\\build\\src\\a.cs"}}}
    assert (
        parse(build([{"ruleId": "R1", "locations": [location]}])).assets[0].key == "Tool:C:/build"
    )


def test_runs_of_two_assets_and_scan_time() -> None:
    first = build([{"ruleId": "R1"}], invocations=[{"startTimeUtc": "2024-03-01T10:00:00Z"}])[
        "runs"
    ][0]
    second = build(
        [{"ruleId": "R1", "kind": "pass"}],
        versionControlProvenance=[{"repositoryUri": "https://example.com/r.git"}],
        invocations=[{"startTimeUtc": "2024-03-01T09:00:00.123456789Z"}],
    )["runs"][0]
    report = parse({"version": "2.1.0", "runs": [first, second]})
    assert [(asset.key, asset.results) for asset in report.assets] == [
        ("Tool:.", {"R1": Status.FAIL}),
        ("https://example.com/r.git", {"R1": Status.PASS}),
    ]
    assert (
        report.scanned_at is not None
        and report.scanned_at.isoformat() == "2024-03-01T09:00:00.123456+00:00"
    )


def test_hostile_values_do_not_crash() -> None:
    rules = [
        None,
        {"id": 5},
        {"id": "R1", "properties": {"security-severity": ["x"]}, "help": "no"},
    ]
    results = [
        {
            "ruleId": "R1",
            "level": ["error"],
            "kind": 3,
            "locations": "here",
            "suppressions": {"a": 1},
        },
        {"ruleIndex": 99, "ruleId": "R1", "message": "text"},
    ]
    report = parse(build(results, rules, invocations="none", versionControlProvenance=[1]))
    # kind 3 is no kind (UNKNOWN); the second result has the default kind fail, which wins.
    assert report.assets[0].results == {"R1": Status.FAIL}
    assert report.findings["R1"].severity == "medium"


SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"


@pytest.mark.parametrize(
    ("doc", "message"),
    [
        ({"version": "2.1.0", "runs": []}, "SARIF report has no runs"),
        ({"version": "2.1.0", "$schema": SCHEMA}, "SARIF report has no runs"),
        ({"$schema": SCHEMA, "version": "2.1.0", "runs": None}, "SARIF report has no runs"),
        ({"version": "1.0.0", "runs": [{}]}, "SARIF version '1.0.0' is not supported"),
        ({"version": "2.1.0", "runs": ["run"]}, "SARIF run 1 is not an object"),
        ({"version": "2.1.0", "runs": [{"tool": {"driver": {}}}]}, "SARIF run 1 names no tool"),
        (build(["result"]), "SARIF run 1: result 1 is not an object"),
        (build([{"kind": "fail"}]), "SARIF run 1: result 1 names no rule and has no message"),
    ],
)
def test_malformed_reports_are_one_line_errors(doc: dict[str, Any], message: str) -> None:
    with pytest.raises(ReportError) as error:
        parse(doc)
    assert str(error.value).startswith(message)
    assert "\n" not in str(error.value)


def test_explicit_format_refuses_other_documents() -> None:
    with pytest.raises(ReportError, match="this is not a sarif report"):
        parse({"matches": [], "source": {"target": "."}}, format="sarif")
