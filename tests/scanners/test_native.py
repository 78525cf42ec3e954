"""casedesk's own report format: the version field is checked as a number."""

from __future__ import annotations

import orjson
import pytest

from integrations.scanners import parse_report
from integrations.scanners.records import ReportError

REPORT = {
    "findings": [{"key": "a", "kind": "check"}],
    "assets": [{"key": "h1", "results": {"a": "pass"}}],
}


@pytest.mark.parametrize("version", [True, 1.5, "1", 2])
def test_only_version_1_is_read(version):
    data = orjson.dumps({"casedesk_report": version, **REPORT})
    with pytest.raises(ReportError, match="casedesk_report must be 1"):
        parse_report(data, format="native")


def test_version_1_is_read():
    report = parse_report(orjson.dumps({"casedesk_report": 1, **REPORT}))
    assert [(asset.key, dict(asset.results)) for asset in report.assets] == [("h1", {"a": "pass"})]
