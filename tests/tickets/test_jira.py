"""Jira Cloud (v3, ADF) and Data Center (v2, wiki) against the fake, checked by the OpenAPI spec."""

from __future__ import annotations

import base64
import json
from typing import Any

import httpx
import pytest

from integrations.tickets.adf import adf_size
from integrations.tickets.base import PermanentError, TicketRef
from integrations.tickets.jira import Jira, JiraConfig
from tests.fakes.trackers import FakeTrackers
from tests.tickets.conftest import HOSTILE, MARKER, make_content, many_assets

FLAVORS = ["cloud", "datacenter"]


def jira(fake: FakeTrackers, client: httpx.Client, flavor: str = "cloud", **settings: Any) -> Jira:
    config = JiraConfig(fake.url, flavor=flavor, email=fake.jira_email, **settings)  # type: ignore[arg-type]
    return Jira(config, fake.token, client=client)


def adf_texts(node: Any) -> list[str]:
    """Every text node of an Atlassian Document, in order."""
    if node.get("type") == "text":
        return [node["text"]]
    return [text for child in node.get("content", []) for text in adf_texts(child)]


def body_text(description: Any) -> str:
    return "\n".join(adf_texts(description)) if isinstance(description, dict) else description


@pytest.mark.parametrize("flavor", FLAVORS)
def test_create_find_close_round_trip(
    fake: FakeTrackers, http_client: httpx.Client, flavor: str
) -> None:
    client = jira(fake, http_client, flavor)

    ref = client.create("SEC", make_content())

    assert ref == TicketRef("SEC-1", f"{fake.url}/browse/SEC-1")
    [issue] = fake.issues_in("jira", "SEC")
    assert issue.title == "[HIGH] Ensure SSH root login is disabled on 3 assets"
    assert issue.labels == ["casedesk", "security", "check", MARKER]
    assert issue.fields["issuetype"] == {"name": "Task"}
    assert client.find("SEC", MARKER) == ref
    assert client.find("SEC", "casedesk-ffffffffffff") is None

    client.close("SEC", ref)
    assert issue.closed and issue.resolution is None
    posts_before = len([r for r in fake.requests if r.method == "POST"])
    client.close("SEC", ref)  # already done: nothing is sent
    assert len([r for r in fake.requests if r.method == "POST"]) == posts_before


def test_cloud_speaks_v3_with_basic_auth_and_an_atlassian_document(
    fake: FakeTrackers, http_client: httpx.Client
) -> None:
    client = jira(fake, http_client, "cloud")
    client.create("SEC", make_content())
    client.find("SEC", MARKER)

    create, search = fake.requests
    expected = base64.b64encode(f"{fake.jira_email}:{fake.token}".encode()).decode()
    assert create.headers["Authorization"] == f"Basic {expected}"
    assert (create.path, search.path) == ("/rest/api/3/issue", "/rest/api/3/search/jql")
    assert search.body["jql"] == f'project = "SEC" AND labels = "{MARKER}" ORDER BY created ASC'
    description = create.body["fields"]["description"]
    assert description["type"] == "doc" and description["version"] == 1
    texts = adf_texts(description)
    for heading in ("Overview", "Details", "Assets", "Remediation"):
        assert heading in texts
    assert "web-1 (ubuntu 22.04)" in texts and "db-1" in texts
    assert "Set PermitRootLogin no in /etc/ssh/sshd_config." in texts
    assert f"casedesk case 42 · {MARKER}" in texts


def test_datacenter_speaks_v2_with_a_bearer_token_and_wiki_markup(
    fake: FakeTrackers, http_client: httpx.Client
) -> None:
    client = jira(fake, http_client, "datacenter")
    client.create("SEC", make_content())
    client.find("SEC", MARKER)

    create, search = fake.requests
    assert create.headers["Authorization"] == f"Bearer {fake.token}"
    assert (create.path, search.path) == ("/rest/api/2/issue", "/rest/api/2/search")
    description = create.body["fields"]["description"]
    assert description.startswith("h3. Overview\n")
    assert "* web\\-1 \\(ubuntu 22.04\\)" in description
    assert "h3. Remediation" in description


def test_markup_hostile_text_stays_literal(fake: FakeTrackers, http_client: httpx.Client) -> None:
    content = make_content(
        finding_title=HOSTILE, description=HOSTILE + "\nh1. not a heading \\ &amp;"
    )
    jira(fake, http_client, "datacenter").create("SEC", content)
    jira(fake, http_client, "cloud").create("SEC", content)

    wiki, adf = (issue.body for issue in fake.issues_in("jira", "SEC"))
    escaped = r"\*bold\* \[link\|http://x\] \{code\} <script> @here \#1"
    assert escaped in wiki
    assert "h1&#46; not a heading &#92; &amp;amp;" in wiki
    # ADF text nodes are never parsed as markup: the text goes in exactly as written.
    assert f"The check “{HOSTILE}” fails on 3 assets." in adf_texts(adf)


@pytest.mark.parametrize("flavor", FLAVORS)
def test_five_thousand_assets_fit_the_description_limit(
    fake: FakeTrackers, http_client: httpx.Client, flavor: str
) -> None:
    content = make_content(assets=many_assets(5000), title="x" * 400)

    jira(fake, http_client, flavor).create("SEC", content)  # the fake enforces Jira's limits

    [issue] = fake.issues_in("jira", "SEC")
    size = adf_size(issue.body) if flavor == "cloud" else len(issue.body)
    assert size <= 32_767
    text = body_text(issue.body)
    shown = text.count("example")  # once per listed asset, in any markup
    assert shown > 100
    assert f"… and {5000 - shown} more assets" in text
    assert len(issue.title) == 255 and issue.title.endswith("…")


def test_huge_texts_are_shortened_to_fit(fake: FakeTrackers, http_client: httpx.Client) -> None:
    content = make_content(description="word " * 50_000, remediation="step " * 50_000)

    jira(fake, http_client, "datacenter").create("SEC", content)

    [issue] = fake.issues_in("jira", "SEC")
    assert len(issue.body) <= 32_767
    assert issue.body.count("… \\(shortened\\)") == 2
    assert "web\\-1" in issue.body


def test_close_sends_a_resolution_only_when_the_done_screen_has_one(
    fake: FakeTrackers, http_client: httpx.Client
) -> None:
    client = jira(fake, http_client)
    plain = client.create("SEC", make_content())
    with_screen = client.create("RES", make_content())

    client.close("SEC", plain)
    client.close("RES", with_screen)

    sec, res = fake.issues_in("jira", "SEC")[0], fake.issues_in("jira", "RES")[0]
    assert sec.closed and res.closed
    transitions = [r.body for r in fake.requests if r.path.endswith("/transitions") and r.body]
    assert transitions[0] == {"transition": {"id": "31"}}
    # "Done" is preferred over "Won't Do", whatever order the screen lists them in.
    assert transitions[1] == {"transition": {"id": "31"}, "fields": {"resolution": {"id": "10000"}}}
    expanded = [r for r in fake.requests if r.method == "GET" and r.path.endswith("/transitions")]
    assert all(r.query["expand"] == ["transitions.fields"] for r in expanded)


def test_a_workflow_without_a_done_status_is_a_clear_permanent_error(
    fake: FakeTrackers, http_client: httpx.Client
) -> None:
    client = jira(fake, http_client)
    ref = client.create("NODONE", make_content())

    with pytest.raises(PermanentError) as caught:
        client.close("NODONE", ref)

    assert "NODONE-1 has no transition to a done status" in caught.value.message
    assert not fake.issues_in("jira", "NODONE")[0].closed


def test_a_configured_close_transition_is_used_by_name(
    fake: FakeTrackers, http_client: httpx.Client
) -> None:
    client = jira(fake, http_client, close_transition="start progress")
    ref = client.create("SEC", make_content())

    client.close("SEC", ref)

    assert [r.body for r in fake.requests if r.method == "POST"][-1] == {"transition": {"id": "11"}}


def test_a_required_field_is_named_and_extra_fields_fill_it(
    fake: FakeTrackers, http_client: httpx.Client
) -> None:
    fake.add_jira_project("TEAM", required_fields=("customfield_10010",))

    with pytest.raises(PermanentError) as caught:
        jira(fake, http_client).create("TEAM", make_content())
    assert "(400 Bad Request)" in caught.value.message
    assert "customfield_10010: customfield_10010 is required." in caught.value.message

    extra = {"customfield_10010": {"id": "42"}, "labels": ["team-sec"]}
    ref = jira(fake, http_client, extra_fields=extra).create("TEAM", make_content())
    [issue] = fake.issues_in("jira", "TEAM")
    assert ref.key == "TEAM-1"
    assert issue.fields["customfield_10010"] == {"id": "42"}
    assert issue.labels == ["team-sec", "casedesk", "security", "check", MARKER]


@pytest.mark.parametrize("flavor", FLAVORS)
def test_test_passes_for_a_good_setup(
    fake: FakeTrackers, http_client: httpx.Client, flavor: str
) -> None:
    jira(fake, http_client, flavor).test("SEC")

    paths = [r.path for r in fake.requests]
    version = "3" if flavor == "cloud" else "2"
    assert paths == [
        f"/rest/api/{version}/myself",
        f"/rest/api/{version}/issue/createmeta/SEC/issuetypes",
    ]


def test_test_names_what_is_wrong(fake: FakeTrackers, http_client: httpx.Client) -> None:
    with pytest.raises(
        PermanentError, match="project NOPE does not exist or this user cannot see it"
    ):
        jira(fake, http_client).test("NOPE")
    with pytest.raises(PermanentError, match=r"no issue type 'Story' .*\(available: Bug, Task\)"):
        jira(fake, http_client, issue_type="Story").test("SEC")
    wrong = Jira(JiraConfig(fake.url, email=fake.jira_email), "not-the-token", client=http_client)
    with pytest.raises(PermanentError) as caught:
        wrong.test("SEC")
    assert caught.value.message.startswith("Jira rejected the credentials (401 Unauthorized)")
    assert "check the e-mail address and the API token" in caught.value.message
    assert "not-the-token" not in caught.value.message + repr(caught.value)


def test_a_destination_that_is_not_a_project_key_is_refused(
    fake: FakeTrackers, http_client: httpx.Client
) -> None:
    with pytest.raises(PermanentError, match="project key like SEC"):
        jira(fake, http_client).create('SEC" OR project != "X', make_content())
    assert fake.requests == []


def test_the_spec_check_catches_requests_jira_would_not_accept(
    fake: FakeTrackers, http_client: httpx.Client
) -> None:
    """The fake's OpenAPI check is real: these requests are outside Atlassian's description."""
    headers = {
        "Authorization": "Basic "
        + base64.b64encode(f"{fake.jira_email}:{fake.token}".encode()).decode()
    }
    http_client.post(
        f"{fake.url}/rest/api/3/search/jql", json={"jql": 5, "limit": 1}, headers=headers
    )
    http_client.get(f"{fake.url}/rest/api/3/issue/SEC-1/transitions?bogus=1", headers=headers)
    http_client.post(f"{fake.url}/rest/api/3/issue", content=b"", headers=headers)
    http_client.get(f"{fake.url}/rest/api/3/project/SEC", headers=headers)

    problems = json.dumps(fake.spec_violations)
    assert "body jql: 5 is not of type 'string'" in problems
    assert "Additional properties are not allowed ('limit' was unexpected)" in problems
    assert "undeclared query parameter 'bogus'" in problems
    assert "the required request body is missing" in problems
    assert "GET /rest/api/3/project/SEC: no such path" in problems
    fake.spec_violations.clear()  # seen; the fixture's own check is for the client's requests
