"""DESIGN.md rules 1-6 (ingest and drift), each a test named after it, on a real SQLite file."""

from __future__ import annotations

from sqlalchemy import func, select

from store.engine import make_engine, read_session
from store.models import Asset, DriftEvent, Finding, Report, ResultState, StateChange
from tests.dbdump import dump
from tests.native import native

T0 = "2026-03-01T08:00:00Z"
T1 = "2026-03-01T09:00:00Z"
T2 = "2026-03-01T10:00:00Z"
T3 = "2026-03-01T11:00:00Z"


def states(db_url: str) -> dict[tuple[str, str], str]:
    with read_session(make_engine(db_url)) as session:
        rows = session.execute(
            select(Asset.key, Finding.key, ResultState.status)
            .join(Asset, Asset.id == ResultState.asset_id)
            .join(Finding, Finding.id == ResultState.finding_id)
        )
        return {(asset, finding): status for asset, finding, status in rows}


def count(db_url: str, model: type) -> int:
    with read_session(make_engine(db_url)) as session:
        return session.scalar(select(func.count()).select_from(model))


def ingest(cli, report: bytes, *extra: str) -> dict:
    """Ingest one report from stdin; return its --json report object."""
    return cli.ingest_json("-", *extra, stdin=report)["reports"][0]


def test_rule_1_first_observation_is_a_baseline(cli, db_url):
    outcome = ingest(cli, native({"h1": {"ssh": "fail", "CVE-2024-1": "detected"}}, scanned_at=T0))
    assert (outcome["drift"], outcome["fixed"], outcome["duplicate"]) == (0, 0, False)
    assert states(db_url) == {("h1", "ssh"): "fail", ("h1", "CVE-2024-1"): "detected"}
    assert count(db_url, DriftEvent) == 0
    assert count(db_url, StateChange) == 0  # a baseline is not a change


def test_rule_2_drift_needs_a_known_good_state(cli, db_url):
    ingest(
        cli, native({"h1": {"a": "pass", "b": "skip", "c": "error", "d": "unknown"}}, scanned_at=T0)
    )
    outcome = ingest(
        cli, native({"h1": {"a": "fail", "b": "fail", "c": "fail", "d": "fail"}}, scanned_at=T1)
    )
    assert outcome["drift"] == 1  # only a: pass -> fail
    with read_session(make_engine(db_url)) as session:
        drifted = session.scalars(
            select(Finding.key).join(DriftEvent, DriftEvent.finding_id == Finding.id)
        ).all()
    assert drifted == ["a"]


def test_rule_2_fail_pass_fail_is_drift_again(cli, db_url):
    ingest(cli, native({"h1": {"a": "pass"}}, scanned_at=T0))
    assert ingest(cli, native({"h1": {"a": "fail"}}, scanned_at=T1))["drift"] == 1
    back = ingest(cli, native({"h1": {"a": "pass"}}, scanned_at=T2))
    assert (back["drift"], back["fixed"]) == (0, 1)
    assert ingest(cli, native({"h1": {"a": "fail"}}, scanned_at=T3))["drift"] == 1
    assert count(db_url, DriftEvent) == 2


def test_rule_2_vulnerability_absent_to_detected_is_drift(cli, db_url):
    ingest(cli, native({"h1": {"CVE-2024-1": "absent"}}, scanned_at=T0))
    outcome = ingest(cli, native({"h1": {"CVE-2024-1": "detected"}}, scanned_at=T1))
    assert outcome["drift"] == 1


def test_rule_3_complete_scan_makes_unlisted_findings_good(cli, db_url):
    ingest(
        cli,
        native(
            {"img": {"CVE-1": "detected", "CVE-2": "detected"}},
            scanned_at=T0,
            complete=("vulnerability",),
        ),
    )
    # CVE-2 is no longer listed by a complete vulnerability scan: it is fixed (absent).
    outcome = ingest(
        cli, native({"img": {"CVE-1": "detected"}}, scanned_at=T1, complete=("vulnerability",))
    )
    assert (outcome["drift"], outcome["fixed"]) == (0, 1)
    assert states(db_url)[("img", "CVE-2")] == "absent"


def test_rule_3_new_finding_after_a_complete_scan_is_drift(cli, db_url):
    ingest(cli, native({"img": {"CVE-1": "detected"}}, scanned_at=T0, complete=("vulnerability",)))
    # CVE-9 was not detected by the earlier complete scan, so it was absent: detecting it is drift.
    outcome = ingest(
        cli,
        native(
            {"img": {"CVE-1": "detected", "CVE-9": "detected"}},
            scanned_at=T1,
            complete=("vulnerability",),
        ),
    )
    assert outcome["drift"] == 1
    with read_session(make_engine(db_url)) as session:
        change = session.execute(select(StateChange.old_status, StateChange.new_status)).one()
    assert tuple(change) == ("absent", "detected")


def test_rule_3_completeness_is_per_kind(cli, db_url):
    # Complete for vulnerabilities only: a new failing check is a baseline, not drift.
    ingest(cli, native({"img": {"CVE-1": "detected"}}, scanned_at=T0, complete=("vulnerability",)))
    outcome = ingest(
        cli,
        native(
            {"img": {"CVE-1": "detected", "ssh": "fail"}},
            scanned_at=T1,
            complete=("vulnerability",),
        ),
    )
    assert outcome["drift"] == 0


def test_rule_4_absence_is_not_a_fix(cli, db_url):
    ingest(cli, native({"h1": {"a": "fail", "b": "fail"}, "h2": {"a": "fail"}}, scanned_at=T0))
    # Not complete for checks: b missing from the report, h2 missing altogether: nothing changes.
    outcome = ingest(cli, native({"h1": {"a": "fail"}}, scanned_at=T1))
    assert outcome["fixed"] == 0
    assert states(db_url) == {("h1", "a"): "fail", ("h1", "b"): "fail", ("h2", "a"): "fail"}


def test_rule_4_errored_or_skipped_check_is_not_a_fix(cli, db_url):
    ingest(cli, native({"h1": {"a": "fail", "b": "fail"}}, scanned_at=T0))
    outcome = ingest(cli, native({"h1": {"a": "error", "b": "skip"}}, scanned_at=T1))
    assert outcome["fixed"] == 0


def test_rule_4_partial_scan_fixes_nothing_by_absence(cli, db_url):
    ingest(
        cli,
        native(
            {"img": {"CVE-1": "detected", "CVE-2": "detected"}},
            scanned_at=T0,
            complete=("vulnerability",),
        ),
    )
    outcome = ingest(
        cli,
        native({"img": {"CVE-1": "detected"}}, scanned_at=T1, complete=("vulnerability",)),
        "--partial",
    )
    assert outcome["fixed"] == 0
    assert states(db_url)[("img", "CVE-2")] == "detected"


def test_rule_5_same_dated_report_again_is_a_duplicate(cli, db_url):
    report = native({"h1": {"a": "pass"}}, scanned_at=T0)
    assert ingest(cli, report)["duplicate"] is False
    again = ingest(cli, report, "--at", T3)
    assert again == {**again, "duplicate": True, "drift": 0, "fixed": 0}
    assert count(db_url, Report) == 1


def test_rule_5_same_dated_report_for_other_assets_is_not_a_duplicate(cli, db_url):
    report = native({"h1": {"a": "pass"}}, scanned_at=T0)
    ingest(cli, report, "--asset", "one")
    assert ingest(cli, report, "--asset", "two")["duplicate"] is False


def test_rule_5_undated_repeat_of_the_last_report_is_a_duplicate(cli, db_url):
    first = native({"h1": {"a": "pass"}})
    ingest(cli, first, "--at", T0)
    assert ingest(cli, first, "--at", T1)["duplicate"] is True


def test_rule_5_undated_repeat_of_an_older_report_is_a_new_observation(cli, db_url):
    good, bad = native({"h1": {"a": "pass"}}), native({"h1": {"a": "fail"}})
    ingest(cli, good, "--at", T0)
    assert ingest(cli, bad, "--at", T1)["drift"] == 1
    back = ingest(cli, good, "--at", T2)  # the host flipped back: identical to an older report
    assert (back["duplicate"], back["fixed"]) == (False, 1)
    assert ingest(cli, bad, "--at", T3)["drift"] == 1


def test_rule_5_an_ignored_older_report_does_not_hide_a_later_identical_one(cli, db_url):
    good, bad = native({"h1": {"a": "pass"}}), native({"h1": {"a": "fail"}})
    ingest(cli, good, "--at", T2)
    assert ingest(cli, bad, "--at", T1)["drift"] == 0  # older than what is known: ignored
    later = ingest(cli, bad, "--at", T3)  # the host really fails now
    assert (later["duplicate"], later["drift"]) == (False, 1)
    assert states(db_url) == {("h1", "a"): "fail"}


def test_rule_5_undated_repeat_after_a_report_of_other_assets_is_a_new_observation(cli, db_url):
    bad_h1 = native({"h1": {"a": "fail"}})
    ingest(cli, native({"h1": {"a": "pass"}}), "--at", T0)
    assert ingest(cli, bad_h1, "--at", T1)["drift"] == 1
    both_good = ingest(cli, native({"h1": {"a": "pass"}, "h2": {"a": "pass"}}), "--at", T2)
    assert both_good["fixed"] == 1
    again = ingest(cli, bad_h1, "--at", T3)  # the last report h1 saw was the two-host one
    assert (again["duplicate"], again["drift"]) == (False, 1)
    assert states(db_url) == {("h1", "a"): "fail", ("h2", "a"): "pass"}


def test_rule_5_a_complete_report_after_the_same_one_partial_is_not_a_duplicate(cli, db_url):
    ingest(cli, native({"h1": {"a": "fail", "b": "fail"}}, scanned_at=T0, complete=("check",)))
    fixed_b = native({"h1": {"a": "fail"}}, scanned_at=T1, complete=("check",))
    assert ingest(cli, fixed_b, "--partial")["fixed"] == 0  # a partial scan fixes nothing
    complete = ingest(cli, fixed_b)
    assert (complete["duplicate"], complete["fixed"]) == (False, 1)
    assert ingest(cli, fixed_b, "--partial")["duplicate"] is True  # adds nothing now
    assert states(db_url) == {("h1", "a"): "fail", ("h1", "b"): "pass"}


def test_rule_5_older_report_never_moves_state_backwards(cli, db_url):
    ingest(cli, native({"h1": {"a": "pass"}}, scanned_at=T2))
    late = ingest(
        cli, native({"h1": {"a": "fail"}}, scanned_at=T1)
    )  # arrives late, scanned earlier
    assert (late["duplicate"], late["drift"]) == (False, 0)
    assert states(db_url) == {("h1", "a"): "pass"}


def test_rule_6_a_report_is_ingested_in_one_transaction(cli, db_url, monkeypatch):
    ingest(cli, native({"h1": {"a": "pass"}}, scanned_at=T0))
    before = dump(db_url)

    from worker import ingest as ingest_module

    def explode(self):  # fail after assets, findings and the report row were written
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(ingest_module._StateWriter, "flush", explode)
    run = cli(
        "--ingest", "-", stdin=native({"h1": {"a": "fail"}, "h2": {"b": "pass"}}, scanned_at=T1)
    )
    assert run.code == 1
    assert run.stderr == "casedesk: internal error (RuntimeError): disk on fire\n"
    assert dump(db_url) == before
