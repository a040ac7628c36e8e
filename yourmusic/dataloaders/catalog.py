"""One loader per catalog entity and key, batching into the aggregator's batch endpoints.

They sit in front of the shared cache (CatalogService.entities): cache hits never reach the batch
call, misses go out 50 ids a call (the upstream's BATCH_LIMIT), and each unknown id fails only its
own field.
"""

from __future__ import annotations

from typing import Any

from strawberry.dataloader import DataLoader

from yourmusic.services.catalog import ARTIST, RELEASE, TRACK, CatalogService, Entity


def _loader(catalog: CatalogService, entity: Entity) -> DataLoader[str, dict[str, Any]]:
    async def load(ids: list[str]) -> list[dict[str, Any] | Exception]:
        return await catalog.entities(entity, [str(i) for i in ids])

    # No max_batch_size here: the batch function itself splits at the upstream's limit (BATCH_LIMIT)
    # and answers every key together, so the loads that follow (release, artist) batch as one.
    return DataLoader(load_fn=load)


class CatalogLoaders:
    """TrackById, ReleaseById, ArtistById for one request."""

    def __init__(self, catalog: CatalogService) -> None:
        self.track_by_id = _loader(catalog, TRACK)
        self.release_by_id = _loader(catalog, RELEASE)
        self.artist_by_id = _loader(catalog, ARTIST)
