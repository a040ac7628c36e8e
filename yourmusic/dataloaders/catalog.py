"""One loader per catalog entity and key, batching into the aggregator's batch endpoints.

They sit in front of the shared cache (CatalogService.entities): cache hits never reach the batch
call, misses go out 50 ids a call (the upstream's BATCH_LIMIT), and each unknown id fails only its
own field.
"""

from __future__ import annotations

from functools import cached_property
from typing import Any

from strawberry.dataloader import DataLoader

from yourmusic.observability.metrics import observe_batch
from yourmusic.services.catalog import ARTIST, RELEASE, TRACK, CatalogService, Entity
from yourmusic.services.streaming import StreamingService


def _loader(catalog: CatalogService, entity: Entity) -> DataLoader[str, dict[str, Any]]:
    name = f"{entity.kind}_by_id"

    async def load(ids: list[str]) -> list[dict[str, Any] | Exception]:
        observe_batch(name, len(ids))
        return await catalog.entities(entity, [str(i) for i in ids])

    # No max_batch_size here: the batch function itself splits at the upstream's limit (BATCH_LIMIT)
    # and answers every key together, so the loads that follow (release, artist) batch as one.
    return DataLoader(load_fn=load)


def _stream_id_loader(streaming: StreamingService) -> DataLoader[str, str | None]:
    async def load(track_ids: list[str]) -> list[str | None | Exception]:
        observe_batch("stream_id_by_track_id", len(track_ids))
        return await streaming.stream_ids([str(t) for t in track_ids])

    # Like the entity loaders: the service splits at the streaming server's batch limit, cache first.
    return DataLoader(load_fn=load)


class CatalogLoaders:
    """TrackById, ReleaseById, ArtistById (and StreamIdByTrackId, built on first use) for one request."""

    def __init__(self, catalog: CatalogService, streaming: StreamingService | None = None) -> None:
        self._catalog = catalog
        self._streaming = streaming
        self._stream_id_by_track_id: DataLoader[str, str | None] | None = None

    # Each loader is built on first use: a request that loads only tracks builds only TrackById.
    @cached_property
    def track_by_id(self) -> DataLoader[str, dict[str, Any]]:
        return _loader(self._catalog, TRACK)

    @cached_property
    def release_by_id(self) -> DataLoader[str, dict[str, Any]]:
        return _loader(self._catalog, RELEASE)

    @cached_property
    def artist_by_id(self) -> DataLoader[str, dict[str, Any]]:
        return _loader(self._catalog, ARTIST)

    @property
    def stream_id_by_track_id(self) -> DataLoader[str, str | None]:
        """StreamIdByTrackId: a track's stream id (None: not streamable), batched, cached per track."""
        if self._stream_id_by_track_id is None:
            if self._streaming is None:
                raise RuntimeError("CatalogLoaders was built without the streaming service")
            self._stream_id_by_track_id = _stream_id_loader(self._streaming)
        return self._stream_id_by_track_id
