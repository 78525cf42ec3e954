"""GitHub Issues (github.com at the root, Enterprise under /api/v3) against the fake."""

from __future__ import annotations

import httpx
import pytest

from integrations.tickets.base import PermanentError, TicketRef
from integrations.tickets.github import GITHUB_API, GitHub, github_api_url
from integrations.tickets.markup import WORD_JOINER
from tests.fakes.trackers import FakeTrackers, Fault
from tests.tickets.conftest import HOSTILE, MARKER, make_content, many_assets

REPO = "acme/app"


def github(fake: FakeTrackers, client: httpx.Client, *, enterprise: bool = False) -> GitHub:
    api_url = github_api_url(fake.url) if enterprise else fake.url
    return GitHub(fake.token, api_url=api_url, client=client)


@pytest.mark.parametrize("enterprise", [False, True], ids=["github.com", "enterprise"])
def test_create_find_close_round_trip(
    fake: FakeTrackers, http_client: httpx.Client, enterprise: bool
) -> None:
    client = github(fake, http_client, enterprise=enterprise)

    ref = client.create(REPO, make_content())

    assert ref == TicketRef("1", f"{fake.url}/acme/app/issues/1")
    [issue] = fake.issues_in("github", REPO)
    assert issue.title == "[HIGH] Ensure SSH root login is disabled on 3 assets"
    assert issue.labels == ["casedesk", "security", "check", MARKER]
    assert client.find(REPO, MARKER) == ref
    assert client.find(REPO, "casedesk-ffffffffffff") is None
    client.close(REPO, ref)
    assert issue.closed and issue.state_reason == "completed"
    assert client.find(REPO, MARKER) == ref  # closed issues are found too (state=all)

    prefix = "/api/v3" if enterprise else ""
    create = fake.requests[0]
    assert create.path == f"{prefix}/repos/acme/app/issues"
    assert create.headers["Authorization"] == f"Bearer {fake.token}"
    assert create.headers["Accept"] == "application/vnd.github+json"
    assert create.headers["X-GitHub-Api-Version"] == "2022-11-28"
    search = fake.requests[1]
    assert search.query["labels"] == [MARKER] and search.query["state"] == ["all"]


def test_the_body_has_every_section() -> None:
    body = _sent_body(make_content())
    for heading in ("### Overview", "### Details", "### Assets", "### Remediation"):
        assert heading in body
    assert "- **Severity:** HIGH" in body
    assert "- web\\-1 \\(ubuntu 22\\.04\\)" in body
    assert body.rstrip().endswith("casedesk case 42 · casedesk\\-0123456789ab")


def _sent_body(content: object) -> str:
    with FakeTrackers() as fake, httpx.Client() as client:
        github(fake, client).create(REPO, content)  # type: ignore[arg-type]
        return fake.issues_in("github", REPO)[0].body


def test_markup_hostile_text_stays_literal_and_notifies_nobody(
    fake: FakeTrackers, http_client: httpx.Client
) -> None:
    github(fake, http_client).create(REPO, make_content(finding_title=HOSTILE))

    body = fake.issues_in("github", REPO)[0].body
    joiner = WORD_JOINER
    escaped = rf"\*bold\* \[link\|http\://x\] \{{code\}} \<script\> \@{joiner}here \#{joiner}1"
    assert escaped in body
    assert "<script>" not in body and "@here" not in body and "#1" not in body


def test_pull_requests_carrying_the_marker_are_not_tickets(
    fake: FakeTrackers, http_client: httpx.Client
) -> None:
    fake.add_github_pull_request(REPO, [MARKER])
    client = github(fake, http_client)
    assert client.find(REPO, MARKER) is None

    ref = client.create(REPO, make_content())

    assert ref.key == "2"
    assert client.find(REPO, MARKER) == ref


def test_five_thousand_assets_and_a_long_title_fit_the_limits(
    fake: FakeTrackers, http_client: httpx.Client
) -> None:
    content = make_content(assets=many_assets(5000), title="T" * 400)

    github(fake, http_client).create(REPO, content)  # the fake enforces GitHub's limits

    [issue] = fake.issues_in("github", REPO)
    assert len(issue.body) <= 65_536
    shown = issue.body.count("example")
    assert 100 < shown < 5000
    assert f"… and {5000 - shown} more assets" in issue.body
    assert len(issue.title) == 255 and issue.title.endswith("…")
    assert all(len(label) <= 50 for label in issue.labels)


def test_a_validation_failure_carries_githubs_words(
    fake: FakeTrackers, http_client: httpx.Client
) -> None:
    error = {"resource": "Issue", "code": "custom", "field": "body", "message": "body is bad"}
    fake.fail_next(Fault.answer(422, {"message": "Validation Failed", "errors": [error]}))

    with pytest.raises(PermanentError) as caught:
        github(fake, http_client).create(REPO, make_content())

    assert caught.value.message == (
        "GitHub refused (422 Unprocessable Entity) while creating an issue in acme/app: "
        "Validation Failed; body is bad"
    )


def test_test_passes_for_a_good_setup(fake: FakeTrackers, http_client: httpx.Client) -> None:
    github(fake, http_client).test(REPO)
    assert [r.path for r in fake.requests] == ["/user", "/repos/acme/app"]


def test_test_names_what_is_wrong(fake: FakeTrackers, http_client: httpx.Client) -> None:
    fake.add_github_repo("acme/readonly", push=False)
    fake.add_github_repo("acme/noissues", has_issues=False)
    client = github(fake, http_client)

    with pytest.raises(PermanentError, match="needs write \\(push\\) access"):
        client.test("acme/readonly")
    with pytest.raises(PermanentError, match="acme/noissues has issues turned off"):
        client.test("acme/noissues")
    with pytest.raises(PermanentError, match="repository acme/gone does not exist or this token"):
        client.test("acme/gone")
    with pytest.raises(PermanentError, match="must be owner/repo"):
        client.test("just-a-name")
    wrong = GitHub("ghp_notthetoken", api_url=fake.url, client=http_client)
    with pytest.raises(PermanentError) as caught:
        wrong.test(REPO)
    assert caught.value.message == (
        "GitHub rejected the credentials (401 Unauthorized) while checking the token: "
        "Bad credentials; check the token and that it has not expired"
    )


def test_without_push_access_labels_vanish_which_test_warns_about(
    fake: FakeTrackers, http_client: httpx.Client
) -> None:
    """Why test() checks push: GitHub drops the labels, so find() could never see the ticket."""
    fake.add_github_repo("acme/readonly", push=False)
    client = github(fake, http_client)

    client.create("acme/readonly", make_content())

    assert fake.issues_in("github", "acme/readonly")[0].labels == []
    assert client.find("acme/readonly", MARKER) is None


@pytest.mark.parametrize(
    ("configured", "expected"),
    [
        (None, GITHUB_API),
        ("https://github.com", GITHUB_API),
        ("https://api.github.com/", GITHUB_API),
        ("https://ghe.example.com", "https://ghe.example.com/api/v3"),
        ("https://ghe.example.com/api/v3/", "https://ghe.example.com/api/v3"),
    ],
)
def test_the_api_url_follows_the_configured_host(configured: str | None, expected: str) -> None:
    assert github_api_url(configured) == expected
