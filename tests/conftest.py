"""Shared test fixtures: where the real scanner reports are, isolated data directories."""

from __future__ import annotations

from pathlib import Path

import pytest

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SAMPLES = PROJECT_ROOT.parent / "shared" / "scan-samples"


@pytest.fixture(scope="session")
def samples() -> Path:
    """The real reports in ../shared/scan-samples (read in place, never copied)."""
    if not SAMPLES.is_dir():
        pytest.fail(f"scan samples not found at {SAMPLES}")
    return SAMPLES


@pytest.fixture(autouse=True)
def isolated_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No test reads the developer's config, database or user name."""
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("CASEDESK_USER", "alice")
    for name in ("CASEDESK_DB", "CASEDESK_CONFIG"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    """A fresh SQLite database file for one test."""
    return f"sqlite:///{tmp_path / 'casedesk.db'}"


@pytest.fixture
def cli(db_url: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch):
    """The casedesk command line, in-process, on a fresh database."""
    from tests.cli_runner import Casedesk

    return Casedesk(db_url, capsys, monkeypatch)
