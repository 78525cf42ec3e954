"""settings import: the same integration checks as `integrations add`, owners kept, lines named.

Each bad file is refused with exit 2 and one line naming where the problem is; nothing in it is
applied (the export before and after is the same).
"""

from __future__ import annotations

import pytest

from tests.native import native

TOKEN = "ghp_R3alT0kenAbcdefghijklmnopqrstuvwx12"

GOOD = """\
[spaces.default.members]
alice = "owner"
bob = "editor"

[[spaces.default.integrations]]
name = "jira-sec"
kind = "jira"
url = "https://example.atlassian.net"
email = "bot@example.com"
token_env = "CASEDESK_JIRA_TOKEN"
project = "SEC"

[spaces.default.integrations.options]
close_transition = "Done"

[[spaces.default.integrations]]
name = "mail"
kind = "email"
project = "secops@example.com"

[spaces.default.integrations.options]
host = "smtp.example.com"
port = 587
"""


@pytest.fixture
def space(cli):
    cli.ok("--ingest", "-", stdin=native({"h1": {"ssh": "pass"}}))
    return cli


def refused(cli, tmp_path, text: str) -> str:
    path = tmp_path / "bad.toml"
    path.write_text(text)
    before = cli.ok("settings", "export").stdout
    run = cli("settings", "import", path)
    assert run.code == 2, run.stderr
    assert run.stderr.count("\n") == 1
    assert cli.ok("settings", "export").stdout == before
    return run.stderr


def test_the_good_file_imports(space, tmp_path):
    path = tmp_path / "good.toml"
    path.write_text(GOOD)
    # bob added, two integrations added (alice is owner already).
    assert space.ok("settings", "import", path).stdout == f"Imported {path}: 3 changes.\n"


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (
            ('token_env = "CASEDESK_JIRA_TOKEN"', f'token_env = "{TOKEN}"'),
            "line 10: integration 'jira-sec': token_env must name an environment variable, "
            "not hold the token",
        ),
        (
            ('token_env = "CASEDESK_JIRA_TOKEN"', f'token_file = "{TOKEN}"'),
            "line 10: integration 'jira-sec': token_file must be the path of a file",
        ),
        (
            ('url = "https://example.atlassian.net"', 'url = "javascript:alert(1)"'),
            "line 8: integration 'jira-sec': jira url must be an absolute https:// URL",
        ),
        (
            ('project = "SEC"', 'project = "not a key"'),
            "line 11: integration 'jira-sec': project: Jira destination must be a project key",
        ),
        (
            ('project = "secops@example.com"', 'project = "a@b.c\\r\\nBcc: evil@x"'),
            "line 19: integration 'mail': project: e-mail recipient contains a line break",
        ),
        (
            ('close_transition = "Done"', 'close_transition = "Done"\nbogus = 1'),
            "line 15: integration 'jira-sec': jira has no option 'bogus'",
        ),
        (
            ("port = 587", 'port = "587"'),
            "line 23: integration 'mail': option port must be a whole number",
        ),
        (
            ("port = 587", "port = 587\nusername = 'bot'"),
            "line 24: integration 'mail': e-mail login needs a password",
        ),
        (
            ('name = "mail"', 'name = "my mail"'),
            "line 17: an integration name is 1-100 letters",
        ),
    ],
)
def test_a_bad_integration_names_its_line_and_nothing_is_applied(space, tmp_path, edit, message):
    assert edit[0] in GOOD
    stderr = refused(space, tmp_path, GOOD.replace(*edit))
    assert message in stderr
    assert TOKEN not in stderr


def test_the_kind_of_an_existing_integration_cannot_change_by_import(space, tmp_path):
    path = tmp_path / "good.toml"
    path.write_text(GOOD)
    space.ok("settings", "import", path)
    stderr = refused(
        space,
        tmp_path,
        GOOD.replace(
            'kind = "email"',
            'kind = "webhook"\nurl = "https://hooks.example.com/x"\ntoken_env = "HOOK_SECRET"',
        ).replace('host = "smtp.example.com"\nport = 587\n', ""),
    )
    assert stderr == (
        "casedesk: line 18: integration 'mail' is a email integration and stays one (its "
        "tickets live there): remove it and add a new webhook integration instead\n"
    )


@pytest.mark.parametrize(
    "members",
    [
        '[spaces.default.members]\nalice = "viewer"\n',
        '[spaces.default.members]\nalice = "editor"\nbob = "viewer"\n',
    ],
)
def test_import_never_leaves_a_space_without_an_owner(space, tmp_path, members):
    stderr = refused(space, tmp_path, members)
    assert stderr == (
        "casedesk: line 2: a space keeps at least one owner: space 'default' would have no owner\n"
    )
    assert space.ok("members", "list").stdout == "owner    alice\n"


def test_import_may_hand_ownership_over(space, tmp_path):
    path = tmp_path / "handover.toml"
    path.write_text('[spaces.default.members]\nalice = "editor"\nbob = "owner"\n')
    space.ok("settings", "import", path)
    assert space.ok("members", "list").stdout == "editor   alice\nowner    bob\n"
