"""integrations add|remove|test|list, and cases create's destination (DESIGN rules 18, 19, 21).

`add` on an existing name changes only what it is given and never the kind; every setting is
validated for its kind before anything is written; a token pasted where its source belongs is
refused without being repeated; `remove` keeps the tickets of active cases unless forced.
"""

from __future__ import annotations

import json

import pytest

from tests.native import native

TOKEN = "ghp_R3alT0kenAbcdefghijklmnopqrstuvwx12"  # the shape of a GitHub classic token


@pytest.fixture
def space(cli):
    cli.ok("--ingest", "-", stdin=native({"h1": {"ssh": "pass"}}))
    return cli


def listing(cli) -> dict[str, dict]:
    return {row["name"]: row for row in cli.ok("integrations", "list", "--json").json()}


def export(cli) -> str:
    return cli.ok("settings", "export").stdout


def add_github(cli) -> None:
    cli.ok(
        "integrations",
        "add",
        "gh",
        "--kind",
        "github",
        "--url",
        "https://ghe.example.com",
        "--project",
        "acme/app",
        "--token-file",
        "/etc/casedesk/gh-token",
    )


# bug 1: add on an existing name ----------------------------------------------------------------


def test_add_on_an_existing_integration_changes_only_the_given_fields(space):
    add_github(space)
    assert space.ok(
        "integrations", "add", "gh", "--kind", "github", "--no-drift-tickets"
    ).stdout == ("Integration gh saved.\n")
    row = listing(space)["gh"]
    assert row["url"] == "https://ghe.example.com"
    assert row["project"] == "acme/app"
    assert row["token_file"] == "/etc/casedesk/gh-token"
    assert row["create_drift_tickets"] is False
    assert row["auto_close_tickets"] is True
    # --kind may be left out for an existing integration; the flag turns back on.
    space.ok("integrations", "add", "gh", "--drift-tickets", "--drift-destination", "acme/sec")
    row = listing(space)["gh"]
    assert (row["create_drift_tickets"], row["drift_destination"]) == (True, "acme/sec")
    assert row["project"] == "acme/app"
    again = space.ok("integrations", "add", "gh", "--drift-destination", "acme/sec")
    assert again.stdout == "Integration gh saved (unchanged).\n"


def test_naming_a_token_variable_replaces_the_token_file(space):
    add_github(space)
    space.ok("integrations", "add", "gh", "--token-env", "GH_TOKEN")
    row = listing(space)["gh"]
    assert (row["token_env"], row["token_file"], row["token_source"]) == (
        "GH_TOKEN",
        "",
        "env GH_TOKEN",
    )


def test_the_kind_of_an_existing_integration_never_changes(space):
    add_github(space)
    before = export(space)
    run = space("integrations", "add", "gh", "--kind", "gitlab")
    assert run.code == 2
    assert run.stderr == (
        "casedesk: gh is a github integration and its kind cannot change: remove it and add a "
        "new gitlab integration instead\n"
    )
    assert export(space) == before


def test_a_new_integration_needs_a_kind(space):
    run = space("integrations", "add", "new-one", "--project", "acme/app")
    assert run.code == 2
    assert "a new integration needs a kind" in run.stderr
    assert listing(space) == {}


def test_email_options_change_one_at_a_time(space, tmp_path):
    space.ok(
        "integrations",
        "add",
        "mail",
        "--kind",
        "email",
        "--project",
        "secops@example.com",
        "--option",
        "security=file",
        "--option",
        f"directory={tmp_path}",
        "--option",
        "read_timeout_seconds=2.5",
    )
    space.ok("integrations", "add", "mail", "--option", "concurrency=3")
    options = json.loads(json.dumps(_exported_options(space, "mail")))
    assert options == {
        "concurrency": 3,
        "directory": str(tmp_path),
        "read_timeout_seconds": 2.5,
        "security": "file",
    }
    space.ok("integrations", "add", "mail", "--option", "concurrency=")  # KEY= removes it
    assert "concurrency" not in _exported_options(space, "mail")


def _exported_options(cli, name: str) -> dict:
    import tomllib

    spaces = tomllib.loads(export(cli))["spaces"]
    [entry] = [i for i in spaces["default"]["integrations"] if i["name"] == name]
    return entry.get("options", {})


# bug 2: tokens where their source belongs -------------------------------------------------------


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [
        ("--token-env", TOKEN, "token_env must name an environment variable, not hold the token"),
        ("--token-env", "glpat-xY9zAbCdEfGh12345678", "not hold the token"),
        ("--token-env", "ATATT3xFfGF0Zk9", "not hold the token"),
        ("--token-env", "xoxb-1234-abcd", "not hold the token"),
        ("--token-env", "aB3dE5fG7hJ9kL1mN3pQ7rS9", "not hold the token"),
        ("--token-env", "MY TOKEN", "token_env must name an environment variable"),
        ("--token-env", "9LIVES", "token_env must name an environment variable"),
        ("--token-file", TOKEN, "token_file must be the path of a file holding the token"),
        ("--token-file", "relative/token", "token_file must be an absolute path"),
    ],
)
def test_a_token_or_a_bad_name_for_its_source_is_refused_without_repeating_it(
    space, option, value, message
):
    run = space(
        "integrations", "add", "gh", "--kind", "github", "--project", "acme/app", option, value
    )
    assert run.code == 2
    assert run.stderr.startswith("casedesk: integration 'gh': ")
    assert message in run.stderr
    assert value not in run.stderr
    assert run.stderr.count("\n") == 1
    assert listing(space) == {}


def test_an_ordinary_variable_name_is_accepted(space):
    space.ok(
        "integrations",
        "add",
        "gh",
        "--kind",
        "github",
        "--project",
        "acme/app",
        "--token-env",
        "CASEDESK_GITHUB_TOKEN_2024",
    )
    assert listing(space)["gh"]["token_source"] == "env CASEDESK_GITHUB_TOKEN_2024"


def test_a_token_stored_before_sources_were_checked_is_never_shown(space, db_url):
    add_github(space)
    from sqlalchemy import create_engine, text

    engine = create_engine(db_url)
    with engine.begin() as connection:
        connection.execute(
            text("UPDATE integration SET token_env = :t, token_file = '' WHERE name = 'gh'"),
            {"t": TOKEN},
        )
    engine.dispose()
    shown = space.ok("integrations", "list").stdout
    assert TOKEN not in shown and "secret from env (not a variable name)" in shown
    assert TOKEN not in space.ok("integrations", "list", "--json").stdout
    assert TOKEN not in export(space)
    tested = space("integrations", "test", "gh")
    assert tested.code == 1
    assert TOKEN not in tested.stderr
    assert "not an environment variable name" in tested.stderr
    # Changing anything else asks for the source to be fixed first; fixing it works.
    refused = space("integrations", "add", "gh", "--no-drift-tickets")
    assert refused.code == 2 and TOKEN not in refused.stderr
    space.ok("integrations", "add", "gh", "--token-env", "GH_TOKEN")
    assert listing(space)["gh"]["token_source"] == "env GH_TOKEN"


# bug 3: each kind is validated before it is saved -------------------------------------------------


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["j", "--kind", "jira"], "integration 'j': jira needs url"),
        (
            ["j", "--kind", "jira", "--url", "https://x.atlassian.net", "--token-env", "T"],
            "integration 'j': Jira Cloud needs the e-mail address the API token belongs to",
        ),
        (
            [
                "j",
                "--kind",
                "jira",
                "--url",
                "https://x.atlassian.net",
                "--email",
                "bot@example.com",
                "--project",
                "SEC",
            ],
            "integration 'j': jira token: name token_env or token_file",
        ),
        (
            [
                "j",
                "--kind",
                "jira",
                "--url",
                "https://x.atlassian.net",
                "--email",
                "bot@example.com",
                "--token-env",
                "T",
            ],
            "integration 'j': jira needs project (a project key)",
        ),
        (
            ["j", "--kind", "jira", "--url", "notaurl", "--email", "a@b.co", "--token-env", "T"],
            "integration 'j': jira url must be an absolute https:// URL",
        ),
        (
            ["j", "--kind", "jira", "--url", "javascript:alert(1)", "--token-env", "T"],
            "integration 'j': jira url must be an absolute https:// URL",
        ),
        (
            ["j", "--kind", "jira", "--url", "http://jira.example.com", "--token-env", "T"],
            "integration 'j': jira url for jira.example.com must use https",
        ),
        (
            [
                "j",
                "--kind",
                "jira",
                "--url",
                "https://bot:s3cret@jira.example.com",
                "--token-env",
                "T",
            ],
            "integration 'j': jira url must not carry a user or password",
        ),
        (
            ["w", "--kind", "webhook", "--url", "ftp://hooks.example.com/x", "--token-env", "T"],
            "integration 'w': webhook url must be an absolute https:// URL",
        ),
        (["w", "--kind", "webhook", "--token-env", "T"], "integration 'w': webhook needs url"),
        (
            ["w", "--kind", "webhook", "--url", "https://hooks.example.com/x"],
            "integration 'w': webhook secret: name token_env or token_file",
        ),
        (
            ["g", "--kind", "github", "--project", "notarepo", "--token-env", "T"],
            "integration 'g': project: GitHub destination must be owner/repo, not 'notarepo'",
        ),
        (
            ["g", "--kind", "gitlab", "--project", "a group/x", "--token-env", "T"],
            "integration 'g': project: GitLab destination must be a project id or group/project",
        ),
        (
            ["m", "--kind", "email", "--project", "not-an-email"],
            "integration 'm': project: e-mail recipient 'not-an-email' is not a valid address",
        ),
        (
            ["m", "--kind", "email", "--project", "a@b.c\r\nBcc: evil@x"],
            "integration 'm': project: e-mail recipient contains a line break or control",
        ),
        (
            ["m", "--kind", "email", "--project", "a@b.co", "--option", "port=abc"],
            "--option port must be a whole number",
        ),
        (
            ["m", "--kind", "email", "--project", "a@b.co", "--option", "port=70000"],
            "integration 'm': option port must be between 1 and 65535",
        ),
        (
            ["m", "--kind", "email", "--project", "a@b.co", "--option", "bogus=1"],
            "integration 'm': email has no option 'bogus'",
        ),
        (
            [
                "m",
                "--kind",
                "email",
                "--project",
                "a@b.co",
                "--option",
                "security=none",
                "--option",
                "host=smtp.example.com",
            ],
            "integration 'm': e-mail security 'none' sends in clear text",
        ),
        (
            ["m", "--kind", "email", "--project", "a@b.co", "--option", "username=bot"],
            "integration 'm': e-mail login needs a password: name password_env or password_file",
        ),
        (
            ["m", "--kind", "email", "--project", "a@b.co", "--option", f"password_env={TOKEN}"],
            "integration 'm': password_env must name an environment variable, not hold the token",
        ),
        (
            ["my int", "--kind", "email", "--project", "a@b.co"],
            "an integration name is 1-100 letters, digits, '.', '_' or '-'",
        ),
        (
            ["-x", "--kind", "email", "--project", "a@b.co"],
            "",  # argparse: an option, not a name
        ),
    ],
)
def test_bad_settings_are_refused_in_one_line_and_nothing_is_written(space, args, message):
    before = export(space)
    run = space("integrations", "add", *args)
    assert run.code == 2
    assert message in run.stderr
    assert run.stderr.count("\n") == 1 or not message
    assert export(space) == before


def test_good_settings_of_every_kind_are_saved(space, tmp_path):
    for args in (
        [
            "jira-sec",
            "--kind",
            "jira",
            "--url",
            "https://x.atlassian.net",
            "--project",
            "SEC",
            "--email",
            "bot@example.com",
            "--token-env",
            "JIRA_TOKEN",
        ],
        [
            "jira-dc",
            "--kind",
            "jira",
            "--url",
            "https://jira.corp.example/jira",
            "--flavor",
            "datacenter",
            "--project",
            "OPS",
            "--token-file",
            "/run/secrets/jira",
        ],
        ["gh", "--kind", "github", "--project", "acme/app.js", "--token-env", "GH"],
        ["gl", "--kind", "gitlab", "--project", "acme/sub/app", "--token-env", "GL"],
        ["gl-id", "--kind", "gitlab", "--project", "1234", "--token-env", "GL"],
        ["hook", "--kind", "webhook", "--url", "http://127.0.0.1:9/hook", "--token-env", "WH"],
        [
            "mail",
            "--kind",
            "email",
            "--project",
            "Sec Ops <secops@example.com>, b@example.org",
            "--option",
            "host=smtp.example.com",
            "--option",
            "port=587",
            "--option",
            "username=bot",
            "--option",
            "password_env=SMTP_PASSWORD",
        ],
    ):
        space.ok("integrations", "add", *args)
    assert sorted(listing(space)) == ["gh", "gl", "gl-id", "hook", "jira-dc", "jira-sec", "mail"]


# bug 5: remove keeps the tickets of active cases ----------------------------------------------


def _mail(cli, directory) -> None:
    cli.ok("settings", "set", "aggregation_window_hours", "0")
    cli.ok(
        "integrations",
        "add",
        "mail",
        "--kind",
        "email",
        "--project",
        "secops@example.com",
        "--option",
        "security=file",
        "--option",
        f"directory={directory}",
    )


def test_remove_refuses_while_a_ticket_job_waits_unless_forced(space, tmp_path):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    _mail(space, blocker / "mail")  # the e-mail cannot be written: the job fails, case in error
    space.ok("--ingest", "-", stdin=native({"h1": {"ssh": "fail"}}))
    [case] = space.ok("cases", "list", "--json").json()
    assert case["status"] == "error"
    before = export(space)
    run = space("integrations", "remove", "mail")
    assert run.code == 2
    assert run.stderr == (
        "casedesk: mail still has 1 queued or failed ticket job; removing it drops them "
        "(unsent tickets are never sent, open ones never closed): close those cases first, or "
        "remove with --force\n"
    )
    assert export(space) == before
    forced = space.ok("integrations", "remove", "mail", "--force")
    assert forced.stdout == "Removed integration mail; dropped 1 queued or failed ticket job.\n"
    assert listing(space) == {}


def test_remove_refuses_while_an_active_case_has_an_open_ticket(space, tmp_path):
    _mail(space, tmp_path / "mail")
    space.ok("--ingest", "-", stdin=native({"h1": {"ssh": "fail"}}))  # sends the e-mail too
    [case] = space.ok("cases", "list", "--json").json()
    assert [t["state"] for t in case["tickets"]] == ["open"]
    run = space("integrations", "remove", "mail")
    assert run.code == 2
    assert run.stderr.startswith("casedesk: mail still has 1 open ticket of active cases;")
    space.ok("cases", "close", case["id"])  # e-mail tickets stay open, but the case is closed
    assert space.ok("integrations", "remove", "mail").stdout == "Removed integration mail.\n"


def test_remove_of_an_idle_integration_needs_no_force(space):
    add_github(space)
    assert space.ok("integrations", "remove", "gh").stdout == "Removed integration gh.\n"
    assert space("integrations", "remove", "gh").code == 2


# bug 6: cases create checks the destination for the integration's kind ------------------------


@pytest.mark.parametrize(
    ("integration", "destination", "message"),
    [
        ("gh", "not a repo", "--destination for gh: GitHub destination must be owner/repo"),
        ("mail", "a@b.c\r\nBcc: evil@x", "--destination for mail: e-mail recipient contains"),
        ("mail", "nobody", "--destination for mail: e-mail recipient 'nobody' is not a valid"),
    ],
)
def test_cases_create_refuses_a_destination_its_integration_cannot_use(
    space, integration, destination, message
):
    add_github(space)
    space.ok("integrations", "add", "mail", "--kind", "email", "--project", "a@example.com")
    # "manual" is first seen failing: a baseline, no drift case; a person opens one by hand.
    space.ok("--ingest", "-", stdin=native({"h1": {"ssh": "pass", "manual": "fail"}}))
    run = space(
        "cases",
        "create",
        "--finding",
        "manual",
        "--asset",
        "h1",
        "--integration",
        integration,
        "--destination",
        destination,
    )
    assert run.code == 2
    assert message in run.stderr
    assert run.stderr.count("\n") == 1
    assert space.ok("cases", "list", "--status", "all", "--json").json() == []
    created = space.ok(
        "cases",
        "create",
        "--finding",
        "manual",
        "--asset",
        "h1",
        "--integration",
        "gh",
        "--destination",
        "acme/other",
        "--json",
    ).json()
    assert created["status"] == "open"


# bug 7: test of no such integration is bad input ---------------------------------------------


def test_testing_an_integration_that_does_not_exist_is_bad_input(space):
    run = space("integrations", "test", "nope")
    assert run.code == 2
    assert run.stderr == "casedesk: no integration called 'nope' in space 'default'\n"


# Roles and the rest of the command line --------------------------------------------------------


def test_rule_19_a_viewer_may_not_test_an_integration(space):
    add_github(space)
    run = space("--user", "mallory", "integrations", "test", "gh")  # not a member: viewer
    assert run.code == 3
    assert run.stderr == (
        "casedesk: not allowed: testing integrations needs the editor role; mallory is viewer"
        " in space 'default'\n"
    )


def test_settings_set_echoes_the_value_as_stored(space):
    assert space.ok("settings", "set", "auto_create_drift_cases", "no").stdout == (
        "auto_create_drift_cases = false\n"
    )


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [
        ("--title", "T" * 256, "casedesk: title too long: at most 255 characters\n"),
        (
            "--title",
            "Disk full\nBcc: evil@x",
            "casedesk: title must not contain control characters or line breaks\n",
        ),
        ("--notes", "n" * 10_001, "casedesk: notes too long: at most 10,000 characters\n"),
        ("--notes", "bell\x07", "casedesk: notes must not contain control characters\n"),
    ],
)
def test_a_manual_case_title_and_notes_are_checked(space, option, value, message):
    run = space("cases", "create", "--finding", "ssh", "--asset", "h1", option, value)
    assert (run.code, run.stderr) == (2, message)
    assert space.ok("cases", "list", "--status", "all", "--json").json() == []


def test_actions_answer_in_json_when_asked(space):
    assert space.ok("members", "add", "bob", "--role", "editor", "--json").json() == {
        "user": "bob",
        "role": "editor",
        "changed": True,
    }
    assert space.ok("settings", "set", "aggregation_window_hours", "3", "--json").json() == {
        "key": "aggregation_window_hours",
        "value": 3,
        "changed": True,
    }
    add = ["integrations", "add", "mail", "--kind", "email", "--project", "sec@example.com"]
    assert space.ok(*add, "--json").json() == {"name": "mail", "changed": True}
    assert space.ok("integrations", "remove", "mail", "--json").json() == {
        "name": "mail",
        "removed": True,
        "dropped": "",
    }
    # No integration and nothing due: the round's counts are all zero, tickets included.
    assert space.ok("worker", "--once", "--json").json() == {
        "cases": {"created": 0, "joined": 0, "finalized": 0, "closed": 0},
        "tickets": {"created": 0, "closed": 0, "retried": 0, "failed": 0, "skipped": 0},
    }
