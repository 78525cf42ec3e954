"""Every failure ends as the right TicketError, for every tracker flavour, against a real server.

The error class is the worker's whole decision: RetryableError (wait `retry_after`, then again),
OutcomeUnknownError (search for the marker before trying again) or PermanentError (stop and
show the message). These tests pin the class, `retry_after` and the message for each fault.
"""

from __future__ import annotations

import socket
import time
from datetime import UTC, datetime
from email.utils import format_datetime
from typing import Any

import httpx
import pytest

from integrations.tickets.base import (
    OutcomeUnknownError,
    PermanentError,
    RetryableError,
    TicketError,
)
from integrations.tickets.github import GitHub
from integrations.tickets.gitlab import GitLab
from integrations.tickets.http import retry_after_seconds
from integrations.tickets.jira import Jira, JiraConfig
from tests.fakes.trackers import FakeTrackers, Fault
from tests.tickets.conftest import MARKER, TEST_READ_TIMEOUT, Flavour, make_content

NOW = 1_750_000_000.0  # a fixed clock for reset headers

# A 400/422 naming a field, as each tracker words it.
FIELD_ERRORS: dict[str, tuple[int, Any]] = {
    "jira": (400, {"errorMessages": [], "errors": {"customfield_10010": "Team is required."}}),
    "github": (
        422,
        {
            "message": "Validation Failed",
            "errors": [{"resource": "Issue", "field": "milestone", "code": "invalid"}],
        },
    ),
    "gitlab": (400, {"message": {"milestone_id": ["is invalid"]}}),
}
FIELD_WORDS = {
    "jira": "customfield_10010: Team is required.",
    "github": "Validation Failed; milestone invalid",
    "gitlab": "milestone_id is invalid",
}


def create(flavour: Flavour, fake: FakeTrackers, client: httpx.Client) -> TicketError:
    """Create a ticket and return the error it must raise."""
    with pytest.raises(TicketError) as caught:
        flavour.client(fake, client).create(flavour.destination, make_content())
    return caught.value


def find(flavour: Flavour, fake: FakeTrackers, client: httpx.Client) -> TicketError:
    with pytest.raises(TicketError) as caught:
        flavour.client(fake, client).find(flavour.destination, MARKER)
    return caught.value


def test_429_with_retry_after_waits_that_long(
    fake: FakeTrackers, http_client: httpx.Client, flavour: Flavour
) -> None:
    fake.fail_next(Fault.answer(429, {"message": "slow down"}, {"Retry-After": "7"}))

    error = create(flavour, fake, http_client)

    assert type(error) is RetryableError  # refused before anything was done
    assert error.retry_after == 7.0
    assert "is rate limiting (429 Too Many Requests) while creating an issue in" in error.message
    assert error.message.endswith("; retry in 7 s")
    assert fake.issues_in(flavour.system, flavour.destination) == []


def test_429_without_headers_leaves_the_wait_to_the_worker(
    fake: FakeTrackers, http_client: httpx.Client, flavour: Flavour
) -> None:
    fake.fail_next(Fault.answer(429))

    error = create(flavour, fake, http_client)

    assert type(error) is RetryableError
    # GitHub documents "wait at least a minute" for limits that name no time.
    assert error.retry_after == (60.0 if flavour.system == "github" else None)


def test_503_is_retried_after_its_retry_after(
    fake: FakeTrackers, http_client: httpx.Client, flavour: Flavour
) -> None:
    fake.fail_next(Fault.answer(503, {"message": "maintenance"}, {"Retry-After": "120"}))

    error = create(flavour, fake, http_client)

    assert type(error) is RetryableError
    assert error.retry_after == 120.0
    assert "had a server error (503 Service Unavailable) while creating an issue" in error.message


def test_a_gateway_error_on_create_may_hide_a_created_issue(
    fake: FakeTrackers, http_client: httpx.Client, flavour: Flavour
) -> None:
    fake.fail_next(Fault.answer(502))
    assert type(create(flavour, fake, http_client)) is OutcomeUnknownError

    fake.fail_next(Fault.answer(502))
    assert type(find(flavour, fake, http_client)) is RetryableError  # a search is repeatable


def test_a_dropped_create_is_an_unknown_outcome_then_reconciled(
    fake: FakeTrackers, http_client: httpx.Client, flavour: Flavour
) -> None:
    client = flavour.client(fake, http_client)
    fake.fail_next(Fault.drop(method="POST"))

    with pytest.raises(OutcomeUnknownError) as caught:
        client.create(flavour.destination, make_content())

    assert "closed the connection without answering while creating an issue" in caught.value.message
    assert caught.value.message.endswith("; it may have been done anyway")
    # What the worker does next: search, find nothing, create once.
    assert client.find(flavour.destination, MARKER) is None
    ref = client.create(flavour.destination, make_content())
    [issue] = fake.issues_in(flavour.system, flavour.destination)
    assert issue.key == ref.key


def test_a_dropped_search_is_simply_retryable(
    fake: FakeTrackers, http_client: httpx.Client, flavour: Flavour
) -> None:
    fake.fail_next(Fault.drop())

    error = find(flavour, fake, http_client)

    assert type(error) is RetryableError
    assert "closed the connection without answering while searching" in error.message


def test_rule_15_a_create_that_times_out_is_found_by_its_marker(
    fake: FakeTrackers, http_client: httpx.Client, flavour: Flavour
) -> None:
    client = flavour.client(fake, http_client)
    fake.fail_next(Fault.hang(method="POST"))  # the fake creates the issue, then never answers

    started = time.monotonic()
    with pytest.raises(OutcomeUnknownError) as caught:
        client.create(flavour.destination, make_content())

    assert time.monotonic() - started < 2
    assert f"did not answer within {TEST_READ_TIMEOUT:g} s while creating an issue" in (
        caught.value.message
    )
    [created] = fake.issues_in(flavour.system, flavour.destination)
    found = client.find(flavour.destination, MARKER)
    assert found is not None and found.key == created.key
    assert len(fake.issues_in(flavour.system, flavour.destination)) == 1


def test_a_search_that_times_out_is_simply_retryable(
    fake: FakeTrackers, http_client: httpx.Client, flavour: Flavour
) -> None:
    fake.fail_next(Fault.hang(method=""))

    error = find(flavour, fake, http_client)

    assert type(error) is RetryableError
    assert f"did not answer within {TEST_READ_TIMEOUT:g} s while searching" in error.message


def test_a_field_error_is_permanent_and_names_the_field(
    fake: FakeTrackers, http_client: httpx.Client, flavour: Flavour
) -> None:
    status, body = FIELD_ERRORS[flavour.system]
    fake.fail_next(Fault.answer(status, body))

    error = create(flavour, fake, http_client)

    assert type(error) is PermanentError
    assert error.message.endswith(
        f"while creating an issue in {flavour.destination}: " + FIELD_WORDS[flavour.system]
    )


def test_a_rejected_token_is_permanent_and_never_shown(
    fake: FakeTrackers, http_client: httpx.Client, flavour: Flavour
) -> None:
    token = "tok_wrong_5f8a9c2e7d1b"
    client = flavour.client(fake, http_client, token=token)

    with pytest.raises(PermanentError) as caught:
        client.test(flavour.destination)

    assert "rejected the credentials (401 Unauthorized) while checking the" in caught.value.message
    assert token not in caught.value.message + repr(caught.value) + repr(client)


def test_a_token_echoed_by_the_tracker_is_cut_out(
    fake: FakeTrackers, http_client: httpx.Client, flavour: Flavour
) -> None:
    fake.fail_next(
        Fault.answer(400, {"message": f"bad header {fake.token}", "errorMessages": [fake.token]})
    )

    error = create(flavour, fake, http_client)

    assert fake.token not in error.message + repr(error)
    assert "***" in error.message


def test_forbidden_is_permanent(
    fake: FakeTrackers, http_client: httpx.Client, flavour: Flavour
) -> None:
    fake.fail_next(Fault.answer(403, {"message": "Resource not accessible by integration"}))

    error = create(flavour, fake, http_client)

    assert type(error) is PermanentError
    assert "denied permission (403 Forbidden) while creating an issue" in error.message


def test_a_redirect_is_permanent_and_says_where(
    fake: FakeTrackers, http_client: httpx.Client, flavour: Flavour
) -> None:
    fake.fail_next(Fault.answer(302, None, {"Location": "https://sso.example.com/login"}))

    error = create(flavour, fake, http_client)

    assert type(error) is PermanentError
    assert "redirected to https://sso.example.com/login while creating an issue" in error.message


def test_an_html_page_instead_of_json(
    fake: FakeTrackers, http_client: httpx.Client, flavour: Flavour
) -> None:
    fake.fail_next(Fault.answer(200, b"<html>Please sign in</html>"))
    assert type(find(flavour, fake, http_client)) is PermanentError

    fake.fail_next(Fault.answer(201, b"<html>Please sign in</html>"))
    error = create(flavour, fake, http_client)
    # A 201 may have made the issue even though its answer cannot be read.
    assert type(error) is OutcomeUnknownError
    assert "answered 201 with something that is not JSON while creating an issue" in error.message


def test_an_unreachable_host_is_retryable(http_client: httpx.Client, flavour: Flavour) -> None:
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    client = flavour.build(f"http://127.0.0.1:{port}", http_client, "token")

    with pytest.raises(RetryableError) as caught:
        client.create(flavour.destination, make_content())

    assert type(caught.value) is RetryableError  # nothing was sent
    assert (
        f"cannot reach {caught.value.message.split()[2]} at 127.0.0.1:{port}"
        in caught.value.message
    )
    assert "connection refused" in caught.value.message.lower()


def test_tls_trouble_is_permanent(
    fake: FakeTrackers, http_client: httpx.Client, flavour: Flavour
) -> None:
    client = flavour.client(fake, http_client, url=fake.url.replace("http://", "https://"))

    with pytest.raises(PermanentError) as caught:
        client.test(flavour.destination)

    assert caught.value.message.startswith("TLS with ")
    assert "check the URL (https/http) and the trusted CA certificates" in caught.value.message


def test_jira_rate_limit_reset_is_an_iso_time(
    fake: FakeTrackers, http_client: httpx.Client
) -> None:
    reset = datetime.fromtimestamp(NOW + 90, UTC).isoformat().replace("+00:00", "Z")
    fake.fail_next(Fault.answer(429, None, {"X-RateLimit-Reset": reset}))
    config = JiraConfig(fake.url, email=fake.jira_email)

    with pytest.raises(RetryableError) as caught:
        Jira(config, fake.token, client=http_client, clock=lambda: NOW).find("SEC", MARKER)

    assert caught.value.retry_after == 90.0


def test_github_primary_rate_limit_is_a_403_with_a_reset_time(
    fake: FakeTrackers, http_client: httpx.Client
) -> None:
    headers = {"x-ratelimit-remaining": "0", "x-ratelimit-reset": str(int(NOW) + 300)}
    fake.fail_next(Fault.answer(403, {"message": "API rate limit exceeded"}, headers))
    client = GitHub(fake.token, api_url=fake.url, client=http_client, clock=lambda: NOW)

    with pytest.raises(RetryableError) as caught:
        client.create("acme/app", make_content())

    assert caught.value.retry_after == 300.0
    assert "GitHub is rate limiting (403 Forbidden) while creating an issue" in caught.value.message


def test_github_secondary_rate_limit_without_headers_waits_a_minute(
    fake: FakeTrackers, http_client: httpx.Client
) -> None:
    body = {"message": "You have exceeded a secondary rate limit. Please wait a few minutes."}
    fake.fail_next(Fault.answer(403, body))

    with pytest.raises(RetryableError) as caught:
        GitHub(fake.token, api_url=fake.url, client=http_client).create("acme/app", make_content())

    assert caught.value.retry_after == 60.0


def test_gitlab_rate_limit_reset_is_an_epoch(fake: FakeTrackers, http_client: httpx.Client) -> None:
    fake.fail_next(Fault.answer(429, None, {"RateLimit-Reset": str(int(NOW) + 45)}))
    client = GitLab(fake.token, base_url=fake.url, client=http_client, clock=lambda: NOW)

    with pytest.raises(RetryableError) as caught:
        client.find("acme/app", MARKER)

    assert caught.value.retry_after == 45.0


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"Retry-After": "30"}, 30.0),
        ({"Retry-After": "1.5"}, 1.5),
        (
            {"Retry-After": format_datetime(datetime.fromtimestamp(NOW + 120, UTC), usegmt=True)},
            120.0,
        ),
        ({"Retry-After": format_datetime(datetime.fromtimestamp(NOW - 5, UTC), usegmt=True)}, 0.0),
        ({"Retry-After": "soon"}, None),
        ({"Retry-After": "10", "X-RateLimit-Reset": "2030-01-01T00:00Z"}, 10.0),
        ({"X-RateLimit-Reset": datetime.fromtimestamp(NOW + 60, UTC).isoformat()}, 60.0),
        ({"x-ratelimit-remaining": "0", "x-ratelimit-reset": str(int(NOW) + 15)}, 15.0),
        ({"x-ratelimit-remaining": "4999", "x-ratelimit-reset": str(int(NOW) + 15)}, None),
        ({"RateLimit-Reset": str(int(NOW) + 20)}, 20.0),
        ({"RateLimit-Remaining": "3", "RateLimit-Reset": str(int(NOW) + 20)}, None),
        ({}, None),
    ],
)
def test_retry_headers(headers: dict[str, str], expected: float | None) -> None:
    assert retry_after_seconds(headers, NOW) == expected


def test_a_secret_quoted_with_escapes_is_cut_out_too(fake: FakeTrackers, http_client) -> None:
    from integrations.tickets.http import _quoted_forms

    secret = "SECRET-abc\nsecond"
    message = f"Illegal header value {('Bearer ' + secret).encode()!r} and {secret!r}"
    for form in _quoted_forms(secret):
        message = message.replace(form, "***")
    assert "SECRET" not in message and "second" not in message
