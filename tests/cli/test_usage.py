"""The command-line contract for bad usage: one line on stderr, exit 2, nothing written."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize(
    ("argv", "line"),
    [
        (["--bogus"], "casedesk: unrecognized arguments: --bogus (see 'casedesk --help')"),
        (
            ["--format", "nessus", "--ingest", "x.json"],
            "casedesk: argument --format: invalid choice: 'nessus'",
        ),
        (["--ingest"], "casedesk: argument --ingest: expected at least one argument"),
        (
            ["cases", "show", "99999999999999999999999"],
            "casedesk cases show: argument id: not a case id: '99999999999999999999999'",
        ),
        (["cases", "close", str(2**63)], "casedesk cases close: argument id: not a case id"),
        (["--space", "", "cases", "list"], "casedesk: --space needs a name"),
        (["cases", "list", "--space", " "], "casedesk: --space needs a name"),
        (["--user", "", "cases", "list"], "casedesk: --user needs a name"),
        (["--at", "9999-12-31T23:00:00Z", "worker", "--once"], "between 1970 and 2999"),
        (["--at", "1969-12-31T23:59:59Z", "worker", "--once"], "between 1970 and 2999"),
        (
            ["worker", "--once", "--space", "nospace"],
            "casedesk: the worker serves every space in the database; drop --space",
        ),
    ],
)
def test_bad_usage_is_one_line_and_exit_2(cli, tmp_path, argv, line):
    run = cli(*argv)
    assert run.code == 2
    assert run.stdout == ""
    lines = run.stderr.splitlines()
    assert len(lines) == 1 and line in lines[0], run.stderr
    assert not (tmp_path / "casedesk.db").exists()  # nothing written, not even a database


def test_the_largest_id_is_looked_up_not_crashed_on(cli, samples):
    cli.ok("--ingest", samples / "inspec/nginx-baseline-good.json")
    run = cli("cases", "show", str(2**63 - 1))
    assert (run.code, run.stderr) == (2, f"casedesk: no case #{2**63 - 1}\n")
