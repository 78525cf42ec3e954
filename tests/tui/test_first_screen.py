"""The first screen, read with sqlite3 before the data layer loads (worker/first_screen.py).

It must say exactly what the case service says, step aside for anything unusual, and let the
app paint before the engine opens; what is written after it was read must still show.
"""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
import sys
import threading
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine

from tests.conftest import PROJECT_ROOT
from tests.tui.conftest import NOW, frozen, settle
from tui.app import CasedeskApp
from tui.paging import PAGE_SIZE
from tui.screens.case_detail import CaseScreen
from tui.widgets.case_table import CaseTable
from worker.case_service import CaseService
from worker.first_screen import read_first_screen, sqlite_path

pytestmark = pytest.mark.anyio


def url_of(engine: Engine) -> str:
    return f"sqlite:///{engine.url.database}"


def service_answer(engine: Engine, user: str, space: str | None, page_size: int):  # type: ignore[no-untyped-def]
    service = CaseService(engine, user)
    name = space or "default"
    return (
        name,
        service.role(space),
        service.count_cases(space, "active"),
        service.count_cases(space, "closed"),
        tuple(service.list_case_page(space, "active", limit=page_size)),
        service.data_version(),
    )


def first_answer(engine: Engine, user: str, space: str | None, page_size: int):  # type: ignore[no-untyped-def]
    first = read_first_screen(url_of(engine), user, space, page_size=page_size)
    assert first is not None
    assert first.page_size == page_size
    return first.space, first.role, first.active, first.closed, first.rows, first.version


@pytest.mark.parametrize("user", ["alice", "bob", "carol", "mallory"])
@pytest.mark.parametrize("space", [None, "default"])
@pytest.mark.parametrize("page_size", [1, 5, PAGE_SIZE])
def test_first_screen_reads_what_the_case_service_reads(engine, user, space, page_size):
    # The built space: 12 open/pending/error cases and 2 closed, tickets on some, assets fixed
    # on some; alice owner, bob editor, carol viewer, mallory no member (the default role).
    assert first_answer(engine, user, space, page_size) == service_answer(
        engine, user, space, page_size
    )


def test_first_screen_matches_by_hand_worked_values(engine):
    first = read_first_screen(url_of(engine), "bob", None, page_size=PAGE_SIZE)
    assert first is not None
    assert (first.space, first.role, first.active, first.closed) == ("default", "editor", 12, 2)
    assert [row.id for row in first.rows] == [14, 13, 12, 11, 10, 9, 8, 7, 5, 4, 3, 1]
    ssh = next(row for row in first.rows if row.id == 1)
    # SSH root login drifted on 6 hosts; web-1 and web-2 were fixed.
    assert (ssh.finding, ssh.rating, ssh.fixed, ssh.assets) == ("ssh-root-login", "critical", 2, 6)
    assert ssh.created_at.tzinfo is not None and ssh.created_at.utcoffset() == timedelta(0)


def test_first_screen_follows_the_default_role_and_the_oldest_space(engine):
    path = Path(engine.url.database)
    with sqlite3.connect(path) as db:
        db.execute("UPDATE space SET name = 'prod'")
        db.execute("UPDATE space_settings SET default_role = 'editor'")
    first = read_first_screen(url_of(engine), "mallory", None, page_size=3)
    assert first is not None
    assert (first.space, first.role) == ("prod", "editor")
    assert (
        first_answer(engine, "mallory", None, 3)[1:]
        == service_answer(engine, "mallory", None, 3)[1:]
    )


def test_first_screen_leaves_unusual_databases_to_the_ordinary_path(engine, tmp_path):
    url = url_of(engine)
    path = Path(engine.url.database)
    missing = tmp_path / "nowhere.db"
    assert read_first_screen(f"sqlite:///{missing}", "alice", None, page_size=10) is None
    assert not missing.exists()  # never creates a database
    assert read_first_screen("postgresql://127.0.0.1/test", "alice", None, page_size=10) is None
    assert read_first_screen(url + "?timeout=5", "alice", None, page_size=10) is None
    assert read_first_screen("sqlite://", "alice", None, page_size=10) is None
    assert read_first_screen(url, "alice", "no-such-space", page_size=10) is None
    assert read_first_screen(url, "alice", None, page_size=0) is None
    garbage = tmp_path / "garbage.db"
    garbage.write_bytes(b"not a database at all\x00" * 100)
    assert read_first_screen(f"sqlite:///{garbage}", "alice", None, page_size=10) is None
    older = tmp_path / "older.db"
    shutil.copy(path, older)
    with sqlite3.connect(older) as db:
        db.execute("UPDATE alembic_version SET version_num = '0005'")
    assert read_first_screen(f"sqlite:///{older}", "alice", None, page_size=10) is None


def test_sqlite_path_reads_only_the_plain_form(tmp_path):
    assert sqlite_path(f"sqlite:///{tmp_path}/a.db") == tmp_path / "a.db"
    assert sqlite_path("sqlite:///relative.db") == Path("relative.db")
    assert sqlite_path("sqlite:///~/x.db") == Path("~/x.db").expanduser()
    assert sqlite_path("sqlite:///:memory:") is None
    assert sqlite_path("sqlite:///a%20b.db") is None
    assert sqlite_path("sqlite+pysqlite:///a.db") is None


async def test_the_app_paints_the_first_screen_before_the_engine_opens(engine):
    first = read_first_screen(url_of(engine), "carol", None, page_size=PAGE_SIZE)
    opening = threading.Event()
    release = threading.Event()

    def open_services() -> tuple[Engine, None]:
        opening.set()
        release.wait(timeout=30)
        return engine, None

    app = CasedeskApp(
        None,
        "carol",
        None,
        frozen,
        worker_interval=None,
        refresh_interval=None,
        open_services=open_services,
        first_screen=first,
    )
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        table = app.screen.query_one(CaseTable)
        # Rows, counts and the role are on screen while the engine is still being opened.
        assert not release.is_set()
        assert [table.pager.row(i).id for i in range(3)] == [14, 13, 12]
        assert "Ensure audit logging" in table.render_line(1).text
        labels = [str(tab.label) for tab in app.screen.query_one("#case-tabs").query("Tab")]
        assert labels == ["Open cases (12)", "Closed cases (2)"]
        assert app.role == "viewer" and not app.can_edit
        assert opening.wait(timeout=10)  # the data layer loads once the screen is painted
        release.set()
        await settle(pilot)
        assert app.context_error is None and app.role == "viewer"
        await pilot.press("enter")  # the services are there: the case page opens
        await settle(pilot)
        assert isinstance(app.screen, CaseScreen)


async def test_a_change_after_the_first_read_shows_with_no_key_pressed(engine):
    first = read_first_screen(url_of(engine), "alice", None, page_size=PAGE_SIZE)
    assert first is not None and first.active == 12
    CaseService(engine, "alice").close(14, now=NOW, reason="written after the first read")
    app = CasedeskApp(
        None,
        "alice",
        None,
        frozen,
        worker_interval=None,
        refresh_interval=0.1,
        open_services=lambda: (engine, None),
        first_screen=first,
    )
    async with app.run_test(size=(80, 24)) as pilot:
        for _ in range(50):
            await pilot.pause(0.1)
            await settle(pilot)
            table = app.screen.query_one(CaseTable)
            if table.pager.total == 11:
                break
        assert table.pager.total == 11
        assert table.pager.row(0).id == 13
        labels = [str(tab.label) for tab in app.screen.query_one("#case-tabs").query("Tab")]
        assert labels == ["Open cases (11)", "Closed cases (3)"]


def test_the_app_starts_without_loading_the_data_layer(engine):
    # What `casedesk` imports up to the first paint: none of SQLAlchemy, SQLModel, pydantic or
    # httpx (they cost more than half a second; docs/performance.md).
    script = (
        "import sys\n"
        "import casedesk.cli, casedesk.app_command, tui.app, tui.screens.cases\n"
        "from worker.first_screen import read_first_screen\n"
        f"assert read_first_screen({url_of(engine)!r}, 'alice', None, page_size=100)\n"
        "heavy = ('sqlalchemy', 'sqlmodel', 'pydantic', 'httpx', 'alembic')\n"
        "print(sorted(name for name in heavy if name in sys.modules))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert done.stdout.strip() == "[]"


def test_a_home_relative_database_is_the_same_file_for_every_reader(tmp_path, monkeypatch, capsys):
    # `--db sqlite:///~/x.db` used to be checked and created in the home folder but opened by
    # sqlite3 as "./~/x.db": commands failed while the first screen (which expands ~) showed data.
    from tests.cli_runner import Casedesk
    from tests.native import native

    home, elsewhere = tmp_path / "home", tmp_path / "elsewhere"
    home.mkdir()
    elsewhere.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.chdir(elsewhere)
    url = "sqlite:///~/tilde.db"
    cli = Casedesk(url, capsys, monkeypatch)
    cli.ok("--ingest", "-", "--at", "2026-03-02T09:00:00Z", stdin=native({"h1": {"a": "pass"}}))
    cli.ok("--ingest", "-", "--at", "2026-03-02T10:00:00Z", stdin=native({"h1": {"a": "fail"}}))
    listed = cli.ok("cases", "list", "--json").json()
    assert (home / "tilde.db").is_file()
    assert not (elsewhere / "~").exists()
    first = read_first_screen(url, "someone", None, page_size=10)
    assert first is not None
    # One check went from pass to fail on one host: one drift case, in its window.
    assert [case["id"] for case in listed] == [1]
    assert [(row.id, row.status) for row in first.rows] == [(1, "pending")]
