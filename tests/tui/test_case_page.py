"""Pilot tests of the case page's actions: copy a ticket link, retry failed tickets."""

from __future__ import annotations

import pytest
from sqlalchemy import update

from store.models import Ticket
from tests.tui.conftest import notes_of, settle
from tui.commands import available
from tui.screens.case_detail import CaseScreen
from worker.case_service import CaseService

pytestmark = pytest.mark.anyio


async def open_case(pilot, case_id: int) -> CaseScreen:  # type: ignore[no-untyped-def]
    await settle(pilot)
    await pilot.app.push_screen(CaseScreen(case_id))
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


#: The fixture's case whose vulnerability ticket the tracker refused.
ERROR_CASE = 13


async def test_retry_tickets_queues_the_failed_jobs_and_shows_the_case_again(make_app, engine):
    cases = CaseService(engine, "bob")  # an editor
    assert cases.get_case(ERROR_CASE).summary.status == "error"
    app = make_app("bob")
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_case(pilot, ERROR_CASE)
        assert "case.retry" in [command.id for command, _node in available(app, ["case"])]
        assert "Retry" in " ".join(str(key.render()) for key in screen.query("FooterKey"))
        await pilot.press("R")
        await settle(pilot)
        detail = cases.get_case(ERROR_CASE)
        assert detail.summary.status == "open" and detail.error_message == ""
        assert detail.history[-1].action == "ticket_retry"
        assert notes_of(app) == [
            f"Queued 1 ticket job of case #{ERROR_CASE} again; the worker sends them next."
        ]
        assert screen.detail is not None and screen.detail.summary.status == "open"
        assert "OPEN" in str(screen.query_one("#case-status").render())
        assert "Ticket error" not in str(screen.query_one("#case-tickets").render())
        assert screen.check_action("retry_tickets", ()) is False  # nothing left to retry


async def test_a_viewer_cannot_retry_and_an_open_case_has_nothing_to_retry(make_app, engine):
    app = make_app("carol")
    async with app.run_test(size=(80, 24)) as pilot:
        await open_case(pilot, ERROR_CASE)
        assert "case.retry" not in [command.id for command, _node in available(app, ["case"])]
        await pilot.press("R")
        await settle(pilot)
        assert CaseService(engine, "alice").get_case(ERROR_CASE).summary.status == "error"
        assert notes_of(app) == []
    app = make_app("alice")
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_case(pilot, 1)
        assert screen.check_action("retry_tickets", ()) is False
