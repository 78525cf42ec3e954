"""Shared test fixtures: where the real scanner reports are, isolated data directories."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from functools import lru_cache
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


#: The PostgreSQL the store, worker and ticket suites also run against (DESIGN.md: same code).
PG_SERVER = os.environ.get(
    "CASEDESK_TEST_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
#: Test folders whose tests run on both databases.
BOTH_DATABASES = ("store", "worker")


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "db_backend" not in metafunc.fixturenames:
        return
    folder = Path(str(metafunc.definition.path)).parent.name
    if folder in BOTH_DATABASES and not metafunc.definition.get_closest_marker("sqlite_only"):
        metafunc.parametrize("db_backend", ["sqlite", "postgresql"])


@pytest.fixture
def db_backend() -> str:
    """sqlite, unless the test's folder runs on both databases (see pytest_generate_tests)."""
    return "sqlite"


@lru_cache(maxsize=1)
def _postgres_problem() -> str | None:
    """Why PostgreSQL cannot be used, or None when it can."""
    from sqlalchemy import create_engine, text

    try:
        engine = create_engine(PG_SERVER, connect_args={"connect_timeout": 3})
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        engine.dispose()
    except Exception as error:  # any failure to connect means: not here
        return f"{type(error).__name__}: {str(error).splitlines()[0][:200]}"
    return None


@pytest.fixture
def db_url(tmp_path: Path, db_backend: str) -> Iterator[str]:
    """A fresh database for one test: a SQLite file, or a PostgreSQL schema of its own."""
    if db_backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'casedesk.db'}"
        return
    problem = _postgres_problem()
    if problem is not None:
        if os.environ.get("CI"):
            pytest.fail(f"PostgreSQL at {PG_SERVER} is required in CI: {problem}")
        pytest.skip(f"PostgreSQL at {PG_SERVER} unreachable ({problem})")
    from sqlalchemy import create_engine, text

    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(PG_SERVER)
    with admin.begin() as connection:
        connection.execute(text(f"CREATE SCHEMA {schema}"))
    yield f"{PG_SERVER}?options=-csearch_path%3D{schema}"
    with admin.begin() as connection:
        connection.execute(text(f"DROP SCHEMA {schema} CASCADE"))
    admin.dispose()


@pytest.fixture
def cli(db_url: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch):
    """The casedesk command line, in-process, on a fresh database."""
    from tests.cli_runner import Casedesk

    return Casedesk(db_url, capsys, monkeypatch)
