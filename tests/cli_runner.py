"""Run the ``casedesk`` command in-process, as a user would type it, and capture what it says."""

from __future__ import annotations

import io
import json
import sys
from dataclasses import dataclass
from typing import Any

import pytest

from casedesk.cli import main


@dataclass
class Run:
    code: int
    stdout: str
    stderr: str

    def json(self) -> Any:
        return json.loads(self.stdout)


class Casedesk:
    """``casedesk`` bound to one database: ``cli("--ingest", path, "--json")``."""

    def __init__(
        self, db_url: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
    ):
        self.db_url = db_url
        self.capsys = capsys
        self.monkeypatch = monkeypatch

    def __call__(self, *args: object, stdin: bytes | None = None) -> Run:
        argv = ["--db", self.db_url, *map(str, args)]
        if stdin is not None:
            fake = io.TextIOWrapper(io.BytesIO(stdin))
            self.monkeypatch.setattr(sys, "stdin", fake)
        self.capsys.readouterr()
        code = main(argv)
        captured = self.capsys.readouterr()
        return Run(code, captured.out, captured.err)

    def ok(self, *args: object, stdin: bytes | None = None) -> Run:
        """Run and insist on exit 0 (the failure message shows stderr)."""
        run = self(*args, stdin=stdin)
        assert run.code == 0, f"exit {run.code}: {run.stderr}"
        return run

    def ingest_json(self, *args: object, stdin: bytes | None = None) -> dict[str, Any]:
        return self.ok("--ingest", *args, "--json", stdin=stdin).json()
