"""The integration and member services behind every entry point (CLI, settings import, the TUI).

The terminal app saves through ``IntegrationService.save`` (its add dialog) and ``set_fields``
(its edit dialog and cards); these are checked here directly, on both databases.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from store.engine import make_engine
from tests.native import native
from worker.admin_service import AdminService, MemberError
from worker.integration_service import IntegrationError, IntegrationNotFound, IntegrationService
from worker.settings_file import SettingsFileError, import_settings

NOW = datetime(2026, 3, 1, 12, tzinfo=UTC)
GITHUB = {"name": "gh", "kind": "github", "project": "acme/app", "token_env": "GH_TOKEN"}


@pytest.fixture
def engine(cli, db_url):
    cli.ok("--ingest", "-", stdin=native({"h1": {"ssh": "pass"}}))  # alice owns "default"
    engine = make_engine(db_url)
    yield engine
    engine.dispose()


def test_the_add_dialog_on_an_existing_name_changes_only_what_it_sends(engine):
    service = IntegrationService(engine, "alice")
    assert service.save(None, GITHUB, now=NOW) is True
    assert service.save(
        None, {"name": "gh", "kind": "github", "drift_destination": "acme/sec"}, now=NOW
    )
    [info] = service.list(None)
    assert (info.project, info.token_env, info.drift_destination) == (
        "acme/app",
        "GH_TOKEN",
        "acme/sec",
    )
    with pytest.raises(
        IntegrationError, match="gh is a github integration and its kind cannot change"
    ):
        service.save(None, {**GITHUB, "kind": "gitlab"}, now=NOW)


def test_the_edit_dialog_and_cards_are_validated_like_the_command_line(engine):
    service = IntegrationService(engine, "alice")
    service.save(None, GITHUB, now=NOW)
    with pytest.raises(
        IntegrationError, match="drift_destination: GitHub destination must be owner/repo"
    ):
        service.set_fields(None, "gh", {"drift_destination": "not a repo"}, now=NOW)
    with pytest.raises(IntegrationError) as caught:
        service.set_fields(
            None, "gh", {"token_env": "ghp_R3alT0kenAbcdefghijklmnopqrstuvwx12"}, now=NOW
        )
    assert "ghp_" not in str(caught.value)
    assert service.set_fields(None, "gh", {"create_drift_tickets": False}, now=NOW) is True
    [info] = service.list(None)
    assert (info.drift_destination, info.token_env, info.create_drift_tickets) == (
        "",
        "GH_TOKEN",
        False,
    )
    with pytest.raises(IntegrationNotFound):
        service.set_fields(None, "nope", {"create_drift_tickets": False}, now=NOW)


def test_one_owner_check_for_members_and_settings_import(engine):
    admin = AdminService(engine, "alice")
    with pytest.raises(MemberError, match="a space keeps at least one owner"):
        admin.add_member(None, "alice", "editor", now=NOW)
    with pytest.raises(MemberError, match="a space keeps at least one owner"):
        admin.remove_member(None, "alice", now=NOW)
    with pytest.raises(SettingsFileError, match="line 2: a space keeps at least one owner"):
        import_settings(
            engine,
            '[spaces.default.members]\nalice = "viewer"\ncarol = "editor"\n',
            user="alice",
            now=NOW,
        )
    assert [(m.user, m.role) for m in admin.members(None)] == [("alice", "owner")]
    admin.add_member(None, "bob", "owner", now=NOW)
    assert admin.add_member(None, "alice", "editor", now=NOW) is True  # bob still owns it
