"""The app in real pseudo-terminals of the kinds people SSH in with, at the sizes they use."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import SAMPLES
from tests.terminal import Terminal, casedesk_env

GOOD = SAMPLES / "inspec/nginx-baseline-good.json"
BAD = SAMPLES / "inspec/nginx-baseline-bad.json"


@pytest.fixture
def drifted(cli, tmp_path: Path) -> dict[str, str]:
    """Three drift cases (V-13724, V-13727, V-13732, worked out from the two reports)."""
    cli.ok("--ingest", GOOD, "--asset", "web-1", "--at", "2026-03-01T00:00:00Z")
    cli.ok("--ingest", BAD, "--asset", "web-1", "--at", "2026-03-01T01:00:00Z")
    return casedesk_env(tmp_path, cli.db_url)


@pytest.mark.parametrize(
    ("term", "columns", "lines", "no_color"),
    [
        ("xterm", 80, 24, False),
        ("screen", 120, 40, False),
        ("linux", 80, 24, False),
        ("xterm-256color", 200, 60, False),
        ("xterm-256color", 80, 24, True),
    ],
)
def test_the_case_list_paints_and_quits_in_every_terminal(
    drifted, tmp_path, term, columns, lines, no_color
):
    env = {**drifted, "TERM": term}
    if no_color:
        env["NO_COLOR"] = "1"
    terminal = Terminal(
        ["--at", "2026-03-01T02:00:00Z"], env=env, cwd=tmp_path, columns=columns, lines=lines
    )
    try:
        screen = terminal.wait_for("Open cases (3)")
        assert "Closed cases (0)" in screen
        terminal.wait_for("3 cases · sorted by created")
        terminal.press("q")
        assert terminal.wait_exit() == 0
    finally:
        terminal.close()
