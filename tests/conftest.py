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
