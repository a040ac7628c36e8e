"""A real SMTP server (aiosmtpd) for the tests: the app delivers over SMTP, the tests read the mail.

The server runs in its own thread and event loop (aiosmtpd's `Controller`). It can be held shut
(`hold()`), so a test can prove that mail leaves off the request path.
"""

from __future__ import annotations

import asyncio
import email
import email.policy
import re
import socket
import threading
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Any

_CODE_RE = re.compile(r"^\s+(\d{6})\s*$", re.M)  # the layout puts the code alone on an indented line


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Delivered:
    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage

    @property
    def text(self) -> str:
        return self.message.get_body(("plain",)).get_content()  # type: ignore[union-attr]

    @property
    def html(self) -> str:
        return self.message.get_body(("html",)).get_content()  # type: ignore[union-attr]

    @property
    def code(self) -> str:
        found = _CODE_RE.findall(self.text)
        assert len(found) == 1, "expected exactly one code in the mail"
        return found[0]


class Mailbox:
    """aiosmtpd handler keeping every accepted message."""

    def __init__(self) -> None:
        self.url = ""
        self._lock = threading.Lock()
        self._messages: list[Delivered] = []
        self._open = threading.Event()
        self._open.set()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 - aiosmtpd's name
        if not self._open.is_set():
            await asyncio.get_running_loop().run_in_executor(None, self._open.wait, 30)
        parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        with self._lock:
            self._messages.append(Delivered(envelope.mail_from, list(envelope.rcpt_tos), parsed))
        return "250 Message accepted for delivery"

    def hold(self) -> None:
        """Keep the next deliveries waiting in DATA until `release()`."""
        self._open.clear()

    def release(self) -> None:
        self._open.set()

    def to(self, address: str) -> list[Delivered]:
        with self._lock:
            return [m for m in self._messages if address in m.rcpt_tos]

    def last(self, address: str) -> Delivered:
        received = self.to(address)
        assert received, f"no mail for {address}"
        return received[-1]
