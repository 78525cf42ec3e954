"""XCCDF results parser: real OpenSCAP / SCC / NIST samples, both namespaces, malformed input."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from integrations.scanners import parse_report, xccdf
from integrations.scanners.loading import load_document
from integrations.scanners.records import ReportError, Status
from tests.conftest import SAMPLES
from tests.scanners.helpers import parse_sample, status_counts

XCCDF_FILES = sorted(path.name for path in (SAMPLES / "xccdf").glob("*.xml"))

NS_11 = "http://checklists.nist.gov/xccdf/1.1"
NS_12 = "http://checklists.nist.gov/xccdf/1.2"


@pytest.mark.parametrize("name", XCCDF_FILES)
def test_every_sample_parses_and_is_detected(samples: Path, name: str) -> None:
    report = parse_sample(samples / "xccdf" / name)
    assert report.format == "xccdf"
    assert report.result_count > 0
    for asset in report.assets:
        assert asset.complete_kinds == frozenset()  # every rule-result is listed explicitly
        assert set(asset.results) <= set(report.findings)


def test_detect_claims_no_other_format(samples: Path) -> None:
    for path in sorted(samples.rglob("*")):
        if not path.is_file() or path.parent.name == "xccdf" or path.suffix == ".md":
            continue
        try:
            document = load_document(path.read_bytes())
        except ReportError:
            continue
        assert not xccdf.detect(document), path


# Expected numbers below come from grep over the raw files, not from the parser:
#   grep -c 'rule-result ' FILE                              → rule-results
#   grep -o '<\(cdf:\)\?result>[a-z]*<' FILE | sort | uniq -c → results by value
#   grep -o 'rule-result [^>]*idref="[^"]*"' FILE | grep -o 'idref="[^"]*"' | sort | uniq -d
#       → repeated rule ids (only in the NIST sample)
@pytest.mark.parametrize(
    ("name", "asset_key", "platform", "counts", "scanned_at"),
    [
        # 3 rule-results: fail + notselected for the same rule (fail wins), and one pass.
        (
            "nist-ios-sample-1.1.3.xml",
            "lower.test.net",
            "cpe://cisco:ios:12.3",  # no OS fact: the Benchmark's first platform
            {"fail": 1, "pass": 1},
            datetime(2004, 9, 25, 17, 45, 2, tzinfo=UTC),  # end-time 13:45:02-04:00
        ),
        # 180 rule-results, distinct idrefs: 137 fail, 43 pass.
        (
            "openscap-rhel7-results.xml",
            "localhost.localdomain",
            "cpe:/o:redhat:enterprise_linux:7",
            {"fail": 137, "pass": 43},
            datetime(2021, 12, 17, 10, 40, 58, tzinfo=UTC),  # end-time without zone: UTC
        ),
        # 248 rule-results: 166 fail, 61 pass, 21 error (SOURCES.md: 21 "error" results).
        (
            "openscap-rhel8-results.xml",
            "localhost",
            "cpe:/o:redhat:enterprise_linux:8",
            {"fail": 166, "pass": 61, "error": 21},
            datetime(2021, 11, 12, 16, 37, 31, tzinfo=UTC),  # end-time 11:37:31-05:00
        ),
        # 178 rule-results: 6 fail, 172 pass; SCC writes os_name / os_version facts.
        (
            "scc-rhel7-results.xml",
            "LOCKDOWN",
            "RedHat Variant 7.7",
            {"fail": 6, "pass": 172},
            datetime(2021, 4, 29, 14, 24, 10, tzinfo=UTC),
        ),
        # 248 rule-results: 175 fail, 73 pass.
        (
            "scc-rhel8-results.xml",
            "LOCALHOST.LOCALDOMAIN",
            "RedHat Variant 8.5",
            {"fail": 175, "pass": 73},
            datetime(2021, 12, 17, 10, 30, 58, tzinfo=UTC),
        ),
    ],
)
def test_sample_counts(
    samples: Path,
    name: str,
    asset_key: str,
    platform: str,
    counts: dict[str, int],
    scanned_at: datetime,
) -> None:
    report = parse_sample(samples / "xccdf" / name, format="xccdf")
    assert [asset.key for asset in report.assets] == [asset_key]
    assert report.assets[0].name == asset_key
    assert report.assets[0].platform == platform
    assert status_counts(report) == counts
    assert report.scanned_at == scanned_at


def test_nist_sample_details(samples: Path) -> None:
    report = parse_sample(samples / "xccdf" / "nist-ios-sample-1.1.3.xml")
    asset = report.assets[0]
    assert asset.results == {
        "ios12-no-finger-service": Status.FAIL,
        "req-exec-timeout": Status.PASS,
    }
    finger = report.findings["ios12-no-finger-service"]
    assert finger.title == "IOS 12 - no IP finger service"
    # Description and fixtext are inherited from the Rule it extends (no-finger-service-base).
    assert finger.description.startswith("Disable the finger service")
    assert finger.remediation.startswith("Turn off the finger service altogether")
    assert finger.severity is None  # the sample gives no severity anywhere
    assert finger.source == "XCCDF Sample for Cisco IOS"


def test_stig_rule_details(samples: Path) -> None:
    report = parse_sample(samples / "xccdf" / "scc-rhel8-results.xml")
    key = "xccdf_mil.disa.stig_rule_SV-230221r743913_rule"
    finding = report.findings[key]
    assert finding.title == "RHEL 8 must be a vendor-supported release."
    assert finding.severity == "high"
    assert finding.remediation == "Upgrade to a supported version of RHEL 8."
    # The readable VulnDiscussion, without DISA's embedded pseudo-XML.
    assert finding.description.startswith("An operating system release is considered")
    assert "<VulnDiscussion>" not in finding.description
    assert finding.source == "Red Hat Enterprise Linux 8 Security Technical Implementation Guide"
    assert report.assets[0].results[key] is Status.FAIL


def _test_result(namespace: str, results: str, target: str = "<target>host-1</target>") -> str:
    return (
        f'<TestResult xmlns="{namespace}" id="tr-1" start-time="2024-05-01T10:00:00Z">'
        f"{target}{results}</TestResult>"
    )


def _rule_result(idref: str, result: str, severity: str = "") -> str:
    attribute = f' severity="{severity}"' if severity else ""
    return f'<rule-result idref="{idref}"{attribute}><result>{result}</result></rule-result>'


@pytest.mark.parametrize("namespace", [NS_11, NS_12])
def test_test_result_root_maps_every_result_value(namespace: str) -> None:
    words = {
        "pass": Status.PASS,
        "fixed": Status.PASS,
        "fail": Status.FAIL,
        "error": Status.ERROR,
        "unknown": Status.UNKNOWN,
        "notchecked": Status.UNKNOWN,
        "notapplicable": Status.SKIP,
        "notselected": Status.SKIP,
        "informational": Status.SKIP,
    }
    body = "".join(_rule_result(f"r-{word}", word, "low") for word in words)
    report = parse_report(_test_result(namespace, body).encode())
    assert report.format == "xccdf"
    (asset,) = report.assets
    assert asset.key == "host-1"
    assert asset.results == {f"r-{word}": status for word, status in words.items()}
    assert report.findings["r-pass"].severity == "low"
    assert report.scanned_at == datetime(2024, 5, 1, 10, 0, tzinfo=UTC)  # start-time fallback


def test_prefixed_namespace_and_rule_severity_from_benchmark() -> None:
    document = (
        f'<x:Benchmark xmlns:x="{NS_12}" id="b"><x:title>Bench</x:title>'
        '<x:Group id="g"><x:Rule id="r1" severity="medium"><x:title>Rule one</x:title></x:Rule>'
        '<x:Rule id="r2" severity="unknown"><x:title>Rule two</x:title></x:Rule></x:Group>'
        '<x:TestResult id="t"><x:target>h</x:target>'
        '<x:rule-result idref="r1"><x:result>fail</x:result></x:rule-result>'
        '<x:rule-result idref="r2"><x:result>pass</x:result></x:rule-result>'
        "</x:TestResult></x:Benchmark>"
    )
    report = parse_report(document.encode())
    assert report.findings["r1"].title == "Rule one"
    assert report.findings["r1"].severity == "medium"
    assert report.findings["r2"].severity is None  # XCCDF's "unknown" default is no rating
    assert report.findings["r1"].source == "Bench"
    assert report.scanned_at is None


def test_arf_collection_with_two_targets_and_target_address_fallback() -> None:
    first = _test_result(NS_12, _rule_result("r1", "fail"))
    second = _test_result(
        NS_12, _rule_result("r1", "pass"), "<target-address>10.0.0.7</target-address>"
    )
    document = (
        '<arf:asset-report-collection xmlns:arf="http://scap.nist.gov/schema/asset-reporting-format/1.1">'
        f"<arf:reports><arf:report><arf:content>{first}</arf:content></arf:report>"
        f"<arf:report><arf:content>{second}</arf:content></arf:report></arf:reports>"
        "</arf:asset-report-collection>"
    )
    report = parse_report(document.encode(), format="xccdf")
    assert [(asset.key, asset.results) for asset in report.assets] == [
        ("host-1", {"r1": Status.FAIL}),
        ("10.0.0.7", {"r1": Status.PASS}),
    ]


def test_two_test_results_for_one_target_share_the_asset() -> None:
    one = _test_result(NS_12, _rule_result("r1", "pass"))
    two = _test_result(NS_12, _rule_result("r1", "fail") + _rule_result("r2", "pass"))
    report = parse_report(f'<Benchmark xmlns="{NS_12}" id="b">{one}{two}</Benchmark>'.encode())
    assert len(report.assets) == 1
    assert report.assets[0].results == {"r1": Status.FAIL, "r2": Status.PASS}


@pytest.mark.parametrize(
    ("document", "message"),
    [
        (f'<Benchmark xmlns="{NS_12}" id="b"><Rule id="r"/></Benchmark>', "no TestResult"),
        (_test_result(NS_12, "<rule-result><result>pass</result></rule-result>"), "idref"),
        (_test_result(NS_12, _rule_result("r1", "maybe")), "unknown result 'maybe'"),
        (_test_result(NS_12, '<rule-result idref="r1"/>'), "unknown result ''"),
        (_test_result(NS_12, _rule_result("r1", "pass"), target=""), "no target"),
        ('<?xml version="1.0"?><Benchmark xmlns="x"', "invalid or truncated XML"),
        ('<foo xmlns="http://example.com/other"><TestResult/></foo>', "not a xccdf report"),
        ('{"Benchmark": {}}', "not a xccdf report"),
    ],
)
def test_malformed_input_is_a_one_line_error(document: str, message: str) -> None:
    with pytest.raises(ReportError) as caught:
        parse_report(document.encode(), format="xccdf")
    assert message in str(caught.value)
    assert "\n" not in str(caught.value)


def test_rule_21_entity_expansion_is_refused() -> None:
    document = (
        '<?xml version="1.0"?><!DOCTYPE b [<!ENTITY a "aaaa">]>'
        f'<Benchmark xmlns="{NS_12}">&a;</Benchmark>'
    )
    with pytest.raises(ReportError, match="entities"):
        parse_report(document.encode(), format="xccdf")


def test_many_results_parse() -> None:
    body = "".join(_rule_result(f"rule-{number}", "fail") for number in range(100_000))
    report = parse_report(_test_result(NS_11, body).encode())
    assert status_counts(report) == {"fail": 100_000}
