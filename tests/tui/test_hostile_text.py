"""Any text is safe: markup, escapes, 10,000-character names, right-to-left text, emoji and
zero-width characters show literally and never crash or act (DESIGN.md rule 21)."""

from __future__ import annotations

import pytest
from sqlalchemy import update
from textual.widgets import DataTable

from integrations.tickets.base import TicketContent, TicketRef
from store.models import Case, Integration
from tests.tui.conftest import HOSTS, NOW, T0, dispatcher, ingest_report, scan, settle
from tui.safe import clean, clean_block, fit
from tui.screens.case_detail import TITLE_LINES, CaseScreen
from tui.screens.cases import CasesScreen
from tui.screens.settings import SettingsScreen
from tui.widgets.case_table import CaseTable
from worker.admin_service import AdminService
from worker.case_service import CaseService
from worker.due import run_due_work
from worker.integration_service import IntegrationService

pytestmark = pytest.mark.anyio

MARKUP = (
    "[/x] [@click=app.quit]quit[/] [bold red]loud[/bold red] [link=https://evil.example]x[/link]"
)
ANSI = "\x1b[31mred\x1b[0m\x1b]0;pwned\x07\x1b[2J"
RTL = "שלום עולם مرحبا \u202eevil\u202c"
EMOJI = "🔥👩‍👩‍👧‍👦🏳️‍🌈"
ZERO_WIDTH = "zero\u200bwidth\u200cjoin\u200dx\ufeff"
LONG = "L" * 10_000
HOSTILE_TITLE = f"{MARKUP} {RTL} {EMOJI} {ZERO_WIDTH}"


class HostileTracker:
    """A ticket system whose answers are as hostile as the scans."""

    def create(self, destination: str, content: TicketContent) -> TicketRef:
        return TicketRef(
            key=f"[@click=app.quit]SEC-{content.case_id}{ANSI}", url=f"{MARKUP} {ANSI}"
        )

    def find(self, destination: str, marker: str) -> TicketRef | None:
        return None

    def close(self, destination: str, ref: TicketRef) -> None:
        return None

    def test(self, destination: str) -> None:
        return None


def hostile_space(engine) -> None:  # type: ignore[no-untyped-def]
    """A space "hostile" whose findings, assets, members, tickets and notes are all hostile."""
    findings = {
        "evil-check": (HOSTILE_TITLE, "critical", 9.9),
        "long-check": (LONG, "high", 7.0),
        "manual-check": ("Reviewed by hand", "medium", 5.0),
    }
    hosts = [f"{MARKUP}-host", f"{RTL}-host", f"{EMOJI}{ZERO_WIDTH}", "L" * 1000]
    good = {host: {"evil-check": "pass", "long-check": "pass"} for host in hosts}
    bad = {host: {"evil-check": "fail", "long-check": "fail"} for host in hosts}
    bad[hosts[0]]["manual-check"] = "fail"  # first seen failing: a baseline, no drift
    ingest_report(engine, good, T0, space="hostile", findings=findings)
    ingest_report(engine, bad, T0 + (NOW - T0) / 4, space="hostile", findings=findings)
    IntegrationService(engine, "alice").save(
        "hostile",
        {
            "name": "jira-hostile",
            "kind": "jira",
            "url": "https://jira.example",
            "flavor": "cloud",
            "email": "bot@example.com",
            "project": "SEC",
            "token_env": "X",
        },
        now=T0,
    )
    # Names and projects are checked when saved now; a database from before those checks may
    # still hold anything.
    with engine.begin() as connection:
        connection.execute(
            update(Integration)
            .where(Integration.name == "jira-hostile")
            .values(name=f"[b]jira[/b]{EMOJI}", project=MARKUP)
        )
    AdminService(engine, "alice").add_member(
        "hostile", "[@click=app.quit]mallory", "viewer", now=T0
    )
    run_due_work(engine, T0 + (NOW - T0) / 2, dispatcher(HostileTracker()))
    manual = CaseService(engine, "alice").create_manual(
        "hostile", finding_keys=["manual-check"], asset_keys=[hosts[0]], now=NOW, title="manual"
    )
    # A manual title or note with escapes is refused when typed now; an older database, or a
    # script writing to the store, may still hold one, and the app must show it safely.
    with engine.begin() as connection:
        connection.execute(
            update(Case)
            .where(Case.id == manual.id)
            .values(title=f"{ANSI} {MARKUP} manual", notes=f"{ANSI}\n{MARKUP}\n{LONG}")
        )


def test_clean_shows_controls_and_keeps_everything_else():
    assert clean(ANSI) == "␛[31mred␛[0m␛]0;pwned␇␛[2J"
    assert clean("a\nb\tc\rd") == "a b c d"
    assert clean(MARKUP) == MARKUP  # markup is harmless once it is never parsed
    assert clean(RTL) == "שלום עולם مرحبا \ufffdevil\ufffd"  # overrides cannot reorder the UI
    assert clean(EMOJI) == EMOJI and clean(ZERO_WIDTH) == ZERO_WIDTH
    assert len(clean(LONG)) == 4000 and clean(LONG).endswith("…")
    assert clean_block("a\nb\x1b") == "a\nb␛"
    assert fit(EMOJI + "x", 3) == "🔥…"


async def test_rule_21_hostile_text_shows_literally_and_never_acts(make_app, engine):
    hostile_space(engine)
    app = make_app(space="hostile")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, CasesScreen)
        table = app.screen.query_one(CaseTable)
        lines = [table.render_line(y).text for y in range(1, 1 + table.pager.total)]
        assert len(lines) == 3
        assert all("\x1b" not in line for line in lines)
        assert any("␛[31mred␛[0m" in line for line in lines)  # escapes show, never act
        assert any("[/x] [@click=app.quit]quit[/]" in line for line in lines)
        for y in range(1, 4):  # clicking on [@click=app.quit] must not quit
            await pilot.click(CaseTable, offset=(40, y))
        await settle(pilot)
        assert app.is_running and isinstance(app.screen, CasesScreen)
        for case in CaseService(engine, "alice").list_cases("hostile", "all"):
            await app.push_screen(CaseScreen(case.id))
            await settle(pilot)
            screen = app.screen
            title = str(screen.query_one("#case-title").render())
            assert "\x1b" not in title
            assert any(part in title for part in ("[@click=app.quit]quit[/]", "␛[31m", "L" * 100))
            assert title.count("\n") < TITLE_LINES  # a 10,000-character title: three lines
            tickets = str(screen.query_one("#case-tickets").render())
            assert "\x1b" not in tickets
            if case.kind == "drift":  # the tracker's answer, shown as it came
                assert f"[@click=app.quit]SEC-{case.id}" in tickets
            for table_name in ("assets", "mitigated", "history"):
                grid = screen.query_one(f"#{table_name}", DataTable)
                for row in range(grid.row_count):
                    for cell in grid.get_row_at(row):
                        assert "\x1b" not in str(cell)
            await pilot.click("#case-title")
            await pilot.click("#case-tickets")
            await pilot.press("pagedown", "pagedown", "end")
            await settle(pilot)
            assert app.is_running
            await pilot.press("escape")
            await settle(pilot)
        manual = CaseService(engine, "alice").list_cases("hostile")[0]
        await app.push_screen(CaseScreen(manual.id))
        await settle(pilot)
        notes = str(app.screen.query_one("#notes").render())
        assert notes.startswith("␛[31mred") and MARKUP in notes
        await pilot.press("escape", "s")
        await settle(pilot)
        assert isinstance(app.screen, SettingsScreen)
        await pilot.press("2")
        await settle(pilot)
        await pilot.press("3")
        await settle(pilot)
        members = app.screen.query_one("#members-table", DataTable)
        users = [str(members.get_row_at(i)[0]) for i in range(members.row_count)]
        assert "[@click=app.quit]mallory" in users
        await pilot.press("question_mark", "escape", "w")
        await settle(pilot)
        await pilot.press("escape")
        assert app.is_running


async def test_hostile_titles_in_the_default_space_survive_every_screen_size(make_app, engine):
    hostile_space(engine)
    bad = {"ssh-root-login": set(HOSTS)}
    ingest_report(engine, scan(bad), NOW)
    app = make_app(space="hostile")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        for size in ((80, 24), (200, 60), (40, 12), (120, 30)):
            await pilot.resize_terminal(*size)
            await settle(pilot)
            assert app.is_running
