"""settings show/set/export/import: TOML of DESIGN.md, validated as a whole, idempotent."""

from __future__ import annotations

import tomllib

import pytest

from tests.native import native

FULL = """\
[spaces.default.settings]
auto_create_drift_cases = true
aggregation_window_hours = 8
auto_close_cases_when_fixed = false
default_role = "viewer"

[spaces.default.members]
alice = "owner"
bob = "editor"

[[spaces.default.integrations]]
name = "jira-sec"
kind = "jira"
url = "https://example.atlassian.net"
flavor = "cloud"
email = "bot@example.com"
token_env = "CASEDESK_JIRA_TOKEN"
project = "SEC"
issue_type = "Task"
auto_close_tickets = true
create_drift_tickets = true
drift_destination = "SEC"
"""


@pytest.fixture
def space(cli):
    cli.ok("--ingest", "-", stdin=native({"h": {"a": "pass"}}))
    return cli


def test_settings_show_has_mondoos_defaults(space):
    assert space.ok("settings", "show", "--json").json() == {
        "space": "default",
        "auto_create_drift_cases": True,
        "aggregation_window_hours": 4,
        "auto_close_cases_when_fixed": True,
        "default_role": "viewer",
    }


def test_settings_set_validates_values(space):
    assert space("settings", "set", "aggregation_window_hours", "-1").code == 2
    assert space("settings", "set", "aggregation_window_hours", "four").code == 2
    assert space("settings", "set", "auto_close_cases_when_fixed", "maybe").code == 2
    assert space.ok("settings", "set", "auto_close_cases_when_fixed", "off").stdout == (
        "auto_close_cases_when_fixed = false\n"
    )
    assert space.ok("settings", "show", "--json").json()["auto_close_cases_when_fixed"] is False


def test_import_applies_the_file_and_twice_changes_nothing(space, tmp_path):
    path = tmp_path / "s.toml"
    path.write_text(FULL)
    assert space.ok("settings", "import", path).stdout == f"Imported {path}: 4 changes.\n"
    assert space.ok("settings", "import", path).stdout == f"Imported {path}: 0 changes.\n"
    exported = tomllib.loads(space.ok("settings", "export").stdout)
    assert exported["spaces"]["default"]["settings"]["aggregation_window_hours"] == 8
    assert exported["spaces"]["default"]["members"] == {"alice": "owner", "bob": "editor"}
    assert exported["spaces"]["default"]["integrations"][0]["token_env"] == "CASEDESK_JIRA_TOKEN"


def test_export_then_import_round_trips(space, tmp_path):
    path = tmp_path / "s.toml"
    path.write_text(FULL)
    space.ok("settings", "import", path)
    exported = tmp_path / "exported.toml"
    exported.write_text(space.ok("settings", "export").stdout)
    assert space.ok("settings", "import", exported).stdout.endswith(": 0 changes.\n")


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (
            ("aggregation_window_hours = 8", 'aggregation_window_hours = "8"'),
            "line 3: aggregation_window_hours must be a whole number of hours",
        ),
        (
            ('default_role = "viewer"', 'default_role = "viewer"\ncolour = "red"'),
            "line 6: unknown setting 'colour'",
        ),
        (
            ('token_env = "CASEDESK_JIRA_TOKEN"', 'token = "abc123secret"'),
            "line 17: token would put a secret in the file",
        ),
        (('kind = "jira"', 'kind = "trello"'), "line 13: kind must be one of"),
        (('bob = "editor"', 'bob = "admin"'), "line 9: member 'bob' needs a role"),
        (
            ("auto_close_tickets = true", 'auto_close_tickets = "yes"'),
            "line 20: auto_close_tickets must be true or false",
        ),
    ],
)
def test_a_bad_file_names_the_line_and_applies_nothing(space, tmp_path, edit, message):
    path = tmp_path / "s.toml"
    path.write_text(FULL.replace(*edit))
    before = space.ok("settings", "export").stdout
    run = space("settings", "import", path)
    assert run.code == 2
    assert message in run.stderr
    assert "abc123secret" not in run.stderr
    assert space.ok("settings", "export").stdout == before


def test_import_needs_the_roles_it_touches(space, tmp_path, monkeypatch):
    path = tmp_path / "s.toml"
    path.write_text(FULL)
    monkeypatch.setenv("CASEDESK_USER", "bob")  # not a member yet: viewer
    run = space("settings", "import", path)
    assert run.code == 3
    monkeypatch.setenv("CASEDESK_USER", "alice")
    assert space.ok("settings", "show", "--json").json()["aggregation_window_hours"] == 4
