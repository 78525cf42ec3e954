"""InSpec JSON and line-stream parser: real samples, wrapper profiles, malformed input."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from integrations.scanners import inspec, parse_report
from integrations.scanners.loading import load_document
from integrations.scanners.records import ReportError, Status
from tests.conftest import SAMPLES
from tests.scanners.helpers import parse_sample, status_counts

INSPEC_FILES = sorted(path.name for path in (SAMPLES / "inspec").iterdir())


@pytest.mark.parametrize("name", INSPEC_FILES)
def test_every_sample_parses_and_is_detected(samples: Path, name: str) -> None:
    report = parse_sample(samples / "inspec" / name)
    assert report.format == "inspec"
    assert report.result_count > 0
    for asset in report.assets:
        assert asset.complete_kinds == frozenset()  # every control is listed explicitly
        assert set(asset.results) <= set(report.findings)


def test_detect_claims_no_other_format(samples: Path) -> None:
    for path in sorted(samples.rglob("*")):
        if not path.is_file() or path.parent.name == "inspec" or path.suffix == ".md":
            continue
        try:
            document = load_document(path.read_bytes())
        except ReportError:
            continue
        assert not inspec.detect(document), path


# Expected numbers come from jq over the raw files, not from the parser. Per control, over its
# results' statuses S: "fail" if S has failed, elif "error" if S has error, elif "pass" if S has
# passed, else "skip"; then per control id the strongest of its copies (wrapper profiles):
#   R='(if index("failed") then "fail" elif index("error") then "error"
#        elif index("passed") then "pass" else "skip" end)'
#   jq "[.profiles[].controls[] | {id, s: ([.results[]?.status] | $R)}] | group_by(.id)
#       | map(.[0].id as \$i | {s: (map(.s) | $R-of-fail/error/pass/skip)}) | group_by(.s)
#       | map({(.[0].s): length}) | add" FILE
#   jq -s "[.[] | {s: ([.results[]?.status] | $R)}] | group_by(.s) | ..." json-lines-cis-dil.log
@pytest.mark.parametrize(
    ("name", "asset_key", "platform", "counts"),
    [
        (
            "cis-aws-foundations.json",
            "aws",  # no target_id: the platform name
            "aws aws-sdk-v2.11.162",
            {"pass": 40, "fail": 6, "skip": 6},  # 52 controls
        ),
        (
            "json-lines-cis-dil.log",
            "logsrv01.domain.dk",  # platform.target_id on every line
            "redhat 8.5",
            {"pass": 9, "skip": 1},  # 10 lines, one control each
        ),
        (
            "macos-wrapper.json",
            "mac_os_x",
            "mac_os_x 19.4.0",
            # 202 controls listed, 101 ids: the wrapper's 101 copies have no results.
            # ssh-baseline: 58 failed + 2 failed/passed, 5 passed, 3 skipped;
            # ssl-baseline: 1 passed, 32 skipped.
            {"fail": 60, "pass": 6, "skip": 35},
        ),
        (
            "nginx-baseline-bad.json",
            "centos",
            "centos 7.4.1708",
            # 41 controls; V-2256 has passed + skipped results (pass); 4 only skipped.
            {"pass": 34, "fail": 3, "skip": 4},
        ),
        (
            "nginx-baseline-good.json",
            "centos",
            "centos 7.4.1708",
            {"pass": 37, "skip": 4},
        ),
    ],
)
def test_sample_counts(
    samples: Path,
    name: str,
    asset_key: str,
    platform: str,
    counts: dict[str, int],
) -> None:
    report = parse_sample(samples / "inspec" / name, format="inspec")
    assert [asset.key for asset in report.assets] == [asset_key]
    assert report.assets[0].platform == platform
    assert status_counts(report) == counts
    # InSpec JSON carries no report time (start_time is per test): undated, --at/now dates it.
    assert report.scanned_at is None


def _ids(results: dict[str, Status], status: Status) -> set[str]:
    return {key for key, each in results.items() if each is status}


def test_nginx_rescan_fixes_exactly_three_controls(samples: Path) -> None:
    bad = parse_sample(samples / "inspec" / "nginx-baseline-bad.json").assets[0].results
    good = parse_sample(samples / "inspec" / "nginx-baseline-good.json").assets[0].results
    fixed = {"V-13724", "V-13727", "V-13732"}
    assert _ids(good, Status.PASS) - _ids(bad, Status.PASS) == fixed
    assert _ids(bad, Status.FAIL) - _ids(good, Status.FAIL) == fixed
    assert {key for key, status in bad.items() if good.get(key) != status} == fixed


def test_nginx_finding_details(samples: Path) -> None:
    report = parse_sample(samples / "inspec" / "nginx-baseline-bad.json")
    timeout = report.findings["V-13724"]
    assert timeout.title == "The client body and header timeout directives must be properly set."
    assert (timeout.severity, timeout.score) == ("medium", 5.0)  # impact 0.5
    assert timeout.description.startswith("The timeout requirements are set to mitigate")
    assert timeout.remediation.startswith("Edit the configuration file")  # tags.fix
    assert timeout.source == "nginx-baseline"
    assert (report.findings["V-2234"].severity, report.findings["V-2234"].score) == ("none", 0.0)
    assert report.findings["V-13621"].severity == "high"  # impact 0.7


def test_wrapper_counts_each_control_once(samples: Path) -> None:
    report = parse_sample(samples / "inspec" / "macos-wrapper.json")
    results = report.assets[0].results
    assert len(results) == 101  # jq '[.profiles[].controls[].id] | unique | length'
    # ssh-01: the wrapper's copy has no results, ssh-baseline's has 6 passed ones.
    assert results["ssh-01"] is Status.PASS
    assert report.findings["ssh-01"].severity == "critical"  # impact 1
    assert report.findings["ssh-01"].title.startswith("client: Check ssh_config owner")


def test_json_lines_details(samples: Path) -> None:
    report = parse_sample(samples / "inspec" / "json-lines-cis-dil.log")
    ntp = report.findings["cis-dil-benchmark-2.2.1.2"]
    assert ntp.title == "Ensure ntp is configured"
    assert ntp.severity == "critical"  # impact 1
    assert ntp.description.startswith("ntp is a daemon")
    assert report.assets[0].results["cis-dil-benchmark-2.2.1.2"] is Status.SKIP
    assert report.findings["cis-dil-benchmark-2.2.1.1"].severity == "none"  # impact 0.0


def test_a_json_lines_stream_of_one_line_is_still_inspec(samples: Path) -> None:
    first = (samples / "inspec" / "json-lines-cis-dil.log").read_bytes().splitlines()[0]
    report = parse_report(first + b"\n")
    assert report.format == "inspec"
    # Line 1: control cis-dil-benchmark-2.2.1.1, both results "passed", on logsrv01.domain.dk.
    assert [(a.key, a.results) for a in report.assets] == [
        ("logsrv01.domain.dk", {"cis-dil-benchmark-2.2.1.1": Status.PASS})
    ]


def test_a_truncated_line_in_a_stream_is_named_by_its_number(samples: Path) -> None:
    lines = (samples / "inspec" / "json-lines-cis-dil.log").read_bytes().splitlines()
    truncated = b"\n".join([*lines[:3], lines[3][:200]])
    with pytest.raises(ReportError, match=r"^invalid JSON lines: line 4 is not JSON"):
        parse_report(truncated)


def _report(controls: list[Any], platform: dict[str, Any] | None = None) -> bytes:
    document = {
        "platform": {"name": "debian", "release": "12"} if platform is None else platform,
        "profiles": [{"name": "my-profile", "controls": controls}],
        "statistics": {"duration": 1.0},
        "version": "5.22.3",
    }
    return json.dumps(document).encode()


def _control(key: str, *statuses: str, impact: object = 0.5) -> dict[str, Any]:
    return {
        "id": key,
        "impact": impact,
        "results": [{"status": status, "code_desc": "x"} for status in statuses],
    }


def test_status_rules() -> None:
    controls = [
        _control("fail", "passed", "error", "failed"),
        _control("error", "passed", "error", "skipped"),
        _control("pass", "passed", "passed"),
        _control("mixed", "skipped", "passed"),
        _control("skip", "skipped"),
        _control("empty"),
        _control("odd", "weird"),
    ]
    report = parse_report(_report(controls))
    assert report.assets[0].results == {
        "fail": Status.FAIL,
        "error": Status.ERROR,
        "pass": Status.PASS,
        "mixed": Status.PASS,
        "skip": Status.SKIP,
        "empty": Status.SKIP,
        "odd": Status.UNKNOWN,
    }
    assert report.scanned_at is None


@pytest.mark.parametrize(
    ("impact", "severity", "score"),
    [
        (0.9, "critical", 9.0),
        (0.7, "high", 7.0),
        (0.4, "medium", 4.0),
        (0.1, "low", 1.0),
        (0, "none", 0.0),
        ("high", None, None),
        (True, None, None),
        (7, None, None),  # outside InSpec's 0.0-1.0
    ],
)
def test_severity_from_impact(impact: object, severity: str | None, score: float | None) -> None:
    report = parse_report(_report([_control("c", "passed", impact=impact)]))
    assert (report.findings["c"].severity, report.findings["c"].score) == (severity, score)


@pytest.mark.parametrize(
    ("platform", "key", "name"),
    [
        ({"name": "ubuntu", "release": "22.04", "target_id": "web-1"}, "web-1", "web-1"),
        ({"name": "ubuntu"}, "ubuntu", "ubuntu"),
        ({}, "inspec:my-profile", "my-profile"),
        ({"name": ["not", "a", "string"]}, "inspec:my-profile", "my-profile"),
    ],
)
def test_asset_key(platform: dict[str, Any], key: str, name: str) -> None:
    report = parse_report(_report([_control("c", "passed")], platform), format="inspec")
    assert [(asset.key, asset.name) for asset in report.assets] == [(key, name)]


def _broken(change: dict[str, Any]) -> bytes:
    document = json.loads(_report([_control("c", "passed")]))
    document.update(change)
    return json.dumps(document).encode()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (_broken({"profiles": [{"name": "p", "controls": {"c": {}}}]}), "must be a list"),
        (_broken({"profiles": ["p"]}), "every profile must be an object"),
        (_broken({"profiles": [{"name": "p", "controls": ["c"]}]}), "must be an object"),
        (_broken({"profiles": [{"name": "p", "controls": [{"id": 7}]}]}), "no string id"),
        (_report([{"id": "c", "results": "passed"}]), "not a list"),
        (_report([{"id": "c", "results": ["passed"]}]), "is not an object"),
        (_broken({"profiles": {"p": 1}}), "not a inspec report"),
        (_broken({"platform": "linux"}), "not a inspec report"),
        (b'{"profiles": [], "platform": {}', "truncated JSON"),
    ],
)
def test_malformed_input_is_a_one_line_error(data: bytes, message: str) -> None:
    with pytest.raises(ReportError) as caught:
        parse_report(data, format="inspec")
    assert message in str(caught.value)
    assert "\n" not in str(caught.value)


def test_hostile_values_do_not_crash() -> None:
    control = {
        "id": "c" * 10_000,
        "title": ["not text"],
        "desc": {"a": 1},
        "descriptions": [{"label": ["x"], "data": 1}, "junk"],
        "tags": ["fix"],
        "impact": float("1e308"),
        "results": [{"status": ["failed"], "start_time": "not a time"}, {"status": None}],
    }
    report = parse_report(_report([control]))
    finding = report.findings["c" * 10_000]
    assert (finding.title, finding.severity, finding.description) == ("", None, "")
    assert report.assets[0].results == {"c" * 10_000: Status.UNKNOWN}
    assert report.scanned_at is None


def test_json_lines_stream_of_two_hosts() -> None:
    rows = [
        {"id": "a", "status": "failed", "impact": 0.5, "platform": {"target_id": "h1"}},
        {"id": "a", "status": "passed", "impact": 0.5, "platform": {"target_id": "h2"}},
        {"id": "b", "status": "skipped", "impact": 0.5, "profile": {"name": "p"}},
    ]
    data = "\n".join(json.dumps(row) for row in rows).encode()
    report = parse_report(data)
    assert report.format == "inspec"
    assert [(asset.key, asset.results) for asset in report.assets] == [
        ("h1", {"a": Status.FAIL}),
        ("h2", {"a": Status.PASS}),
        ("inspec:p", {"b": Status.SKIP}),
    ]


def test_many_results_parse() -> None:
    controls = [_control(f"c-{number}", "passed", "failed") for number in range(50_000)]
    report = parse_report(_report(controls))
    assert status_counts(report) == {"fail": 50_000}
