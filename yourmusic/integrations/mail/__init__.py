"""Outgoing e-mail: message model, localized sign-in code template, senders and dispatcher.

Typical wiring: `dispatcher = MailDispatcher(build_sender(smtp_url, outbox_dir))` at startup,
`dispatcher.dispatch(MailMessage(...))` on the request path, `await dispatcher.close()` at
shutdown.
"""

from .message import MailMessage, build_email_message
from .sender import (
    LogMailSender,
    MailDeliveryError,
    MailDispatcher,
    MailSender,
    RetryPolicy,
    SmtpConfig,
    SmtpMailSender,
    build_sender,
    is_transient,
)
from .templates import DEFAULT_LOCALE, SUPPORTED_LOCALES, render_otp_email, resolve_locale

__all__ = [
    "DEFAULT_LOCALE",
    "SUPPORTED_LOCALES",
    "LogMailSender",
    "MailDeliveryError",
    "MailDispatcher",
    "MailMessage",
    "MailSender",
    "RetryPolicy",
    "SmtpConfig",
    "SmtpMailSender",
    "build_email_message",
    "build_sender",
    "is_transient",
    "render_otp_email",
    "resolve_locale",
]
