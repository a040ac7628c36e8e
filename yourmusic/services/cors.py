"""CORS: the web origins a tenant's front-ends call the API from, managed by the tenant's backend.

Typed in the domain's words: a tenant id in, normalised origin strings out (`security/origins.py`
says what an origin is). Every change is announced to the `OriginDirectory`, the process-wide view
the CORS middleware reads on each request, so no request ever queries this table.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from tortoise.transactions import in_transaction

from yourmusic.errors import NotFound, ValidationFailed
from yourmusic.models import CorsOrigin, Tenant
from yourmusic.security.origins import BadOrigin, parse_origin
from yourmusic.services.origin_directory import OriginDirectory
from yourmusic.services.scoping import of_tenant

MAX_ORIGINS_PER_TENANT = 20


def normalise_origins(origins: Sequence[str]) -> list[str]:
    """The origins normalised, duplicates dropped, in the order given.

    Raises ValidationFailed (422) keyed `origins.<index>` (that entry's fault) or `origins` (more than
    MAX_ORIGINS_PER_TENANT distinct origins); surrounding whitespace is ignored, as in every input.
    """
    errors: dict[str, list[str]] = {}
    clean: list[str] = []
    for i, raw in enumerate(origins):
        try:
            clean.append(parse_origin(raw.strip() if isinstance(raw, str) else raw))
        except BadOrigin as exc:
            errors[f"origins.{i}"] = [f"The origin {exc}."]
    if errors:
        raise ValidationFailed(errors)
    distinct = list(dict.fromkeys(clean))
    if len(distinct) > MAX_ORIGINS_PER_TENANT:
        raise ValidationFailed.field(
            "origins", f"The origins field must not have more than {MAX_ORIGINS_PER_TENANT} items.")
    return distinct


async def tenant_origins(tenant_id: uuid.UUID) -> list[str]:
    """The tenant's allowed origins, sorted (an empty list when it has none)."""
    return sorted(await of_tenant(CorsOrigin, tenant_id).values_list("origin", flat=True))  # type: ignore[arg-type]


async def replace_tenant_origins(tenant_id: uuid.UUID, origins: Sequence[str],
                                 directory: OriginDirectory) -> list[str]:
    """Replace the tenant's origins with `origins` (an empty list removes them all); returns them sorted.

    Validated before anything is written (422: nothing changes). One transaction holding the tenant's
    row, so concurrent replacements of one tenant apply one after the other. Raises NotFound for a
    tenant that does not exist. `directory` is told afterwards (every worker sees it within seconds).
    """
    clean = normalise_origins(origins)
    async with in_transaction():
        if not await Tenant.filter(id=tenant_id).select_for_update().exists():
            raise NotFound("Tenant not found.")
        await of_tenant(CorsOrigin, tenant_id).delete()
        await CorsOrigin.bulk_create([CorsOrigin(tenant_id=tenant_id, origin=origin) for origin in clean])
    await directory.changed()
    return sorted(clean)
