"""Every tenant's allowed origins, as one in-memory snapshot per process, for the CORS middleware.

A preflight carries no credentials, so it is answered from the union of all tenants' origins; an
actual request is checked against its own tenant's. Both are looked up on every request that carries
an `Origin`, so they are never read from the database per request:

- the snapshot is one entry of the shared cache (`CacheStore`: in-process, or Redis when REDIS_URL is
  set), loaded from the database with one query when missing and kept `ttl` seconds;
- each process keeps the decoded snapshot and looks at the shared cache again at most once per
  `recheck` seconds (plus the cache's own in-process copy: 2 s on Redis);
- a change (`changed()`) deletes the shared entry: this process reloads at once, other workers and
  instances on Redis within about 3 s. Without Redis every worker has its own cache, so other workers
  of one instance (and a change made by the CLI) are seen when the entry expires (`ttl`, 30 s).
- the database or the cache failing keeps the last snapshot (a stale one from the cache, or the one
  this process holds); a process that never loaded one allows only `CORS_ORIGINS`.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass, field

from yourmusic.cache import CacheStore

log = logging.getLogger("yourmusic.cors")

CACHE_KEY = "cors:origins:v1"


@dataclass(frozen=True)
class OriginSnapshot:
    """All tenants' origins: by tenant id (str), tenant ids by slug (tenants with origins only), and
    the union (what a preflight may allow)."""

    by_tenant: Mapping[str, frozenset[str]] = field(default_factory=dict)
    tenant_by_slug: Mapping[str, str] = field(default_factory=dict)
    anywhere: frozenset[str] = frozenset()

    @classmethod
    def of(cls, rows: list[list[str]]) -> OriginSnapshot:
        """From `[[tenant_id, slug, origin], ...]` (the cached JSON)."""
        by_tenant: dict[str, set[str]] = {}
        slugs: dict[str, str] = {}
        for tenant_id, slug, origin in rows:
            by_tenant.setdefault(tenant_id, set()).add(origin)
            slugs[slug] = tenant_id
        return cls({t: frozenset(o) for t, o in by_tenant.items()}, slugs,
                   frozenset(o for _, _, o in rows))

    def of_tenant(self, tenant_id: str) -> frozenset[str]:
        return self.by_tenant.get(tenant_id, frozenset())

    def of_slug(self, slug: str) -> frozenset[str]:
        tenant_id = self.tenant_by_slug.get(slug)
        return frozenset() if tenant_id is None else self.of_tenant(tenant_id)


EMPTY = OriginSnapshot()


async def load_rows() -> list[list[str]]:
    """Every stored origin with its tenant's id and slug: one query (a join), no per-tenant reads."""
    from yourmusic.models import CorsOrigin

    rows = await CorsOrigin.all().order_by("tenant_id", "origin").values_list("tenant_id", "tenant__slug", "origin")
    return [[str(tenant_id), slug, origin] for tenant_id, slug, origin in rows]


class OriginDirectory:
    """The process's view of every tenant's origins (see the module's docstring for freshness)."""

    def __init__(self, cache: CacheStore, *, ttl: int = 30, recheck: float = 1.0) -> None:
        self._cache = cache
        self._ttl = ttl
        self._recheck = recheck
        self._snapshot = EMPTY
        self._rows: list[list[str]] | None = None
        self._next_check = 0.0
        self._lock = asyncio.Lock()

    async def snapshot(self) -> OriginSnapshot:
        """The current snapshot; awaits the shared cache (or the database) only when it is due."""
        if time.monotonic() < self._next_check:
            return self._snapshot
        async with self._lock:  # one refresh per process at a time; the others get its result
            if time.monotonic() >= self._next_check:
                await self._refresh()
        return self._snapshot

    async def _refresh(self) -> None:
        try:
            rows = await self._cache.fetch(CACHE_KEY, self._ttl, load_rows, stale_ok=lambda exc: True)
        except Exception as exc:  # noqa: BLE001 - CORS must not fail requests: keep what we have
            log.warning("CORS origins not refreshed, keeping the last ones: %s", type(exc).__name__)
        else:
            if rows != self._rows:
                self._rows, self._snapshot = rows, OriginSnapshot.of(rows)
        self._next_check = time.monotonic() + self._recheck

    async def changed(self) -> None:
        """A tenant's origins changed: drop the shared entry, reload here on the next request."""
        await self._cache.delete(CACHE_KEY)
        self._next_check = 0.0
