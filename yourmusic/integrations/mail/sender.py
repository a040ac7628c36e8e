"""Mail senders (log/outbox for development, SMTP for production) and the background dispatcher.

Sign-in mails carry one-time codes, so everything here keeps message bodies and SMTP
credentials out of reprs and failure logs. Only `LogMailSender` logs bodies: it is the
development default and reading the code from the log is its purpose.
"""

from __future__ import annotations

import asyncio
import email.policy
import logging
import os
import ssl
import uuid
from abc import ABC, abstractmethod
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime, timezone
from email.message import EmailMessage
from pathlib import Path
from urllib.parse import parse_qsl, unquote, urlsplit

from tenacity import RetryCallState

from yourmusic.integrations.retry import RetryPolicy

from .message import MailMessage, build_email_message

logger = logging.getLogger("yourmusic.mail")

_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"0", "false", "no", "off"})


class MailDeliveryError(Exception):
    """A message could not be delivered; its text never holds the body or credentials."""

    def __init__(
        self, reason: str, *, transient: bool, attempts: int, smtp_code: int | None = None
    ) -> None:
        kind = "transient" if transient else "permanent"
        super().__init__(f"{kind} failure after {attempts} attempt(s): {reason}")
        self.transient = transient
        self.attempts = attempts
        self.smtp_code = smtp_code


class MailSender(ABC):
    """Delivers `MailMessage`s; `send` raises `MailDeliveryError` when it cannot."""

    @abstractmethod
    async def send(self, message: MailMessage) -> None:
        """Deliver one message (retrying transient failures where the transport has them)."""

    async def close(self) -> None:
        """Release transport resources; a no-op for senders that hold none."""


# --------------------------------------------------------------------------- failure handling


# aiosmtplib is imported by the first SMTP send or failure, not at start (issue 17.9): the log sender, the
# development default, never needs it.


def smtp_reply_code(exc: BaseException) -> int | None:
    """The SMTP reply code behind `exc`, if the server answered with one."""
    from aiosmtplib.errors import SMTPRecipientsRefused, SMTPResponseException

    if isinstance(exc, SMTPResponseException):
        return exc.code
    if isinstance(exc, SMTPRecipientsRefused) and exc.recipients:
        # Any permanent refusal makes the whole send permanent.
        return max(refusal.code for refusal in exc.recipients)
    return None


def is_transient(exc: BaseException) -> bool:
    """Whether retrying could help: SMTP 4xx replies and network trouble, but not 5xx or TLS."""
    from aiosmtplib.errors import SMTPConnectError, SMTPServerDisconnected, SMTPTimeoutError

    code = smtp_reply_code(exc)
    if code is not None:
        return 400 <= code < 500
    if isinstance(exc, ssl.SSLError) or isinstance(exc.__cause__, ssl.SSLError):
        return False  # a certificate or protocol mismatch will not fix itself in a second
    return isinstance(
        exc, (SMTPServerDisconnected, SMTPConnectError, SMTPTimeoutError, ConnectionError, OSError)
    )


def _describe(exc: BaseException) -> str:
    """A one-line, length-capped description of a transport error for logs."""
    code = smtp_reply_code(exc)
    detail = " ".join(str(getattr(exc, "message", None) or exc).split())[:200]
    name = type(exc).__name__
    return f"{name} {code}: {detail}" if code is not None else f"{name}: {detail}"


def _describe_for_log(exc: BaseException) -> str:
    """Like `_describe`, but only for errors whose text we know carries no message content."""
    from aiosmtplib.errors import SMTPException

    if isinstance(exc, (MailDeliveryError, SMTPException, OSError)):
        return _describe(exc)
    return type(exc).__name__


def _mask_address(address: str) -> str:
    """'alice@example.com' -> 'a***@example.com': enough to correlate, not a full address."""
    local, at, domain = address.rpartition("@")
    if not at:
        return "***"
    return f"{local[:1]}***@{domain}"


#: SMTP retries: 3 attempts, waits up to 0.5 s then 1 s (full jitter, the app's one `RetryPolicy`).
SMTP_RETRY = RetryPolicy(attempts=3, wait_initial=0.5, wait_max=8.0)


# --------------------------------------------------------------------------- log sender


@dataclass(frozen=True, slots=True)
class SentMail:
    """One message the log sender took, with when (UTC), for the development outbox page."""

    sent_at: datetime
    message: MailMessage


class LogMailSender(MailSender):
    """Development sender: logs each message (with its text body) and optionally keeps .eml files.

    The .eml outbox lets a developer open the exact MIME output in a mail client. The newest
    `keep` messages also stay in memory (`recent()`), for the outbox page of the embedded default.
    """

    def __init__(self, outbox_dir: str | None = None, *, keep: int = 50) -> None:
        self._outbox = Path(outbox_dir) if outbox_dir else None
        self._recent: deque[SentMail] = deque(maxlen=keep)

    def recent(self) -> list[SentMail]:
        """The messages this process sent, newest first (at most `keep`)."""
        return list(reversed(self._recent))

    @property
    def outbox_dir(self) -> Path | None:
        return self._outbox

    def __repr__(self) -> str:
        return f"LogMailSender(outbox_dir={str(self._outbox) if self._outbox else None!r})"

    async def send(self, message: MailMessage) -> None:
        self._recent.append(SentMail(datetime.now(timezone.utc), message))
        # Log first: the developer still gets the code if writing the outbox file fails.
        logger.info(
            "mail (not delivered, log sender) to=%s subject=%r\n%s",
            message.to,
            message.subject,
            message.text,
        )
        if self._outbox is None:
            return
        try:
            path = await asyncio.to_thread(self._write, build_email_message(message))
        except OSError as exc:
            raise MailDeliveryError(
                f"could not write outbox file: {_describe(exc)}", transient=False, attempts=1
            ) from exc
        logger.info("mail written to %s", path)

    def _write(self, msg: EmailMessage) -> Path:
        """Write one .eml file: O_EXCL plus a random suffix keep names unique, mode 0600 keeps
        the codes in it private to the developer."""
        assert self._outbox is not None
        self._outbox.mkdir(parents=True, exist_ok=True)
        stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S%fZ")
        path = self._outbox / f"{stamp}-{uuid.uuid4().hex[:12]}.eml"
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(msg.as_bytes(policy=email.policy.default))
        return path


# --------------------------------------------------------------------------- SMTP sender


def _parse_bool(name: str, value: str) -> bool:
    lowered = value.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ValueError(f"SMTP URL option {name!r} must be a boolean (1/0, true/false)")


@dataclass(frozen=True, slots=True)
class SmtpConfig:
    """Connection settings for `SmtpMailSender`.

    `start_tls`: True requires STARTTLS, False never uses it, None (the default) upgrades when
    the server offers it. `use_tls` is implicit TLS (smtps, usually port 465).
    """

    host: str
    port: int
    username: str | None = field(default=None, repr=False)
    password: str | None = field(default=None, repr=False)
    use_tls: bool = False
    start_tls: bool | None = None
    validate_certs: bool = True
    timeout: float = 10.0
    local_hostname: str | None = None

    def __post_init__(self) -> None:
        if self.use_tls and self.start_tls:
            raise ValueError("implicit TLS (smtps) and STARTTLS are mutually exclusive")
        if (self.username is None) != (self.password is None):
            raise ValueError("SMTP user name and password must be given together")
        if self.timeout <= 0:
            raise ValueError("SMTP timeout must be positive")

    def __repr__(self) -> str:
        return (
            f"SmtpConfig(host={self.host!r}, port={self.port}, auth={self.username is not None}, "
            f"use_tls={self.use_tls}, start_tls={self.start_tls}, "
            f"validate_certs={self.validate_certs}, timeout={self.timeout})"
        )

    @classmethod
    def from_url(cls, url: str) -> SmtpConfig:
        """Parse `smtp[s]://[user:pass@]host[:port][?starttls=1&validate_certs=0&timeout=10]`.

        User name and password are percent-decoded. Error messages never quote the URL,
        since it may hold the password.
        """
        parts = urlsplit(url.strip())
        scheme = parts.scheme.lower()
        if scheme not in ("smtp", "smtps"):
            raise ValueError("SMTP URL scheme must be smtp:// or smtps://")
        if not parts.hostname:
            raise ValueError("SMTP URL has no host")
        try:
            port = parts.port
        except ValueError:
            raise ValueError("SMTP URL has an invalid port") from None

        options: dict[str, str] = {}
        for key, value in parse_qsl(parts.query, keep_blank_values=True):
            options[key.strip().lower()] = value
        start_tls: bool | None = None
        validate_certs = True
        timeout = 10.0
        local_hostname: str | None = None
        for key, value in options.items():
            if key == "starttls":
                start_tls = _parse_bool(key, value)
            elif key == "validate_certs":
                validate_certs = _parse_bool(key, value)
            elif key == "timeout":
                try:
                    timeout = float(value)
                except ValueError:
                    raise ValueError("SMTP URL option 'timeout' must be a number") from None
            elif key == "local_hostname":
                local_hostname = value or None
            else:
                raise ValueError(f"unknown SMTP URL option {key!r}")

        use_tls = scheme == "smtps"
        if port is None:
            port = 465 if use_tls else (587 if start_tls else 25)
        username = unquote(parts.username) if parts.username else None
        password = unquote(parts.password) if parts.password is not None else None
        if username is None and password:
            raise ValueError("SMTP URL has a password but no user name")
        if username is not None and not password:
            raise ValueError("SMTP URL has a user name but no password")
        return cls(
            host=parts.hostname,
            port=port,
            username=username,
            password=password,
            use_tls=use_tls,
            start_tls=start_tls,
            validate_certs=validate_certs,
            timeout=timeout,
            local_hostname=local_hostname,
        )


class SmtpMailSender(MailSender):
    """Sends through an SMTP relay with `aiosmtplib.send`, one connection per message.

    A connection per message suits sign-in mail volume and avoids keeping idle sessions alive
    that relays drop anyway. Transient failures are retried per `RetryPolicy`; note that a
    timeout after the final DATA dot can mean the relay did accept, so a retry may duplicate
    a mail (acceptable for one-time codes; the Message-ID stays the same across attempts).
    """

    def __init__(self, config: SmtpConfig, *, retry: RetryPolicy | None = None) -> None:
        self._config = config
        self._retry = retry or SMTP_RETRY

    @classmethod
    def from_url(cls, url: str, *, retry: RetryPolicy | None = None) -> SmtpMailSender:
        """Build from an `smtp://` / `smtps://` URL (see `SmtpConfig.from_url`)."""
        return cls(SmtpConfig.from_url(url), retry=retry)

    @property
    def config(self) -> SmtpConfig:
        return self._config

    @property
    def retry(self) -> RetryPolicy:
        return self._retry

    def __repr__(self) -> str:
        return f"SmtpMailSender({self._config!r}, retry={self._retry!r})"

    async def send(self, message: MailMessage) -> None:
        # Built once so every attempt carries the same Message-ID (lets receivers deduplicate).
        mime = build_email_message(message)
        retrying = self._retry.retrying(is_transient, before_sleep=lambda state: self._log_retry(message, state))
        try:
            await retrying(self._send_once, message, mime)
        except Exception as exc:
            raise MailDeliveryError(
                _describe(exc),
                transient=is_transient(exc),
                attempts=retrying.statistics.get("attempt_number", 1),
                smtp_code=smtp_reply_code(exc),
            ) from exc

    def _log_retry(self, message: MailMessage, state: RetryCallState) -> None:
        error = state.outcome.exception() if state.outcome is not None else None
        logger.info(
            "SMTP send attempt %d/%d to %s failed (%s); retrying in %.2fs",
            state.attempt_number,
            self._retry.attempts,
            _mask_address(message.envelope_recipient),
            _describe(error) if error is not None else "unknown",
            state.upcoming_sleep,
        )

    async def _send_once(self, message: MailMessage, mime: EmailMessage) -> None:
        import aiosmtplib

        cfg = self._config
        await aiosmtplib.send(
            mime,
            sender=message.envelope_sender,
            recipients=[message.envelope_recipient],
            hostname=cfg.host,
            port=cfg.port,
            username=cfg.username,
            password=cfg.password,
            use_tls=cfg.use_tls,
            start_tls=cfg.start_tls,
            validate_certs=cfg.validate_certs,
            timeout=cfg.timeout,
            local_hostname=cfg.local_hostname,
        )


# --------------------------------------------------------------------------- dispatcher


class MailDispatcher:
    """Sends mail off the request path, so a slow or broken relay never slows or fails sign-in.

    Tasks are kept in a set because the event loop only holds weak references to them; a
    semaphore bounds concurrent SMTP connections during request bursts.
    """

    def __init__(self, sender: MailSender, *, max_concurrency: int = 10) -> None:
        if max_concurrency < 1:
            raise ValueError("max_concurrency must be at least 1")
        self._sender = sender
        self._tasks: set[asyncio.Task[None]] = set()
        self._slots = asyncio.Semaphore(max_concurrency)

    @property
    def sender(self) -> MailSender:
        return self._sender

    @property
    def pending(self) -> int:
        """Sends scheduled but not finished yet."""
        return sum(1 for task in self._tasks if not task.done())

    def __repr__(self) -> str:
        return f"MailDispatcher({self._sender!r}, pending={self.pending})"

    def dispatch(self, message: MailMessage) -> asyncio.Task[None] | None:
        """Schedule `message` for background delivery; never raises into the caller.

        Returns the task (mostly for tests), or None when no event loop is running.
        """
        coro = self._deliver(message)
        try:
            task = asyncio.get_running_loop().create_task(coro, name="yourmusic-mail-send")
        except RuntimeError:
            coro.close()
            logger.warning(
                "mail to %s dropped: dispatch() called outside a running event loop",
                _mask_address(message.envelope_recipient),
            )
            return None
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    async def _deliver(self, message: MailMessage) -> None:
        try:
            async with self._slots:
                await self._sender.send(message)
        except Exception as exc:  # the request that dispatched this is long gone: log, never raise
            logger.warning(
                "mail delivery to %s failed: %s",
                _mask_address(message.envelope_recipient),
                _describe_for_log(exc),
            )

    async def drain(self, timeout: float = 10.0) -> bool:
        """Wait up to `timeout` seconds for pending sends (including ones dispatched meanwhile).

        Returns True when nothing is left pending. Never raises for failed sends: those are
        already logged.
        """
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            pending = {task for task in self._tasks if not task.done()}
            remaining = deadline - loop.time()
            if not pending or remaining <= 0:
                break
            await asyncio.wait(pending, timeout=remaining)
        if pending:
            logger.warning("%d mail send(s) still pending after %.1fs", len(pending), timeout)
            return False
        return True

    async def close(self, timeout: float = 10.0) -> None:
        """Shutdown: drain, cancel sends still stuck after `timeout`, then close the sender."""
        await self.drain(timeout)
        stuck = [task for task in self._tasks if not task.done()]
        for task in stuck:
            task.cancel()
        if stuck:
            await asyncio.gather(*stuck, return_exceptions=True)
        await self._sender.close()


def build_sender(
    smtp_url: str | None, outbox_dir: str | None, *, retry: RetryPolicy | None = None
) -> MailSender:
    """SMTP when a URL is configured, else the log sender (the zero-configuration dev default)."""
    if smtp_url and smtp_url.strip():
        sender: MailSender = SmtpMailSender.from_url(smtp_url, retry=retry)
    else:
        sender = LogMailSender(outbox_dir)
    logger.debug("mail sender: %r", sender)
    return sender
