"""Pilot tests of the settings screen: every change saved at once through the services."""

from __future__ import annotations

import pytest

from tests.tui.conftest import T0, notes_of, settle
from tui.screens.confirm import ConfirmScreen
from tui.screens.integration_dialog import IntegrationDialog
from tui.screens.member_dialog import MemberDialog
from tui.screens.settings import SettingsScreen
from worker.admin_service import AdminService
from worker.integration_service import IntegrationService

pytestmark = pytest.mark.anyio


async def open_settings(pilot) -> SettingsScreen:  # type: ignore[no-untyped-def]
    await settle(pilot)
    await pilot.press("s")
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, SettingsScreen)
    return screen


async def test_change_the_three_case_settings_and_see_them_persist(make_app, engine):
    app = make_app()
    async with app.run_test(size=(100, 40)) as pilot:
        screen = await open_settings(pilot)
        await pilot.click("#auto_create_drift_cases")
        await settle(pilot)
        await pilot.click("#aggregation_window_hours")
        await pilot.pause()
        await pilot.press("down", "enter")  # 4 hours → 8 hours
        await settle(pilot)
        await pilot.click("#auto_close_cases_when_fixed")
        await settle(pilot)
        _space, stored = AdminService(engine, "alice").settings("default")
        assert stored.auto_create_drift_cases is False
        assert stored.aggregation_window_hours == 8
        assert stored.auto_close_cases_when_fixed is False
        assert notes_of(app) == [
            "Saved. Automatically create cases on drift: off",
            "Saved. Aggregation window: 8 hours",
            "Saved. Automatically close cases when every asset is fixed: off",
        ]
        assert str(screen.query_one("#auto_create_drift_cases-state").render()) == "off"
    again = make_app()
    async with again.run_test(size=(100, 40)) as pilot:
        screen = await open_settings(pilot)
        assert screen.query_one("#auto_create_drift_cases").value is False
        assert screen.query_one("#aggregation_window_hours").value == 8
        assert notes_of(again) == []  # showing stored values saves nothing


async def test_a_window_set_from_the_command_line_is_shown_as_it_is(make_app, engine):
    AdminService(engine, "alice").set_setting("default", "aggregation_window_hours", "6", now=T0)
    app = make_app()
    async with app.run_test(size=(100, 40)) as pilot:
        screen = await open_settings(pilot)
        select = screen.query_one("#aggregation_window_hours")
        assert select.value == 6
        assert "6 hours" in str(select.query_one("SelectCurrent #label").render())


async def test_owner_adds_changes_and_removes_a_member(make_app, engine):
    app = make_app()
    async with app.run_test(size=(100, 40)) as pilot:
        screen = await open_settings(pilot)
        await pilot.press("3")
        await pilot.pause()
        await pilot.press("a")
        await pilot.pause()
        assert isinstance(app.screen, MemberDialog)
        await pilot.press(*"dave", "enter")
        await settle(pilot)
        assert {m.user: m.role for m in AdminService(engine, "alice").members("default")}[
            "dave"
        ] == "viewer"
        table = screen.query_one("#members-table")
        users = [str(table.get_row_at(i)[0]) for i in range(table.row_count)]
        table.move_cursor(row=users.index("dave"))
        await pilot.press("e")
        await pilot.pause()
        assert isinstance(app.screen, MemberDialog)
        dialog = app.screen
        dialog.query_one("#member-role").value = "editor"
        await pilot.click("#save")
        await settle(pilot)
        roles = {m.user: m.role for m in AdminService(engine, "alice").members("default")}
        assert roles["dave"] == "editor"
        table.move_cursor(row=users.index("dave"))
        await pilot.press("d", "y")
        await settle(pilot)
        assert "dave" not in {m.user for m in AdminService(engine, "alice").members("default")}
        assert notes_of(app) == [
            "Saved. dave is viewer.",
            "Saved. dave is editor.",
            "Removed dave.",
        ]


async def test_the_last_owner_cannot_leave_and_the_app_says_why(make_app, engine):
    app = make_app()
    async with app.run_test(size=(100, 40)) as pilot:
        screen = await open_settings(pilot)
        await pilot.press("3")
        await pilot.pause()
        table = screen.query_one("#members-table")
        users = [str(table.get_row_at(i)[0]) for i in range(table.row_count)]
        table.move_cursor(row=users.index("alice"))
        await pilot.press("d", "y")
        await settle(pilot)
        assert notes_of(app) == ["a space keeps at least one owner"]
        assert "alice" in {m.user for m in AdminService(engine, "alice").members("default")}


async def test_integrations_tab_adds_edits_tests_and_removes(make_app, engine):
    app = make_app()
    async with app.run_test(size=(100, 40)) as pilot:
        screen = await open_settings(pilot)
        await pilot.press("2")
        await pilot.pause()
        await pilot.press("a")
        await pilot.pause()
        dialog = app.screen
        assert isinstance(dialog, IntegrationDialog)
        dialog.query_one("#field-name").value = "gh-app"
        dialog.query_one("#field-kind").value = "github"
        dialog.query_one("#field-token_env").value = "CASEDESK_TEST_GITHUB_TOKEN"
        dialog.query_one("#field-project").value = "acme/app"
        await pilot.press("ctrl+s")
        await settle(pilot)
        service = IntegrationService(engine, "alice")
        saved = {i.name: i for i in service.list("default")}
        assert saved["gh-app"].kind == "github" and saved["gh-app"].project == "acme/app"
        assert saved["gh-app"].token_source == "env CASEDESK_TEST_GITHUB_TOKEN"
        table = screen.query_one("#integrations-table")
        names = [str(table.get_row_at(i)[0]) for i in range(table.row_count)]
        table.move_cursor(row=names.index("gh-app"))
        await pilot.press("e")
        await pilot.pause()
        app.screen.query_one("#field-drift_destination").value = "acme/security"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert {i.name: i for i in service.list("default")}["gh-app"].drift_destination == (
            "acme/security"
        )
        await pilot.press("t")  # no token in the environment: a clear refusal, no crash
        await settle(pilot)
        assert any(
            "gh-app" in note and "CASEDESK_TEST_GITHUB_TOKEN" in note for note in notes_of(app)
        )
        await pilot.press("d", "y")
        await settle(pilot)
        assert [i.name for i in service.list("default")] == ["jira-sec"]


async def test_integration_card_settings_on_the_cases_tab_save_at_once(make_app, engine):
    app = make_app()
    async with app.run_test(size=(100, 40)) as pilot:
        screen = await open_settings(pilot)
        card = screen.query_one("IntegrationCard")
        await pilot.click(card.query_one(".drift-tickets"))
        await settle(pilot)
        destination = card.query_one(".drift-destination")
        destination.focus()
        destination.value = "SECDRIFT"
        await pilot.press("enter")
        await settle(pilot)
        stored = IntegrationService(engine, "alice").list("default")[0]
        assert stored.create_drift_tickets is False and stored.drift_destination == "SECDRIFT"
        assert notes_of(app) == [
            "Saved. jira-sec: Create drift tickets: off",
            "Saved. jira-sec: Drift destination: SECDRIFT",
        ]


async def test_removing_an_integration_with_open_tickets_asks_again_and_says_what_is_lost(
    make_app, engine
):
    app = make_app()
    async with app.run_test(size=(100, 40)) as pilot:
        await open_settings(pilot)
        await pilot.press("2")
        await settle(pilot)
        await pilot.press("d", "y")  # jira-sec, the only integration: it holds open tickets
        await settle(pilot)
        second = app.screen
        assert isinstance(second, ConfirmScreen)
        text = str(second.query_one("#dialog-body").render())
        assert "jira-sec still has" in text and "open ones are never closed" in text
        service = IntegrationService(engine, "alice")
        assert [i.name for i in service.list("default")] == ["jira-sec"]  # refused so far
        await pilot.press("y")
        await settle(pilot)
        assert service.list("default") == []


def dialog_values(dialog: IntegrationDialog) -> dict[str, str]:
    return {
        key: dialog.query_one(f"#field-{key}").value
        for key in ("name", "url", "email", "token_env", "project")
    }


async def test_a_refused_integration_keeps_what_was_typed_and_saves_once_corrected(
    make_app, engine
):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_settings(pilot)
        await pilot.press("2")
        await pilot.pause()
        await pilot.press("a")
        await pilot.pause()
        dialog = app.screen
        assert isinstance(dialog, IntegrationDialog)
        await pilot.press(*"jira-ops")
        typed = {
            "url": "http://example.com",
            "email": "bot@example.com",
            "token_env": "ATATT3xFfGF0abcdefABCDEF1234567890",  # the token, not its variable
            "project": "OPS",
        }
        for key, value in typed.items():
            dialog.query_one(f"#field-{key}").value = value
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is dialog  # still open, nothing lost
        error = dialog.query_one("#dialog-error")
        assert error.display and "must use https" in str(error.render())
        assert dialog_values(dialog) == {"name": "jira-ops", **typed}
        service = IntegrationService(engine, "alice")
        assert [i.name for i in service.list("default")] == ["jira-sec"]

        dialog.query_one("#field-url").value = "https://ops.example"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is dialog
        assert "token_env must name an environment variable" in str(error.render())
        assert dialog.query_one("#field-url").value == "https://ops.example"

        dialog.query_one("#field-token_env").value = "CASEDESK_OPS_TOKEN"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is screen
        saved = {i.name: i for i in service.list("default")}["jira-ops"]
        assert (saved.url, saved.project) == ("https://ops.example", "OPS")
        assert saved.token_source == "env CASEDESK_OPS_TOKEN"
        assert notes_of(app) == ["Saved integration jira-ops."]
        table = screen.query_one("#integrations-table")
        assert app.focused is table
        assert str(table.get_row_at(table.cursor_row)[0]) == "jira-ops"  # the one just added


async def test_a_refused_edit_stays_in_the_dialog_and_changes_nothing(make_app, engine):
    app = make_app()
    async with app.run_test(size=(100, 40)) as pilot:
        await open_settings(pilot)
        await pilot.press("2")
        await pilot.pause()
        await pilot.press("e")
        await pilot.pause()
        dialog = app.screen
        assert isinstance(dialog, IntegrationDialog)
        dialog.query_one("#field-project").value = "sec lower"
        await pilot.click("#save")
        await settle(pilot)
        assert app.screen is dialog
        assert "not 'sec lower'" in str(dialog.query_one("#dialog-error").render())
        assert dialog.query_one("#field-project").value == "sec lower"
        assert IntegrationService(engine, "alice").list("default")[0].project == "SEC"
        dialog.query_one("#field-project").value = "SECOPS"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert IntegrationService(engine, "alice").list("default")[0].project == "SECOPS"
        assert notes_of(app) == ["Saved integration jira-sec."]


async def test_after_a_dialog_the_keys_act_on_the_row_the_cursor_shows(make_app, engine):
    IntegrationService(engine, "alice").save(
        "default",
        {"name": "gh-app", "kind": "github", "token_env": "GH_TOKEN", "project": "acme/app"},
        now=T0,
    )
    app = make_app()
    async with app.run_test(size=(100, 40)) as pilot:
        screen = await open_settings(pilot)
        integrations = screen.query_one("#integrations-table")
        await pilot.press("2")
        await pilot.pause()
        await pilot.press("a")
        await pilot.pause()
        await pilot.press("escape")
        await settle(pilot)
        assert app.focused is integrations
        await pilot.press("down")  # gh-app → jira-sec: arrows work at once
        await pilot.press("e")
        await pilot.pause()
        assert isinstance(app.screen, IntegrationDialog)
        assert app.screen.existing.name == "jira-sec"
        await pilot.press("escape")
        await settle(pilot)
        assert app.focused is integrations
        await pilot.press("up", "d")
        await pilot.pause()
        assert "gh-app" in str(app.screen.query_one("#dialog-body").render())
        await pilot.press("n")
        await settle(pilot)
        assert app.focused is integrations and integrations.cursor_row == 0

        members = screen.query_one("#members-table")
        await pilot.press("3")
        await pilot.pause()
        await pilot.press("a")
        await pilot.pause()
        await pilot.press(*"dave", "enter")
        await settle(pilot)
        assert app.focused is members
        assert str(members.get_row_at(members.cursor_row)[0]) == "dave"  # the one just added
        await pilot.press("up", "e")
        await pilot.pause()
        assert isinstance(app.screen, MemberDialog) and app.screen.user == "carol"
        await pilot.press("escape")
        await settle(pilot)
        assert app.focused is members
        await pilot.press("d")
        await pilot.pause()
        assert "carol" in str(app.screen.query_one("#dialog-body").render())
        await pilot.press("y")
        await settle(pilot)
        assert app.focused is members
        roles = {m.user: m.role for m in AdminService(engine, "alice").members("default")}
        assert "carol" not in roles and roles["dave"] == "viewer"


async def test_drift_destination_is_saved_when_the_focus_leaves_it_once(make_app, engine):
    service = IntegrationService(engine, "alice")
    app = make_app()
    async with app.run_test(size=(100, 40)) as pilot:
        screen = await open_settings(pilot)
        destination = screen.query_one("IntegrationCard").query_one(".drift-destination")
        destination.focus()
        await pilot.press("tab")  # nothing typed: nothing saved
        await settle(pilot)
        assert notes_of(app) == []
        destination.focus()
        await pilot.press(*"SECDRIFT", "tab")
        await settle(pilot)
        assert service.list("default")[0].drift_destination == "SECDRIFT"
        destination.focus()
        await pilot.press("end", *"2", "enter", "tab")  # enter, then leave: one save
        await settle(pilot)
        assert service.list("default")[0].drift_destination == "SECDRIFT2"
        assert notes_of(app) == [
            "Saved. jira-sec: Drift destination: SECDRIFT",
            "Saved. jira-sec: Drift destination: SECDRIFT2",
        ]


async def test_escape_from_a_typed_drift_destination_saves_it_then_leaves(make_app, engine):
    from tui.screens.cases import CasesScreen

    app = make_app()
    async with app.run_test(size=(100, 40)) as pilot:
        screen = await open_settings(pilot)
        destination = screen.query_one("IntegrationCard").query_one(".drift-destination")
        destination.focus()
        await pilot.press(*"OPS", "escape")
        await settle(pilot)
        assert IntegrationService(engine, "alice").list("default")[0].drift_destination == "OPS"
        assert notes_of(app) == ["Saved. jira-sec: Drift destination: OPS"]
        assert isinstance(app.screen, CasesScreen)


async def test_a_refused_drift_destination_keeps_the_screen_open_with_the_text(make_app, engine):
    app = make_app()
    async with app.run_test(size=(100, 40)) as pilot:
        screen = await open_settings(pilot)
        destination = screen.query_one("IntegrationCard").query_one(".drift-destination")
        destination.focus()
        await pilot.press(*"sec lower", "escape")
        await settle(pilot)
        assert app.screen is screen and destination.value == "sec lower"
        assert any("not 'sec lower'" in note for note in notes_of(app))
        assert IntegrationService(engine, "alice").list("default")[0].drift_destination == ""


async def test_change_role_saves_with_enter_after_picking_or_with_ctrl_s(make_app, engine):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_settings(pilot)
        await pilot.press("3")
        await pilot.pause()
        table = screen.query_one("#members-table")
        users = [str(table.get_row_at(i)[0]) for i in range(table.row_count)]
        table.move_cursor(row=users.index("carol"))
        await pilot.press("e")
        await pilot.pause()
        dialog = app.screen
        assert isinstance(dialog, MemberDialog)
        keys = {binding.key for _node, binding, _on, _tip in dialog.active_bindings.values()}
        assert "ctrl+s" in keys
        footer = " ".join(str(key.render()) for key in dialog.query("FooterKey"))
        assert "Save" in footer
        await pilot.press("enter")  # open the role list
        await pilot.pause()
        await pilot.press("down", "enter")  # viewer → editor, list closed
        await pilot.pause()
        assert dialog.query_one("#member-role").value == "editor"
        await pilot.press("enter")  # saves; does not open the list again
        await settle(pilot)
        roles = {m.user: m.role for m in AdminService(engine, "alice").members("default")}
        assert roles["carol"] == "editor"
        await pilot.press("e")
        await pilot.pause()
        app.screen.query_one("#member-role").value = "viewer"
        await pilot.press("ctrl+s")
        await settle(pilot)
        roles = {m.user: m.role for m in AdminService(engine, "alice").members("default")}
        assert roles["carol"] == "viewer"
        await pilot.press("a", *"erin", "ctrl+s")
        await settle(pilot)
        assert "erin" in {m.user for m in AdminService(engine, "alice").members("default")}
        assert notes_of(app) == [
            "Saved. carol is editor.",
            "Saved. carol is viewer.",
            "Saved. erin is viewer.",
        ]
