"""Webhook tickets: a signed JSON POST per case event, following the Standard Webhooks spec.

Headers (https://www.standardwebhooks.com): ``webhook-id`` (the same for every send of one event
of one case, so receivers can drop duplicates), ``webhook-timestamp`` (unix seconds) and
``webhook-signature`` = ``v1,`` + base64(HMAC-SHA256(secret, "{id}.{timestamp}.{body}")).
The payload is ``{"type", "timestamp", "data"}``; ``data.destination`` carries the configured
destination so one receiver can route events of several integrations.

A webhook cannot be searched: ``find()`` answers None and the worker relies on the receiver
deduplicating by ``webhook-id`` when it resends after an unknown outcome.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import re
import ssl
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import httpx

from integrations.scanners.sanitize import clean_line, clean_text
from integrations.tickets.base import (
    OutcomeUnknownError,
    PermanentError,
    RetryableError,
    TicketContent,
    TicketError,
    TicketRef,
)
from integrations.tickets.checks import web_url
from integrations.tickets.http import make_client, retry_after_seconds
from integrations.tickets.layout import check_marker

EVENT_CREATED = "case.created"
EVENT_CLOSED = "case.closed"
EVENT_TEST = "casedesk.test"
SECRET_PREFIX = "whsec_"
MAX_REPLY = 200  # receiver words quoted in an error

# webhook-id of a case event: "<marker>_<case id>_<created|closed>"; close() reads it back.
_EVENT_ID = re.compile(r"(?P<marker>casedesk-[0-9a-f]{12})_(?P<case>\d+)_(?P<event>created|closed)")


class WebhookTickets:
    """The webhook ticket system: every case event is one signed POST to ``url``."""

    def __init__(self, url: str, secret: str, *, client: httpx.Client | None = None) -> None:
        """``secret`` is ``whsec_`` + base64 (Standard Webhooks) or a raw string; the caller
        reads it from an environment variable or a 0600 file. ``client`` defaults to one with
        explicit timeouts (connect 5 s, read 30 s) that does not follow redirects."""
        self._url = _checked_url(url)
        self._key = decode_secret(secret)
        self._client = client or make_client()

    def __repr__(self) -> str:
        return f"WebhookTickets({self._where()})"

    def create(self, destination: str, content: TicketContent) -> TicketRef:
        """Post ``case.created``; the ticket key is the event's webhook-id."""
        try:
            marker = check_marker(content.marker)
        except ValueError:
            raise PermanentError(
                "ticket marker must be 'casedesk-' and 12 lowercase hex digits"
            ) from None
        event_id = f"{marker}_{int(content.case_id)}_created"
        data = {"destination": clean_line(destination), "case": _case(content)}
        self._post(event_id, EVENT_CREATED, data)
        return TicketRef(key=event_id, url="")

    def find(self, destination: str, marker: str) -> TicketRef | None:
        """A webhook cannot be searched; receivers dedupe by webhook-id instead."""
        return None

    def close(self, destination: str, ref: TicketRef) -> None:
        """Post ``case.closed`` for the case whose ``case.created`` produced ``ref``."""
        match = _EVENT_ID.fullmatch(ref.key)
        if match is None or match["event"] != "created":
            raise PermanentError(f"not a casedesk webhook ticket key: {clean_line(ref.key, 80)!r}")
        event_id = f"{match['marker']}_{match['case']}_closed"
        case = {"id": int(match["case"]), "marker": match["marker"], "ticket": ref.key}
        self._post(event_id, EVENT_CLOSED, {"destination": clean_line(destination), "case": case})

    def test(self, destination: str) -> None:
        """Post a ``casedesk.test`` event; any 2xx answer means the receiver is ready."""
        event_id = f"casedesk-test-{uuid.uuid4().hex[:12]}"
        self._post(event_id, EVENT_TEST, {"destination": clean_line(destination)})

    def _post(self, event_id: str, event: str, data: dict[str, Any]) -> None:
        now = time.time()
        payload = {
            "type": event,
            "timestamp": datetime.fromtimestamp(now, UTC).isoformat().replace("+00:00", "Z"),
            "data": data,
        }
        # ASCII JSON: report text with odd code points cannot break encoding or a receiver.
        body = json.dumps(payload, separators=(",", ":")).encode()
        timestamp = int(now)
        headers = {
            "content-type": "application/json",
            "user-agent": "casedesk",
            "webhook-id": event_id,
            "webhook-timestamp": str(timestamp),
            "webhook-signature": sign(self._key, event_id, timestamp, body),
        }
        try:
            response = self._client.post(self._url, content=body, headers=headers)
        except httpx.HTTPError as error:
            raise self._translate(error) from error
        _check(response, self._where())

    def _where(self) -> str:
        # Only scheme, host and port: paths and queries of webhook URLs often embed a secret.
        url = self._url
        port = f":{url.port}" if url.port else ""
        return f"webhook {url.scheme}://{url.host}{port}"

    def _translate(self, error: httpx.HTTPError) -> TicketError:
        """Transport failures: before sending retry; after sending the outcome is unknown."""
        where = self._where()
        causes = list(_causes(error))
        for cause in causes:
            if isinstance(cause, ssl.SSLCertVerificationError):
                return PermanentError(
                    f"TLS certificate of {where} is not trusted: {cause.verify_message or cause}"
                )
            if isinstance(cause, ssl.SSLError):
                return PermanentError(
                    f"TLS handshake with {where} failed ({cause.reason or cause}); "
                    "check that the URL's port speaks https"
                )
        if isinstance(error, httpx.ConnectTimeout):
            return RetryableError(f"cannot connect to {where}: timed out")
        if isinstance(error, httpx.ConnectError):
            refused = any(isinstance(cause, ConnectionRefusedError) for cause in causes)
            reason = "connection refused" if refused else clean_line(str(error), MAX_REPLY)
            return RetryableError(f"cannot connect to {where}: {reason or 'failed'}")
        if isinstance(error, httpx.ReadTimeout):
            return OutcomeUnknownError(
                f"{where} did not answer in time; the event may have been received"
            )
        if isinstance(error, httpx.RemoteProtocolError):
            return OutcomeUnknownError(
                f"{where} closed the connection without an answer; the event may have been received"
            )
        if isinstance(error, httpx.TimeoutException):
            return RetryableError(f"{where}: timed out sending the event")
        return RetryableError(f"{where}: {type(error).__name__}")


def decode_secret(secret: str) -> bytes:
    """The signing key: base64 after ``whsec_``, else the string itself (UTF-8)."""
    if not secret:
        raise PermanentError("webhook secret is empty")
    if not secret.startswith(SECRET_PREFIX):
        return secret.encode()
    try:
        key = base64.b64decode(secret.removeprefix(SECRET_PREFIX), validate=True)
    except (binascii.Error, ValueError):
        raise PermanentError("webhook secret starts with 'whsec_' but is not base64") from None
    if not key:
        raise PermanentError("webhook secret is empty after 'whsec_'")
    return key


def sign(key: bytes, event_id: str, timestamp: int, body: bytes) -> str:
    """The Standard Webhooks ``v1`` signature of one request."""
    signed = f"{event_id}.{timestamp}.".encode() + body
    return "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()


def _case(content: TicketContent) -> dict[str, Any]:
    """The case as JSON. JSON escapes everything; control characters are dropped anyway so a
    receiver that prints the text to a terminal cannot be tricked (DESIGN.md rule 21)."""
    return {
        "id": int(content.case_id),
        "marker": content.marker,
        "title": clean_line(content.title),
        "kind": clean_line(content.kind),
        "rating": clean_line(content.rating),
        "finding": {
            "key": clean_line(content.finding_key),
            "title": clean_line(content.finding_title),
            "source": clean_line(content.source),
            "score": content.score,
        },
        "description": clean_text(content.description),
        "remediation": clean_text(content.remediation),
        "asset_count": len(content.assets),
        "assets": [
            {"name": clean_line(asset.name), "platform": clean_line(asset.platform)}
            for asset in content.assets
        ],
    }


def _check(response: httpx.Response, where: str) -> None:
    """2xx is success; 410 means the receiver disabled us; 408/429/5xx retry; the rest stop."""
    status = response.status_code
    if 200 <= status < 300:
        return
    words = clean_line(response.text, MAX_REPLY)
    said = f"{where} answered {status}" + (f": {words}" if words else "")
    if status == 410:
        raise PermanentError(f"{said} (the receiver disabled this endpoint)")
    if status in (408, 429) or status >= 500:
        raise RetryableError(said, retry_after_seconds(response.headers, time.time()))
    if 300 <= status < 400:
        raise PermanentError(f"{said} (a redirect: configure the final URL)")
    raise PermanentError(said)


def _checked_url(url: str) -> httpx.URL:
    """An absolute http(s) URL; plain http only to this machine (the payload is sensitive)."""
    web_url(url, "webhook URL")
    try:
        return httpx.URL(url.strip())
    except (httpx.InvalidURL, TypeError):
        raise PermanentError("webhook URL is not a valid URL") from None


def _causes(error: BaseException) -> Iterator[BaseException]:
    """The exception and what it wraps (httpx wraps httpcore, which wraps the OSError)."""
    current: BaseException | None = error
    seen: set[int] = set()
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__
