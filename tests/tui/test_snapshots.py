"""Snapshots of every screen at 80×24 and at 160×48 (clock frozen, data from the fixture).

Update after an intended change with ``pytest tests/tui --snapshot-update`` and review the SVGs.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest
from textual.pilot import Pilot
from textual.widgets import Input

from tests.tui.conftest import settle
from tests.tui.test_hostile_text import hostile_space
from tui.screens.case_detail import CaseScreen
from tui.screens.cases import FILTER_DELAY

SIZES = pytest.mark.parametrize("size", [(80, 24), (160, 48)], ids=["80x24", "160x48"])
#: Variants of a screen already shot at both sizes: 80×24 only (the size that is hardest).
NARROW = pytest.mark.parametrize("size", [(80, 24)], ids=["80x24"])


def steps(
    *keys: str, typed: str = "", then: tuple[str, ...] = (), open_case: int | None = None
) -> Callable[[Pilot[object]], Awaitable[None]]:
    """Settle, optionally open a case, press ``keys`` (settling after each), type ``typed``,
    press ``then``, and stop cursors blinking."""

    async def run(pilot: Pilot[object]) -> None:
        await settle(pilot)
        if open_case is not None:
            await pilot.app.push_screen(CaseScreen(open_case))
            await settle(pilot)
        for key in keys:
            await pilot.press(key)
            await settle(pilot)
        if typed:
            await pilot.press(*typed)
            await pilot.pause(FILTER_DELAY * 2)
            await settle(pilot)
        for key in then:
            await pilot.press(key)
            await settle(pilot)
        for field in pilot.app.screen.query(Input):
            field.cursor_blink = False
        await settle(pilot)

    return run


@SIZES
class TestCaseList:
    def test_open_cases(self, snap_compare, make_app, size):
        assert snap_compare(make_app(), terminal_size=size, run_before=steps())

    def test_closed_cases(self, snap_compare, make_app, size):
        assert snap_compare(make_app(), terminal_size=size, run_before=steps("t"))

    def test_filtered(self, snap_compare, make_app, size):
        run = steps("slash", typed="ensure", then=("enter",))
        assert snap_compare(make_app(), terminal_size=size, run_before=run)

    def test_confirm_close(self, snap_compare, make_app, size):
        keys = ("end", "c")
        assert snap_compare(make_app(), terminal_size=size, run_before=steps(*keys))


@NARROW
class TestCaseListVariants:
    def test_filter_typing(self, snap_compare, make_app, size):
        assert snap_compare(make_app(), terminal_size=size, run_before=steps("slash", typed="ssh"))

    def test_sorted_by_rating(self, snap_compare, make_app, size):
        assert snap_compare(make_app(), terminal_size=size, run_before=steps("o"))

    def test_viewer(self, snap_compare, make_app, size):
        assert snap_compare(make_app("carol"), terminal_size=size, run_before=steps())

    def test_hostile_text(self, snap_compare, make_app, engine, size):
        hostile_space(engine)
        app = make_app(space="hostile")
        assert snap_compare(app, terminal_size=size, run_before=steps())


@SIZES
class TestCasePage:
    def test_open_case_with_progress_and_ticket(self, snap_compare, make_app, size):
        assert snap_compare(make_app(), terminal_size=size, run_before=steps(open_case=1))


@NARROW
class TestCasePageVariants:
    def test_error_case(self, snap_compare, make_app, size):
        assert snap_compare(make_app(), terminal_size=size, run_before=steps(open_case=13))

    def test_pending_case_scrolled_to_history(self, snap_compare, make_app, size):
        run = steps("end", open_case=14)
        assert snap_compare(make_app(), terminal_size=size, run_before=run)

    def test_viewer_sees_no_close_button(self, snap_compare, make_app, size):
        run = steps(open_case=1)
        assert snap_compare(make_app("carol"), terminal_size=size, run_before=run)

    def test_hostile_case(self, snap_compare, make_app, engine, size):
        hostile_space(engine)
        app = make_app(space="hostile")
        assert snap_compare(app, terminal_size=size, run_before=steps("enter"))


@SIZES
class TestSettings:
    def test_cases_tab(self, snap_compare, make_app, size):
        assert snap_compare(make_app(), terminal_size=size, run_before=steps("s"))

    def test_integrations_tab(self, snap_compare, make_app, size):
        assert snap_compare(make_app(), terminal_size=size, run_before=steps("s", "2"))

    def test_integration_dialog(self, snap_compare, make_app, size):
        run = steps("s", "2", "e")
        assert snap_compare(make_app(), terminal_size=size, run_before=run)

    def test_members_tab(self, snap_compare, make_app, size):
        assert snap_compare(make_app(), terminal_size=size, run_before=steps("s", "3"))

    def test_member_dialog(self, snap_compare, make_app, size):
        run = steps("s", "3", "a", typed="dave")
        assert snap_compare(make_app(), terminal_size=size, run_before=run)


@NARROW
class TestSettingsVariants:
    def test_cases_tab_as_viewer(self, snap_compare, make_app, size):
        assert snap_compare(make_app("carol"), terminal_size=size, run_before=steps("s"))


@SIZES
class TestEverywhere:
    def test_help(self, snap_compare, make_app, size):
        assert snap_compare(make_app(), terminal_size=size, run_before=steps("question_mark"))

    def test_space_switcher(self, snap_compare, make_app, engine, size):
        hostile_space(engine)
        assert snap_compare(make_app(), terminal_size=size, run_before=steps("w"))


@NARROW
class TestEverywhereVariants:
    def test_command_palette(self, snap_compare, make_app, size):
        run = steps("ctrl+p", typed="close")
        assert snap_compare(make_app(), terminal_size=size, run_before=run)


def test_no_color(snap_compare, make_app, monkeypatch):
    monkeypatch.setenv("NO_COLOR", "1")
    assert snap_compare(make_app(), terminal_size=(80, 24), run_before=steps("end"))


def test_no_spaces_yet(snap_compare, tmp_path):
    from store.engine import make_engine
    from store.migrate import upgrade
    from tests.tui.conftest import frozen
    from tui.app import CasedeskApp

    engine = make_engine(f"sqlite:///{tmp_path / 'empty.db'}")
    upgrade(engine)
    app = CasedeskApp(engine, "alice", None, frozen, worker_interval=None, refresh_interval=None)
    assert snap_compare(app, terminal_size=(80, 24), run_before=steps())
