"""DESIGN.md rules 7-13 and 19-20 (cases, windows, closing, roles), each a test named after it."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

import worker.cases
from store.access import PermissionDenied
from store.engine import make_engine, read_session, write_session
from store.models import AuditEvent, Integration, OutboxJob, Ticket
from tests.native import native
from worker.case_service import CaseService

T0 = "2026-03-01T00:00:00Z"


def at(hours: float) -> str:
    minutes = int(hours * 60)
    return f"2026-03-01T{minutes // 60:02d}:{minutes % 60:02d}:00Z"


def feed(cli, results: dict[str, dict[str, str]], hours: float, *extra: str) -> dict:
    return cli.ingest_json("-", "--at", at(hours), *extra, stdin=native(results))


def cases(cli) -> list[dict]:
    return sorted(
        cli.ok("cases", "list", "--status", "all", "--json").json(), key=lambda c: c["id"]
    )


def jobs(db_url: str) -> list[tuple[int, str, str]]:
    with read_session(make_engine(db_url)) as session:
        return [
            (job.case_id, job.action, job.destination)
            for job in session.scalars(select(OutboxJob).order_by(OutboxJob.id))
        ]


SETTINGS_WITH_INTEGRATIONS = """
[spaces.default.settings]
aggregation_window_hours = 4

[[spaces.default.integrations]]
name = "jira-sec"
kind = "jira"
url = "https://jira.example"
flavor = "cloud"
email = "bot@example.com"
token_env = "JIRA_TOKEN"
project = "SEC"
drift_destination = "SECDRIFT"

[[spaces.default.integrations]]
name = "mail"
kind = "email"
project = "secops@example.com"

[[spaces.default.integrations]]
name = "gh-quiet"
kind = "github"
token_env = "GH_TOKEN"
project = "acme/infra"
create_drift_tickets = false
"""


@pytest.fixture
def fleet(cli):
    """Two hosts with check 'ssh' passing at T0 (the database's creator, alice, owns it)."""
    feed(cli, {"h1": {"ssh": "pass", "tls": "pass"}, "h2": {"ssh": "pass", "tls": "pass"}}, 0)
    return cli


def test_rule_7_drift_on_a_tracked_item_reopens_it_inside_its_case(fleet):
    feed(fleet, {"h1": {"ssh": "fail"}}, 1)
    feed(fleet, {"h2": {"ssh": "fail"}}, 1.5)  # h2 keeps the case open while h1 flips
    feed(fleet, {"h1": {"ssh": "pass"}}, 2)
    assert [(c["fixed"], c["assets"]) for c in cases(fleet)] == [(1, 2)]
    again = feed(fleet, {"h1": {"ssh": "fail"}}, 3)  # regression inside the pending case
    assert again["cases"] == {"created": 0, "joined": 0, "finalized": 0, "closed": 0}
    assert [(c["fixed"], c["assets"]) for c in cases(fleet)] == [(0, 2)]
    history = fleet.ok("cases", "show", "1", "--json").json()["history"]
    assert ("regression", "h1") in [(h["action"], h["asset"]) for h in history]


def test_rule_7_drift_joins_the_pending_case_of_its_finding(fleet):
    feed(fleet, {"h1": {"ssh": "fail"}}, 1)
    second = feed(fleet, {"h2": {"ssh": "fail", "tls": "fail"}}, 2)
    assert second["cases"]["joined"] == 1 and second["cases"]["created"] == 1  # tls is new
    assert [(c["finding"], c["assets"]) for c in cases(fleet)] == [("ssh", 2), ("tls", 1)]


def test_rule_7_new_pending_case_window_closes_at_detection_plus_window(fleet):
    feed(fleet, {"h1": {"ssh": "fail"}}, 1)
    detail = fleet.ok("cases", "show", "1", "--json").json()
    assert detail["status"] == "pending"
    assert detail["window_closes_at"] == "2026-03-01T05:00:00+00:00"


def test_rule_7_drift_after_the_window_closed_opens_a_new_case(fleet):
    feed(fleet, {"h1": {"ssh": "fail"}}, 1)
    # The worker has not run, but the drift at T0+6h is past the first window (T0+5h).
    feed(fleet, {"h2": {"ssh": "fail"}}, 6)
    assert [(c["id"], c["assets"]) for c in cases(fleet)] == [(1, 1), (2, 1)]


def test_rule_7_no_aggregation_finalizes_one_case_per_asset(fleet):
    fleet.ok("settings", "set", "aggregation_window_hours", "0")
    outcome = feed(fleet, {"h1": {"ssh": "fail"}, "h2": {"ssh": "fail"}}, 1)
    assert outcome["cases"] == {"created": 2, "joined": 0, "finalized": 2, "closed": 0}
    assert [(c["status"], c["assets"]) for c in cases(fleet)] == [("open", 1), ("open", 1)]


def test_rule_7_drift_cases_off_creates_no_case(fleet):
    fleet.ok("settings", "set", "auto_create_drift_cases", "false")
    outcome = feed(fleet, {"h1": {"ssh": "fail"}}, 1)
    assert outcome["reports"][0]["drift"] == 1
    assert cases(fleet) == []


def test_rule_8_finalizing_fixes_the_title_and_queues_one_ticket_job_per_integration(
    fleet, tmp_path, db_url
):
    settings = tmp_path / "settings.toml"
    settings.write_text(SETTINGS_WITH_INTEGRATIONS)
    fleet.ok("settings", "import", settings)
    feed(fleet, {"h1": {"ssh": "fail"}, "h2": {"ssh": "fail"}}, 1)
    assert jobs(db_url) == []  # nothing is sent while the window is open
    fleet.ok("worker", "--once", "--at", at(5))
    assert cases(fleet)[0]["title"] == "[HIGH] Title of ssh on 2 assets"
    # jira to its drift destination, e-mail to its address; gh-quiet does not create drift tickets
    assert jobs(db_url) == [(1, "create", "SECDRIFT"), (1, "create", "secops@example.com")]


def test_rule_8_restarts_neither_finalize_early_nor_twice(fleet, db_url, tmp_path):
    settings = tmp_path / "settings.toml"
    settings.write_text(SETTINGS_WITH_INTEGRATIONS)
    fleet.ok("settings", "import", settings)
    feed(fleet, {"h1": {"ssh": "fail"}}, 1)
    # Each command is a new process-like run with its own engine: only the stored window counts.
    assert (
        fleet.ok("worker", "--once", "--at", "2026-03-01T04:59:59Z").stdout
        == "worker: 0 finalized, 0 closed\n"
    )
    # jira-sec has no token (fails for good); no SMTP server answers the mail (retried later).
    assert fleet.ok("worker", "--once", "--at", at(5)).stdout == (
        "worker: 1 finalized, 0 closed; tickets: 1 to retry later,"
        " 1 failed (see casedesk cases list --status error)\n"
    )
    # Nothing finalizes twice; the mail's backoff has passed by then, so it is tried again.
    assert fleet.ok("worker", "--once", "--at", at(6)).stdout == (
        "worker: 0 finalized, 0 closed; tickets: 1 to retry later\n"
    )
    assert len(jobs(db_url)) == 2


def test_rule_8_vulnerability_case_title(cli):
    feed(cli, {"img": {"CVE-2024-1234": "absent"}}, 0)
    feed(cli, {"img": {"CVE-2024-1234": "detected"}}, 1)
    cli.ok("worker", "--once", "--at", at(5))
    assert cases(cli)[0]["title"] == "[HIGH] Mitigate vulnerability CVE-2024-1234 on 1 asset"


def test_rule_14_ticket_jobs_are_written_with_the_case_change_or_not_at_all(
    fleet, tmp_path, db_url, monkeypatch
):
    settings = tmp_path / "settings.toml"
    settings.write_text(SETTINGS_WITH_INTEGRATIONS)
    fleet.ok("settings", "import", settings)
    feed(fleet, {"h1": {"ssh": "fail"}}, 1)
    queue_for_real = worker.cases.queue_create_tickets

    def queue_then_fail(session, case, now):
        queue_for_real(session, case, now)
        session.flush()  # the jobs reached the database inside the transaction...
        raise RuntimeError("power cut")  # ...which then never commits

    monkeypatch.setattr(worker.cases, "queue_create_tickets", queue_then_fail)
    assert fleet("worker", "--once", "--at", at(5)).code == 1
    assert [c["status"] for c in cases(fleet)] == ["pending"]
    assert jobs(db_url) == []  # no job without its case change
    monkeypatch.setattr(worker.cases, "queue_create_tickets", queue_for_real)
    fleet.ok("worker", "--once", "--at", at(5))
    assert [c["title"] for c in cases(fleet)] == ["[HIGH] Title of ssh on 1 asset"]
    assert jobs(db_url) == [(1, "create", "SECDRIFT"), (1, "create", "secops@example.com")]


def test_rule_8_a_check_title_written_as_a_sentence_loses_its_full_stop(cli):
    titles = {"sym": "The disable_symlinks setting must be on."}
    feed(cli, {"h1": {"sym": "pass"}}, 0)
    cli.ingest_json("-", "--at", at(1), stdin=native({"h1": {"sym": "fail"}}, titles=titles))
    cli.ok("worker", "--once", "--at", at(5))
    assert cases(cli)[0]["title"] == "[HIGH] The disable_symlinks setting must be on on 1 asset"


def test_rule_9_drift_after_finalizing_opens_a_new_case(fleet):
    feed(fleet, {"h1": {"ssh": "fail"}}, 1)
    fleet.ok("worker", "--once", "--at", at(5))
    feed(fleet, {"h2": {"ssh": "fail"}}, 5.5)
    assert [(c["status"], c["assets"]) for c in cases(fleet)] == [("open", 1), ("pending", 1)]


def test_rule_10_manual_case_opens_at_once_with_its_ticket_queued(fleet, tmp_path, db_url):
    settings = tmp_path / "settings.toml"
    settings.write_text(SETTINGS_WITH_INTEGRATIONS)
    fleet.ok("settings", "import", settings)
    feed(fleet, {"h1": {"ssh": "fail"}}, 1, "--partial")
    created = fleet.ok(
        "cases",
        "create",
        "--finding",
        "tls",
        "--asset",
        "h1",
        "--asset",
        "h2",
        "--title",
        "Rotate TLS keys",
        "--notes",
        "before the audit",
        "--integration",
        "gh-quiet",
        "--destination",
        "acme/keys",
        "--json",
    ).json()
    assert (created["status"], created["kind"], created["title"]) == (
        "open",
        "manual",
        "Rotate TLS keys",
    )
    # tls passes on both hosts now, so both items start fixed: 2 / 2
    assert (created["assets"], created["fixed"]) == (2, 2)
    assert (created["id"], "create", "acme/keys") in jobs(db_url)
    detail = fleet.ok("cases", "show", str(created["id"]), "--json").json()
    assert (detail["created_by"], detail["notes"]) == ("alice", "before the audit")


def test_rule_10_manual_case_needs_editor(fleet, monkeypatch):
    monkeypatch.setenv("CASEDESK_USER", "mallory")  # not a member: default role viewer
    run = fleet("cases", "create", "--finding", "ssh", "--asset", "h1")
    assert run.code == 3
    assert "creating a case needs the editor role; mallory is viewer" in run.stderr
    monkeypatch.setenv("CASEDESK_USER", "alice")
    assert cases(fleet) == []


def test_rule_10_manual_case_refuses_unknown_keys_and_tracked_pairs(fleet):
    assert (
        "no finding 'nope'" in fleet("cases", "create", "--finding", "nope", "--asset", "h1").stderr
    )
    assert "no asset 'h9'" in fleet("cases", "create", "--finding", "ssh", "--asset", "h9").stderr
    feed(fleet, {"h1": {"ssh": "fail"}}, 1)
    run = fleet("cases", "create", "--finding", "ssh", "--asset", "h1")
    assert (run.code, run.stderr) == (2, "casedesk: ssh on h1 is already tracked by case #1\n")


def test_rule_11_closing_by_hand_records_who_why_when_and_closes_direct_tickets(
    fleet, db_url, tmp_path
):
    settings = tmp_path / "settings.toml"
    settings.write_text(SETTINGS_WITH_INTEGRATIONS)
    fleet.ok("settings", "import", settings)
    feed(fleet, {"h1": {"ssh": "fail"}}, 1)
    fleet.ok("worker", "--once", "--at", at(5))
    _pretend_tickets_were_created(db_url, case_id=1)
    closed = fleet.ok(
        "cases", "close", "1", "--reason", "accepted risk", "--at", at(6), "--json"
    ).json()
    assert closed["status"] == "closed"
    detail = fleet.ok("cases", "show", "1", "--json").json()
    assert (detail["closed_by"], detail["close_reason"], detail["closed_at"]) == (
        "alice",
        "accepted risk",
        "2026-03-01T06:00:00+00:00",
    )
    assert detail["history"][-1] == {
        "at": "2026-03-01T06:00:00+00:00",
        "actor": "alice",
        "action": "closed",
        "asset": "",
        "detail": "accepted risk",
    }
    # jira (direct, auto-close on) gets a close job; e-mail is never closed
    assert [job for job in jobs(db_url) if job[1] == "close"] == [(1, "close", "SECDRIFT")]


def test_rule_11_viewer_cannot_close_and_nothing_changes(fleet, monkeypatch):
    feed(fleet, {"h1": {"ssh": "fail"}}, 1)
    fleet.ok("members", "add", "victor", "--role", "viewer")
    monkeypatch.setenv("CASEDESK_USER", "victor")
    run = fleet("cases", "close", "1")
    assert run.code == 3
    assert run.stderr == (
        "casedesk: not allowed: closing a case needs the editor role;"
        " victor is viewer in space 'default'\n"
    )
    assert cases(fleet)[0]["status"] == "pending"


def test_rule_11_auto_close_goes_through_the_same_close_path(fleet, db_url, tmp_path):
    settings = tmp_path / "settings.toml"
    settings.write_text(SETTINGS_WITH_INTEGRATIONS)
    fleet.ok("settings", "import", settings)
    feed(fleet, {"h1": {"ssh": "fail"}}, 1)
    fleet.ok("worker", "--once", "--at", at(5))
    _pretend_tickets_were_created(db_url, case_id=1)
    outcome = feed(fleet, {"h1": {"ssh": "pass"}}, 6)
    assert outcome["cases"]["closed"] == 1
    detail = fleet.ok("cases", "show", "1", "--json").json()
    assert (detail["closed_by"], detail["close_reason"]) == ("casedesk", "every asset is fixed")
    assert [job for job in jobs(db_url) if job[1] == "close"] == [(1, "close", "SECDRIFT")]


def test_rule_11_auto_close_off_leaves_fixed_cases_open(fleet):
    fleet.ok("settings", "set", "auto_close_cases_when_fixed", "false")
    feed(fleet, {"h1": {"ssh": "fail"}}, 1)
    fleet.ok("worker", "--once", "--at", at(5))
    feed(fleet, {"h1": {"ssh": "pass"}}, 6)
    assert [(c["status"], c["fixed"]) for c in cases(fleet)] == [("open", 1)]
    # Turning it on later: the worker closes what is all fixed.
    fleet.ok("settings", "set", "auto_close_cases_when_fixed", "true")
    assert fleet.ok("worker", "--once", "--at", at(7)).stdout == "worker: 0 finalized, 1 closed\n"


def test_rule_12_tickets_never_change_cases(fleet, db_url):
    feed(fleet, {"h1": {"ssh": "fail"}}, 1)
    fleet.ok("worker", "--once", "--at", at(5))
    _pretend_tickets_were_created(db_url, case_id=1, integration_kind="github")
    engine = make_engine(db_url)
    with write_session(engine) as session:  # someone closed the ticket in the tracker
        for ticket in session.scalars(select(Ticket)):
            ticket.state = "closed"
    fleet.ok("worker", "--once", "--at", at(6))
    assert [(c["status"], c["fixed"]) for c in cases(fleet)] == [("open", 0)]


def test_rule_13_a_closed_case_stays_closed_and_later_drift_opens_a_new_case(fleet):
    feed(fleet, {"h1": {"ssh": "fail"}}, 1)
    fleet.ok("cases", "close", "1", "--at", at(2))
    feed(fleet, {"h1": {"ssh": "pass"}}, 3)  # a fix does not touch the closed case
    feed(fleet, {"h1": {"ssh": "fail"}}, 4)  # drift again: a new case
    assert [(c["id"], c["status"], c["fixed"]) for c in cases(fleet)] == [
        (1, "closed", 0),
        (2, "pending", 0),
    ]
    run = fleet("cases", "close", "1")
    assert (run.code, run.stderr) == (2, "casedesk: case #1 is already closed\n")


def test_rule_19_roles_are_enforced_in_the_service_for_every_entry_point(fleet, db_url):
    fleet.ok("members", "add", "eve", "--role", "editor")
    fleet.ok("members", "add", "vic", "--role", "viewer")
    feed(fleet, {"h1": {"ssh": "fail"}}, 1)
    engine = make_engine(db_url)
    now = datetime(2026, 3, 1, 2, tzinfo=UTC)
    with pytest.raises(PermissionDenied):
        CaseService(engine, "vic").close(1, now=now)
    with pytest.raises(PermissionDenied):
        CaseService(engine, "vic").create_manual(
            None, finding_keys=["tls"], asset_keys=["h1"], now=now
        )
    assert CaseService(engine, "eve").close(1, now=now).status == "closed"


@pytest.mark.parametrize(
    ("user", "args", "code"),
    [
        ("vic", ("settings", "set", "aggregation_window_hours", "8"), 3),
        ("eve", ("settings", "set", "aggregation_window_hours", "8"), 0),
        ("eve", ("settings", "set", "default_role", "editor"), 3),
        ("eve", ("members", "add", "zed", "--role", "viewer"), 3),
        ("vic", ("members", "list"), 0),
        ("vic", ("cases", "list"), 0),
        ("alice", ("members", "add", "zed", "--role", "editor"), 0),
    ],
)
def test_rule_19_role_matrix_on_the_command_line(fleet, monkeypatch, user, args, code):
    fleet.ok("members", "add", "eve", "--role", "editor")
    fleet.ok("members", "add", "vic", "--role", "viewer")
    monkeypatch.setenv("CASEDESK_USER", user)
    assert fleet(*args).code == code


def test_rule_19_a_space_keeps_an_owner(fleet):
    run = fleet("members", "remove", "alice")
    assert (run.code, run.stderr) == (2, "casedesk: a space keeps at least one owner\n")


def test_rule_20_the_database_creator_owns_the_first_space(fleet):
    assert fleet.ok("members", "list", "--json").json() == [{"user": "alice", "role": "owner"}]


def test_rule_20_user_comes_from_option_then_environment(fleet, monkeypatch):
    monkeypatch.setenv("CASEDESK_USER", "vic")
    assert fleet("--user", "alice", "settings", "set", "aggregation_window_hours", "2").code == 0
    assert fleet("settings", "set", "aggregation_window_hours", "3").code == 3


def test_rule_20_non_members_get_the_default_role(fleet, monkeypatch):
    monkeypatch.setenv("CASEDESK_USER", "newcomer")
    assert fleet("settings", "set", "aggregation_window_hours", "2").code == 3
    monkeypatch.setenv("CASEDESK_USER", "alice")
    fleet.ok("settings", "set", "default_role", "editor")
    monkeypatch.setenv("CASEDESK_USER", "newcomer")
    assert fleet("settings", "set", "aggregation_window_hours", "2").code == 0


def _pretend_tickets_were_created(
    db_url: str, *, case_id: int, integration_kind: str | None = None
) -> None:
    """Tickets as the dispatcher would record them (the dispatcher has its own tests)."""
    engine = make_engine(db_url)
    now = datetime(2026, 3, 1, 5, 30, tzinfo=UTC)
    with write_session(engine) as session:
        integrations = session.scalars(select(Integration)).all()
        if integration_kind and not integrations:
            session.add(Integration(space_id=1, name="gh", kind=integration_kind, project="a/b"))
            session.flush()
            integrations = session.scalars(select(Integration)).all()
        for index, integration in enumerate(integrations):
            if integration.create_drift_tickets or integration_kind:
                session.add(
                    Ticket(
                        case_id=case_id,
                        integration_id=integration.id,
                        destination=integration.drift_destination or integration.project,
                        key=f"T-{index}",
                        created_at=now,
                    )
                )
        for job in session.scalars(select(OutboxJob)):
            job.status = "done"


def test_audit_log_records_settings_changes(fleet, db_url):
    fleet.ok("settings", "set", "aggregation_window_hours", "8")
    with read_session(make_engine(db_url)) as session:
        event = session.scalars(select(AuditEvent).where(AuditEvent.case_id.is_(None))).all()[-1]
    assert (event.actor, event.action, event.detail) == (
        "alice",
        "setting_changed",
        "aggregation_window_hours: 4 -> 8",
    )
