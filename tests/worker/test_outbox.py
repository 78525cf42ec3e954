"""Tickets through the durable outbox against real servers on 127.0.0.1 (rules 8, 11, 14-18).

The fake trackers keep every issue they were sent, so "exactly one ticket per case" is checked
on the server side; every Jira request is checked against the official OpenAPI description.
"""

from __future__ import annotations

import json
import re

import pytest

from tests.dbdump import dump
from tests.fakes.tracker_state import TOKEN
from tests.fakes.trackers import FakeTrackers, Fault
from tests.native import native

T = "2026-03-01T{:02d}:00:00Z"


def integration_toml(kind: str, url: str, destination: str, **extra: str) -> str:
    lines = [
        "[[spaces.default.integrations]]",
        f'name = "{kind}-it"',
        f'kind = "{kind}"',
        f'url = "{url}"',
        'token_env = "TRACKER_TOKEN"',
        f'project = "{destination}"',
    ]
    if kind == "jira":
        lines += ['flavor = "cloud"', 'email = "bot@example.com"']
    lines += [f'{key} = "{value}"' for key, value in extra.items()]
    lines += ["[spaces.default.integrations.options]", "read_timeout_seconds = 0.5"]
    return "\n".join(lines) + "\n"


@pytest.fixture
def fake(monkeypatch):
    monkeypatch.setenv("TRACKER_TOKEN", TOKEN)
    with FakeTrackers() as server:
        yield server
    assert server.spec_violations == []


def setup(cli, tmp_path, fake, kind="jira", destination="SEC", **extra):
    cli.ok(
        "--ingest",
        "-",
        "--at",
        T.format(0),
        stdin=native({"h1": {"ssh": "pass"}, "h2": {"ssh": "pass"}}),
    )
    settings = tmp_path / "integrations.toml"
    settings.write_text(integration_toml(kind, fake.url, destination, **extra))
    cli.ok("settings", "import", settings)


def drift_and_finalize(cli, hour=1):
    cli.ok(
        "--ingest",
        "-",
        "--at",
        T.format(hour),
        stdin=native({"h1": {"ssh": "fail"}, "h2": {"ssh": "fail"}}),
    )
    return cli.ok("worker", "--once", "--at", T.format(hour + 4)).stdout


def show(cli, case_id=1) -> dict:
    return cli.ok("cases", "show", str(case_id), "--json").json()


@pytest.mark.parametrize(
    ("kind", "destination"), [("jira", "SEC"), ("github", "acme/app"), ("gitlab", "acme/app")]
)
def test_a_finalized_case_gets_exactly_one_ticket_and_closing_closes_it(
    cli, tmp_path, fake, kind, destination
):
    setup(cli, tmp_path, fake, kind, destination)
    drift_and_finalize(cli)
    issues = fake.issues_in(kind, destination)
    assert len(issues) == 1
    issue = issues[0]
    assert issue.title == "[HIGH] Title of ssh on 2 assets"
    assert {"casedesk", "security", "check"} <= set(issue.labels)
    marker = [label for label in issue.labels if label.startswith("casedesk-")]
    assert len(marker) == 1 and len(marker[0]) == len("casedesk-") + 12
    case = show(cli)
    assert [(t["integration"], t["key"], t["state"]) for t in case["tickets"]] == [
        (f"{kind}-it", issue.key, "open")
    ]
    listed = cli.ok("cases", "list", "--json").json()[0]["tickets"]
    assert listed[0]["url"].startswith(fake.url.split(":")[0])
    cli.ok("worker", "--once", "--at", T.format(6))  # nothing more to send
    assert len(fake.issues_in(kind, destination)) == 1
    cli.ok("cases", "close", "1", "--at", T.format(7))
    cli.ok("worker", "--once", "--at", T.format(7))
    assert fake.issues_in(kind, destination)[0].closed is True
    assert show(cli)["tickets"][0]["state"] == "closed"


def test_rule_16_429_with_retry_after_waits_that_long_then_sends_once(cli, tmp_path, fake):
    setup(cli, tmp_path, fake)
    fake.fail_next(
        Fault.answer(429, {"errorMessages": ["slow down"]}, {"Retry-After": "7"}, method="POST")
    )
    drift_and_finalize(cli)  # finalized at 05:00; the create is refused with Retry-After 7 s
    assert fake.issues_in("jira", "SEC") == []
    cli.ok("worker", "--once", "--at", "2026-03-01T05:00:06Z")
    assert fake.issues_in("jira", "SEC") == []
    cli.ok("worker", "--once", "--at", "2026-03-01T05:00:07Z")
    assert len(fake.issues_in("jira", "SEC")) == 1
    assert show(cli)["status"] == "open"


def test_429_without_retry_after_backs_off(cli, tmp_path, fake):
    setup(cli, tmp_path, fake)
    fake.fail_next(Fault.answer(429, {"errorMessages": ["slow down"]}, method="POST"))
    drift_and_finalize(cli)
    cli.ok("worker", "--once", "--at", "2026-03-01T05:00:14Z")  # backoff is at least 15 s
    assert fake.issues_in("jira", "SEC") == []
    cli.ok("worker", "--once", "--at", "2026-03-01T05:01:00Z")  # and at most 30 s the first time
    assert len(fake.issues_in("jira", "SEC")) == 1


@pytest.mark.parametrize(
    "fault", [Fault.answer(503), Fault.drop(method="POST"), Fault.hang(method="POST")]
)
def test_rule_15_outages_and_lost_answers_end_with_exactly_one_ticket(cli, tmp_path, fake, fault):
    setup(cli, tmp_path, fake)
    fake.fail_next(fault)
    drift_and_finalize(cli)
    for minute in (5, 30, 59):  # later runs: reconcile by marker, or send
        cli.ok("worker", "--once", "--at", f"2026-03-01T06:{minute:02d}:00Z")
    assert len(fake.issues_in("jira", "SEC")) == 1
    case = show(cli)
    assert case["status"] == "open"
    assert len(case["tickets"]) == 1
    # The first attempt really failed and was retried: the fault did happen.
    assert [h["action"] for h in case["history"]].count("ticket_retry_scheduled") == 1


def test_rule_16_400_naming_a_field_puts_the_case_in_error_until_retried(cli, tmp_path, fake):
    setup(cli, tmp_path, fake)
    fake.fail_next(
        Fault.answer(
            400,
            {"errorMessages": [], "errors": {"customfield_10010": "Team is required."}},
            method="POST",
        )
    )
    drift_and_finalize(cli)
    case = show(cli)
    assert case["status"] == "error"
    assert "customfield_10010: Team is required." in case["error"]
    assert cli.ok("cases", "list", "--status", "error", "--json").json()[0]["id"] == 1
    cli.ok("worker", "--once", "--at", T.format(9))  # never retried by itself
    assert fake.issues_in("jira", "SEC") == []
    assert (
        cli.ok("cases", "retry", "1", "--at", T.format(10)).stdout
        == "Queued 1 ticket job of case #1 again.\n"
    )
    cli.ok("worker", "--once", "--at", T.format(10))
    assert len(fake.issues_in("jira", "SEC")) == 1
    assert (show(cli)["status"], show(cli)["error"]) == ("open", "")


def test_rule_18_401_is_not_retried_and_the_token_is_never_shown(cli, tmp_path, fake, monkeypatch):
    setup(cli, tmp_path, fake)
    monkeypatch.setenv("TRACKER_TOKEN", "wrong-token-secret-value")
    drift_and_finalize(cli)
    case = show(cli)
    assert case["status"] == "error"
    assert "credentials" in case["error"]
    everything = (
        cli.ok("cases", "show", "1").stdout
        + str(case)
        + cli.ok("integrations", "list").stdout
        + cli.ok("settings", "export").stdout
        + repr(dump(cli.db_url))  # every row of every table
    )
    assert "wrong-token-secret-value" not in everything and TOKEN not in everything
    assert "TRACKER_TOKEN" in everything  # the variable's name is kept, never its value


def test_missing_token_variable_is_a_clear_error(cli, tmp_path, fake, monkeypatch):
    setup(cli, tmp_path, fake)
    monkeypatch.delenv("TRACKER_TOKEN")
    drift_and_finalize(cli)
    assert show(cli)["error"] == "jira-it: environment variable TRACKER_TOKEN is not set"


def test_a_project_without_a_done_transition_reports_and_the_case_stays_closed(cli, tmp_path, fake):
    setup(cli, tmp_path, fake, destination="NODONE")
    drift_and_finalize(cli)
    cli.ok("cases", "close", "1", "--at", T.format(6))
    cli.ok("worker", "--once", "--at", T.format(6))
    case = show(cli)
    assert case["status"] == "closed"  # rule 12/13: the ticket's trouble never reopens a case
    assert fake.issues_in("jira", "NODONE")[0].closed is False
    assert any(
        "no transition to a done status" in h["detail"]
        for h in case["history"]
        if h["action"] == "ticket_error"
    )


def test_a_case_closed_before_its_ticket_was_sent_gets_none(cli, tmp_path, fake):
    setup(cli, tmp_path, fake)
    cli.ok("--ingest", "-", "--at", T.format(1), stdin=native({"h1": {"ssh": "fail"}}))
    cli.ok("--ingest", "-", "--at", T.format(5), stdin=native({"h1": {"ssh": "pass"}}))
    # The window closes at 05:00, the same moment the only asset was fixed: auto-closed first.
    cli.ok("worker", "--once", "--at", T.format(5))
    assert fake.issues_in("jira", "SEC") == []


def test_rule_17_tickets_respect_limits_for_5000_assets(cli, tmp_path, fake):
    setup(cli, tmp_path, fake)
    fleet = {f"host-{n:05d}": {"ssh": "pass"} for n in range(5000)}
    cli.ok("--ingest", "-", "--at", T.format(0), stdin=native(fleet))
    cli.ok("--ingest", "-", "--at", T.format(1), stdin=native({k: {"ssh": "fail"} for k in fleet}))
    cli.ok("worker", "--once", "--at", T.format(5))
    issue = fake.issues_in("jira", "SEC")[0]
    assert issue.title == "[HIGH] Title of ssh on 5000 assets"
    body = json.dumps(issue.body, ensure_ascii=False, separators=(",", ":"))  # as sent
    listed = len(re.findall(r"host-\d{5}", body))
    hidden = int(re.search(r"… and (\d+) more assets", body).group(1))
    assert listed + hidden == 5000 and listed > 0
    assert len(body) <= 32_767  # Jira's description limit, checked on what was sent


def test_email_integration_sends_one_message_per_case_and_never_closes(cli, tmp_path, monkeypatch):
    from tests.fakes.smtp import FakeSmtpServer

    with FakeSmtpServer() as smtp:
        cli.ok("--ingest", "-", "--at", T.format(0), stdin=native({"h1": {"ssh": "pass"}}))
        settings = tmp_path / "mail.toml"
        settings.write_text(
            "[[spaces.default.integrations]]\n"
            'name = "mail"\nkind = "email"\nproject = "secops@example.com"\n'
            "[spaces.default.integrations.options]\n"
            f'host = "127.0.0.1"\nport = {smtp.port}\nsecurity = "none"\n'
            'from_address = "casedesk@example.com"\n'
        )
        cli.ok("settings", "import", settings)
        cli.ok("--ingest", "-", "--at", T.format(1), stdin=native({"h1": {"ssh": "fail"}}))
        cli.ok("worker", "--once", "--at", T.format(5))
        cli.ok("cases", "close", "1", "--at", T.format(6))
        cli.ok("worker", "--once", "--at", T.format(6))
        assert len(smtp.messages) == 1
        message = smtp.messages[0].message
        assert message["Subject"] == "[HIGH] Title of ssh on 1 asset"
        assert message["To"] == "secops@example.com"
    assert [t["state"] for t in show(cli)["tickets"]] == ["open"]  # e-mail is never "closed"


def test_webhook_integration_posts_created_and_closed(cli, tmp_path, monkeypatch):
    from tests.fakes.webhook_receiver import FakeWebhookReceiver

    monkeypatch.setenv("HOOK_SECRET", "whsec_" + "c2VjcmV0LWtleS1mb3ItdGVzdHM=")
    with FakeWebhookReceiver() as receiver:
        cli.ok("--ingest", "-", "--at", T.format(0), stdin=native({"h1": {"ssh": "pass"}}))
        settings = tmp_path / "hook.toml"
        settings.write_text(
            "[[spaces.default.integrations]]\n"
            f'name = "hook"\nkind = "webhook"\nurl = "{receiver.url}"\nproject = "sec"\n'
            "[spaces.default.integrations.options]\n"
            'secret_env = "HOOK_SECRET"\n'
        )
        cli.ok("settings", "import", settings)
        cli.ok("--ingest", "-", "--at", T.format(1), stdin=native({"h1": {"ssh": "fail"}}))
        cli.ok("worker", "--once", "--at", T.format(5))
        cli.ok("cases", "close", "1", "--at", T.format(6))
        cli.ok("worker", "--once", "--at", T.format(6))
        assert [post.json()["type"] for post in receiver.delivered] == [
            "case.created",
            "case.closed",
        ]


def test_rule_15_two_databases_never_share_a_marker(cli, tmp_path, fake, capsys, monkeypatch):
    """Two installs backfilled from the same --at make the same space at the same time; a
    lost create in one must not adopt the other's ticket."""
    from tests.cli_runner import Casedesk

    other = Casedesk(f"sqlite:///{tmp_path / 'other.db'}", capsys, monkeypatch)
    for install in (cli, other):
        setup(install, tmp_path, fake, "github", "acme/app")
    drift_and_finalize(cli)
    fake.fail_next(Fault.drop(method="POST"))  # the other install's create is lost
    drift_and_finalize(other)
    other.ok("worker", "--once", "--at", T.format(6))  # searches for its marker, then sends
    issues = fake.issues_in("github", "acme/app")
    assert len(issues) == 2
    markers = [
        {label for label in issue.labels if label.startswith("casedesk-")} for issue in issues
    ]
    assert markers[0] != markers[1]
    keys = {show(install)["tickets"][0]["key"] for install in (cli, other)}
    assert keys == {issue.key for issue in issues}


def test_rule_15_spaces_older_than_the_seed_keep_their_markers():
    from datetime import UTC, datetime

    from store.models import Space
    from worker.dispatch import marker_for

    created = datetime(2026, 1, 5, 6, 0, tzinfo=UTC)
    old = Space(name="default", created_at=created, created_by="alice", marker_seed="")
    # The formula the first release used: sha256("default\0<created>\0<case id>").
    assert (
        marker_for(old, 7)
        == "casedesk-"
        + __import__("hashlib")
        .sha256(b"default\x002026-01-05T06:00:00+00:00\x007")
        .hexdigest()[:12]
    )
    seeded = Space(name="default", created_at=created, created_by="alice")
    assert len(seeded.marker_seed) == 32 and marker_for(seeded, 7) != marker_for(old, 7)


@pytest.mark.parametrize(
    "secret", ["SECRETTOKEN-abc\nsecond line", "tok-7f3a9\r\nX-Evil: 1", "tökén-ünïcode-SECRET"]
)
def test_rule_18_a_malformed_secret_is_a_permanent_error_that_never_shows_it(
    cli, tmp_path, fake, monkeypatch, secret
):
    setup(cli, tmp_path, fake)
    monkeypatch.setenv("TRACKER_TOKEN", secret)
    drift_and_finalize(cli)
    case = show(cli)
    assert case["status"] == "error"  # not retried forever: it can never work as it is
    assert case["error"] == (
        "jira-it: the secret in environment variable TRACKER_TOKEN contains a line break,"
        " a control or a non-ASCII character; write it again as one line"
    )
    assert fake.issues_in("jira", "SEC") == []
    everything = cli.ok("cases", "show", "1").stdout + repr(dump(cli.db_url))
    for part in filter(None, secret.replace("\r", "\n").split("\n")):
        assert part not in everything
