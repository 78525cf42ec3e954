"""Pilot tests of the case list and the case page: driven by keys, checked against the store."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.tui.conftest import (
    HOSTS,
    NOW,
    T0,
    final_state,
    ingest_report,
    notes_of,
    scan,
    settle,
)
from tui.commands import available
from tui.screens.case_detail import CaseScreen
from tui.screens.cases import CasesScreen
from tui.screens.confirm import ConfirmScreen
from tui.screens.help import HelpScreen
from tui.widgets.case_table import CaseTable
from worker.case_service import CaseService

pytestmark = pytest.mark.anyio


def table_of(app) -> CaseTable:  # type: ignore[no-untyped-def]
    return app.screen.query_one(CaseTable)


def row_ids(app) -> list[int]:  # type: ignore[no-untyped-def]
    table = table_of(app)
    return [table.pager.row(i).id for i in range(table.pager.total)]


async def test_the_list_shows_open_pending_and_error_cases_newest_first(make_app):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, CasesScreen)
        ids = row_ids(app)
        assert ids == [14, 13, 12, 11, 10, 9, 8, 7, 5, 4, 3, 1]  # 2, 6 closed
        statuses = {table_of(app).pager.row(i).status for i in range(len(ids))}
        assert statuses == {"pending", "error", "open"}
        first = table_of(app).render_line(1).text
        assert "PENDING" in first and "Ensure audit logging" in first
        second = table_of(app).render_line(2).text
        assert "ERROR" in second and "0/2" in second and "0%" in second
        tabs = app.screen.query_one("#case-tabs")
        labels = [str(tab.label) for tab in tabs.query("Tab")]
        assert labels == ["Open cases (12)", "Closed cases (2)"]


async def test_open_a_case_close_it_and_find_it_in_the_closed_tab(make_app, engine):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("end")  # the oldest open case: #1, SSH root login on 6 hosts
        await settle(pilot)
        assert table_of(app).current.id == 1
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, CaseScreen)
        progress = str(app.screen.query_one("#progress-text").render())
        assert "2 / 6 ASSETS FIXED" in progress and "33%" in progress
        await pilot.press("c")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("y")
        await settle(pilot)
        assert CaseService(engine, "alice").get_case(1).summary.status == "closed"
        assert "Case #1 closed." in notes_of(app)
        assert not app.screen.query_one("#close-button").display  # closed: no Close case
        await pilot.press("escape")
        await settle(pilot)
        assert 1 not in row_ids(app)
        await pilot.press("t")
        await settle(pilot)
        assert 1 in row_ids(app)
        assert "Closed cases (3)" in [str(t.label) for t in app.screen.query("Tab")]


async def test_closing_from_the_list_asks_first_and_no_changes_nothing(make_app, engine):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("down", "down")  # #12
        await pilot.press("c")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("n")
        await settle(pilot)
        assert CaseService(engine, "alice").get_case(12).summary.status == "open"
        await pilot.press("c", "y")
        await settle(pilot)
        assert CaseService(engine, "alice").get_case(12).summary.status == "closed"
        assert 12 not in row_ids(app)


async def test_filter_by_text_and_sort_by_rating_and_progress(make_app):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("slash", *"firewall")
        await pilot.pause(0.3)
        await settle(pilot)
        assert row_ids(app) == [4]
        await pilot.press("escape")
        await settle(pilot)
        assert len(row_ids(app)) == 12
        await pilot.press("o")  # rating: critical first
        await settle(pilot)
        ratings = [table_of(app).pager.row(i).rating for i in range(12)]
        assert ratings[0] == "critical" and ratings[-1] == "none"
        assert "Rating▾" in table_of(app).render_line(0).text
        await pilot.press("o")  # progress: least fixed first
        await settle(pilot)
        percents = [table_of(app).pager.row(i).percent for i in range(12)]
        assert percents == sorted(percents)
        assert percents[-1] == 66  # #8: 2 of 3 hosts fixed


async def test_filter_matches_finding_keys_and_says_when_nothing_matches(make_app):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("slash", *"CVE-2026-0001", "enter")
        await pilot.pause(0.3)
        await settle(pilot)
        assert row_ids(app) == [13]
        await pilot.press("slash", "ctrl+a", *"no such thing", "enter")
        await pilot.pause(0.3)
        await settle(pilot)
        assert row_ids(app) == []
        assert "No open cases match" in table_of(app).render_line(2).text


async def test_a_remapped_key_drives_the_action_and_the_help_screen_shows_it(make_app):
    app = make_app(keymap={"cases.close": "x"})
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("c")
        await pilot.pause()
        assert isinstance(app.screen, CasesScreen)
        await pilot.press("x")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("escape", "question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        text = str(app.screen.query_one("#help-text").render())
        close_line = next(line for line in text.splitlines() if "Close the focused case" in line)
        assert close_line.split()[0] == "x"


async def test_the_palette_offers_every_available_command_of_the_screen(make_app):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        titles = {command.title for command, _node in available(app, ("app", "cases"))}
        assert {"Close case", "Filter", "Sort by rating", "Show closed cases", "Settings"} <= titles
        assert "Sort by created" not in titles  # already sorted that way
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"sort by rating")
        await pilot.pause(0.5)
        await pilot.press("enter")  # the best hit is highlighted: run it
        await settle(pilot)
        assert app.screen.order == "rating"


async def test_a_report_ingested_elsewhere_shows_up_without_a_key(make_app, engine):
    app = make_app(refresh_interval=0.2)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("down", "down", "down")
        focused = table_of(app).current.id
        before = len(row_ids(app))
        state = final_state()
        state["cis-10"].add(HOSTS[5])
        state["tls-old"].add(HOSTS[4])
        ingest_report(engine, scan(state), NOW)  # another writer: its own transaction
        for _ in range(40):
            await pilot.pause(0.1)
            if len(row_ids(app)) > before:
                break
        await settle(pilot)
        assert len(row_ids(app)) == before + 2  # tls-old on web-5, cis-10 on web-6: new cases
        assert table_of(app).current.id == focused  # the cursor stayed on the same case


async def test_the_worker_loop_runs_inside_the_app(make_app, engine):
    """The pending case's window closes while the app is open: it turns open by itself."""
    later = NOW + timedelta(hours=4)
    app = make_app(worker_interval=0.2, refresh_interval=0.2, clock=lambda: later)
    async with app.run_test(size=(80, 24)) as pilot:
        for _ in range(50):
            await pilot.pause(0.1)
            if table_of(app).pager.total and table_of(app).pager.row(0).status == "open":
                break
        assert CaseService(engine, "alice").get_case(14).summary.status == "open"
        assert table_of(app).pager.row(0).status == "open"


async def test_case_page_shows_meta_ticket_finding_assets_and_history(make_app):
    app = make_app()
    async with app.run_test(size=(100, 40)) as pilot:
        await settle(pilot)
        await app.push_screen(CaseScreen(1))
        await settle(pilot)
        screen = app.screen
        meta = str(screen.query_one("#case-meta").render())
        assert "Created 2026-03-02 10:00 UTC" in meta
        assert "Created by casedesk (automatic)" in meta and "Assets 6" in meta
        assert "SEC-101" in str(screen.query_one("#case-tickets").render())
        finding = str(screen.query_one("#finding").render())
        assert "CRITICAL" in finding and "score 9.1" in finding and "How to fix" in finding
        assert screen.query_one("#assets").row_count == 4
        assert screen.query_one("#mitigated").row_count == 2
        history = screen.query_one("#history")
        actions = [str(history.get_row_at(i)[2]) for i in range(history.row_count)]
        assert actions[:2] == ["created", "drift"] and "fixed" in actions
        assert "ticket_created" in actions


async def test_an_error_case_says_why_and_a_pending_case_when_its_window_closes(make_app):
    app = make_app()
    async with app.run_test(size=(100, 40)) as pilot:
        await settle(pilot)
        await app.push_screen(CaseScreen(13))
        await settle(pilot)
        tickets = str(app.screen.query_one("#case-tickets").render())
        assert "does not accept issue type Task" in tickets and "cases retry 13" in tickets
        await pilot.press("escape")
        await app.push_screen(CaseScreen(14))
        await settle(pilot)
        window = (NOW - timedelta(hours=1) + timedelta(hours=4)).strftime("%Y-%m-%d %H:%M")
        assert f"window closes {window} UTC" in str(app.screen.query_one("#case-tickets").render())
        assert T0 < NOW
