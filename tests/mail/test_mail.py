"""Mail integration: MIME output, OTP templates, senders (against a real aiosmtpd server),
retry classification, the background dispatcher, and secrets staying out of logs and reprs."""

from __future__ import annotations

import asyncio
import email
import email.policy
import email.utils
import logging
import socket
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from yourmusic.integrations.mail import (
    LogMailSender,
    MailDeliveryError,
    MailDispatcher,
    MailMessage,
    RetryPolicy,
    SmtpConfig,
    SmtpMailSender,
    build_email_message,
    build_sender,
    render_otp_email,
    resolve_locale,
)

CODE = "482913"
FROM = "YourMusic <no-reply@yourmusic.test>"
TO = "listener@example.com"
FAST_RETRY = RetryPolicy(attempts=3, wait_initial=0.01, wait_max=0.02)


# --------------------------------------------------------------------------- fixtures


@dataclass
class Delivered:
    mail_from: str
    rcpt_tos: list[str]
    content: bytes

    def parsed(self) -> EmailMessage:
        msg = email.message_from_bytes(self.content, policy=email.policy.default)
        assert isinstance(msg, EmailMessage)
        return msg


class RecordingHandler:
    """aiosmtpd handler storing accepted envelopes; can answer RCPT/DATA with scripted replies."""

    def __init__(self, data_replies: list[str] | None = None, rcpt_reply: str | None = None):
        self.delivered: list[Delivered] = []
        self.data_calls = 0
        self.rcpt_calls = 0
        self._data_replies = list(data_replies or [])
        self._rcpt_reply = rcpt_reply

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options) -> str:
        self.rcpt_calls += 1
        if self._rcpt_reply:
            return self._rcpt_reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope) -> str:
        self.data_calls += 1
        if self._data_replies:
            return self._data_replies.pop(0)
        self.delivered.append(
            Delivered(envelope.mail_from, list(envelope.rcpt_tos), bytes(envelope.content))
        )
        return "250 Message accepted for delivery"


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def smtp_server() -> Iterator[Callable[..., int]]:
    """Start real SMTP servers on free local ports: `port = smtp_server(handler, **smtp_kwargs)`."""
    controllers: list[Controller] = []

    def start(handler: Any, **kwargs: Any) -> int:
        port = _free_port()
        controller = Controller(handler, hostname="127.0.0.1", port=port, **kwargs)
        controller.start()
        controllers.append(controller)
        return port

    yield start
    for controller in controllers:
        controller.stop()


@pytest.fixture
def mail_log(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    caplog.set_level(logging.INFO, logger="yourmusic.mail")
    return caplog


def otp_message(locale: str = "en", tenant: str = "Acme Radio") -> MailMessage:
    subject, text, html = render_otp_email(locale, CODE, tenant, 10)
    return MailMessage(to=TO, subject=subject, text=text, html=html, from_addr=FROM)


def smtp_sender(port: int, **query: str) -> SmtpMailSender:
    qs = "&".join(f"{k}={v}" for k, v in {"timeout": "5", **query}.items())
    return SmtpMailSender.from_url(f"smtp://127.0.0.1:{port}?{qs}", retry=FAST_RETRY)


# --------------------------------------------------------------------------- message + templates


def test_build_email_message_is_multipart_alternative_utf8() -> None:
    msg = MailMessage(
        to="Zoë <zoe@example.com>",
        subject="Café ☕",
        text="Hé 123\n",
        html="<p>Hé 123</p>",
        from_addr=FROM,
    )
    mime = build_email_message(msg)
    parsed = email.message_from_bytes(mime.as_bytes(), policy=email.policy.default)
    assert parsed.get_content_type() == "multipart/alternative"
    assert parsed["Subject"] == "Café ☕"
    assert parsed["To"] == "Zoë <zoe@example.com>"
    assert email.utils.parsedate_to_datetime(parsed["Date"]) is not None
    assert parsed["Message-ID"].endswith("@yourmusic.test>")
    parts = list(parsed.iter_parts())
    assert [p.get_content_type() for p in parts] == ["text/plain", "text/html"]
    assert all(p.get_content_charset() == "utf-8" for p in parts)
    assert all("MIME-Version" not in p for p in parts)
    assert parts[0].get_content() == "Hé 123\n"
    assert "Hé 123" in parts[1].get_content()


def test_mail_message_rejects_header_injection_and_hides_bodies() -> None:
    with pytest.raises(ValueError):
        MailMessage(to=TO, subject="hi\r\nBcc: evil@x.test", text="", html="", from_addr=FROM)
    with pytest.raises(ValueError):
        MailMessage(to="not-an-address", subject="hi", text="", html="", from_addr=FROM)
    assert CODE not in repr(otp_message())


@pytest.mark.parametrize(
    ("locale", "subject", "phrases"),
    [
        (
            "en",
            "Your sign-in code for Acme Radio",
            ["Hello,", "This code expires in 10 minutes.", "The Acme Radio team"],
        ),
        (
            "nl",
            "Je inlogcode voor Acme Radio",
            ["Hallo,", "Deze code verloopt over 10 minuten.", "Het team van Acme Radio"],
        ),
        (
            "fr",
            "Votre code de connexion à Acme Radio",
            ["Bonjour,", "Ce code expire dans 10 minutes.", "L’équipe Acme Radio"],
        ),
    ],
)
def test_otp_template_locales(locale: str, subject: str, phrases: list[str]) -> None:
    got_subject, text, html = render_otp_email(locale, CODE, "Acme Radio", 10)
    assert got_subject == subject
    assert CODE not in got_subject
    assert CODE in text and CODE in html
    assert f'<html lang="{locale}">' in html
    for phrase in phrases:
        assert phrase in text
        assert phrase in html


def test_otp_template_locale_fallback_and_plural() -> None:
    en = render_otp_email("en", CODE, "Acme", 10)
    assert render_otp_email("de", CODE, "Acme", 10) == en
    assert render_otp_email("", CODE, "Acme", 10) == en
    assert resolve_locale("nl_BE") == "nl"
    assert resolve_locale("FR-ca") == "fr"
    assert "1 minute." in render_otp_email("en", CODE, "Acme", 1)[1]
    assert "1 minuut." in render_otp_email("nl", CODE, "Acme", 1)[1]
    assert "1 minute." in render_otp_email("fr", CODE, "Acme", 1)[1]
    subjects = {render_otp_email(loc, CODE, "Acme", 5)[0] for loc in ("en", "nl", "fr")}
    assert len(subjects) == 3
    with pytest.raises(ValueError):
        render_otp_email("en", CODE, "Acme", 0)


def test_otp_template_escapes_hostile_tenant_name() -> None:
    hostile = "<script>alert('x')</script> & \"Co\"\r\nBcc: victim@example.com"
    subject, text, html = render_otp_email("en", "<b>1</b>", hostile, 10)
    assert "<script>" not in html
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; &amp; &quot;Co&quot;" in html
    assert "&lt;b&gt;1&lt;/b&gt;" in html
    # Plain text keeps the name readable; no line breaks survive anywhere near the subject.
    assert "<script>alert('x')</script>" in text
    assert "\r" not in subject and "\n" not in subject
    MailMessage(to=TO, subject=subject, text=text, html=html, from_addr=FROM)  # accepted


# --------------------------------------------------------------------------- log sender


async def test_log_sender_logs_and_writes_eml(
    tmp_path: Path, mail_log: pytest.LogCaptureFixture
) -> None:
    outbox = tmp_path / "var" / "outbox"  # does not exist yet
    sender = LogMailSender(str(outbox))
    await sender.send(otp_message("nl"))
    await sender.send(otp_message("fr"))

    files = sorted(outbox.glob("*.eml"))
    assert len(files) == 2 and files[0].name != files[1].name
    parsed = email.message_from_bytes(files[0].read_bytes(), policy=email.policy.default)
    assert parsed["To"] == TO
    assert parsed["Subject"] in (
        "Je inlogcode voor Acme Radio",
        "Votre code de connexion à Acme Radio",
    )
    assert CODE in parsed.get_body(("plain",)).get_content()
    assert CODE in parsed.get_body(("html",)).get_content()

    records = [r for r in mail_log.records if r.name == "yourmusic.mail"]
    assert any(
        r.levelno == logging.INFO
        and TO in r.getMessage()
        and "Je inlogcode voor Acme Radio" in r.getMessage()
        and CODE in r.getMessage()  # the dev log sender exists to show the code
        for r in records
    )


async def test_log_sender_without_outbox_only_logs(mail_log: pytest.LogCaptureFixture) -> None:
    await LogMailSender().send(otp_message())
    assert "Your sign-in code for Acme Radio" in mail_log.text


# --------------------------------------------------------------------------- SMTP sender


async def test_smtp_delivery(smtp_server: Callable[..., int]) -> None:
    handler = RecordingHandler()
    port = smtp_server(handler)
    sender = smtp_sender(port)
    await sender.send(otp_message("en"))

    assert len(handler.delivered) == 1
    delivered = handler.delivered[0]
    assert delivered.mail_from == "no-reply@yourmusic.test"
    assert delivered.rcpt_tos == [TO]
    msg = delivered.parsed()
    assert msg.get_content_type() == "multipart/alternative"
    assert msg["To"] == TO
    assert msg["From"] == FROM
    assert msg["Subject"] == "Your sign-in code for Acme Radio"
    assert msg["Message-ID"] and msg["Date"]
    text = msg.get_body(("plain",)).get_content()
    html = msg.get_body(("html",)).get_content()
    assert CODE in text and CODE in html
    assert "<html" in html and "<html" not in text


async def test_smtp_delivery_all_locales(smtp_server: Callable[..., int]) -> None:
    handler = RecordingHandler()
    sender = smtp_sender(smtp_server(handler))
    for locale in ("en", "nl", "fr"):
        await sender.send(otp_message(locale, tenant="Zoë’s <Jazz> & Co"))
    subjects = [d.parsed()["Subject"] for d in handler.delivered]
    assert subjects == [
        "Your sign-in code for Zoë’s <Jazz> & Co",
        "Je inlogcode voor Zoë’s <Jazz> & Co",
        "Votre code de connexion à Zoë’s <Jazz> & Co",
    ]
    for d in handler.delivered:
        html = d.parsed().get_body(("html",)).get_content()
        assert "Zoë’s &lt;Jazz&gt; &amp; Co" in html and "<Jazz>" not in html


async def test_smtp_auth_credentials_are_percent_decoded(smtp_server: Callable[..., int]) -> None:
    seen: list[tuple[bytes, bytes]] = []

    def authenticator(server, session, envelope, mechanism, auth_data) -> AuthResult:
        assert isinstance(auth_data, LoginPassword)
        seen.append((auth_data.login, auth_data.password))
        return AuthResult(success=auth_data.password == b"p@ss:w/rd%")

    handler = RecordingHandler()
    port = smtp_server(handler, authenticator=authenticator, auth_require_tls=False)
    user, password = quote("mailer@yourmusic.test", safe=""), quote("p@ss:w/rd%", safe="")
    url = f"smtp://{user}:{password}@127.0.0.1:{port}?starttls=0"
    await SmtpMailSender.from_url(url, retry=FAST_RETRY).send(otp_message())
    assert seen == [(b"mailer@yourmusic.test", b"p@ss:w/rd%")]
    assert len(handler.delivered) == 1


async def test_smtp_retries_451_then_delivers(
    smtp_server: Callable[..., int], mail_log: pytest.LogCaptureFixture
) -> None:
    handler = RecordingHandler(data_replies=["451 4.3.0 Try again later"] * 2)
    sender = smtp_sender(smtp_server(handler))
    await sender.send(otp_message())
    assert handler.data_calls == 3
    assert len(handler.delivered) == 1
    retries = [r for r in mail_log.records if "retrying" in r.getMessage()]
    assert len(retries) == 2
    assert CODE not in mail_log.text
    # Same Message-ID on every attempt lets the receiver deduplicate.
    assert handler.delivered[0].parsed()["Message-ID"]


@pytest.mark.parametrize("attempts", [1, 3, 5])
async def test_smtp_gives_up_after_the_retry_policys_attempts(smtp_server: Callable[..., int], attempts: int) -> None:
    handler = RecordingHandler(data_replies=["451 4.3.0 Try again later"] * 6)
    sender = SmtpMailSender.from_url(f"smtp://127.0.0.1:{smtp_server(handler)}?starttls=0",
                                     retry=RetryPolicy(attempts=attempts, wait_initial=0.005, wait_max=0.01))
    with pytest.raises(MailDeliveryError) as info:
        await sender.send(otp_message())
    assert handler.data_calls == attempts
    assert info.value.transient and info.value.attempts == attempts and info.value.smtp_code == 451


async def test_smtp_550_is_not_retried(smtp_server: Callable[..., int]) -> None:
    handler = RecordingHandler(rcpt_reply="550 5.1.1 No such user here")
    sender = smtp_sender(smtp_server(handler))
    with pytest.raises(MailDeliveryError) as info:
        await sender.send(otp_message())
    assert handler.rcpt_calls == 1
    assert handler.delivered == []
    assert not info.value.transient
    assert info.value.attempts == 1
    assert info.value.smtp_code == 550


async def test_smtp_server_down_is_bounded_and_dispatcher_never_raises(
    mail_log: pytest.LogCaptureFixture,
) -> None:
    port = _free_port()  # nothing listens here
    url = f"smtp://mailer:hunter2-secret@127.0.0.1:{port}?timeout=2"
    sender = SmtpMailSender.from_url(url, retry=FAST_RETRY)

    with pytest.raises(MailDeliveryError) as info:
        await sender.send(otp_message())
    assert info.value.transient and info.value.attempts == 3

    mail_log.clear()
    dispatcher = MailDispatcher(sender)
    task = dispatcher.dispatch(otp_message())
    assert task is not None
    assert await dispatcher.drain(timeout=10) is True
    assert dispatcher.pending == 0

    retries = [r for r in mail_log.records if "retrying" in r.getMessage()]
    assert [r.getMessage().split()[3] for r in retries] == ["1/3", "2/3"]
    warnings = [r for r in mail_log.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert "after 3 attempt(s)" in warnings[0].getMessage()
    assert "l***@example.com" in warnings[0].getMessage()
    assert CODE not in mail_log.text
    assert "hunter2-secret" not in mail_log.text
    assert "Acme Radio" not in mail_log.text  # no subject or body either


# --------------------------------------------------------------------------- dispatcher


async def test_dispatcher_delivers_in_background(smtp_server: Callable[..., int]) -> None:
    handler = RecordingHandler()
    dispatcher = MailDispatcher(smtp_sender(smtp_server(handler)))
    for locale in ("en", "nl", "fr"):
        assert dispatcher.dispatch(otp_message(locale)) is not None
    assert dispatcher.pending == 3  # scheduled, not sent inline
    assert await dispatcher.drain(timeout=10) is True
    assert len(handler.delivered) == 3
    await dispatcher.close()


async def test_dispatcher_swallows_unexpected_sender_errors(
    mail_log: pytest.LogCaptureFixture,
) -> None:
    class Exploding(LogMailSender):
        async def send(self, message: MailMessage) -> None:
            raise RuntimeError(f"boom with body {message.text}")

    dispatcher = MailDispatcher(Exploding())
    dispatcher.dispatch(otp_message())
    assert await dispatcher.drain(timeout=5)
    assert "mail delivery to l***@example.com failed: RuntimeError" in mail_log.text
    assert CODE not in mail_log.text


async def test_dispatcher_drain_times_out_and_close_cancels(
    mail_log: pytest.LogCaptureFixture,
) -> None:
    release = asyncio.Event()

    class Slow(LogMailSender):
        async def send(self, message: MailMessage) -> None:
            await release.wait()

    dispatcher = MailDispatcher(Slow())
    task = dispatcher.dispatch(otp_message())
    assert await dispatcher.drain(timeout=0.05) is False
    assert "still pending" in mail_log.text
    await dispatcher.close(timeout=0.05)
    assert task is not None and task.cancelled()
    assert dispatcher.pending == 0


def test_dispatch_without_running_loop_does_not_raise(
    mail_log: pytest.LogCaptureFixture,
) -> None:
    assert MailDispatcher(LogMailSender()).dispatch(otp_message()) is None
    assert "outside a running event loop" in mail_log.text


# --------------------------------------------------------------------------- config + secrets


def test_smtp_url_options() -> None:
    cfg = SmtpConfig.from_url(
        "smtp://u:p@mail.example.com:2525?starttls=1&validate_certs=0&timeout=3.5"
    )
    assert (cfg.host, cfg.port, cfg.username, cfg.password) == ("mail.example.com", 2525, "u", "p")
    assert cfg.start_tls is True and cfg.use_tls is False
    assert cfg.validate_certs is False and cfg.timeout == 3.5

    implicit = SmtpConfig.from_url("smtps://mail.example.com")
    assert implicit.use_tls is True and implicit.port == 465 and implicit.username is None
    assert SmtpConfig.from_url("smtp://mail.example.com?starttls=true").port == 587
    plain = SmtpConfig.from_url("smtp://mail.example.com")
    assert plain.port == 25 and plain.start_tls is None and plain.validate_certs is True


@pytest.mark.parametrize(
    "url",
    [
        "http://u:topsecret@mail.example.com",
        "smtps://u:topsecret@mail.example.com?starttls=1",
        "smtp://u:topsecret@mail.example.com?tls=1",
        "smtp://u:topsecret@mail.example.com?starttls=maybe",
        "smtp://u:topsecret@mail.example.com?timeout=soon",
        "smtp://u:topsecret@mail.example.com:notaport",
        "smtp://u@mail.example.com",
        "smtp://",
    ],
)
def test_smtp_url_errors_do_not_leak_password(url: str) -> None:
    with pytest.raises(ValueError) as info:
        SmtpConfig.from_url(url)
    assert "topsecret" not in str(info.value)


def test_credentials_not_in_repr() -> None:
    sender = SmtpMailSender.from_url("smtp://alice:s3cr3t-pw@mail.example.com:587?starttls=1")
    for text in (repr(sender), str(sender), repr(sender.config), str(sender.config)):
        assert "s3cr3t-pw" not in text
        assert "alice" not in text
        assert "mail.example.com" in text
    assert "auth=True" in repr(sender.config)
    assert "s3cr3t-pw" not in repr(MailDispatcher(sender))


def test_build_sender(tmp_path: Path) -> None:
    smtp = build_sender("smtp://mail.example.com:2525", None)
    assert isinstance(smtp, SmtpMailSender) and smtp.config.port == 2525
    log = build_sender(None, str(tmp_path))
    assert isinstance(log, LogMailSender) and log.outbox_dir == tmp_path
    assert isinstance(build_sender("  ", None), LogMailSender)
