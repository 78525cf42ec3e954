"""XCCDF results: OpenSCAP ``xccdf-results``, DISA SCC output, Benchmarks with embedded results.

Reads every ``TestResult`` in the document, whether it is the root, inside a ``Benchmark`` or
inside an ARF ``asset-report-collection``. Works for XCCDF 1.1 and 1.2 alike: elements are
matched by local name within any ``http://checklists.nist.gov/xccdf/…`` namespace, never by
prefix.

Each ``rule-result`` is one check result on the TestResult's target; the finding key is the rule
``idref``, described from the matching ``Rule`` when the document carries the Benchmark. Every
rule-result is listed explicitly, so no kind is ever complete (DESIGN.md formats table).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import datetime
from functools import lru_cache
from xml.etree.ElementTree import Element

from integrations.scanners.loading import Document
from integrations.scanners.records import (
    AssetScan,
    Kind,
    ParsedReport,
    ReportError,
    Status,
    rating_from_word,
)
from integrations.scanners.timestamps import parse_timestamp

FORMAT = "xccdf"

_XCCDF_NS = "http://checklists.nist.gov/xccdf/"
_ARF_NS = "http://scap.nist.gov/schema/asset-reporting-format/"

#: rule-result values (XCCDF 1.2 §6.6.4.2): what each says about the rule on this target.
_STATUSES = {
    "pass": Status.PASS,
    "fixed": Status.PASS,  # failed, then remediated during the scan: good now
    "fail": Status.FAIL,
    "error": Status.ERROR,
    "unknown": Status.UNKNOWN,
    "notchecked": Status.UNKNOWN,  # the checking engine could not evaluate it
    "notapplicable": Status.SKIP,
    "notselected": Status.SKIP,
    "informational": Status.SKIP,
}

#: How far to follow a Rule's ``extends`` chain for inherited texts (and cycles end here too).
_MAX_EXTENDS = 16

#: DISA STIG descriptions embed escaped pseudo-XML; the readable part is the VulnDiscussion.
_VULN_DISCUSSION = re.compile(r"<VulnDiscussion>(.*?)</VulnDiscussion>", re.DOTALL)


def detect(document: Document) -> bool:
    """XCCDF Benchmark or TestResult root, or an ARF collection (which carries XCCDF results)."""
    if document.syntax != "xml":
        return False
    namespace, local = _split(document.value.tag)
    if namespace.startswith(_XCCDF_NS):
        return local in ("Benchmark", "TestResult")
    return namespace.startswith(_ARF_NS) and local == "asset-report-collection"


def parse(document: Document) -> ParsedReport:
    rules, benchmarks, runs = _index(document.value)
    if not runs:
        raise ReportError("XCCDF document has no TestResult: a benchmark without scan results")
    report = ParsedReport(format=FORMAT, assets=[], findings={})
    assets: dict[str, AssetScan] = {}
    times: list[datetime] = []
    for test_result, owner in runs:
        # A TestResult outside any Benchmark (root, ARF) is described by the document's benchmark.
        benchmark = owner if owner is not None else next(iter(benchmarks), None)
        asset = _asset(test_result, benchmark, assets, report)
        source = _source(test_result, benchmark)
        for rule_result in _children(test_result, "rule-result"):
            key, status = _read_rule_result(rule_result)
            if key not in report.findings:
                _describe(report, key, rule_result, rules, source)
            asset.add(key, status)
        moment = _scan_time(test_result)
        if moment is not None:
            times.append(moment)
    # Several TestResults: the report is finished when the last one ends.
    report.scanned_at = max(times, default=None)
    return report


def _split(tag: object) -> tuple[str, str]:
    """``{namespace}local`` → (namespace, local); comments and other nodes → ("", "")."""
    if not isinstance(tag, str):
        return "", ""
    if tag.startswith("{"):
        namespace, _, local = tag[1:].partition("}")
        return namespace, local
    return "", tag


@lru_cache(maxsize=1024)
def _xccdf_name(tag: object) -> str:
    """The local name of an XCCDF element's tag; "" for other namespaces and nodes.

    Cached: a document has a handful of distinct tags but may have 100k+ elements.
    """
    namespace, local = _split(tag)
    return local if namespace.startswith(_XCCDF_NS) else ""


def _children(element: Element, local: str) -> Iterator[Element]:
    return (child for child in element if _xccdf_name(child.tag) == local)


def _text(element: Element | None) -> str:
    """All text inside an element (XHTML markup inside descriptions included), lines trimmed."""
    if element is None:
        return ""
    lines = "".join(element.itertext()).strip().splitlines()
    return "\n".join(line.strip() for line in lines)


def _child_text(element: Element, local: str) -> str:
    return _text(next(_children(element, local), None))


def _index(
    root: Element,
) -> tuple[dict[str, Element], list[Element], list[tuple[Element, Element | None]]]:
    """One pass over the tree: Rules by id, Benchmarks, and each TestResult with its Benchmark."""
    rules: dict[str, Element] = {}
    benchmarks: list[Element] = []
    test_results: list[Element] = []
    for element in root.iter():
        local = _xccdf_name(element.tag)
        if local == "Rule":
            rules.setdefault(element.get("id", ""), element)
        elif local == "Benchmark":
            benchmarks.append(element)
        elif local == "TestResult":
            test_results.append(element)
    owners = {
        test_result: benchmark
        for benchmark in benchmarks
        for test_result in _children(benchmark, "TestResult")
    }
    return rules, benchmarks, [(each, owners.get(each)) for each in test_results]


def _asset(
    test_result: Element,
    benchmark: Element | None,
    assets: dict[str, AssetScan],
    report: ParsedReport,
) -> AssetScan:
    """The asset a TestResult is about: several TestResults of one target share it."""
    name = _child_text(test_result, "target") or _child_text(test_result, "target-address")
    if not name:
        raise ReportError(
            f"XCCDF TestResult {test_result.get('id', '')!r:.80} names no target or "
            "target-address, so the scanned asset is unknown"
        )
    asset = assets.get(name)
    if asset is None:
        asset = AssetScan(key=name, name=name, platform=_platform(test_result, benchmark))
        assets[name] = asset
        report.assets.append(asset)
    return asset


def _platform(test_result: Element, benchmark: Element | None) -> str:
    """The OS name fact (SCC writes one), else the CPE platform the results are for."""
    facts: dict[str, str] = {}
    for holder in _children(test_result, "target-facts"):
        for fact in _children(holder, "fact"):
            suffix = fact.get("name", "").rpartition(":")[2]
            facts.setdefault(suffix, _text(fact))
    if facts.get("os_name"):
        return f"{facts['os_name']} {facts.get('os_version', '')}".strip()
    for element in (test_result, benchmark):
        if element is not None:
            for platform in _children(element, "platform"):
                if platform.get("idref"):
                    return platform.get("idref", "")
    return ""


def _source(test_result: Element, benchmark: Element | None) -> str:
    """The benchmark's title, else the id the TestResult gives for its benchmark."""
    if benchmark is not None:
        title = _child_text(benchmark, "title")
        if title:
            return " ".join(title.split())
    reference = next(_children(test_result, "benchmark"), None)
    return "" if reference is None else reference.get("id") or reference.get("href") or ""


def _read_rule_result(rule_result: Element) -> tuple[str, Status]:
    key = rule_result.get("idref", "").strip()
    if not key:
        raise ReportError("XCCDF rule-result without an idref naming its rule")
    word = _child_text(rule_result, "result")
    status = _STATUSES.get(word.lower())
    if status is None:
        raise ReportError(f"XCCDF rule-result {key!r:.80} has an unknown result {word!r:.40}")
    return key, status


def _describe(
    report: ParsedReport,
    key: str,
    rule_result: Element,
    rules: dict[str, Element],
    source: str,
) -> None:
    """Create the finding for a rule, from the Benchmark's Rule when the document has it."""
    rule = rules.get(key)

    def inherited(read: Callable[[Element], str]) -> str:
        return _inherited(rules, rule, read)

    severity = rating_from_word(_severity_word(rule_result)) or rating_from_word(
        inherited(_severity_word)
    )
    report.finding(
        key,
        Kind.CHECK,
        title=" ".join(inherited(lambda each: _child_text(each, "title")).split()),
        severity=severity,
        description=_readable_description(inherited(lambda each: _child_text(each, "description"))),
        remediation=inherited(lambda each: _child_text(each, "fixtext")),
        source=source,
    )


def _severity_word(element: Element) -> str:
    # "unknown" is XCCDF's default when no severity was assigned: that is no rating at all.
    word = element.get("severity", "")
    return "" if word == "unknown" else word


def _inherited(
    rules: dict[str, Element], rule: Element | None, read: Callable[[Element], str]
) -> str:
    """Read a Rule's value, else the value of the Rule it ``extends`` (and so on)."""
    for _ in range(_MAX_EXTENDS):
        if rule is None:
            return ""
        value = read(rule)
        if value:
            return value
        rule = rules.get(rule.get("extends", ""))
    return ""


def _readable_description(text: str) -> str:
    match = _VULN_DISCUSSION.search(text)
    return match.group(1).strip() if match else text


def _scan_time(test_result: Element) -> datetime | None:
    return parse_timestamp(test_result.get("end-time")) or parse_timestamp(
        test_result.get("start-time")
    )
