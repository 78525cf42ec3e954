"""The issue's scenario on real reports, driven by --at: windows, finalizing, progress, closing."""

from __future__ import annotations

import pytest

from tests.conftest import SAMPLES

GOOD = SAMPLES / "inspec/nginx-baseline-good.json"
BAD = SAMPLES / "inspec/nginx-baseline-bad.json"
# The three controls that pass in GOOD and fail in BAD (worked out from the two files).
DRIFTED = ["V-13724", "V-13727", "V-13732"]


def at(hours: float) -> str:
    """T0 + hours, T0 = 2026-03-01 00:00 UTC."""
    minutes = int(hours * 60)
    return f"2026-03-01T{minutes // 60:02d}:{minutes % 60:02d}:00Z"


def cases(cli, status: str = "all") -> list[dict]:
    return sorted(
        cli.ok("cases", "list", "--status", status, "--json").json(), key=lambda c: c["id"]
    )


def ingest(cli, path, asset: str, hours: float) -> dict:
    return cli.ingest_json(path, "--asset", asset, "--at", at(hours))


@pytest.fixture
def baselined(cli):
    for asset in ("a1", "a2", "a3"):
        ingest(cli, GOOD, asset, 0)
    return cli


def test_drift_cases_gather_in_the_window_then_open_progress_and_auto_close(baselined):
    cli = baselined
    first = ingest(cli, BAD, "a1", 1)
    assert first["cases"] == {"created": 3, "joined": 0, "finalized": 0, "closed": 0}
    second = ingest(cli, BAD, "a2", 2)
    assert second["cases"] == {"created": 0, "joined": 3, "finalized": 0, "closed": 0}

    cli.ok("worker", "--once", "--at", at(4))  # window of 4 h from T0+1h is still open
    pending = cases(cli)
    assert [c["status"] for c in pending] == ["pending"] * 3
    assert sorted(c["finding"] for c in pending) == DRIFTED
    assert all((c["assets"], c["fixed"]) == (2, 0) for c in pending)

    cli.ok("worker", "--once", "--at", at(5))
    opened = cases(cli)
    assert [c["status"] for c in opened] == ["open"] * 3
    assert all(
        c["title"].startswith("[MEDIUM] ") and c["title"].endswith(" on 2 assets") for c in opened
    )
    assert {c["kind"] for c in opened} == {"drift"}

    ingest(cli, BAD, "a3", 6)  # after finalizing: new cases with a3 alone (rule 9)
    later = [c for c in cases(cli) if c["id"] > 3]
    assert [(c["status"], c["assets"]) for c in later] == [("pending", 1)] * 3
    assert sorted(c["finding"] for c in later) == DRIFTED

    fixed_a1 = ingest(cli, GOOD, "a1", 7)
    assert fixed_a1["reports"][0]["fixed"] == 3
    assert [(c["fixed"], c["assets"], c["status"]) for c in cases(cli)[:3]] == [(1, 2, "open")] * 3

    fixed_a2 = ingest(cli, GOOD, "a2", 8)
    assert fixed_a2["cases"]["closed"] == 3
    assert [(c["fixed"], c["status"]) for c in cases(cli)[:3]] == [(2, "closed")] * 3
    assert [c["status"] for c in cases(cli)[3:]] == ["pending"] * 3


def test_no_aggregation_makes_one_open_case_per_asset_and_control(baselined):
    cli = baselined
    cli.ok("settings", "set", "aggregation_window_hours", "0")
    first = ingest(cli, BAD, "a1", 1)
    assert first["cases"] == {"created": 3, "joined": 0, "finalized": 3, "closed": 0}
    ingest(cli, BAD, "a2", 2)
    all_cases = cases(cli)
    assert len(all_cases) == 6
    assert all(c["status"] == "open" and c["assets"] == 1 for c in all_cases)
    assert all(c["title"].endswith(" on 1 asset") for c in all_cases)
    assert sorted(c["finding"] for c in all_cases) == sorted(DRIFTED * 2)


def test_cases_show_tells_the_whole_story(baselined):
    cli = baselined
    ingest(cli, BAD, "a1", 1)
    cli.ok("worker", "--once", "--at", at(5))
    ingest(cli, GOOD, "a1", 6)  # a1 fixed: only asset → auto-closed
    case = cli.ok("cases", "show", "1", "--json").json()
    assert case["status"] == "closed"
    assert case["created_by"] == "casedesk (automatic)"
    assert [i["key"] for i in case["items"]] == ["a1"]
    assert [(h["action"], h["asset"]) for h in case["history"]] == [
        ("created", ""),
        ("drift", "a1"),
        ("finalized", ""),
        ("fixed", "a1"),
        ("closed", ""),
    ]
    assert case["closed_by"] == "casedesk"
    text = cli.ok("cases", "show", "1").stdout
    assert "PROGRESS  1 / 1 ASSETS FIXED  100%" in text
    assert "Created by casedesk (automatic)" in text
