"""One loader per catalog entity and key, batching into the aggregator's batch endpoints.

They sit in front of the shared cache (CatalogService.entities): cache hits never reach the batch
call, and each unknown id fails only its own field.
"""

from __future__ import annotations

from typing import Any

from strawberry.dataloader import DataLoader

from yourmusic.services.catalog import ARTIST, BATCH_LIMIT, RELEASE, TRACK, CatalogService, Entity


def _loader(catalog: CatalogService, entity: Entity) -> DataLoader[str, dict[str, Any]]:
    async def load(ids: list[str]) -> list[dict[str, Any] | Exception]:
        return await catalog.entities(entity, [str(i) for i in ids])

    return DataLoader(load_fn=load, max_batch_size=BATCH_LIMIT)


class CatalogLoaders:
    """TrackById, ReleaseById, ArtistById for one request."""

    def __init__(self, catalog: CatalogService) -> None:
        self.track_by_id = _loader(catalog, TRACK)
        self.release_by_id = _loader(catalog, RELEASE)
        self.artist_by_id = _loader(catalog, ARTIST)
