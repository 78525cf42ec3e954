"""What a tester at 80×24 (and wide) found: controls out of sight, a filter box showing no
text, a footer drawn past the edge, titles cut before the part that matters."""

from __future__ import annotations

from itertools import pairwise

import pytest
from sqlalchemy import update
from textual.widgets import Input, Switch
from textual.widgets._footer import FooterKey

from store.models import Asset, Case
from tests.tui.conftest import T0, notes_of, settle
from tui.format import plural
from tui.screens.case_detail import TITLE_LINES, CaseScreen
from tui.screens.cases import FILTER_DELAY, CasesScreen
from tui.screens.confirm import ConfirmScreen
from tui.screens.help import HelpScreen
from tui.screens.integration_dialog import IntegrationDialog
from tui.screens.settings import SettingsScreen
from tui.widgets.case_table import CaseTable, layout, list_title
from tui.widgets.key_footer import KeyFooter, fitting
from worker.case_service import CaseService

pytestmark = pytest.mark.anyio


def visible_in(widget, container) -> bool:  # type: ignore[no-untyped-def]
    """The whole of ``widget`` is on screen inside ``container``'s viewport."""
    region, viewport = widget.region, container.region
    return region.height > 0 and viewport.contains_region(region)


# Settings: every control can be reached and seen -------------------------------------------


async def test_tab_brings_every_settings_control_into_view_at_80x24(make_app, engine):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("s")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, SettingsScreen)
        pane = screen.query_one("#cases-pane")
        card = screen.query_one("IntegrationCard")
        controls = [*screen.query("#general Switch, #general Select"), *card.query("Switch, Input")]
        reached, scrolled = [], 0.0
        for _ in range(12):
            await pilot.press("tab")
            await settle(pilot)
            focused = app.focused
            if focused in controls:
                assert visible_in(focused, pane), f"{focused} focused out of sight"
                reached.append(focused)
                scrolled = max(scrolled, pane.scroll_y)
        assert set(reached) == set(controls)
        assert scrolled > 0  # the card's last control sits below the fold at 80×24
        # Enter on a control toggles what the user sees: the card's drift tickets switch.
        drift = card.query_one(".drift-tickets", Switch)
        drift.focus()
        await settle(pilot)
        assert visible_in(drift, pane)
        await pilot.press("enter")
        await settle(pilot)
        assert notes_of(app) == ["Saved. jira-sec: Create drift tickets: off"]


async def test_page_keys_scroll_the_cases_tab_wherever_the_focus_is(make_app):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("s")
        await settle(pilot)
        pane = app.screen.query_one("#cases-pane")
        assert pane.max_scroll_y > 0
        await pilot.press("pagedown")
        await settle(pilot)
        assert pane.scroll_y == pane.max_scroll_y
        await pilot.press("pageup")
        await settle(pilot)
        assert pane.scroll_y == 0


@pytest.mark.parametrize("size", [(80, 24), (100, 50), (200, 60)])
async def test_integration_card_labels_read_on_one_line(make_app, size):
    app = make_app()
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        await pilot.press("s")
        await settle(pilot)
        card = app.screen.query_one("IntegrationCard")
        for label in card.query(".setting-name.wide"):
            assert label.region.height == 1, f"{label} wraps at {size}"
            assert label.region.width >= 27


async def test_an_e_mail_card_says_it_cannot_close_tickets_beside_one_line_label(make_app, engine):
    from worker.integration_service import IntegrationService

    IntegrationService(engine, "alice").save(
        "default",
        {
            "name": "mail",
            "kind": "email",
            "project": "secops@example.com",
            "options": {"directory": "/tmp/casedesk-test-outbox", "security": "file"},
        },
        now=T0,
    )
    app = make_app()
    async with app.run_test(size=(100, 50)) as pilot:
        await settle(pilot)
        await pilot.press("s")
        await settle(pilot)
        mail = next(c for c in app.screen.query("IntegrationCard") if c.info.name == "mail")
        label = mail.query_one(".setting-name")
        note = mail.query_one(".switch-note")
        assert label.region.height == 1 and note.region.height == 1
        assert note.region.y == label.region.y  # side by side, not one letter a line
        assert "not for e-mail" in str(note.render())


# The case list ---------------------------------------------------------------------------


async def test_the_filter_box_is_one_row_and_shows_what_is_typed(make_app):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("slash", *"evil")
        await pilot.pause(FILTER_DELAY * 2)
        await settle(pilot)
        box = app.screen.query_one("#filter", Input)
        assert box.region.height == 1
        assert "evil" in box.render_line(0).text
        assert "2 matches" not in str(app.screen.query_one("#filter-count").render())
        assert str(app.screen.query_one("#filter-count").render()) == "0 matches"


async def test_tab_switches_open_and_closed_and_the_filter_box_still_lets_go(make_app):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, CasesScreen)
        await pilot.press("tab")
        await settle(pilot)
        assert screen.status == "closed"
        await pilot.press("t")
        await settle(pilot)
        assert screen.status == "active"
        await pilot.press("slash", *"ensure")
        await pilot.pause(FILTER_DELAY * 2)
        await settle(pilot)
        await pilot.press("down")  # down leaves the box for the list; the filter stays
        await settle(pilot)
        assert isinstance(app.focused, CaseTable) and screen.text == "ensure"
        await pilot.press("down")  # now it moves the cursor
        assert app.focused.cursor == 1
        await pilot.press("slash")
        await pilot.press("tab")  # from the box too: the other tab, the same filter
        await settle(pilot)
        assert screen.status == "closed" and screen.text == "ensure"
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.focused, CaseTable)
        await pilot.press("slash", "escape")
        await settle(pilot)
        assert isinstance(app.focused, CaseTable) and screen.text == ""
        await pilot.press("question_mark")
        await pilot.pause()
        lines = str(app.screen.query_one("#help-text").render()).splitlines()
        at = next(index for index, line in enumerate(lines) if "Open/Closed" in line)
        assert lines[at].split()[:2] == ["tab", "t"]
        assert "cases.toggle_tab" in lines[at] + lines[at + 1]  # the id to remap it with


def test_at_80_columns_the_title_gets_the_ticket_column_s_room():
    narrow = {column.key: column for column in layout(78, "created")}
    assert "ticket" not in narrow and narrow["title"].width >= 36
    assert "ticket" in {column.key for column in layout(100, "created")}


async def test_vulnerability_rows_show_the_cve_id(make_app, engine):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        table = app.screen.query_one(CaseTable)
        lines = [table.render_line(y).text for y in range(1, table.pager.total + 1)]
        assert any("CVE-2026-0001 on 2 assets" in line for line in lines)
        stored = CaseService(engine, "alice").get_case(13).summary.title
        assert stored.startswith("[HIGH] Mitigate vulnerability CVE-2026-0001")  # unchanged
    case = CaseService(engine, "alice").get_case(13).summary
    assert list_title(case) == "CVE-2026-0001 on 2 assets"


def test_plural_words():
    assert plural(2, "match") == "2 matches"
    assert plural(1, "match") == "1 match"
    assert plural(3, "case") == "3 cases"
    assert plural(1_000, "asset") == "1,000 assets"


# The footer ------------------------------------------------------------------------------


def footer_keys(app) -> list[FooterKey]:  # type: ignore[no-untyped-def]
    return list(app.screen.query_one(KeyFooter).query(FooterKey))


def assert_fits(app, width: int = 80) -> list[str]:  # type: ignore[no-untyped-def]
    """Every footer key inside the screen, none over another; their descriptions."""
    keys = footer_keys(app)
    spans = sorted((key.region.x, key.region.right) for key in keys)
    assert all(right <= width for _left, right in spans), spans
    assert all(a[1] <= b[0] for a, b in pairwise(spans)), spans
    return [key.description for key in keys]


async def test_the_footer_fits_80_columns_on_every_screen(make_app):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("slash")
        await settle(pilot)
        shown = assert_fits(app)
        assert {"Clear", "Help", "palette"} <= set(shown)
        await pilot.press("escape", "s", "2")
        await settle(pilot)
        shown = assert_fits(app)
        assert {"Test", "Remove", "Quit", "Help"} <= set(shown)
        assert "Settings" not in shown and "Space" not in shown
        await pilot.press("3")
        await settle(pilot)
        assert {"Add", "Role", "Remove", "Quit"} <= set(assert_fits(app))
        await pilot.press("d")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmScreen)
        assert assert_fits(app) == ["Yes", "No"]  # a question shows its own keys
        await pilot.press("n", "question_mark")
        await settle(pilot)
        assert isinstance(app.screen, HelpScreen)
        assert assert_fits(app) == ["Close"]
        await pilot.press("escape", "escape")
        await settle(pilot)
        await pilot.press("w")
        await settle(pilot)
        assert assert_fits(app) == ["Cancel"]


async def test_the_footer_refits_when_the_terminal_grows(make_app):
    app = make_app()
    async with app.run_test(size=(60, 24)) as pilot:
        await settle(pilot)
        narrow = assert_fits(app, 60)
        assert "Space" not in narrow and "Open" in narrow
        await pilot.resize_terminal(120, 30)
        await settle(pilot)
        assert {"Space", "Settings", "Quit"} <= set(assert_fits(app, 120))


def test_fitting_drops_app_keys_first_then_the_screen_s_last():
    entries = [("cases.open", 7), ("cases.close", 8), ("app.help", 7), ("app.switch_space", 8)]
    assert fitting(entries, 30) == [0, 1, 2, 3]
    assert fitting(entries, 25) == [0, 1, 2]
    assert fitting(entries, 14) == [0]
    assert fitting(entries, 3) == []


# The case page and the dialogs -----------------------------------------------------------


async def test_a_huge_title_is_clamped_and_history_keeps_its_detail_column(make_app, engine):
    with engine.begin() as connection:
        connection.execute(update(Case).where(Case.id == 1).values(title="A" * 10_000))
        connection.execute(update(Asset).values(key=Asset.key + "-" + "x" * 200))
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await app.push_screen(CaseScreen(1))
        await settle(pilot)
        screen = app.screen
        title = str(screen.query_one("#case-title").render())
        assert title.count("\n") == TITLE_LINES - 1 and title.endswith("…")
        assert screen.query_one("#case-meta").region.y < 10  # the page starts on screen
        history = screen.query_one("#history")
        detail = history.ordered_columns[-1]
        x = sum(column.get_render_width(history) for column in history.ordered_columns[:-1])
        assert detail.label.plain == "Detail" and x < history.region.width - 4


async def test_integration_dialog_switches_say_on_or_off(make_app):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("s", "2", "e")
        await settle(pilot)
        dialog = app.screen
        assert isinstance(dialog, IntegrationDialog)
        state = dialog.query_one("#field-create_drift_tickets-state")
        assert str(state.render()) == "on"
        dialog.query_one("#field-create_drift_tickets", Switch).value = False
        await settle(pilot)
        assert str(state.render()) == "off"
        assert {"Cancel", "Save"} == set(assert_fits(app))
