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
            ["--ingest", "worker"],
            "casedesk: worker: no such file (--ingest takes every word after it as a file;"
            " run `casedesk worker` as its own command)",
        ),
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
def test_bad_usage_is_one_line_and_exit_2(cli, tmp_path, monkeypatch, argv, line):
    monkeypatch.chdir(tmp_path)  # an empty folder, as a cron job's would be
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


def test_a_database_in_a_folder_that_does_not_exist_is_refused(tmp_path):
    from casedesk.cli import main

    missing = tmp_path / "typo" / "casedesk.db"
    assert main(["--db", f"sqlite:///{missing}", "cases", "list"]) == 2
    assert not (tmp_path / "typo").exists()


def test_a_reader_that_stops_early_ends_the_listing_quietly(cli, tmp_path):
    import os
    import subprocess
    import sys

    from tests.native import native

    hosts = {f"host-{n:04d}": {"ssh": "pass"} for n in range(1500)}
    cli.ok("--ingest", "-", "--at", "2026-03-01T00:00:00Z", stdin=native(hosts))
    cli.ok("settings", "set", "aggregation_window_hours", "0")
    failing = {host: {"ssh": "fail"} for host in hosts}
    cli.ok("--ingest", "-", "--at", "2026-03-01T01:00:00Z", stdin=native(failing))
    env = {**os.environ, "CASEDESK_DB": cli.db_url}
    # 1,500 rows are far more than a pipe holds, so casedesk is still writing when head exits.
    result = subprocess.run(
        f"{sys.executable} -m casedesk.cli cases list | head -1",
        shell=True,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.stdout.count("\n") == 1
    assert result.stderr == ""
