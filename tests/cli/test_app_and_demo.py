"""``casedesk`` (the app) and ``casedesk demo`` as a user starts them: in a pipe, in a terminal."""

from __future__ import annotations

from email import message_from_bytes
from email.policy import default as default_policy
from pathlib import Path

import pytest

from tests.terminal import Terminal, casedesk_env


def _mail_folder(tmp_path: Path) -> Path:
    return tmp_path / "data" / "casedesk" / "demo-mail"


def test_no_command_without_a_terminal_says_so_in_one_line_and_creates_nothing(cli, tmp_path):
    run = cli()
    assert run.code == 2
    assert run.stderr.count("\n") == 1
    assert "needs a terminal" in run.stderr
    assert not (tmp_path / "casedesk.db").exists()


def test_demo_builds_a_space_with_mail_tickets_then_reuses_it(cli, tmp_path):
    first = cli.ok("demo")
    assert "Building the demo space 'demo'" in first.stdout
    assert "Not a terminal, so the app stays closed" in first.stdout
    cases = cli.ok("cases", "list", "--space", "demo", "--status", "all", "--json").json()
    # Cases that opened got exactly one e-mail ticket; pending ones wait for their window.
    opened = [case for case in cases if case["status"] in ("open", "closed")]
    assert opened, "the demo's drift history opens cases"
    assert any(case["status"] == "pending" for case in cases)
    assert all(
        [(t["integration"], t["state"]) for t in case["tickets"]] == [("demo-mail", "open")]
        for case in opened
    )
    assert all(case["tickets"] == [] for case in cases if case["status"] == "pending")
    # One .eml file per ticket, each carrying its case's marker.
    files = sorted(_mail_folder(tmp_path).glob("*.eml"))
    assert len(files) == len(opened)
    messages = [message_from_bytes(path.read_bytes(), policy=default_policy) for path in files]
    # Message-ID is <marker.CASE_ID@host>: one message per opened case, titled as the case.
    by_case = {int(m["Message-ID"].split("@")[0].rsplit(".", 1)[1]): m for m in messages}
    assert sorted(by_case) == sorted(case["id"] for case in opened)
    assert all(by_case[case["id"]]["Subject"].strip() == case["title"] for case in opened)
    assert all(oct(path.stat().st_mode & 0o777) == "0o600" for path in files)

    again = cli.ok("demo", "--no-app")
    assert "Reusing the demo space 'demo'" in again.stdout
    assert len(
        cli.ok("cases", "list", "--space", "demo", "--status", "all", "--json").json()
    ) == len(cases)
    assert len(list(_mail_folder(tmp_path).glob("*.eml"))) == len(opened)


def test_an_unknown_key_in_the_keys_table_is_refused_with_its_name(cli, tmp_path):
    config = tmp_path / "casedesk.toml"
    config.write_text('[keys]\n"cases.explode" = "x"\n')
    run = cli("--config", config, "cases", "list")
    assert run.code == 2
    assert "keys.cases.explode is not a command" in run.stderr
    config.write_text('[keys]\n"app.quit" = "ctrl+q; rm -rf"\n')
    run = cli("--config", config, "cases", "list")
    assert run.code == 2
    assert "keys.app.quit must be key names" in run.stderr


@pytest.fixture
def terminal_env(tmp_path: Path) -> dict[str, str]:
    return casedesk_env(tmp_path, f"sqlite:///{tmp_path / 'casedesk.db'}")


def test_demo_in_a_terminal_opens_the_app_and_a_remapped_key_quits_it(cli, tmp_path, terminal_env):
    cli.ok("demo", "--no-app")  # build first, so the terminal part only measures the app
    config = tmp_path / "casedesk.toml"
    config.write_text('[keys]\n"app.quit" = "x"\n')
    terminal = Terminal(["--config", str(config), "demo"], env=terminal_env, cwd=tmp_path)
    try:
        screen = terminal.wait_for("Open cases (")
        assert "space demo" in screen
        assert "alice (owner)" in screen
        terminal.press("q")  # no longer the quit key
        assert terminal.wait_exit(1.5) is None
        terminal.press("x")
        assert terminal.wait_exit() == 0
    finally:
        terminal.close()


def test_demo_findings_never_rate_against_their_score():
    from casedesk.fleet import SCORE_BANDS, Fleet

    findings = Fleet(assets=1, checks=300, vulnerabilities=60).findings()
    assert {f["severity"] for f in findings} == set(SCORE_BANDS)  # every rating occurs
    for finding in findings:
        low, high = SCORE_BANDS[finding["severity"]]
        assert low <= finding["score"] <= high, finding
