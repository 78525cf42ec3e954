"""E-mail tickets against a real SMTP server on 127.0.0.1 (aiosmtpd in a thread)."""

from __future__ import annotations

import shutil
import socket
import stat
from collections.abc import Iterator
from dataclasses import replace
from email.message import EmailMessage
from email.parser import BytesParser
from email.policy import default as default_policy
from pathlib import Path

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
from integrations.tickets.email import MAX_BODY, EmailSettings, EmailTickets
from tests.fakes.smtp import FakeSmtpServer, SmtpFault, TestCertificate

PASSWORD = "smtp-pw_Zq8xV3kLm9Tt2Rr7"  # looks like a token: must never show up anywhere
SENDER = "casedesk@example.com"
RECIPIENT = "secops@example.org"
MESSAGE_ID = "<casedesk-0123456789ab.42@example.com>"

CONTENT = TicketContent(
    case_id=42,
    marker="casedesk-0123456789ab",
    title="[HIGH] Ensure SSH root login is disabled on 3 assets",
    kind="check",
    rating="high",
    finding_key="sshd-01",
    finding_title="Ensure SSH root login is disabled",
    source="Linux Security Baseline",
    score=7.5,
    description="Root login over SSH gives an attacker a single password to guess.",
    remediation="Set PermitRootLogin no in /etc/ssh/sshd_config and restart sshd.",
    assets=(
        TicketAsset("web-01", "ubuntu 22.04"),
        TicketAsset("web-02", "ubuntu 22.04"),
        TicketAsset("db-01"),
    ),
)


def settings(server: FakeSmtpServer, **changes: object) -> EmailSettings:
    """Plain SMTP to the fake server (allowed: it is on 127.0.0.1), short timeouts."""
    base = EmailSettings(SENDER, security="none", host=server.host, port=server.port, timeout=2.0)
    return replace(base, **changes)  # type: ignore[arg-type]


@pytest.fixture
def smtp() -> Iterator[FakeSmtpServer]:
    with FakeSmtpServer() as server:
        yield server


@pytest.fixture
def tickets(smtp: FakeSmtpServer) -> EmailTickets:
    return EmailTickets(settings(smtp))


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> TestCertificate:
    if shutil.which("openssl") is None:
        pytest.skip("the openssl command is needed to make a test certificate")
    return TestCertificate.create(tmp_path_factory.mktemp("tls"))


def free_port() -> int:
    """A port nothing listens on (bound, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def body_of(message: EmailMessage) -> str:
    """The plain-text body with the wire's CRLF turned back into newlines."""
    part = message.get_body(("plain",))
    assert part is not None
    return str(part.get_content()).replace("\r\n", "\n")


def assert_one_line(error: TicketError) -> None:
    assert error.message and "\n" not in error.message and "\r" not in error.message


class TestCreate:
    def test_sends_exactly_one_message_with_marker_headers_and_sections(
        self, smtp: FakeSmtpServer, tickets: EmailTickets
    ) -> None:
        ref = tickets.create(RECIPIENT, CONTENT)

        assert ref == TicketRef(key=MESSAGE_ID, url="")
        [received] = smtp.messages
        assert received.mail_from == SENDER
        assert received.rcpt_tos == (RECIPIENT,)
        message = received.message
        assert message["Subject"] == CONTENT.title
        assert message["Message-ID"] == MESSAGE_ID
        assert message["X-Casedesk-Marker"] == "casedesk-0123456789ab"
        assert message["Keywords"] == "casedesk, security, check, casedesk-0123456789ab"
        assert message["Auto-Submitted"] == "auto-generated"
        body = body_of(message)
        for expected in (
            "Overview",
            "fails on 3 assets",
            "Details",
            "sshd-01",
            "Linux Security Baseline",
            "HIGH",
            "7.5",
            "Assets",
            "- web-01 (ubuntu 22.04)",
            "- db-01\n",
            "Remediation",
            "PermitRootLogin no",
            "casedesk case 42",
        ):
            assert expected in body

    def test_a_resend_carries_the_same_message_id(
        self, smtp: FakeSmtpServer, tickets: EmailTickets
    ) -> None:
        tickets.create(RECIPIENT, CONTENT)
        tickets.create(RECIPIENT, CONTENT)
        other = tickets.create(
            RECIPIENT, replace(CONTENT, case_id=43, marker="casedesk-aaaaaaaaaaaa")
        )

        ids = [received.message["Message-ID"] for received in smtp.messages]
        assert ids == [MESSAGE_ID, MESSAGE_ID, other.key]
        assert other.key == "<casedesk-aaaaaaaaaaaa.43@example.com>"

    def test_several_recipients_with_display_names(
        self, smtp: FakeSmtpServer, tickets: EmailTickets
    ) -> None:
        tickets.create('"Ops, Night" <night@example.org>, day@example.org', CONTENT)

        [received] = smtp.messages
        assert received.rcpt_tos == ("night@example.org", "day@example.org")
        assert received.message["To"] == '"Ops, Night" <night@example.org>, day@example.org'

    def test_non_ascii_text_travels_7_bit_clean(
        self, smtp: FakeSmtpServer, tickets: EmailTickets
    ) -> None:
        title = "[HIGH] Überprüfe die SSH-Konfiguration on 3 assets"

        tickets.create(RECIPIENT, replace(CONTENT, title=title, description="Zugriff für „root“"))

        [received] = smtp.messages
        assert received.raw.isascii()
        assert received.message["Subject"] == title
        assert "Zugriff für „root“" in body_of(received.message)

    def test_remediation_is_left_out_when_empty(
        self, smtp: FakeSmtpServer, tickets: EmailTickets
    ) -> None:
        tickets.create(RECIPIENT, replace(CONTENT, remediation="  "))

        body = body_of(smtp.messages[0].message)
        assert "Remediation" not in body

    def test_5000_assets_are_truncated_to_a_readable_mail(
        self, smtp: FakeSmtpServer, tickets: EmailTickets
    ) -> None:
        assets = tuple(TicketAsset(f"host-{n:04d}.example.org", "debian 12") for n in range(5000))

        tickets.create(RECIPIENT, replace(CONTENT, assets=assets))

        body = body_of(smtp.messages[0].message)
        assert len(body) <= MAX_BODY
        assert "- host-0000.example.org (debian 12)" in body
        assert "… and 4000 more assets" in body
        assert "host-4999" not in body


class TestUntrustedText:
    def test_rule_21_a_title_cannot_add_a_header(
        self, smtp: FakeSmtpServer, tickets: EmailTickets
    ) -> None:
        tickets.create(RECIPIENT, replace(CONTENT, title="Disk full\r\nBcc: evil@x\nX-Evil: 1"))

        [received] = smtp.messages
        assert received.rcpt_tos == (RECIPIENT,)
        message = received.message
        assert message["Subject"] == "Disk full Bcc: evil@x X-Evil: 1"
        assert message["Bcc"] is None and message["X-Evil"] is None
        header_block = received.raw.split(b"\r\n\r\n", 1)[0]
        assert not any(line.startswith((b"Bcc", b"X-Evil")) for line in header_block.split(b"\r\n"))

    def test_a_lone_dot_in_the_body_does_not_end_the_message(
        self, smtp: FakeSmtpServer, tickets: EmailTickets
    ) -> None:
        sneaky = "step one\r\n.\r\nMAIL FROM:<evil@x>\r\nRCPT TO:<victim@x>"

        tickets.create(RECIPIENT, replace(CONTENT, remediation=sneaky))

        [received] = smtp.messages
        body = body_of(received.message)
        assert "step one\n.\nMAIL FROM:<evil@x>" in body

    def test_terminal_escapes_are_removed(
        self, smtp: FakeSmtpServer, tickets: EmailTickets
    ) -> None:
        tickets.create(RECIPIENT, replace(CONTENT, description="\x1b[2J\x1b]0;pwned\x07cleared"))

        body = body_of(smtp.messages[0].message)
        assert "cleared" in body and "\x1b" not in body and "pwned" not in body

    @pytest.mark.parametrize(
        "destination",
        [
            "secops@example.org\r\nBcc: evil@x",
            "secops@example.org\nevil@x",
            "not an address",
            "secops@example.org evil@example.org",
            "alice@example.org <bob@evil.org>",
            "secops@",
            "Doe, Jane <jane@example.org>",
            "",
        ],
    )
    def test_bad_destinations_are_refused_before_connecting(
        self, smtp: FakeSmtpServer, tickets: EmailTickets, destination: str
    ) -> None:
        with pytest.raises(PermanentError) as caught:
            tickets.create(destination, CONTENT)

        assert_one_line(caught.value)
        assert smtp.messages == []


class TestFaults:
    @pytest.mark.parametrize(
        ("code", "stage"), [(421, "mail"), (451, "rcpt"), (451, "data"), (452, "data")]
    )
    def test_4xx_is_retryable_and_the_retry_goes_through(
        self, smtp: FakeSmtpServer, tickets: EmailTickets, code: int, stage: str
    ) -> None:
        smtp.fail_next(SmtpFault.temporary(code, stage))  # type: ignore[arg-type]

        with pytest.raises(RetryableError) as caught:
            tickets.create(RECIPIENT, CONTENT)

        assert not isinstance(caught.value, OutcomeUnknownError)
        assert f"{code} 4.3.0 Temporary failure" in caught.value.message
        assert_one_line(caught.value)
        assert smtp.messages == []
        tickets.create(RECIPIENT, CONTENT)
        assert len(smtp.messages) == 1

    @pytest.mark.parametrize("stage", ["mail", "rcpt", "data"])
    def test_5xx_is_permanent_with_the_servers_words(
        self, smtp: FakeSmtpServer, tickets: EmailTickets, stage: str
    ) -> None:
        smtp.fail_next(SmtpFault.permanent(550, stage))  # type: ignore[arg-type]

        with pytest.raises(PermanentError) as caught:
            tickets.create(RECIPIENT, CONTENT)

        assert "550 5.7.1 Message rejected by policy" in caught.value.message
        assert_one_line(caught.value)
        assert smtp.messages == []

    def test_one_refused_recipient_of_two_is_reported(
        self, smtp: FakeSmtpServer, tickets: EmailTickets
    ) -> None:
        smtp.fail_next(SmtpFault.permanent(550, "rcpt"))

        with pytest.raises(PermanentError) as caught:
            tickets.create(f"gone@example.org, {RECIPIENT}", CONTENT)

        assert "refused gone@example.org: 550" in caught.value.message
        assert [received.rcpt_tos for received in smtp.messages] == [(RECIPIENT,)]

    def test_connection_lost_after_data_is_an_unknown_outcome_and_a_resend_is_recognisable(
        self, smtp: FakeSmtpServer, tickets: EmailTickets
    ) -> None:
        smtp.fail_next(SmtpFault.drop("data"))

        with pytest.raises(OutcomeUnknownError) as caught:
            tickets.create(RECIPIENT, CONTENT)

        assert "may have been delivered" in caught.value.message
        assert tickets.find(RECIPIENT, CONTENT.marker) is None  # nothing to reconcile against
        tickets.create(RECIPIENT, CONTENT)
        # The server got it twice, with one Message-ID: the receiver's dedupe key.
        assert [received.message["Message-ID"] for received in smtp.messages] == [MESSAGE_ID] * 2

    def test_connection_lost_before_data_is_plainly_retryable(
        self, smtp: FakeSmtpServer, tickets: EmailTickets
    ) -> None:
        smtp.fail_next(SmtpFault.drop("mail"))

        with pytest.raises(RetryableError) as caught:
            tickets.create(RECIPIENT, CONTENT)

        assert not isinstance(caught.value, OutcomeUnknownError)
        assert smtp.messages == []

    def test_connection_refused(self) -> None:
        tickets = EmailTickets(EmailSettings(SENDER, "none", host="127.0.0.1", port=free_port()))

        with pytest.raises(RetryableError) as caught:
            tickets.create(RECIPIENT, CONTENT)

        assert "connection refused" in caught.value.message
        assert_one_line(caught.value)


class TestSecurity:
    def test_clear_text_is_refused_for_a_remote_host(self) -> None:
        with pytest.raises(PermanentError) as caught:
            EmailTickets(EmailSettings(SENDER, security="none", host="smtp.example.com"))

        assert "only to localhost" in caught.value.message

    @pytest.mark.parametrize("host", ["localhost", "127.0.0.1", "::1"])
    def test_clear_text_is_allowed_to_this_machine(self, host: str) -> None:
        EmailTickets(EmailSettings(SENDER, security="none", host=host))

    def test_starttls_and_login(self, certificate: TestCertificate) -> None:
        with FakeSmtpServer(tls=certificate, credentials=("casedesk", PASSWORD)) as server:
            tickets = EmailTickets(
                settings(server, security="starttls", username="casedesk"),
                PASSWORD,
                ssl_context=certificate.client_context(),
            )
            tickets.create(RECIPIENT, CONTENT)

            assert server.logins == ["casedesk"]
            assert len(server.messages) == 1

    def test_implicit_tls_and_login(self, certificate: TestCertificate) -> None:
        with FakeSmtpServer(
            tls=certificate, implicit_tls=True, credentials=("casedesk", PASSWORD)
        ) as server:
            tickets = EmailTickets(
                settings(server, security="tls", username="casedesk"),
                PASSWORD,
                ssl_context=certificate.client_context(),
            )
            tickets.create(RECIPIENT, CONTENT)

            assert server.logins == ["casedesk"]
            assert len(server.messages) == 1

    def test_an_untrusted_certificate_is_a_clear_permanent_error(
        self, certificate: TestCertificate
    ) -> None:
        with FakeSmtpServer(tls=certificate) as server:
            # The system's trust store does not know the test certificate.
            tickets = EmailTickets(settings(server, security="starttls"))

            with pytest.raises(PermanentError) as caught:
                tickets.create(RECIPIENT, CONTENT)

            assert "not trusted" in caught.value.message
            assert_one_line(caught.value)
            assert server.messages == []

    def test_starttls_not_offered(self, smtp: FakeSmtpServer) -> None:
        tickets = EmailTickets(settings(smtp, security="starttls"))

        with pytest.raises(PermanentError) as caught:
            tickets.create(RECIPIENT, CONTENT)

        assert "does not offer STARTTLS" in caught.value.message

    def test_implicit_tls_against_a_plain_server(self, smtp: FakeSmtpServer) -> None:
        tickets = EmailTickets(settings(smtp, security="tls"))

        with pytest.raises(PermanentError) as caught:
            tickets.create(RECIPIENT, CONTENT)

        assert "TLS handshake" in caught.value.message
        assert_one_line(caught.value)

    def test_the_password_never_appears_in_errors_or_repr(self) -> None:
        errors: list[TicketError] = []
        with FakeSmtpServer(credentials=("casedesk", "another-password")) as server:
            tickets = EmailTickets(settings(server, username="casedesk"), PASSWORD)
            with pytest.raises(PermanentError) as rejected:
                tickets.create(RECIPIENT, CONTENT)
            errors.append(rejected.value)
            assert "535" in rejected.value.message and "login" in rejected.value.message
        with FakeSmtpServer(credentials=("casedesk", PASSWORD)) as server:
            tickets = EmailTickets(settings(server, username="casedesk"), PASSWORD)
            server.fail_next(
                SmtpFault.temporary(451),
                SmtpFault.permanent(554),
                SmtpFault.drop(),
                SmtpFault.permanent(550, "rcpt"),
            )
            for _ in range(4):
                with pytest.raises(TicketError) as caught:
                    tickets.create(RECIPIENT, CONTENT)
                errors.append(caught.value)
            with pytest.raises(TicketError) as closing:
                tickets.close(RECIPIENT, TicketRef(MESSAGE_ID, ""))
            errors.append(closing.value)

        for error in errors:
            for text in (error.message, str(error), repr(error)):
                assert PASSWORD not in text
        assert PASSWORD not in repr(tickets)
        assert PASSWORD not in repr(tickets.settings)

    @pytest.mark.parametrize(
        "bad",
        [
            {"security": "ssl"},
            {"security": "file"},  # no directory
            {"username": "casedesk"},  # no password
            {"from_address": "two@example.com, from@example.com"},
            {"from_address": "casedesk@example.com\r\nBcc: evil@x"},
        ],
    )
    def test_bad_settings_fail_at_construction(self, smtp: FakeSmtpServer, bad: dict) -> None:
        with pytest.raises(PermanentError) as caught:
            EmailTickets(settings(smtp, **bad))

        assert_one_line(caught.value)


class TestProtocol:
    def test_is_a_ticket_system(self, tickets: EmailTickets) -> None:
        assert isinstance(tickets, TicketSystem)

    def test_find_answers_none_and_close_is_refused(self, tickets: EmailTickets) -> None:
        assert tickets.find(RECIPIENT, CONTENT.marker) is None
        with pytest.raises(PermanentError, match="never closed"):
            tickets.close(RECIPIENT, TicketRef(MESSAGE_ID, ""))

    def test_test_logs_in_checks_recipients_and_sends_nothing(
        self, certificate: TestCertificate
    ) -> None:
        with FakeSmtpServer(tls=certificate, credentials=("casedesk", PASSWORD)) as server:
            tickets = EmailTickets(
                settings(server, security="starttls", username="casedesk"),
                PASSWORD,
                ssl_context=certificate.client_context(),
            )
            tickets.test(f"{RECIPIENT}, other@example.org")

            assert server.logins == ["casedesk"]
            assert server.messages == []

    def test_test_reports_a_refused_recipient(
        self, smtp: FakeSmtpServer, tickets: EmailTickets
    ) -> None:
        smtp.fail_next(SmtpFault(stage="rcpt", reply="550 5.7.1 Relaying denied"))

        with pytest.raises(PermanentError) as caught:
            tickets.test(RECIPIENT)

        assert "550 5.7.1 Relaying denied" in caught.value.message
        assert RECIPIENT in caught.value.message

    def test_test_reports_an_unreachable_server(self) -> None:
        tickets = EmailTickets(EmailSettings(SENDER, "none", host="127.0.0.1", port=free_port()))

        with pytest.raises(RetryableError, match="connection refused"):
            tickets.test(RECIPIENT)


class TestFileSink:
    def test_writes_one_eml_file_per_case_even_when_sent_twice(self, tmp_path: Path) -> None:
        folder = tmp_path / "outbox"
        tickets = EmailTickets(EmailSettings(SENDER, security="file", directory=str(folder)))

        first = tickets.create(RECIPIENT, CONTENT)
        second = tickets.create(RECIPIENT, CONTENT)

        assert first == second
        [written] = list(folder.iterdir())
        assert written.name == "casedesk-0123456789ab.42@example.com.eml"
        assert stat.S_IMODE(written.stat().st_mode) == 0o600
        message = BytesParser(policy=default_policy).parsebytes(written.read_bytes())
        assert message["Message-ID"] == MESSAGE_ID
        assert message["Subject"] == CONTENT.title
        assert "casedesk case 42" in body_of(message)

    def test_test_checks_the_folder(self, tmp_path: Path) -> None:
        blocker = tmp_path / "a-file"
        blocker.write_text("not a folder")
        tickets = EmailTickets(EmailSettings(SENDER, security="file", directory=str(blocker)))

        with pytest.raises(PermanentError, match="cannot create e-mail folder"):
            tickets.test(RECIPIENT)
