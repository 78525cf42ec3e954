"""The install config: the example is valid, its [spaces] block seeds a new database once."""

from __future__ import annotations

from tests.conftest import PROJECT_ROOT

EXAMPLE = PROJECT_ROOT / "config.example.toml"


def test_the_example_config_seeds_a_new_database_with_its_spaces(cli):
    settings = cli.ok("--config", EXAMPLE, "settings", "show", "--json").json()
    assert settings == {
        "space": "default",
        "auto_create_drift_cases": True,
        "aggregation_window_hours": 4,
        "auto_close_cases_when_fixed": True,
        "default_role": "viewer",
    }
    members = cli.ok("--config", EXAMPLE, "members", "list").stdout.split("\n")
    # alice (the acting user) created the database and is owner; bob comes from the block.
    assert sorted(line.split() for line in members if line) == [
        ["editor", "bob"],
        ["owner", "alice"],
    ]
    listing = cli.ok("--config", EXAMPLE, "integrations", "list").stdout
    assert "jira-sec" in listing and "secret from env CASEDESK_JIRA_TOKEN; auto-close" in listing
    assert "secops-mail" in listing
    assert "secret from env CASEDESK_SMTP_PASSWORD; keep-open" in listing  # e-mail never closes


def test_the_spaces_block_is_not_applied_again_once_a_space_exists(cli):
    cli.ok("--config", EXAMPLE, "settings", "set", "aggregation_window_hours", "12")
    cli.ok("--config", EXAMPLE, "members", "remove", "bob")
    again = cli.ok("--config", EXAMPLE, "settings", "show", "--json").json()
    assert again["aggregation_window_hours"] == 12
    assert "bob" not in cli.ok("--config", EXAMPLE, "members", "list").stdout


def test_a_bad_spaces_block_is_refused_in_one_line_and_creates_no_space(cli, tmp_path):
    config = tmp_path / "casedesk.toml"
    config.write_text('[spaces.default.settings]\naggregation_window_hours = "soon"\n')
    run = cli("--config", config, "settings", "show")
    assert run.code == 2
    assert run.stderr.startswith("casedesk: config [spaces]: ")
    assert "aggregation_window_hours" in run.stderr
    assert run.stderr.count("\n") == 1
    fine = tmp_path / "fine.toml"
    fine.write_text("worker_interval_seconds = 5\n")
    assert cli("--config", fine, "settings", "show").code == 2  # no space: nothing applied
