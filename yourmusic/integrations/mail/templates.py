"""The one-time-code (passwordless sign-in) e-mail in English, Dutch and French.

Translations are Python constants rather than package data so they can never go missing from a
wheel; each locale supplies whole sentences and one shared layout per format arranges them, so a
layout change never has to be repeated per language. Sentences are finished in plain text first
and then HTML-escaped as a whole, which escapes every interpolated value (tenant names are
tenant-controlled input) without trusting any translation to be markup-safe.
"""

from __future__ import annotations

import html
import unicodedata
from dataclasses import dataclass
from string import Template

DEFAULT_LOCALE = "en"


@dataclass(frozen=True, slots=True)
class _OtpStrings:
    """One locale's sentences; `$tenant` and `$minutes` are filled in at render time."""

    subject: str
    greeting: str
    intro: str
    expiry_one: str
    expiry_other: str
    action: str
    ignore: str
    signoff: str


_OTP_STRINGS: dict[str, _OtpStrings] = {
    "en": _OtpStrings(
        subject="Your sign-in code for $tenant",
        greeting="Hello,",
        intro="Use the following code to sign in to $tenant:",
        expiry_one="This code expires in $minutes minute.",
        expiry_other="This code expires in $minutes minutes.",
        action="Enter it on the sign-in page to continue.",
        ignore=(
            "If you did not request this code, you can safely ignore this email. "
            "Never share this code with anyone."
        ),
        signoff="The $tenant team",
    ),
    "nl": _OtpStrings(
        subject="Je inlogcode voor $tenant",
        greeting="Hallo,",
        intro="Gebruik de volgende code om in te loggen bij $tenant:",
        expiry_one="Deze code verloopt over $minutes minuut.",
        expiry_other="Deze code verloopt over $minutes minuten.",
        action="Vul de code in op de inlogpagina om verder te gaan.",
        ignore=(
            "Heb je deze code niet aangevraagd? Dan kun je deze e-mail gewoon negeren. "
            "Deel deze code nooit met anderen."
        ),
        signoff="Het team van $tenant",
    ),
    "fr": _OtpStrings(
        subject="Votre code de connexion à $tenant",
        greeting="Bonjour,",
        # French typography: a no-break space before the colon.
        intro="Utilisez le code suivant pour vous connecter à $tenant\u00a0:",
        expiry_one="Ce code expire dans $minutes minute.",
        expiry_other="Ce code expire dans $minutes minutes.",
        action="Saisissez-le sur la page de connexion pour continuer.",
        ignore=(
            "Si vous n’avez pas demandé ce code, vous pouvez ignorer cet e-mail en toute "
            "sécurité. Ne communiquez jamais ce code à qui que ce soit."
        ),
        signoff="L’équipe $tenant",
    ),
}

SUPPORTED_LOCALES: tuple[str, ...] = tuple(_OTP_STRINGS)

_TEXT_LAYOUT = Template(
    """$greeting

$intro

    $code

$expiry $action

$ignore

$signoff
"""
)

_HTML_LAYOUT = Template(
    """<!DOCTYPE html>
<html lang="$lang">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>$subject</title>
</head>
<body style="margin:0;padding:0;background-color:#f4f4f5;">
<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" style="background-color:#f4f4f5;">
<tr><td align="center" style="padding:24px 12px;">
<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" style="max-width:480px;background-color:#ffffff;border-radius:8px;">
<tr><td style="padding:32px;font-family:Arial,Helvetica,sans-serif;font-size:16px;line-height:24px;color:#18181b;">
<p style="margin:0 0 16px;">$greeting</p>
<p style="margin:0 0 16px;">$intro</p>
<p style="margin:0 0 16px;font-family:'Courier New',Courier,monospace;font-size:32px;line-height:40px;font-weight:bold;letter-spacing:6px;text-align:center;">$code</p>
<p style="margin:0 0 16px;">$expiry $action</p>
<p style="margin:0 0 16px;font-size:14px;line-height:20px;color:#52525b;">$ignore</p>
<p style="margin:0;">$signoff</p>
</td></tr>
</table>
</td></tr>
</table>
</body>
</html>
"""
)

# Bidi overrides/isolates could make a hostile tenant name render as something else.
_BIDI_CONTROLS = frozenset("\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def resolve_locale(locale: str | None) -> str:
    """Map a locale tag ("nl", "fr-BE", "FR_fr", None) to a supported locale, else English."""
    base = (locale or "").strip().replace("_", "-").split("-", 1)[0].lower()
    return base if base in _OTP_STRINGS else DEFAULT_LOCALE


def _clean(value: str) -> str:
    """One line of visible text: control characters dropped, whitespace runs collapsed.

    Also what keeps a tenant name from injecting headers through the subject line.
    """
    kept = "".join(
        " " if ch.isspace() else ch
        for ch in value
        if ch.isspace() or (unicodedata.category(ch) != "Cc" and ch not in _BIDI_CONTROLS)
    )
    return " ".join(kept.split())


def render_otp_email(
    locale: str, code: str, tenant_name: str, minutes_valid: int
) -> tuple[str, str, str]:
    """Return (subject, text body, HTML body) of the sign-in code mail for `locale`.

    The code is deliberately kept out of the subject: subjects show up in notification previews
    and in delivery logs.
    """
    if minutes_valid < 1:
        raise ValueError("minutes_valid must be at least 1")
    lang = resolve_locale(locale)
    strings = _OTP_STRINGS[lang]
    values = {"tenant": _clean(tenant_name), "minutes": str(minutes_valid)}

    def fill(sentence: str) -> str:
        return Template(sentence).substitute(values)

    parts = {
        "subject": fill(strings.subject),
        "greeting": fill(strings.greeting),
        "intro": fill(strings.intro),
        "code": _clean(code),
        "expiry": fill(strings.expiry_one if minutes_valid == 1 else strings.expiry_other),
        "action": fill(strings.action),
        "ignore": fill(strings.ignore),
        "signoff": fill(strings.signoff),
    }
    text = _TEXT_LAYOUT.substitute(parts)
    html_body = _HTML_LAYOUT.substitute(
        {key: html.escape(value, quote=True) for key, value in parts.items()}, lang=lang
    )
    return parts["subject"], text, html_body
