"""E-mail tickets: one plain-text message per case, over SMTP or into a folder of .eml files.

E-mail cannot be searched and is never closed. A resend of the same case carries the same
``Message-ID`` (derived from the case id and marker), so receivers and mail clients can see it is
the same message (DESIGN.md rule 15). Every header value is one line built from cleaned text, so
report text can never add a header (rule 21).
"""

from __future__ import annotations

import os
import re
import smtplib
import socket
import ssl
import tempfile
from dataclasses import dataclass
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import formatdate
from pathlib import Path
from typing import Any

from integrations.scanners.sanitize import clean_line
from integrations.tickets.base import (
    OutcomeUnknownError,
    PermanentError,
    RetryableError,
    TicketContent,
    TicketError,
    TicketRef,
)
from integrations.tickets.checks import email_addresses, email_transport
from integrations.tickets.layout import Section, check_marker, fit_body, labels, one_line_title

DEFAULT_PORTS = {"starttls": 587, "tls": 465, "none": 25}
#: Address lists: comma-separated, each checked, CR/LF refused (one check, shared with saving).
_parse_addresses = email_addresses

MAX_SUBJECT = 250
MAX_BODY = 100_000  # characters: mail has no hard limit, but people must still read it
MAX_REPLY = 300  # server words quoted in an error


@dataclass(frozen=True)
class EmailSettings:
    """How to send. The password is not here: it is handed to :class:`EmailTickets` separately."""

    from_address: str
    security: str = "starttls"  # starttls | tls (implicit, SMTPS) | none (loopback only) | file
    host: str = "localhost"
    port: int = 0  # 0: 587 for starttls, 465 for tls, 25 for none
    username: str = ""
    directory: str = ""  # security "file": the folder that receives the .eml files
    timeout: float = 30.0  # seconds, for the connection and every SMTP reply


class _DataTracking:
    """Remembers whether DATA was sent: after that, a lost connection may hide a delivery."""

    data_started = False

    def data(self, msg: Any) -> tuple[int, bytes]:
        self.data_started = True
        return super().data(msg)  # type: ignore[misc]


class _SMTP(_DataTracking, smtplib.SMTP):
    pass


class _SMTPSSL(_DataTracking, smtplib.SMTP_SSL):
    pass


_Connection = _SMTP | _SMTPSSL


class EmailTickets:
    """The e-mail ticket system. ``destination`` is one or more comma-separated addresses."""

    def __init__(
        self,
        settings: EmailSettings,
        password: str | None = None,
        *,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        """Check the settings now so a bad one fails before any case needs it.

        ``ssl_context`` defaults to the system's verifying context; tests pass one that trusts
        their own certificate.
        """
        email_transport(
            security=settings.security,
            host=settings.host,
            directory=settings.directory,
            username=settings.username,
            has_password=bool(password),
        )
        self._from = _parse_addresses(settings.from_address, "from address")
        if len(self._from) != 1:
            raise PermanentError("e-mail needs exactly one from address")
        self.settings = settings
        self._password = password or ""
        self._ssl_context = ssl_context
        self._port = settings.port or DEFAULT_PORTS.get(settings.security, 0)

    def __repr__(self) -> str:
        target = (
            self.settings.directory
            if self.settings.security == "file"
            else f"{self.settings.host}:{self._port}"
        )
        return f"EmailTickets({self.settings.security} {target}, from={self._from[0].addr_spec})"

    def create(self, destination: str, content: TicketContent) -> TicketRef:
        """Send (or write) the case's message and return its Message-ID as the ticket key."""
        recipients = _parse_addresses(destination, "recipient")
        if self.settings.security == "file":
            message = build_message(content, self._from[0], recipients, "8bit")
            self._write(message)
        else:
            message = build_message(content, self._from[0], recipients)
            self._send(message, recipients)
        return TicketRef(key=str(message["Message-ID"]), url="")

    def find(self, destination: str, marker: str) -> TicketRef | None:
        """E-mail cannot be searched: receivers dedupe by Message-ID, so a resend is harmless."""
        return None

    def close(self, destination: str, ref: TicketRef) -> None:
        """Never called for e-mail (DESIGN.md rule 11)."""
        raise PermanentError("e-mail tickets are never closed")

    def test(self, destination: str) -> None:
        """Check the recipients, then connect, log in as configured and ask the server whether
        it would take mail from the sender to each recipient (MAIL/RCPT, then RSET: nothing sent).
        In file mode, check the folder can be written."""
        recipients = _parse_addresses(destination, "recipient")
        if self.settings.security == "file":
            folder = self._folder()
            if not os.access(folder, os.W_OK):
                raise PermanentError(f"cannot write e-mail files to {folder}: permission denied")
            return
        connection: _Connection | None = None
        try:
            connection = self._open()
            _expect(connection.mail(self._from[0].addr_spec), "the sender", (250,))
            for recipient in recipients:
                _expect(connection.rcpt(recipient.addr_spec), recipient.addr_spec, (250, 251))
            connection.rset()
        except TicketError:
            raise
        except Exception as error:
            raise self._translate(error, connection) from error
        finally:
            _quit(connection)

    def _folder(self) -> Path:
        folder = Path(self.settings.directory).expanduser()
        try:
            folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        except OSError as error:
            raise PermanentError(
                f"cannot create e-mail folder {folder}: {error.strerror}"
            ) from None
        return folder

    def _write(self, message: EmailMessage) -> None:
        """Write atomically, named by Message-ID: the same case twice leaves one file."""
        folder = self._folder()
        name = re.sub(r"[^A-Za-z0-9@._-]", "_", str(message["Message-ID"]).strip("<>")) + ".eml"
        temporary = ""
        try:
            # mkstemp creates the file 0600: tickets describe weaknesses of the user's systems.
            handle, temporary = tempfile.mkstemp(dir=folder, prefix=".casedesk-", suffix=".tmp")
            with os.fdopen(handle, "wb") as stream:
                stream.write(bytes(message))
            os.replace(temporary, folder / name)
        except OSError as error:
            if temporary:
                Path(temporary).unlink(missing_ok=True)
            raise PermanentError(
                f"cannot write e-mail file in {folder}: {error.strerror}"
            ) from None

    def _send(self, message: EmailMessage, recipients: list[Address]) -> None:
        connection: _Connection | None = None
        try:
            connection = self._open()
            refused = connection.send_message(
                message, self._from[0].addr_spec, [r.addr_spec for r in recipients]
            )
        except TicketError:
            raise
        except Exception as error:
            raise self._translate(error, connection) from error
        finally:
            _quit(connection)
        if refused:
            # Delivered to some recipients only: say so; a resend carries the same Message-ID.
            raise _partial_refusal(refused, self._password)

    def _open(self) -> _Connection:
        """Connect, greet, secure and log in as configured."""
        settings = self.settings
        context = self._ssl_context or ssl.create_default_context()
        connection: _Connection
        if settings.security == "tls":
            connection = _SMTPSSL(
                settings.host, self._port, timeout=settings.timeout, context=context
            )
        else:
            connection = _SMTP(settings.host, self._port, timeout=settings.timeout)
        try:
            connection.ehlo_or_helo_if_needed()
            if settings.security == "starttls":
                if not connection.has_extn("starttls"):
                    raise PermanentError(
                        f"SMTP server {self._where()} does not offer STARTTLS; "
                        "for implicit TLS (usually port 465) set security 'tls'"
                    )
                connection.starttls(context=context)
                connection.ehlo()
            if settings.username:
                connection.login(settings.username, self._password)
        except BaseException:
            _quit(connection)
            raise
        return connection

    def _where(self) -> str:
        return f"{clean_line(self.settings.host, 100)}:{self._port}"

    def _translate(self, error: Exception, connection: _Connection | None) -> TicketError:
        """One actionable line per failure; 4xx and connection trouble retry, 5xx do not."""
        where = self._where()
        maybe_delivered = connection is not None and connection.data_started
        if isinstance(error, smtplib.SMTPRecipientsRefused):
            return _partial_refusal(error.recipients, self._password, accepted_any=False)
        if isinstance(error, smtplib.SMTPAuthenticationError):
            reply = _reply(error.smtp_code, error.smtp_error, self._password)
            return _by_code(error.smtp_code, f"SMTP server {where} rejected the login: {reply}")
        if isinstance(error, smtplib.SMTPResponseException):
            reply = _reply(error.smtp_code, error.smtp_error, self._password)
            return _by_code(error.smtp_code, f"SMTP server {where} answered {reply}")
        if isinstance(error, smtplib.SMTPNotSupportedError):
            return PermanentError(f"SMTP server {where}: {_one_line(str(error), self._password)}")
        if isinstance(error, ssl.SSLCertVerificationError):
            return PermanentError(
                f"TLS certificate of SMTP server {where} is not trusted: "
                f"{_one_line(error.verify_message or str(error), self._password)}"
            )
        if isinstance(error, ssl.SSLError):
            return PermanentError(
                f"TLS handshake with SMTP server {where} failed ({error.reason or error}); "
                "check the port and the security setting (tls = implicit, starttls = upgrade)"
            )
        if isinstance(error, ConnectionRefusedError):
            return RetryableError(f"cannot connect to SMTP server {where}: connection refused")
        if isinstance(error, socket.gaierror):
            return RetryableError(f"cannot resolve SMTP server host {where}")
        if maybe_delivered and isinstance(error, OSError):
            return OutcomeUnknownError(
                f"SMTP server {where} did not confirm the message (connection lost after it was "
                "sent); it may have been delivered"
            )
        if isinstance(error, smtplib.SMTPServerDisconnected):
            return RetryableError(f"SMTP server {where} closed the connection unexpectedly")
        if isinstance(error, TimeoutError):
            return RetryableError(f"SMTP server {where} did not answer in time")
        if isinstance(error, OSError):
            return RetryableError(f"SMTP server {where}: connection failed ({_os_reason(error)})")
        return PermanentError(f"SMTP server {where}: unexpected error {type(error).__name__}")


def build_message(
    content: TicketContent,
    sender: Address,
    recipients: list[Address],
    encoding: str = "quoted-printable",
) -> EmailMessage:
    """The case as an e-mail: one-line headers from cleaned text, a plain-text body.

    The body is quoted-printable by default (7-bit safe through any relay, still readable where
    the text is ASCII); the file sink asks for "8bit" so the .eml files read well in a terminal.
    """
    try:
        marker = check_marker(content.marker)
    except ValueError:
        raise PermanentError(
            "ticket marker must be 'casedesk-' and 12 lowercase hex digits"
        ) from None
    message = EmailMessage()
    message["From"] = sender
    message["To"] = recipients
    # one_line_title removes CR/LF and every other control character: no header injection.
    message["Subject"] = one_line_title(content, MAX_SUBJECT)
    message["Date"] = formatdate(usegmt=True)
    message["Message-ID"] = message_id(content, sender)
    message["X-Casedesk-Marker"] = marker
    message["Keywords"] = ", ".join(labels(content))
    # RFC 3834: out-of-office robots must not answer a machine.
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(fit_body(content, render_plain_text, len, MAX_BODY), cte=encoding)
    return message


def message_id(content: TicketContent, sender: Address) -> str:
    """``<casedesk-0123456789ab.42@sender-domain>``: the same for every send of one case."""
    domain = sender.domain if sender.domain.isascii() else "casedesk.invalid"
    return f"<{check_marker(content.marker)}.{int(content.case_id)}@{domain}>"


def render_plain_text(sections: list[Section]) -> str:
    """Underlined headings, aligned facts, dashed assets; the case reference as a signature.
    The section texts are already cleaned of control characters: plain text needs no more."""
    blocks: list[str] = []
    for section in sections:
        if not section.heading:
            blocks.append("\n".join(("-- ", *section.paragraphs)))
            continue
        parts = list(section.paragraphs)
        if section.facts:
            parts.append("\n".join(f"{label + ':':<10}{value}" for label, value in section.facts))
        if section.items:
            parts.append("\n".join(f"- {item}" for item in section.items))
        if section.note:
            parts.append(section.note)
        blocks.append(f"{section.heading}\n{'-' * len(section.heading)}\n" + "\n\n".join(parts))
    return "\n\n".join(blocks) + "\n"


def _expect(answer: tuple[int, bytes], subject: str, good: tuple[int, ...]) -> None:
    """Raise like smtplib would when MAIL/RCPT in test() get a refusal."""
    code, text = answer
    if code not in good:
        raise smtplib.SMTPResponseException(code, text + f" ({subject})".encode())


def _partial_refusal(
    refused: dict[str, tuple[int, bytes]], secret: str, *, accepted_any: bool = True
) -> TicketError:
    """Recipients the server refused: permanent if any refusal was 5xx."""
    details = "; ".join(f"{addr}: {_reply(code, text)}" for addr, (code, text) in refused.items())
    prefix = "SMTP server sent the message but refused" if accepted_any else "SMTP server refused"
    worst = max(code for code, _ in refused.values())
    return _by_code(worst, f"{prefix} {_one_line(details, secret)}")


def _by_code(code: int, message: str) -> TicketError:
    return PermanentError(message) if code >= 500 else RetryableError(message)


def _reply(code: int, text: bytes | str, secret: str = "") -> str:
    words = text.decode("utf-8", "replace") if isinstance(text, bytes) else text
    return _one_line(f"{code} {words}", secret)


def _one_line(text: str, secret: str = "") -> str:
    """Server words are untrusted: one cleaned line, short, and never the password."""
    line = clean_line(text, MAX_REPLY)
    return line.replace(secret, "***") if secret else line


def _os_reason(error: OSError) -> str:
    return error.strerror or type(error).__name__


def _quit(connection: smtplib.SMTP | None) -> None:
    """Say goodbye if the server still listens; never let a failing QUIT hide the result."""
    if connection is None:
        return
    try:
        connection.quit()
    except (smtplib.SMTPException, OSError):
        connection.close()
