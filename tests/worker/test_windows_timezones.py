"""Windows are UTC arithmetic: the same under any TZ of the process and across a DST change."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.conftest import PROJECT_ROOT
from tests.native import native

SCRIPT = """
import sys, json
from casedesk.cli import main
db, zone = sys.argv[1], sys.argv[2]
def run(*args, stdin=None):
    import io, contextlib
    out = io.StringIO()
    if stdin is not None:
        sys.stdin = io.TextIOWrapper(io.BytesIO(stdin))
    with contextlib.redirect_stdout(out):
        code = main(["--db", db, *args])
    assert code == 0, (args, code)
    return out.getvalue()
good, bad = sys.stdin.buffer.read().split(b"\\n---\\n")
run("--ingest", "-", "--at", "2026-03-08T01:30:00-05:00", stdin=good)   # New York, before DST
run("--ingest", "-", "--at", "2026-03-08T01:45:00-05:00", stdin=bad)    # drift: window 4 h
statuses = []
for moment in ("2026-03-08T06:44:59-04:00", "2026-03-08T06:45:00-04:00"):  # after DST
    run("worker", "--once", "--at", moment)
    statuses.append(json.loads(run("cases", "list", "--status", "all", "--json"))[0]["status"])
detail = json.loads(run("cases", "show", "1", "--json"))
print(json.dumps({"statuses": statuses, "closes": detail["window_closes_at"]}))
"""


@pytest.mark.parametrize("zone", ["UTC", "Asia/Seoul", "America/New_York"])
def test_windows_are_the_same_under_any_timezone_and_across_dst(tmp_path, zone):
    # 01:45 EST = 06:45 UTC; + 4 h = 10:45 UTC = 06:45 EDT (the clocks jumped at 02:00).
    # Local wall-clock arithmetic would close at 05:45 EDT, an hour early.
    stdin = native({"h": {"ssh": "pass"}}) + b"\n---\n" + native({"h": {"ssh": "fail"}})
    env = {**os.environ, "TZ": zone, "CASEDESK_USER": "alice", "HOME": str(tmp_path)}
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT, f"sqlite:///{tmp_path / 'tz.db'}", zone],
        input=stdin,
        capture_output=True,
        cwd=PROJECT_ROOT,
        env=env,
        check=True,
    )
    assert result.stdout.decode().strip() == (
        '{"statuses": ["pending", "open"], "closes": "2026-03-08T10:45:00+00:00"}'
    )
