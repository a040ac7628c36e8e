"""One search semantics on every database: names are compared by their folded form.

`fold` is the only definition: the playlists' `search_name` column holds `fold(name)` (written with the
name, filled by migration 0010 for older rows) and a keyword is folded the same way before a plain
substring match (`LIKE '%kw%'`), so SQLite and PostgreSQL give the same answers, and PostgreSQL can
serve the match from a trigram index (pg_trgm) on that column.
"""

from __future__ import annotations

import unicodedata


def fold(text: str) -> str:
    """`text` case-folded (Unicode full case folding: "ß" -> "ss", "Σ" -> "σ"), without accents (the
    combining marks of its canonical decomposition: "é", "e\u0301" -> "e"), NFC-normalised.

    "Café", "CAFÉ", "Cafe\u0301" and "cafe" all fold to "cafe"; "ünïcödé" to "unicode". Letters that
    are not a base letter plus marks ("ø", "ł", "æ") stay as they are."""
    decomposed = unicodedata.normalize("NFD", text.casefold())
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return unicodedata.normalize("NFC", bare)
