"""Roles in the app: a viewer sees no close or edit action; a stale screen is refused by the
service and says so; nothing changes either way."""

from __future__ import annotations

import pytest

from tests.tui.conftest import T0, notes_of, settle
from tui.commands import COMMANDS, available
from tui.screens.case_detail import CaseScreen
from tui.screens.cases import CasesScreen
from tui.screens.confirm import ConfirmScreen
from tui.screens.settings import SettingsScreen
from worker.admin_service import AdminService
from worker.case_service import CaseService
from worker.integration_service import IntegrationService

pytestmark = pytest.mark.anyio

#: Every command that changes something, by the screen that offers it.
EDITING = {
    "cases.close": CasesScreen,
    "case.close": CaseScreen,
    "members.add": SettingsScreen,
    "members.change": SettingsScreen,
    "members.remove": SettingsScreen,
    "integrations.add": SettingsScreen,
    "integrations.edit": SettingsScreen,
    "integrations.remove": SettingsScreen,
    "integrations.test": SettingsScreen,  # it logs in to mail servers and posts to webhooks
}


def shown_actions(app) -> set[str]:  # type: ignore[no-untyped-def]
    """Actions the footer shows (enabled or greyed): hidden ones are not in active_bindings."""
    return {active.binding.action for active in app.screen.active_bindings.values()}


def test_every_editing_command_is_listed_here():
    editing_actions = {"close_case", "add_member", "change_role", "remove_member"}
    editing_actions |= {"add_integration", "edit_integration", "remove_integration"}
    editing_actions |= {"test_integration"}
    assert {c.id for c in COMMANDS if c.action in editing_actions} == set(EDITING)


async def test_a_viewer_sees_no_close_action_anywhere_and_keys_do_nothing(make_app, engine):
    app = make_app("carol")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert app.role == "viewer"
        assert "close_case" not in shown_actions(app)
        titles = {command.title for command, _node in available(app, ("app", "cases"))}
        assert "Close case" not in titles and "Filter" in titles
        await pilot.press("c")
        await pilot.pause()
        assert isinstance(app.screen, CasesScreen)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, CaseScreen)
        assert "close_case" not in shown_actions(app)
        assert not app.screen.query_one("#close-button").display
        await pilot.press("c")
        await pilot.pause()
        assert isinstance(app.screen, CaseScreen)
        assert CaseService(engine, "alice").get_case(14).summary.status == "pending"


async def test_a_viewer_reads_settings_but_cannot_change_them(make_app, engine):
    app = make_app("carol")
    async with app.run_test(size=(100, 40)) as pilot:
        await settle(pilot)
        await pilot.press("s")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, SettingsScreen)
        assert all(w.disabled for w in screen.query("#general Switch, #general Select"))
        assert "editors and owners" in str(screen.query_one("#settings-note").render())
        card_controls = list(screen.query("IntegrationCard Switch, IntegrationCard Input"))
        assert card_controls and all(w.disabled for w in card_controls)
        await pilot.click("#auto_create_drift_cases")
        await settle(pilot)
        assert AdminService(engine, "alice").settings("default")[1].auto_create_drift_cases
        tabs = screen.query_one("#settings-tabs")
        assert tabs.get_tab("members").display is False  # owners only
        await pilot.press("3")
        assert tabs.active == "cases"
        await pilot.press("2")
        await settle(pilot)
        assert shown_actions(app) & {"add_integration", "edit_integration"} == set()
        assert "test_integration" not in shown_actions(app)  # a test acts on the outside
        await pilot.press("a", "e", "d", "t")
        await pilot.pause()
        assert isinstance(app.screen, SettingsScreen)
        assert [i.name for i in IntegrationService(engine, "alice").list("default")] == ["jira-sec"]


@pytest.mark.parametrize("user", ["carol", "bob"])
async def test_every_editing_command_is_hidden_from_a_viewer_and_shown_to_an_owner(
    make_app, engine, user
):
    """bob is an editor: he closes cases and edits integrations, but members are the owner's."""
    app = make_app(user)
    async with app.run_test(size=(100, 40)) as pilot:
        await settle(pilot)
        found: dict[str, bool] = {}
        await app.push_screen(CaseScreen(1))
        await settle(pilot)
        found["case.close"] = app.screen.check_action("close_case", ()) is not False
        await pilot.press("escape")
        found["cases.close"] = app.screen.check_action("close_case", ()) is not False
        await pilot.press("s")
        await settle(pilot)
        for tab, prefix in (("members", "members."), ("integrations", "integrations.")):
            app.screen.query_one("#settings-tabs").active = tab
            await pilot.pause()
            for command in COMMANDS:
                if command.id in EDITING and command.id.startswith(prefix):
                    state = app.screen.check_action(command.action, ())
                    found[command.id] = state is not False
        if user == "carol":
            assert found == dict.fromkeys(EDITING, False)
        else:
            members = {key: key.startswith("members.") for key in EDITING}
            assert found == {key: not is_member for key, is_member in members.items()}


async def test_a_stale_screen_is_refused_by_the_service_and_says_so(make_app, engine):
    """bob was an editor when his screen was drawn; alice makes him a viewer meanwhile."""
    app = make_app("bob")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert app.role == "editor"
        AdminService(engine, "alice").add_member("default", "bob", "viewer", now=T0)
        await pilot.press("down", "down")  # #12, open
        await pilot.press("c")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)  # the screen still thinks he may
        await pilot.press("y")
        await settle(pilot)
        assert any(
            note.startswith("Not allowed: closing a case needs the editor role")
            for note in notes_of(app)
        )
        assert CaseService(engine, "alice").get_case(12).summary.status == "open"
        assert app.role == "viewer"  # the refusal made the app read the role again
        assert "close_case" not in shown_actions(app)


async def test_a_stale_settings_screen_is_refused_and_shows_the_stored_value(make_app, engine):
    app = make_app("bob")
    async with app.run_test(size=(100, 40)) as pilot:
        await settle(pilot)
        await pilot.press("s")
        await settle(pilot)
        AdminService(engine, "alice").add_member("default", "bob", "viewer", now=T0)
        await pilot.click("#auto_close_cases_when_fixed")
        await settle(pilot)
        assert any("Not allowed" in note for note in notes_of(app))
        assert AdminService(engine, "alice").settings("default")[1].auto_close_cases_when_fixed
        screen = app.screen
        assert screen.query_one("#auto_close_cases_when_fixed").value is True
        assert screen.query_one("#auto_close_cases_when_fixed").disabled
