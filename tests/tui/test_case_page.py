"""Pilot tests of the case page's actions: copy a ticket link."""

from __future__ import annotations

import pytest
from sqlalchemy import update

from store.models import Ticket
from tests.tui.conftest import notes_of, settle
from tui.screens.case_detail import CaseScreen
from worker.case_service import CaseService

pytestmark = pytest.mark.anyio


async def open_case(pilot, case_id: int) -> CaseScreen:  # type: ignore[no-untyped-def]
    await settle(pilot)
    pilot.app.push_screen(CaseScreen(case_id))
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, CaseScreen) and screen.detail is not None
    return screen


async def test_copy_link_says_so_when_the_tickets_have_no_link(make_app, engine):
    assert CaseService(engine, "alice").get_case(1).summary.tickets
    with engine.begin() as connection:  # as an e-mail ticket: a Message-ID, no URL
        connection.execute(update(Ticket).where(Ticket.case_id == 1).values(url=""))
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await open_case(pilot, 1)
        await pilot.press("y")
        await pilot.pause()
        assert notes_of(app) == [
            "This case's tickets have no link (an e-mail ticket is known by its Message-ID)."
        ]


async def test_copy_link_copies_the_first_ticket_link(make_app, engine):
    url = CaseService(engine, "alice").get_case(1).summary.tickets[0].url
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await open_case(pilot, 1)
        await pilot.press("y")
        await pilot.pause()
        assert app.clipboard == url
        assert notes_of(app) == [f"Copied {url}"]
