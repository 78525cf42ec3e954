"""HTTP plumbing shared by the tracker clients: every failure leaves as a TicketError.

The class of the error is the worker's whole decision (DESIGN rules 15 and 16):

* nothing was sent, or the tracker said "later" (connection refused, 429, 503) → RetryableError,
  with `retry_after` when a header says how long;
* a POST was sent and no answer came back (read timeout, dropped connection, a gateway error)
  → OutcomeUnknownError: the issue may exist, so the worker searches for the marker first;
* the tracker said no (400/401/403/404/422, a TLS failure, a redirect) → PermanentError,
  carrying the tracker's own words.

Messages are one line a person can act on, and never contain the token.
"""

from __future__ import annotations

import email.utils
import re
import ssl
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import httpx

from integrations.scanners.sanitize import clean_line
from integrations.tickets.base import (
    OutcomeUnknownError,
    PermanentError,
    RetryableError,
    TicketError,
)

CONNECT_TIMEOUT = 5.0
READ_TIMEOUT = 30.0
# Methods whose repetition could do it twice (a second issue); PUT/PATCH/GET are repeatable.
_NOT_IDEMPOTENT = frozenset({"POST"})
# Behind these a proxy or the tracker itself may already have acted on the request.
_MAYBE_DONE = frozenset({500, 502, 504})
_WORDS_LIMIT = 300
_NUMBER = re.compile(r"\d+(?:\.\d+)?")


def make_client(
    *, read_timeout: float = READ_TIMEOUT, verify: ssl.SSLContext | str | bool = True
) -> httpx.Client:
    """An httpx client with explicit timeouts (connect 5 s, read 30 s) that never follows
    redirects (a redirected POST would silently become a GET)."""
    timeout = httpx.Timeout(READ_TIMEOUT, connect=CONNECT_TIMEOUT, read=read_timeout)
    return httpx.Client(timeout=timeout, verify=verify, follow_redirects=False)


@dataclass(frozen=True)
class Tracker:
    """What error messages need to know about one ticket system."""

    name: str  # "Jira", "GitHub", "GitLab"
    explain: Callable[[Any], str]  # the tracker's own words from a parsed JSON error body
    auth_hint: str  # what to check after a 401
    # GitHub asks for at least a minute when a rate limit names no time.
    rate_limit_wait: float | None = None


class Api:
    """Requests to one tracker's REST API under `base_url`, with fixed auth headers."""

    def __init__(
        self,
        tracker: Tracker,
        base_url: str,
        client: httpx.Client,
        headers: Mapping[str, str],
        secrets: tuple[str, ...],
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.tracker = tracker
        self.base_url = base_url.rstrip("/")
        self._client = client
        self._headers = dict(headers)
        self._secrets = tuple(secret for secret in secrets if secret)
        self._clock = clock
        self._origin = urlsplit(self.base_url).netloc or self.base_url

    def __repr__(self) -> str:
        return f"Api({self.tracker.name} at {self.base_url})"

    def call(
        self,
        method: str,
        path: str,
        *,
        doing: str,
        json: Any = None,
        params: Mapping[str, Any] | None = None,
        not_found: str = "",
        repeatable: bool | None = None,
    ) -> Any:
        """Send one request; return the parsed JSON answer (None when empty).

        `doing` completes "… while <doing>" in messages; `not_found` replaces the generic
        explanation of a 404 ("project SEC does not exist or this user cannot see it").
        `repeatable` says whether sending it twice is harmless (default: all but POST); a lost
        answer to a request that is not repeatable is an OutcomeUnknownError.
        """
        if repeatable is None:
            repeatable = method not in _NOT_IDEMPOTENT
        try:
            response = self._client.request(
                method, self.base_url + path, json=json, params=params, headers=self._headers
            )
        except ssl.SSLError as exc:  # raised directly by some transports
            raise self._tls_error(exc, doing) from None
        except httpx.HTTPError as exc:
            raise self._transport_error(exc, repeatable, doing) from None
        except httpx.InvalidURL as exc:
            raise self._error(
                PermanentError, f"{self.tracker.name} URL is invalid: {exc}"
            ) from None
        if response.is_success:
            return self._json(response, repeatable, doing)
        raise self._status_error(response, repeatable, doing, not_found)

    def _json(self, response: httpx.Response, repeatable: bool, doing: str) -> Any:
        if response.status_code == 204 or not response.content:
            return None
        try:
            return response.json()
        except ValueError:
            message = (
                f"{self.tracker.name} at {self._origin} answered {response.status_code} with "
                f"something that is not JSON while {doing}; check the URL"
            )
            # A create that succeeded but cannot be read may still have made the issue.
            error = PermanentError if repeatable else OutcomeUnknownError
            raise self._error(error, message) from None

    def _transport_error(self, exc: httpx.HTTPError, repeatable: bool, doing: str) -> TicketError:
        name, origin = self.tracker.name, self._origin
        tls = _ssl_cause(exc)
        if tls is not None:
            return self._tls_error(tls, doing)
        timeout = self._client.timeout
        sent = not repeatable
        maybe = "; it may have been done anyway" if sent else ""
        if isinstance(exc, httpx.UnsupportedProtocol):
            return self._error(PermanentError, f"{name} URL {self.base_url} is not http(s)://")
        if isinstance(exc, httpx.PoolTimeout):  # never left this process
            return self._error(
                RetryableError,
                f"no connection to {name} at {origin} became free within "
                f"{timeout.pool or 0:g} s while {doing}",
            )
        if isinstance(exc, httpx.ConnectTimeout):
            return self._error(
                RetryableError,
                f"{name} at {origin} did not accept a connection within "
                f"{timeout.connect or 0:g} s while {doing}",
            )
        if isinstance(exc, httpx.ConnectError):
            return self._error(
                RetryableError,
                f"cannot reach {name} at {origin} while {doing}: {_reason(exc)}; "
                "check the URL and the network",
            )
        if isinstance(exc, httpx.ReadTimeout | httpx.WriteTimeout):
            error = OutcomeUnknownError if sent else RetryableError
            seconds = timeout.read if isinstance(exc, httpx.ReadTimeout) else timeout.write
            return self._error(
                error,
                f"{name} at {origin} did not answer within {seconds or 0:g} s while {doing}{maybe}",
            )
        if isinstance(exc, httpx.RemoteProtocolError | httpx.ReadError | httpx.WriteError):
            error = OutcomeUnknownError if sent else RetryableError
            return self._error(
                error,
                f"{name} at {origin} closed the connection without answering while {doing}{maybe}",
            )
        return self._error(
            OutcomeUnknownError if sent else RetryableError,
            f"talking to {name} at {origin} failed while {doing}: {_reason(exc)}",
        )

    def _tls_error(self, exc: ssl.SSLError, doing: str) -> TicketError:
        # A certificate or protocol mismatch does not heal by waiting: a person must fix the URL
        # or the trusted CA certificates.
        return self._error(
            PermanentError,
            f"TLS with {self.tracker.name} at {self._origin} failed while {doing}: "
            f"{_reason(exc)}; check the URL (https/http) and the trusted CA certificates",
        )

    def _status_error(
        self, response: httpx.Response, repeatable: bool, doing: str, not_found: str
    ) -> TicketError:
        name, status = self.tracker.name, response.status_code
        words = self._words(response)
        said = f": {words}" if words else ""
        status_text = f"{status} {response.reason_phrase}".strip()
        if status == 429 or (status == 403 and _is_rate_limit(response, words)):
            wait = retry_after_seconds(response.headers, self._clock())
            if wait is None:
                wait = self.tracker.rate_limit_wait
            when = f"; retry in {wait:g} s" if wait is not None else ""
            return self._error(
                RetryableError,
                f"{name} is rate limiting ({status_text}) while {doing}{when}",
                retry_after=wait,
            )
        if status >= 500:
            maybe_done = not repeatable and status in _MAYBE_DONE
            error = OutcomeUnknownError if maybe_done else RetryableError
            maybe = "; it may have been done anyway" if maybe_done else ""
            return self._error(
                error,
                f"{name} had a server error ({status_text}) while {doing}{said}{maybe}",
                retry_after=retry_after_seconds(response.headers, self._clock()),
            )
        if status in (408, 409):  # request timeout / conflicting concurrent update
            return self._error(RetryableError, f"{name} answered {status_text} while {doing}{said}")
        if 300 <= status < 400:
            location = response.headers.get("location", "elsewhere")
            return self._error(
                PermanentError,
                f"{name} redirected to {location} while {doing}; set the URL to the address "
                "the API answers on",
            )
        if status == 401:
            return self._error(
                PermanentError,
                f"{name} rejected the credentials ({status_text}) while {doing}{said}; "
                f"{self.tracker.auth_hint}",
            )
        if status == 403:
            return self._error(
                PermanentError, f"{name} denied permission ({status_text}) while {doing}{said}"
            )
        if status == 404:
            detail = f": {not_found}" if not_found else said
            return self._error(
                PermanentError, f"{name} found nothing ({status_text}) while {doing}{detail}"
            )
        return self._error(PermanentError, f"{name} refused ({status_text}) while {doing}{said}")

    def _words(self, response: httpx.Response) -> str:
        """The tracker's own explanation, on one line: from its JSON, else short plain text."""
        content_type = response.headers.get("content-type", "")
        try:
            words = self.tracker.explain(response.json()) if "json" in content_type else ""
        except ValueError:
            words = ""
        if not words and content_type.startswith("text/plain"):
            words = response.text
        return clean_line(words, _WORDS_LIMIT)

    def _error(
        self, error: type[TicketError], message: str, *, retry_after: float | None = None
    ) -> TicketError:
        """Build the error with every secret cut out of its message."""
        for secret in self._secrets:
            for form in _quoted_forms(secret):
                message = message.replace(form, "***")
        if issubclass(error, RetryableError):
            return error(message, retry_after)
        return error(message)


def _quoted_forms(secret: str) -> list[str]:
    """The secret as it may appear in a message: as it is, and as Python's str and bytes
    reprs escape it (httpx quotes a refused header value as bytes), longest first."""
    forms = {secret, repr(secret)[1:-1], repr(secret.encode("utf-8", "replace"))[2:-1]}
    return sorted(forms, key=len, reverse=True)


def retry_after_seconds(headers: Mapping[str, str], now: float) -> float | None:
    """Seconds to wait according to the answer's headers, or None when they do not say.

    `Retry-After` (seconds or an HTTP date) first; then Jira's `X-RateLimit-Reset` (ISO 8601),
    GitHub's `x-ratelimit-reset` (epoch seconds, only when `x-ratelimit-remaining` is 0) and
    GitLab's `RateLimit-Reset` (epoch seconds).
    """
    headers = httpx.Headers(headers)
    retry_after = headers.get("retry-after", "").strip()
    if retry_after:
        seconds = _seconds_or_http_date(retry_after, now)
        if seconds is not None:
            return seconds
    reset = headers.get("x-ratelimit-reset", "").strip()
    if reset:
        if _is_number(reset):
            if headers.get("x-ratelimit-remaining", "").strip() == "0":
                return max(0.0, float(reset) - now)
        else:
            moment = _iso_time(reset)
            if moment is not None:
                return max(0.0, moment - now)
    reset = headers.get("ratelimit-reset", "").strip()
    if _is_number(reset) and headers.get("ratelimit-remaining", "0").strip() == "0":
        return max(0.0, float(reset) - now)
    return None


def _seconds_or_http_date(value: str, now: float) -> float | None:
    if _is_number(value):
        return max(0.0, float(value))
    try:
        moment = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return max(0.0, moment.timestamp() - now)


def _iso_time(value: str) -> float | None:
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()


def _is_number(value: str) -> bool:
    return _NUMBER.fullmatch(value) is not None


def _is_rate_limit(response: httpx.Response, words: str) -> bool:
    """GitHub answers 403 for rate limits; it says so in headers or in its message."""
    headers = response.headers
    return (
        "retry-after" in headers
        or headers.get("x-ratelimit-remaining") == "0"
        or "rate limit" in words.lower()
    )


def _ssl_cause(exc: BaseException) -> ssl.SSLError | None:
    """The TLS failure inside an httpx error, if that is what it is."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, ssl.SSLError):
            return seen
        seen = seen.__cause__ or seen.__context__
    return None


def _reason(exc: BaseException) -> str:
    """A short reason: the library's message without errno noise, or the error's kind."""
    if isinstance(exc, ssl.SSLCertVerificationError) and exc.verify_message:
        return f"certificate verify failed: {exc.verify_message}"
    text = str(exc) or type(exc).__name__
    if text.startswith("[Errno") and "] " in text:
        text = text.split("] ", 1)[1]
    return clean_line(text, 200)
