"""The development mail outbox page, `/_dev/outbox`: the mails this server "sent" with their sign-in codes.

On the embedded default (no `SMTP_URL`) mail goes to the log sender, which writes each mail into an
escaped JSON log line; this page lists the same mails, newest first, with the code picked out. It exists
only outside `PROFILE=production` and only while mail goes to the log sender (`outbox_enabled`): with
SMTP configured there is nothing to show, and codes must never be readable over HTTP in production.

HTML for browsers, JSON otherwise (`{"mails": [{"sent_at", "to", "subject", "code", "text"}]}`). The list
is this process's memory (the newest 50): with `serve --workers N` a page shows the mails its own worker
sent (set `MAIL_OUTBOX_DIR` to also get every mail as an `.eml` file).
"""

from __future__ import annotations

import html
import re
from typing import Any

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from yourmusic.integrations.mail.sender import LogMailSender, SentMail
from yourmusic.rest_compat.responses import JSONResponse
from yourmusic.security.otp import CODE_DIGITS
from yourmusic.settings import Settings
from yourmusic.webui import wants_html

OUTBOX_PATH = "/_dev/outbox"
# The sign-in mail's text puts the code on a line of its own (integrations/mail/templates.py, every
# locale); a number inside a sentence (a tenant's name, say) is not it.
_CODE = re.compile(rf"^[ \t]*(\d{{{CODE_DIGITS}}})[ \t]*$", re.MULTILINE)


def outbox_enabled(settings: Settings) -> bool:
    """The page exists only in development and only when mail goes to the log sender (no SMTP_URL)."""
    return not settings.production and not settings.smtp_configured


def mail_entry(sent: SentMail) -> dict[str, Any]:
    """One listed mail: when (ISO 8601 UTC), to, subject, the sign-in code of its text (or null), the text."""
    found = _CODE.search(sent.message.text)
    return {
        "sent_at": sent.sent_at.isoformat().replace("+00:00", "Z"),
        "to": sent.message.to,
        "subject": sent.message.subject,
        "code": found.group(1) if found else None,
        "text": sent.message.text,
    }


def _page(entries: list[dict[str, Any]]) -> str:
    rows = "".join(
        "<tr><td>{sent}</td><td>{to}</td><td>{subject}</td><td class=code>{code}</td>"
        "<td><details><summary>text</summary><pre>{text}</pre></details></td></tr>".format(
            sent=html.escape(e["sent_at"]), to=html.escape(e["to"]), subject=html.escape(e["subject"]),
            code=html.escape(e["code"] or "-"), text=html.escape(e["text"]))
        for e in entries
    ) or '<tr><td colspan=5>No mail yet. Ask for a sign-in code (POST /api/auth/otp/request or the requestEmailOtp mutation) and reload.</td></tr>'
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Mail outbox (development)</title>
<link rel="icon" href="data:,">
<style>
body {{ font: 15px/1.45 system-ui, sans-serif; margin: 2rem auto; max-width: 1100px; padding: 0 1rem; color: #1d2330; }}
table {{ border-collapse: collapse; width: 100%; }} th, td {{ border-bottom: 1px solid #dde; padding: .4rem .6rem; text-align: left; vertical-align: top; }}
td.code {{ font: 600 1.25rem ui-monospace, monospace; letter-spacing: .1em; }} pre {{ white-space: pre-wrap; }}
.note {{ color: #556; }}
</style></head><body>
<p><a href="/">&larr; YourMusic API</a></p>
<h1>Mail outbox <small class=note>(development only)</small></h1>
<p class=note>Mail goes to the server log (no <code>SMTP_URL</code>); here are the newest mails this process
sent, newest first, with their sign-in codes. Production never serves this page.</p>
<table><thead><tr><th>sent (UTC)</th><th>to</th><th>subject</th><th>code</th><th>body</th></tr></thead>
<tbody>{rows}</tbody></table>
</body></html>"""


async def outbox_page(request: Request) -> Response:
    """GET /_dev/outbox: the log sender's recent mails (HTML for a browser, JSON otherwise)."""
    sender = request.app.state.container.mail.sender
    sent = sender.recent() if isinstance(sender, LogMailSender) else []
    entries = [mail_entry(s) for s in sent]
    headers = {"Cache-Control": "no-store"}
    if wants_html(request):
        return HTMLResponse(_page(entries), headers=headers)
    return JSONResponse({"mails": entries}, headers=headers)
