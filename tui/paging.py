"""The case list's window on the database: a few pages of rows, never every row.

The list can hold 100,000 cases. The table asks this pager for row ``i``; the pager answers from
the pages it holds (a bounded cache) or says which pages to fetch. Pages are fetched by the
screen's thread workers: the first by offset, the ones after it by keyset (``after`` the last
row of the page before), so paging down stays as cheap on page 900 as on page 1.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from typing import TYPE_CHECKING

from worker.case_views import KEYSET_ORDERS, CaseSummary

if TYPE_CHECKING:
    from worker.case_service import CaseService

PAGE_SIZE = 100
#: Pages kept in memory: the ones on screen, one each side, and a few recently seen.
KEEP_PAGES = 12


@dataclass(frozen=True, slots=True)
class CaseQuery:
    """What the list shows: which space, which tab, which filter, which order."""

    space: str | None
    status: str = "active"
    text: str = ""
    order: str = "created"


@dataclass(frozen=True, slots=True)
class PageRequest:
    """Fetch page ``page`` of ``query``: after ``anchor`` (keyset) or by offset when None."""

    query: CaseQuery
    page: int
    anchor: CaseSummary | None


class CasePager:
    """Rows by index, a bounded cache of pages, and which pages to fetch next."""

    def __init__(self, page_size: int = PAGE_SIZE, keep_pages: int = KEEP_PAGES) -> None:
        self.page_size = page_size
        self.keep_pages = keep_pages
        self.query: CaseQuery | None = None
        self.total = 0
        self._pages: OrderedDict[int, list[CaseSummary]] = OrderedDict()
        self._loading: set[int] = set()

    # The table's side ---------------------------------------------------------------------

    def row(self, index: int) -> CaseSummary | None:
        page, offset = divmod(index, self.page_size)
        rows = self._pages.get(page)
        if rows is None or offset >= len(rows):
            return None
        return rows[offset]

    def find(self, case_id: int) -> int | None:
        """The index of a case among the rows held, if it is held."""
        for page, rows in self._pages.items():
            for offset, row in enumerate(rows):
                if row.id == case_id:
                    return page * self.page_size + offset
        return None

    # The screen's side --------------------------------------------------------------------

    def reset(
        self, query: CaseQuery, total: int, pages: dict[int, list[CaseSummary]] | None = None
    ) -> None:
        """A new query or fresh data: replace everything at once (no half-old screen)."""
        self.query = query
        self.total = total
        self._pages = OrderedDict(sorted((pages or {}).items()))
        self._loading = set()

    def pages_for(self, first: int, last: int, ahead: int = 1) -> list[int]:
        """The pages covering rows ``first..last``, plus ``ahead`` pages each side."""
        if self.total <= 0:
            return []
        last_page = (self.total - 1) // self.page_size
        start = max(0, first // self.page_size - ahead)
        stop = min(last_page, max(first, last) // self.page_size + ahead)
        return list(range(start, stop + 1))

    def wanted(self, first: int, last: int, ahead: int = 1) -> list[PageRequest]:
        """Requests for the pages near ``first..last`` that are neither held nor on their way.

        Marks them as loading; pages on screen come first, then the ones ahead.
        """
        if self.query is None:
            return []
        on_screen = set(self.pages_for(first, last, ahead=0))
        pages = sorted(
            self.pages_for(first, last, ahead), key=lambda page: (page not in on_screen, page)
        )
        requests = []
        for page in pages:
            if page in self._pages:
                self._pages.move_to_end(page)  # recently wanted: evicted last
                continue
            if page in self._loading:
                continue
            self._loading.add(page)
            requests.append(PageRequest(self.query, page, self.anchor_for(page)))
        return requests

    def anchor_for(self, page: int) -> CaseSummary | None:
        """The last row before ``page`` when it is held and the order allows keyset paging."""
        if self.query is None or self.query.order not in KEYSET_ORDERS or page == 0:
            return None
        before = self._pages.get(page - 1)
        if not before or len(before) < self.page_size:
            return None
        return before[-1]

    def store(self, query: CaseQuery, page: int, rows: list[CaseSummary]) -> bool:
        """Keep a fetched page; False (and nothing kept) when it answers an older query."""
        if query != self.query:
            return False
        self._loading.discard(page)
        self._pages[page] = rows
        self._pages.move_to_end(page)
        while len(self._pages) > self.keep_pages:
            self._pages.popitem(last=False)
        return True

    def forget_loading(self, query: CaseQuery, page: int) -> None:
        """A fetch failed: let a later request try again."""
        if query == self.query:
            self._loading.discard(page)

    @property
    def held_pages(self) -> list[int]:
        return sorted(self._pages)


def fetch_page(service: CaseService, request: PageRequest, size: int) -> list[CaseSummary]:
    """One page of ``request`` from the service: by keyset after its anchor, else by offset.

    Runs in a thread worker; the keyset form keeps a deep page as cheap as the first.
    """
    query = request.query
    if request.anchor is not None and query.order in KEYSET_ORDERS:
        return service.list_cases_after(
            query.space,
            query.status,
            text=query.text,
            order=query.order,
            after=request.anchor,
            limit=size,
        )
    return service.list_case_page(
        query.space,
        query.status,
        text=query.text,
        order=query.order,
        offset=request.page * size,
        limit=size,
    )
