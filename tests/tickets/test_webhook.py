"""Webhook tickets against a real HTTP receiver on 127.0.0.1; signatures checked independently."""

from __future__ import annotations

import base64
import hashlib
import hmac
import socket
import time
from collections.abc import Iterator
from dataclasses import replace
from email.utils import formatdate

import httpx
import pytest

from integrations.tickets.base import (
    OutcomeUnknownError,
    PermanentError,
    RetryableError,
    TicketAsset,
    TicketContent,
    TicketError,
    TicketRef,
    TicketSystem,
)
from integrations.tickets.webhook import WebhookTickets
from tests.fakes.webhook_receiver import FakeWebhookReceiver, ReceivedPost, WebhookFault

KEY = bytes(range(32))
SECRET = "whsec_" + base64.b64encode(KEY).decode()
# Webhook URLs often carry a secret in their path; it must never reach a message either.
PATH_TOKEN = "hook_Kx9Lm2Qp7Rs4Tv8W"
DESTINATION = "team-infra"
CREATED_ID = "casedesk-0123456789ab_42_created"

CONTENT = TicketContent(
    case_id=42,
    marker="casedesk-0123456789ab",
    title="[CRITICAL] Mitigate vulnerability CVE-2024-6387 on 2 assets",
    kind="vulnerability",
    rating="critical",
    finding_key="CVE-2024-6387",
    finding_title="OpenSSH regreSSHion",
    source="trivy",
    score=8.1,
    description="A signal handler race condition in sshd.",
    remediation="Upgrade openssh-server to 1:9.6p1-3ubuntu13.3.",
    assets=(TicketAsset("web-01", "ubuntu 24.04"), TicketAsset("web-02")),
)


@pytest.fixture
def receiver() -> Iterator[FakeWebhookReceiver]:
    with FakeWebhookReceiver(path=f"/hooks/{PATH_TOKEN}") as server:
        yield server


@pytest.fixture
def client() -> Iterator[httpx.Client]:
    # A short read timeout keeps the "receiver hangs" test fast.
    with httpx.Client(timeout=httpx.Timeout(2.0, read=0.2), follow_redirects=False) as http:
        yield http


@pytest.fixture
def tickets(receiver: FakeWebhookReceiver, client: httpx.Client) -> WebhookTickets:
    return WebhookTickets(receiver.url, SECRET, client=client)


def assert_signed(post: ReceivedPost, key: bytes = KEY) -> None:
    """Recompute the Standard Webhooks v1 signature from the raw body, independently."""
    event_id, timestamp = post.headers["webhook-id"], post.headers["webhook-timestamp"]
    signed = event_id.encode() + b"." + timestamp.encode() + b"." + post.body
    expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    assert f"v1,{expected}" in post.headers["webhook-signature"].split(" ")
    assert abs(int(timestamp) - time.time()) < 60


def assert_one_line(error: TicketError) -> None:
    assert error.message and "\n" not in error.message and "\r" not in error.message


class TestEvents:
    def test_create_posts_one_signed_case_created(
        self, receiver: FakeWebhookReceiver, tickets: WebhookTickets
    ) -> None:
        ref = tickets.create(DESTINATION, CONTENT)

        assert ref == TicketRef(key=CREATED_ID, url="")
        [post] = receiver.received
        assert post.status == 204
        assert post.headers["webhook-id"] == CREATED_ID
        assert post.headers["content-type"] == "application/json"
        assert_signed(post)
        payload = post.json()
        assert payload["type"] == "case.created"
        assert payload["timestamp"].endswith("Z")
        data = payload["data"]
        assert data["destination"] == DESTINATION
        case = data["case"]
        assert case["id"] == 42 and case["marker"] == "casedesk-0123456789ab"
        assert case["title"] == CONTENT.title
        assert case["finding"] == {
            "key": "CVE-2024-6387",
            "title": "OpenSSH regreSSHion",
            "source": "trivy",
            "score": 8.1,
        }
        assert case["rating"] == "critical" and case["kind"] == "vulnerability"
        assert case["remediation"] == CONTENT.remediation
        assert case["asset_count"] == 2
        assert case["assets"] == [
            {"name": "web-01", "platform": "ubuntu 24.04"},
            {"name": "web-02", "platform": ""},
        ]

    def test_the_webhook_id_is_the_same_on_every_send_of_one_event(
        self, receiver: FakeWebhookReceiver, tickets: WebhookTickets
    ) -> None:
        tickets.create(DESTINATION, CONTENT)
        tickets.create(DESTINATION, CONTENT)
        tickets.create(DESTINATION, replace(CONTENT, case_id=7, marker="casedesk-bbbbbbbbbbbb"))

        ids = [post.headers["webhook-id"] for post in receiver.received]
        assert ids == [CREATED_ID, CREATED_ID, "casedesk-bbbbbbbbbbbb_7_created"]

    def test_close_posts_case_closed_for_the_created_ticket(
        self, receiver: FakeWebhookReceiver, tickets: WebhookTickets
    ) -> None:
        ref = tickets.create(DESTINATION, CONTENT)

        tickets.close(DESTINATION, ref)

        post = receiver.received[-1]
        assert post.headers["webhook-id"] == "casedesk-0123456789ab_42_closed"
        assert_signed(post)
        payload = post.json()
        assert payload["type"] == "case.closed"
        assert payload["data"]["case"] == {
            "id": 42,
            "marker": "casedesk-0123456789ab",
            "ticket": CREATED_ID,
        }

    def test_close_refuses_a_key_it_did_not_make(self, tickets: WebhookTickets) -> None:
        with pytest.raises(PermanentError, match="not a casedesk webhook ticket key"):
            tickets.close(DESTINATION, TicketRef("SEC-12", ""))

    def test_test_posts_a_signed_test_event(
        self, receiver: FakeWebhookReceiver, tickets: WebhookTickets
    ) -> None:
        tickets.test(DESTINATION)

        [post] = receiver.received
        assert post.json()["type"] == "casedesk.test"
        assert post.json()["data"] == {"destination": DESTINATION}
        assert_signed(post)

    def test_a_raw_secret_is_used_as_it_is(
        self, receiver: FakeWebhookReceiver, client: httpx.Client
    ) -> None:
        WebhookTickets(receiver.url, "a plain shared secret", client=client).create(
            DESTINATION, CONTENT
        )

        assert_signed(receiver.received[0], key=b"a plain shared secret")

    def test_untrusted_text_loses_control_characters(
        self, receiver: FakeWebhookReceiver, tickets: WebhookTickets
    ) -> None:
        title = "\x1b[31mDisk full\x1b[0m\r\nBcc: evil@x"

        tickets.create(DESTINATION, replace(CONTENT, title=title))

        assert receiver.received[0].json()["data"]["case"]["title"] == "Disk full Bcc: evil@x"

    def test_find_answers_none(self, tickets: WebhookTickets) -> None:
        assert tickets.find(DESTINATION, CONTENT.marker) is None

    def test_is_a_ticket_system(self, tickets: WebhookTickets) -> None:
        assert isinstance(tickets, TicketSystem)


class TestFaults:
    def test_503_is_retryable_with_retry_after_seconds(
        self, receiver: FakeWebhookReceiver, tickets: WebhookTickets
    ) -> None:
        receiver.fail_next(WebhookFault.unavailable(retry_after="7"))

        with pytest.raises(RetryableError) as caught:
            tickets.create(DESTINATION, CONTENT)

        assert caught.value.retry_after == 7.0
        assert "503" in caught.value.message and "receiver busy" in caught.value.message
        assert_one_line(caught.value)
        tickets.create(DESTINATION, CONTENT)
        assert [post.status for post in receiver.received] == [503, 204]

    def test_retry_after_as_an_http_date(
        self, receiver: FakeWebhookReceiver, tickets: WebhookTickets
    ) -> None:
        receiver.fail_next(WebhookFault.unavailable(retry_after=formatdate(time.time() + 120)))

        with pytest.raises(RetryableError) as caught:
            tickets.create(DESTINATION, CONTENT)

        assert caught.value.retry_after is not None and 100 < caught.value.retry_after <= 121

    def test_429_without_retry_after(
        self, receiver: FakeWebhookReceiver, tickets: WebhookTickets
    ) -> None:
        receiver.fail_next(WebhookFault(429, body="slow down"))

        with pytest.raises(RetryableError) as caught:
            tickets.create(DESTINATION, CONTENT)

        assert caught.value.retry_after is None

    def test_410_is_permanent(self, receiver: FakeWebhookReceiver, tickets: WebhookTickets) -> None:
        receiver.fail_next(WebhookFault.gone())

        with pytest.raises(PermanentError) as caught:
            tickets.create(DESTINATION, CONTENT)

        assert "410" in caught.value.message and "disabled" in caught.value.message

    def test_other_4xx_is_permanent_with_the_receivers_words(
        self, receiver: FakeWebhookReceiver, tickets: WebhookTickets
    ) -> None:
        receiver.fail_next(WebhookFault(400, body="missing field\r\nsummary"))

        with pytest.raises(PermanentError) as caught:
            tickets.create(DESTINATION, CONTENT)

        assert "400: missing field summary" in caught.value.message
        assert_one_line(caught.value)

    def test_a_hanging_receiver_is_an_unknown_outcome_and_the_resend_keeps_its_id(
        self, receiver: FakeWebhookReceiver, tickets: WebhookTickets
    ) -> None:
        receiver.fail_next(WebhookFault.hanging())

        with pytest.raises(OutcomeUnknownError) as caught:
            tickets.create(DESTINATION, CONTENT)

        assert "may have been received" in caught.value.message
        tickets.create(DESTINATION, CONTENT)
        # The receiver saw the event twice under one webhook-id: its dedupe key.
        assert [post.headers["webhook-id"] for post in receiver.received] == [CREATED_ID] * 2
        assert [post.status for post in receiver.received] == [None, 204]

    def test_connection_refused_is_retryable(self, client: httpx.Client) -> None:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        tickets = WebhookTickets(f"http://127.0.0.1:{port}/hook", SECRET, client=client)

        with pytest.raises(RetryableError) as caught:
            tickets.create(DESTINATION, CONTENT)

        assert not isinstance(caught.value, OutcomeUnknownError)
        assert "connection refused" in caught.value.message


class TestSettings:
    def test_plain_http_is_refused_for_a_remote_host(self) -> None:
        with pytest.raises(PermanentError, match="must use https"):
            WebhookTickets("http://hooks.example.com/casedesk", SECRET)

    @pytest.mark.parametrize("url", ["ftp://example.com/x", "/relative/path", "https://"])
    def test_a_url_that_is_not_absolute_http_is_refused(self, url: str) -> None:
        with pytest.raises(PermanentError):
            WebhookTickets(url, SECRET)

    @pytest.mark.parametrize("secret", ["", "whsec_", "whsec_Not*Base64!Kq7Zr2"])
    def test_bad_secrets_are_refused_without_repeating_them(self, secret: str) -> None:
        with pytest.raises(PermanentError) as caught:
            WebhookTickets("https://hooks.example.com/casedesk", secret)

        assert "webhook secret" in caught.value.message
        assert "Kq7Zr2" not in caught.value.message

    def test_secret_and_url_path_never_appear_in_errors_or_repr(
        self, receiver: FakeWebhookReceiver, client: httpx.Client
    ) -> None:
        tickets = WebhookTickets(receiver.url, SECRET, client=client)
        receiver.fail_next(
            WebhookFault.unavailable("3"),
            WebhookFault.gone(),
            WebhookFault(401, body="bad signature"),
            WebhookFault.hanging(),
        )
        errors: list[TicketError] = []
        for _ in range(4):
            with pytest.raises(TicketError) as caught:
                tickets.create(DESTINATION, CONTENT)
            errors.append(caught.value)

        for text in [repr(tickets)] + [f"{e.message} {e} {e!r}" for e in errors]:
            assert SECRET not in text and SECRET.removeprefix("whsec_") not in text
            assert PATH_TOKEN not in text
