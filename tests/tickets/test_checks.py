"""The settings checks shared by saving and the clients (integrations/tickets/checks.py)."""

from __future__ import annotations

import pytest

from integrations.tickets import checks
from integrations.tickets.base import PermanentError


@pytest.mark.parametrize(
    "value",
    [
        "ghp_R3alT0kenAbcdefghijklmnopqrstuvwx12",
        "github_pat_11ABCDEFG0123456789_abcdefghijklmnop",
        "gho_abc",
        "glpat-xY9zAbCdEfGh12345678",
        "ATATT3xFfGF0Zk9",
        "xoxb-1234-abcd",
        "aB3dE5fG7hJ9kL1mN3pQ7rS9",  # 24 characters, mixed case and digits
        "3f786850e387550fdab836ed7e6dc881de23001b",  # 40 hex digits
    ],
)
def test_tokens_are_recognised(value):
    assert checks.looks_like_token(value)
    assert checks.env_name_problem(value) == (
        "token_env must name an environment variable, not hold the token"
    )
    assert checks.shown_env(value) == "(not a variable name)"


@pytest.mark.parametrize(
    "value", ["CASEDESK_JIRA_TOKEN", "GH_TOKEN", "TRACKER_TOKEN_2024", "_private", "x"]
)
def test_variable_names_are_not_tokens(value):
    assert not checks.looks_like_token(value)
    assert checks.env_name_problem(value) is None
    assert checks.shown_env(value) == value


@pytest.mark.parametrize("value", ["", "9LIVES", "MY TOKEN", "A-B", "A" * 101, "X\nY"])
def test_other_values_are_not_variable_names(value):
    assert checks.env_name_problem(value) is not None


@pytest.mark.parametrize(
    ("url", "ok"),
    [
        ("https://example.atlassian.net", True),
        ("https://jira.corp.example:8443/jira", True),
        ("http://127.0.0.1:8080", True),
        ("http://localhost/x", True),
        ("http://jira.example.com", False),  # a token in clear over the network
        ("https://bot:secret@jira.example.com", False),
        ("javascript:alert(1)", False),
        ("notaurl", False),
        ("ftp://example.com/x", False),
        ("https://", False),
        ("https://exa mple.com", False),
        ("https://example.com:99999", False),
        ("https://example.com/\r\nX: y", False),
    ],
)
def test_web_urls(url, ok):
    if ok:
        assert checks.web_url(url, "url") == url
    else:
        with pytest.raises(PermanentError) as caught:
            checks.web_url(url, "url")
        assert "secret" not in caught.value.message


@pytest.mark.parametrize(
    ("kind", "value", "ok"),
    [
        ("jira", "SEC", True),
        ("jira", "SEC-1", False),
        ("github", "acme/app", True),
        ("github", "acme", False),
        ("github", "acme/app/x", False),
        ("gitlab", "42", True),
        ("gitlab", "acme/sub/app", True),
        ("gitlab", "acme%2Fapp", True),
        ("gitlab", "acme app", False),
        ("gitlab", "", False),
        ("email", "a@example.com, B <b@example.org>", True),
        ("email", "a@b.c\r\nBcc: evil@x", False),
        ("email", "nobody", False),
        ("webhook", "team-infra", True),
        ("webhook", "a\nb", False),
    ],
)
def test_destinations(kind, value, ok):
    if ok:
        checks.destination(kind, value)
    else:
        with pytest.raises(PermanentError):
            checks.destination(kind, value)


def test_a_whole_integration_names_the_field_at_fault():
    good = {
        "name": "jira-sec",
        "kind": "jira",
        "url": "https://x.atlassian.net",
        "email": "bot@example.com",
        "token_env": "JIRA_TOKEN",
        "project": "SEC",
        "options": {"concurrency": 4, "read_timeout_seconds": 0.5},
    }
    checks.check_integration(good)
    for change, key in (
        ({"token_env": "", "token_file": ""}, "token_env"),
        ({"token_file": "/run/secrets/jira"}, "token_file"),  # both sources named
        ({"email": ""}, "email"),
        ({"flavor": "server"}, "flavor"),
        ({"project": ""}, "project"),
        ({"options": {"concurrency": 0}}, "concurrency"),
        ({"options": {"concurrency": True}}, "concurrency"),
        ({"options": {"port": 25}}, "port"),  # not a Jira option
        ({"name": "a b"}, "name"),
    ):
        with pytest.raises(checks.SettingProblem) as caught:
            checks.check_integration({**good, **change})
        assert caught.value.key == key, change
    checks.check_integration({**good, "name": "a b"}, new_name=False)  # a name saved before


def test_an_email_directory_without_file_mode_is_refused_not_ignored():
    from integrations.tickets.base import PermanentError
    from integrations.tickets.checks import email_transport

    with pytest.raises(PermanentError, match="an e-mail directory is for security 'file'"):
        email_transport(
            security="starttls",
            host="localhost",
            directory="/srv/mail",
            username="",
            has_password=False,
        )
    email_transport(
        security="file", host="localhost", directory="/srv/mail", username="", has_password=False
    )
