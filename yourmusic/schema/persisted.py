"""Persisted queries on /graphql: Apollo's automatic persisted queries (APQ), or an allow-list.

GRAPHQL_PERSISTED_QUERIES:
- `off`: a request naming `extensions.persistedQuery` answers PERSISTED_QUERY_NOT_SUPPORTED (as Apollo
  Server does with persisted queries disabled); plain queries run as usual.
- `apq`: Apollo's protocol. A hash alone runs the query stored under it, or answers
  `PersistedQueryNotFound` (code PERSISTED_QUERY_NOT_FOUND, HTTP 200, so the client resends with the
  text); a hash with the text is checked (sha256 of the text, else 400 PERSISTED_QUERY_HASH_MISMATCH),
  stored in the shared cache (`container.cache`, so every worker and instance knows it) once the
  document parses and validates, and run. Plain queries run as usual. Works on POST and GET.
- `allowlist`: only the documents of PERSISTED_QUERIES_FILE run, named by hash (or sent in full: the
  text's hash must be listed). Anything else is PERSISTED_QUERY_NOT_FOUND or PERSISTED_QUERY_NOT_ALLOWED.

The file is either a JSON object `{"<sha256 hex>": "<document>"}` or Apollo's persisted query manifest
(`{"format": "apollo-persisted-query-manifest", "operations": [{"id", "body", ...}]}`); every id must be
the sha256 of its document, checked at start.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Any

from yourmusic.cache import CacheStore
from yourmusic.schema.execution import RequestError

OFF, APQ, ALLOWLIST = "off", "apq", "allowlist"
MODES = (OFF, APQ, ALLOWLIST)
_HASH = re.compile(r"^[0-9a-f]{64}$")


def sha256(query: str) -> str:
    return hashlib.sha256(query.encode("utf-8")).hexdigest()


class PersistedQueryError(RequestError):
    """A request error answered before any GraphQL work: `{"errors": [{"message", "extensions":
    {"code"}}]}`, HTTP 200 unless said otherwise (Apollo's clients read PersistedQueryNotFound there)."""

    def __init__(self, message: str, code: str, status: int = 200) -> None:
        super().__init__(message, code, status)


NOT_ALLOWED_MESSAGE = "Only persisted queries are allowed on this server."


def not_allowed() -> PersistedQueryError:
    return PersistedQueryError(NOT_ALLOWED_MESSAGE, "PERSISTED_QUERY_NOT_ALLOWED")


def not_found() -> PersistedQueryError:
    return PersistedQueryError("PersistedQueryNotFound", "PERSISTED_QUERY_NOT_FOUND")


def load_allowlist(path: str | Path) -> dict[str, str]:
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    if isinstance(data, dict) and data.get("format") == "apollo-persisted-query-manifest":
        entries = {op["id"]: op["body"] for op in data.get("operations", [])}
    elif isinstance(data, dict):
        entries = data
    else:
        raise ValueError(f"{path}: expected a JSON object of sha256 -> document, or an Apollo manifest")
    for key, query in entries.items():
        if not isinstance(query, str) or sha256(query) != key:
            raise ValueError(f"{path}: {key!r} is not the sha256 of its document")
    return dict(entries)


class PersistedQueries:
    def __init__(self, mode: str = APQ, allowlist: dict[str, str] | None = None, ttl: int = 86_400) -> None:
        if mode not in MODES:
            raise ValueError(f"GRAPHQL_PERSISTED_QUERIES must be one of {', '.join(MODES)}, not {mode!r}")
        if mode == ALLOWLIST and allowlist is None:
            raise ValueError("GRAPHQL_PERSISTED_QUERIES=allowlist needs PERSISTED_QUERIES_FILE")
        self.mode = mode
        self.allowlist = allowlist or {}
        self.ttl = ttl

    @classmethod
    def from_settings(cls, settings: Any) -> PersistedQueries:
        mode = settings.graphql_persisted_queries
        path = settings.persisted_queries_file
        allowlist = load_allowlist(path) if path and mode == ALLOWLIST else None
        return cls(mode, allowlist, settings.persisted_queries_ttl)

    @property
    def only_listed(self) -> bool:
        """Allow-list mode: a request that cannot name a listed document is refused."""
        return self.mode == ALLOWLIST

    @staticmethod
    def requested(extensions: Any) -> Any:
        """The `persistedQuery` extension of a request, or None."""
        return extensions.get("persistedQuery") if isinstance(extensions, dict) else None

    async def resolve(self, cache: CacheStore, query: Any, persisted: Any) -> tuple[str, str | None]:
        """The document to run, and the hash to store it under once it validated (APQ registration).

        `persisted` is the request's `extensions.persistedQuery` (None when absent).
        """
        if persisted is None:
            if self.mode == ALLOWLIST and not (isinstance(query, str) and sha256(query) in self.allowlist):
                raise not_allowed()
            return query, None
        if self.mode == OFF:
            raise PersistedQueryError("PersistedQueryNotSupported", "PERSISTED_QUERY_NOT_SUPPORTED")
        if not isinstance(persisted, dict) or persisted.get("version", 1) != 1:
            raise PersistedQueryError("Unsupported persisted query version.", "PERSISTED_QUERY_BAD_REQUEST", 400)
        digest = persisted.get("sha256Hash")
        digest = digest.lower() if isinstance(digest, str) else ""
        if isinstance(query, str):
            if sha256(query) != digest:
                raise PersistedQueryError("provided sha does not match query", "PERSISTED_QUERY_HASH_MISMATCH", 400)
            if self.mode == ALLOWLIST:
                if digest not in self.allowlist:
                    raise not_allowed()
                return query, None
            return query, digest
        if not _HASH.match(digest):
            raise not_found()
        if self.mode == ALLOWLIST:
            stored = self.allowlist.get(digest)
        else:
            entry = await cache.get_entry(_key(digest))
            stored = entry["v"] if entry is not None else None
        if not isinstance(stored, str):
            raise not_found()
        return stored, None

    async def store(self, cache: CacheStore, digest: str, query: str) -> None:
        await cache.put(_key(digest), query, self.ttl)


def _key(digest: str) -> str:
    return f"apq:{digest}"
