"""A real SMTP server on 127.0.0.1 for tests: keeps what it receives, fails on demand.

``FakeSmtpServer`` runs aiosmtpd in a thread on a free port. Every accepted message is kept in
``messages``. Faults are queued with :meth:`FakeSmtpServer.fail_next` and used in order, each by
the first SMTP command of its stage (``mail``, ``rcpt`` or ``data``), so a test states exactly
which exchange goes wrong::

    with FakeSmtpServer() as smtp:
        smtp.fail_next(SmtpFault.temporary(451))
        ...                                    # the next message gets "451 ..."
        smtp.fail_next(SmtpFault.drop())       # the next message is kept, its answer lost

TLS: pass ``tls=TestCertificate`` and ``implicit_tls=True`` (SMTPS, like port 465) or ``False``
(STARTTLS, like port 587). ``credentials=(user, password)`` makes the server offer AUTH and
accept only that pair.
"""

from __future__ import annotations

import asyncio
import ssl
import subprocess
import threading
from collections import deque
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.parser import BytesParser
from email.policy import default as default_policy
from pathlib import Path
from types import TracebackType
from typing import Any, Literal

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

Stage = Literal["mail", "rcpt", "data"]


@dataclass(frozen=True)
class SmtpFault:
    """One failure: at ``stage``, answer ``reply`` instead of 250, or drop the connection."""

    stage: Stage = "data"
    reply: str | None = None  # None: close the connection without answering

    @classmethod
    def temporary(cls, code: int = 451, stage: Stage = "data") -> SmtpFault:
        """A 4xx answer (421 service not available, 451 local error): the client should retry."""
        return cls(stage, f"{code} 4.3.0 Temporary failure, try again later")

    @classmethod
    def permanent(cls, code: int = 550, stage: Stage = "data") -> SmtpFault:
        """A 5xx answer: the client must not retry."""
        return cls(stage, f"{code} 5.7.1 Message rejected by policy")

    @classmethod
    def drop(cls, stage: Stage = "data") -> SmtpFault:
        """Close the connection without an answer. At ``data`` the message is kept first:
        the worst case for a client, which cannot know whether it was delivered."""
        return cls(stage, None)


@dataclass(frozen=True)
class ReceivedMessage:
    """One message as the server received it."""

    mail_from: str
    rcpt_tos: tuple[str, ...]
    raw: bytes

    @property
    def message(self) -> EmailMessage:
        """The message parsed with the modern e-mail policy."""
        parsed = BytesParser(policy=default_policy).parsebytes(self.raw)
        assert isinstance(parsed, EmailMessage)
        return parsed


@dataclass(frozen=True)
class TestCertificate:
    """A self-signed certificate for 127.0.0.1 and localhost (also its own CA)."""

    __test__ = False  # not a pytest test class despite the name

    cert_file: Path
    key_file: Path

    @classmethod
    def create(cls, directory: Path) -> TestCertificate:
        """Make one with the openssl command (quick: an EC key)."""
        cert, key = directory / "cert.pem", directory / "key.pem"
        subprocess.run(
            [
                *("openssl", "req", "-x509", "-nodes", "-days", "2", "-subj", "/CN=localhost"),
                *("-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1"),
                *("-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"),
                *("-keyout", str(key), "-out", str(cert)),
            ],
            check=True,
            capture_output=True,
        )
        return cls(cert, key)

    def server_context(self) -> ssl.SSLContext:
        """The context the fake server presents."""
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(self.cert_file, self.key_file)
        return context

    def client_context(self) -> ssl.SSLContext:
        """A verifying client context that trusts this certificate (and nothing else)."""
        return ssl.create_default_context(cafile=str(self.cert_file))


@dataclass
class _Handler:
    """aiosmtpd hooks: store messages, play queued faults, check credentials."""

    credentials: tuple[str, str] | None
    messages: list[ReceivedMessage] = field(default_factory=list)
    faults: deque[SmtpFault] = field(default_factory=deque)
    logins: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def _take_fault(self, stage: Stage) -> SmtpFault | None:
        with self.lock:
            if self.faults and self.faults[0].stage == stage:
                return self.faults.popleft()
        return None

    async def _play(self, server: SMTP, fault: SmtpFault) -> str:
        if fault.reply is not None:
            return fault.reply
        assert server.transport is not None
        server.transport.close()
        # Closing the transport cancels this task (connection_lost), so no answer is ever sent.
        await asyncio.Event().wait()
        raise AssertionError("unreachable")

    async def handle_MAIL(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        if fault := self._take_fault("mail"):
            return await self._play(server, fault)
        envelope.mail_from = address
        envelope.mail_options.extend(options)
        return "250 OK"

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        if fault := self._take_fault("rcpt"):
            return await self._play(server, fault)
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(options)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        fault = self._take_fault("data")
        if fault is None or fault.reply is None:
            raw = envelope.original_content or b""
            received = ReceivedMessage(str(envelope.mail_from), tuple(envelope.rcpt_tos), raw)
            with self.lock:
                self.messages.append(received)
        if fault is not None:
            return await self._play(server, fault)
        return "250 2.0.0 Message accepted for delivery"

    def authenticate(
        self, server: SMTP, session: Session, envelope: Envelope, mechanism: str, data: Any
    ) -> AuthResult:
        if not isinstance(data, LoginPassword) or self.credentials is None:
            return AuthResult(success=False, handled=False)
        login, password = data.login.decode(), data.password.decode()
        if (login, password) != self.credentials:
            return AuthResult(success=False, handled=False)
        with self.lock:
            self.logins.append(login)
        return AuthResult(success=True)


class _EphemeralPortController(Controller):
    """aiosmtpd's Controller bound to port 0: learns its real port before the self-check."""

    def _create_server(self) -> Any:
        parent = super()._create_server()

        async def bind() -> asyncio.AbstractServer:
            server = await parent
            self.port = server.sockets[0].getsockname()[1]
            return server

        return bind()


class FakeSmtpServer:
    """A threaded aiosmtpd server on 127.0.0.1 with a free port. Use as a context manager."""

    host = "127.0.0.1"

    def __init__(
        self,
        *,
        tls: TestCertificate | None = None,
        implicit_tls: bool = False,
        credentials: tuple[str, str] | None = None,
    ) -> None:
        self._handler = _Handler(credentials)
        options: dict[str, Any] = {}
        if credentials is not None:
            options["authenticator"] = self._handler.authenticate
            # aiosmtpd offers AUTH only after STARTTLS unless told otherwise: plain-text and
            # implicit-TLS test servers must offer it from the start.
            options["auth_require_tls"] = tls is not None and not implicit_tls
        if tls is not None and not implicit_tls:
            options["tls_context"] = tls.server_context()
        self._controller = _EphemeralPortController(
            self._handler,
            hostname=self.host,
            port=0,
            ssl_context=tls.server_context() if tls is not None and implicit_tls else None,
            **options,
        )

    @property
    def port(self) -> int:
        """The port the server listens on (known after start())."""
        return int(self._controller.port)

    @property
    def messages(self) -> list[ReceivedMessage]:
        """Messages accepted so far (a copy)."""
        with self._handler.lock:
            return list(self._handler.messages)

    @property
    def logins(self) -> list[str]:
        """User names that logged in successfully."""
        with self._handler.lock:
            return list(self._handler.logins)

    def fail_next(self, *faults: SmtpFault) -> None:
        """Queue faults; each is used once, in order, by the next command of its stage."""
        with self._handler.lock:
            self._handler.faults.extend(faults)

    def start(self) -> FakeSmtpServer:
        """Start serving in a background thread."""
        self._controller.start()
        return self

    def stop(self) -> None:
        """Stop the server and its thread."""
        self._controller.stop()

    def __enter__(self) -> FakeSmtpServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()
