"""GitLab Issues (project by id or URL-encoded path) against the fake."""

from __future__ import annotations

import httpx
import pytest

from integrations.tickets.base import PermanentError, TicketRef
from integrations.tickets.gitlab import GitLab
from integrations.tickets.markup import WORD_JOINER
from tests.fakes.trackers import FakeTrackers, Fault
from tests.tickets.conftest import HOSTILE, MARKER, make_content, many_assets

PATH = "acme/app"


def gitlab(fake: FakeTrackers, client: httpx.Client) -> GitLab:
    return GitLab(fake.token, base_url=fake.url, client=client)


@pytest.mark.parametrize("project", ["acme/app", "7"], ids=["path", "id"])
def test_create_find_close_round_trip(
    fake: FakeTrackers, http_client: httpx.Client, project: str
) -> None:
    client = gitlab(fake, http_client)

    ref = client.create(project, make_content())

    assert ref == TicketRef("1", f"{fake.url}/acme/app/-/issues/1")
    [issue] = fake.issues_in("gitlab", PATH)
    assert issue.labels == ["casedesk", "security", "check", MARKER]
    assert client.find(project, MARKER) == ref
    assert client.find(project, "casedesk-ffffffffffff") is None
    client.close(project, ref)
    assert issue.closed
    client.close(project, ref)  # closing again changes nothing and does not fail
    assert client.find(project, MARKER) == ref  # closed issues are found too (state=all)

    create, search = fake.requests[0], fake.requests[1]
    encoded = "acme%2Fapp" if project == PATH else "7"
    assert create.path == f"/api/v4/projects/{encoded}/issues"
    assert create.headers["PRIVATE-TOKEN"] == fake.token
    assert create.body["labels"] == f"casedesk,security,check,{MARKER}"
    assert search.query["labels"] == [MARKER] and search.query["state"] == ["all"]


def test_markup_hostile_text_and_quick_actions_stay_literal(
    fake: FakeTrackers, http_client: httpx.Client
) -> None:
    content = make_content(description=f"{HOSTILE}\n/close\n@all ~security %1 !2 $3")

    gitlab(fake, http_client).create(PATH, content)

    body = fake.issues_in("gitlab", PATH)[0].body
    j = WORD_JOINER
    assert rf"\*bold\* \[link\|http\://x\] \{{code\}} \<script\> \@{j}here \#{j}1" in body
    assert "\n\\/close" in body  # a slash at the start of a line would be a quick action
    assert rf"\@{j}all \~{j}security \%{j}1 \!{j}2 \${j}3" in body


def test_five_thousand_assets_and_a_long_title_fit_the_limits(
    fake: FakeTrackers, http_client: httpx.Client
) -> None:
    content = make_content(assets=many_assets(5000), title="T" * 400)

    gitlab(fake, http_client).create(PATH, content)  # the fake enforces GitLab's limits

    [issue] = fake.issues_in("gitlab", PATH)
    assert len(issue.title) == 255 and issue.title.endswith("…")
    # Far below GitLab's 1 MB, but a list longer than 1,000 assets helps nobody.
    assert issue.body.count("example") == 1000
    assert "… and 4000 more assets" in issue.body


def test_a_field_error_carries_gitlabs_words(fake: FakeTrackers, http_client: httpx.Client) -> None:
    fake.fail_next(
        Fault.answer(400, {"message": {"title": ["is too long (maximum is 255 characters)"]}})
    )

    with pytest.raises(PermanentError) as caught:
        gitlab(fake, http_client).create(PATH, make_content())

    assert caught.value.message == (
        "GitLab refused (400 Bad Request) while creating an issue in acme/app: "
        "title is too long (maximum is 255 characters)"
    )


def test_test_passes_for_a_good_setup(fake: FakeTrackers, http_client: httpx.Client) -> None:
    gitlab(fake, http_client).test(PATH)
    assert [r.path for r in fake.requests] == ["/api/v4/user", "/api/v4/projects/acme%2Fapp"]


def test_test_names_what_is_wrong(fake: FakeTrackers, http_client: httpx.Client) -> None:
    fake.add_gitlab_project(8, "acme/guest", access_level=10)
    fake.add_gitlab_project(9, "acme/noissues", issues_enabled=False)
    client = gitlab(fake, http_client)

    with pytest.raises(PermanentError, match="needs the Reporter role or higher"):
        client.test("acme/guest")
    with pytest.raises(PermanentError, match="acme/noissues has issues turned off"):
        client.test("9")
    with pytest.raises(PermanentError, match="project acme/gone does not exist or this token"):
        client.test("acme/gone")
    wrong = GitLab("glpat-notthetoken", base_url=fake.url, client=http_client)
    with pytest.raises(PermanentError) as caught:
        wrong.test(PATH)
    assert caught.value.message == (
        "GitLab rejected the credentials (401 Unauthorized) while checking the token: "
        "401 Unauthorized; check the token, its expiry and its api scope"
    )
