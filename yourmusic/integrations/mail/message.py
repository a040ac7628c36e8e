"""The transport-neutral mail message and its MIME rendering.

Senders take a `MailMessage` (plain data, easy to build and assert on in tests) and turn it into
a standards-compliant `EmailMessage` only at the edge, so every sender emits the same bytes.
"""

from __future__ import annotations

import email.policy
import email.utils
from dataclasses import dataclass, field
from datetime import datetime, timezone
from email.message import EmailMessage


def _addr_spec(value: str) -> str:
    """The bare address of `value` ("Name <a@b>" -> "a@b"), or "" when it is not an address."""
    _, addr = email.utils.parseaddr(value)
    return addr if "@" in addr else ""


@dataclass(frozen=True, slots=True)
class MailMessage:
    """One outgoing message with a plain-text and an HTML body.

    The bodies are left out of the repr: for sign-in mails they carry the one-time code, and
    reprs end up in logs and tracebacks.
    """

    to: str
    subject: str
    text: str = field(repr=False)
    html: str = field(repr=False)
    from_addr: str

    def __post_init__(self) -> None:
        # Reject header injection here, where the caller still gets a clear error, rather than
        # deep inside a background send.
        for name in ("to", "subject", "from_addr"):
            value = getattr(self, name)
            if "\r" in value or "\n" in value:
                raise ValueError(f"MailMessage.{name} must not contain line breaks")
        if not _addr_spec(self.to):
            raise ValueError("MailMessage.to is not an e-mail address")
        if not _addr_spec(self.from_addr):
            raise ValueError("MailMessage.from_addr is not an e-mail address")

    @property
    def envelope_sender(self) -> str:
        """The SMTP MAIL FROM address (bare, without display name)."""
        return _addr_spec(self.from_addr)

    @property
    def envelope_recipient(self) -> str:
        """The SMTP RCPT TO address (bare, without display name)."""
        return _addr_spec(self.to)


def build_email_message(message: MailMessage, *, now: datetime | None = None) -> EmailMessage:
    """Render `message` as multipart/alternative (text first, HTML preferred), UTF-8.

    Both parts use quoted-printable so non-ASCII text survives servers without 8BITMIME while the
    source stays readable in .eml files. The Message-ID domain comes from the sender address
    rather than `socket.getfqdn()`, which can block on DNS.
    """
    msg = EmailMessage(policy=email.policy.default)
    msg["From"] = message.from_addr
    msg["To"] = message.to
    msg["Subject"] = message.subject
    msg["Date"] = email.utils.format_datetime(now or datetime.now(timezone.utc))
    domain = message.envelope_sender.rpartition("@")[2] or "localhost"
    msg["Message-ID"] = email.utils.make_msgid(domain=domain)
    msg.set_content(message.text, subtype="plain", charset="utf-8", cte="quoted-printable")
    msg.add_alternative(message.html, subtype="html", charset="utf-8", cte="quoted-printable")
    for part in msg.iter_parts():
        # set_content() stamps MIME-Version on the sub-part too; it belongs on the top level only.
        del part["MIME-Version"]
    return msg
