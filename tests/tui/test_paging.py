"""The case list never loads every row: pages through SQL, keyset after the first page."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.tui_startup import build_database
from store.engine import make_engine
from tests.tui.conftest import frozen, settle
from tui.app import CasedeskApp
from tui.paging import CasePager, CaseQuery
from tui.widgets.case_table import CaseTable
from worker.case_service import CaseService, CaseSummary

pytestmark = pytest.mark.anyio

BIG = 3_000


def summary(case_id: int) -> CaseSummary:
    from tests.tui.conftest import NOW

    return CaseSummary(
        id=case_id,
        title=f"case {case_id}",
        status="open",
        kind="drift",
        rating="high",
        finding="f",
        assets=1,
        fixed=0,
        created_at=NOW,
    )


def test_the_pager_asks_for_the_pages_on_screen_first_then_one_each_side():
    pager = CasePager(page_size=10, keep_pages=4)
    query = CaseQuery("default")
    pager.reset(query, total=95)
    requests = pager.wanted(32, 45)
    assert [r.page for r in requests] == [3, 4, 2, 5]
    assert pager.wanted(32, 45) == []  # already on their way
    for request in requests:
        assert pager.store(query, request.page, [summary(i) for i in range(10)])
    assert pager.held_pages == [2, 3, 4, 5]
    assert pager.anchor_for(6) is not None  # page 5 is held: keyset from its last row
    assert pager.anchor_for(8) is None  # page 7 is not: by offset


def test_the_pager_keeps_a_bounded_number_of_pages_and_drops_old_answers():
    pager = CasePager(page_size=10, keep_pages=3)
    query = CaseQuery("default")
    pager.reset(query, total=1000)
    for page in range(10):
        pager.wanted(page * 10, page * 10 + 9, ahead=0)
        pager.store(query, page, [summary(page * 10 + i) for i in range(10)])
    assert pager.held_pages == [7, 8, 9]
    assert pager.row(95).id == 95 and pager.row(5) is None
    assert not pager.store(CaseQuery("default", text="x"), 0, [summary(1)])  # an old query
    pager.reset(CaseQuery("default", order="progress"), total=1000)
    pager.store(pager.query, 0, [summary(i) for i in range(10)])
    assert pager.anchor_for(1) is None  # progress order pages by offset only


def test_keyset_pages_match_offset_pages(engine):
    service = CaseService(engine, "alice")
    for order in ("created", "rating"):
        everything = service.list_case_page("default", "all", order=order, limit=100)
        first = service.list_case_page("default", "all", order=order, limit=5)
        rest = service.list_cases_after("default", "all", order=order, after=first[-1], limit=100)
        assert [c.id for c in first + rest] == [c.id for c in everything]
    progress = service.list_case_page("default", "all", order="progress", limit=100)
    assert [c.percent for c in progress] == sorted(c.percent for c in progress)


@pytest.fixture(scope="module")
def big_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("big") / "big.db"
    build_database(path, cases=BIG, items_per_case=3, user="alice")
    return path


class CountingCases(CaseService):
    """The real service, remembering how many rows each list call could return."""

    limits: list[int | None]

    def list_cases(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        self.limits.append(kwargs.get("limit"))
        return super().list_cases(*args, **kwargs)

    def list_case_page(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        self.limits.append(kwargs.get("limit"))
        return super().list_case_page(*args, **kwargs)

    def list_cases_after(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        self.limits.append(kwargs.get("limit"))
        return super().list_cases_after(*args, **kwargs)


async def test_thousands_of_cases_are_paged_never_loaded_at_once(big_db):
    engine = make_engine(f"sqlite:///{big_db}")
    app = CasedeskApp(engine, "alice", None, frozen, worker_interval=None, refresh_interval=None)
    counting = CountingCases(engine, "alice")
    counting.limits = []
    app.backend.cases = counting
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        table = app.screen.query_one(CaseTable)
        total = table.pager.total
        assert total == CaseService(engine, "alice").count_cases(None)
        assert total > 2000
        await pilot.press("pagedown", "pagedown", "pagedown")
        await settle(pilot)
        assert table.cursor == 3 * table.rows_on_screen
        assert table.current is not None
        await pilot.press("end")
        await settle(pilot)
        assert table.cursor == total - 1 and table.current is not None
        oldest = CaseService(engine, "alice").list_case_page(
            None, order="created", offset=total - 1
        )
        assert table.current.id == oldest[0].id
        await pilot.press("home", "slash", *"control 7 ", "enter")
        await pilot.pause(0.3)
        await settle(pilot)
        matching = CaseService(engine, "alice").count_cases(None, text="control 7 ")
        assert table.pager.total == matching
        assert len(table.pager.held_pages) <= table.pager.keep_pages
        assert counting.limits and all(
            limit is not None and limit <= 100 for limit in counting.limits
        )
    engine.dispose()
