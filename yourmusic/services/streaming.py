"""Streaming: who may stream, stream ids of catalog tracks, signed manifests, play starts and reports.

Tenant and user are always explicit arguments. The streaming server is reached through
`integrations.streaming.client`; stream ids are cached per track in the shared cache (like catalog
entities); manifests never are (they carry per-user signed URLs).
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BeforeValidator, Field
from pydantic_core import PydanticCustomError
from tortoise.exceptions import IntegrityError

from yourmusic.cache import CacheStore
from yourmusic.errors import (
    InvalidAuthToken, NotFound, StreamingError, StreamingTimeout, SubscriptionRequired, ValidationFailed,
)
from yourmusic.integrations.streaming.client import BATCH_LIMIT, StreamingClient
from yourmusic.integrations.streaming.manifest import sign_manifest
from yourmusic.models import PlayReport, PlayStart, User
from yourmusic.services.billing import is_entitled
from yourmusic.services.scoping import parse_id
from yourmusic.validation import Input, parse

log = logging.getLogger("yourmusic.streaming")

PLAY_MODES = ("online", "offline", "online-cached")
CLOCK_SKEW = timedelta(seconds=60)  # a device clock this far ahead is still believed
MAX_PLAY_SECONDS = 86_400


def _aware_datetime(value: Any) -> datetime:
    """ISO 8601 with a timezone (`2025-11-01T09:37:15Z`, `...+02:00`); a bare local time is ambiguous."""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            value = None
    if not isinstance(value, datetime) or value.tzinfo is None:
        raise PydanticCustomError("date_format", "must be a valid ISO 8601 date and time with a timezone")
    return value.astimezone(UTC)


def _not_in_the_future(value: datetime) -> datetime:
    if value > datetime.now(UTC) + CLOCK_SKEW:
        raise PydanticCustomError("date_past", "must not be in the future")
    return value


PlayedAt = Annotated[datetime, BeforeValidator(_aware_datetime), AfterValidator(_not_in_the_future)]


class PlayReportIn(Input):
    stream_id: uuid.UUID
    total_time_played: int = Field(ge=0, le=MAX_PLAY_SECONDS, description="Seconds actually played.")
    play_mode: Literal["online", "offline", "online-cached"]
    played_at: PlayedAt = Field(description="When the play started (ISO 8601 with a timezone; not in the future).")


async def ensure_entitled(tenant_id: uuid.UUID, user_id: uuid.UUID) -> User:
    user = await User.filter(tenant_id=tenant_id, id=user_id).first()
    if user is None:
        raise InvalidAuthToken("The user of this token no longer exists.")
    if not is_entitled(user):
        raise SubscriptionRequired()
    return user


@dataclass(frozen=True)
class StreamTtl:
    stream_id: int = 3600
    not_streamable: int = 600


class StreamingService:
    def __init__(self, client: StreamingClient, cache: CacheStore, *, signing_secret: str, url_ttl: int,
                 ttl: StreamTtl | None = None) -> None:
        self.client = client
        self.cache = cache
        self.signing_secret = signing_secret
        self.url_ttl = url_ttl
        self.ttl = ttl or StreamTtl()

    # -- stream ids, per track, cached --------------------------------------------------------------
    @staticmethod
    def _key(track_id: str) -> str:
        return f"stream:{track_id}"

    async def stream_ids(self, track_ids: list[str]) -> list[str | None | Exception]:
        """The stream id of each track, in order (None: not streamable). Cache hits never reach the
        server; misses go out BATCH_LIMIT per call, all chunks at once. When the server fails, a stale
        entry is used, else that key answers the error."""
        results: list[Any] = [None] * len(track_ids)
        entries = await self.cache.get_entries([self._key(t) for t in track_ids])
        missing: dict[str, list[int]] = {}
        stale: dict[str, Any] = {}
        for i, (track_id, entry) in enumerate(zip(track_ids, entries)):
            if self.cache.is_fresh(entry):
                results[i] = entry["v"]  # type: ignore[index]
            else:
                missing.setdefault(track_id, []).append(i)
                if entry is not None:
                    stale[track_id] = entry["v"]
        wanted = list(missing)
        chunks = [wanted[s : s + BATCH_LIMIT] for s in range(0, len(wanted), BATCH_LIMIT)]
        fetched = await asyncio.gather(*(self._fetch(chunk) for chunk in chunks), return_exceptions=True)
        for chunk, found in zip(chunks, fetched):
            if isinstance(found, (StreamingError, StreamingTimeout)):
                exc = found
                found = {t: stale[t] if t in stale else exc for t in chunk}
            elif isinstance(found, BaseException):
                raise found
            for track_id in chunk:
                for i in missing[track_id]:
                    results[i] = found.get(track_id)
        return results

    async def _fetch(self, chunk: list[str]) -> dict[str, str | None]:
        ordered = sorted(chunk)

        async def load() -> dict[str, str | None]:
            found = await self.client.stream_ids(ordered)
            await self.cache.put_many([(self._key(t), s) for t, s in found.items() if s], self.ttl.stream_id)
            await self.cache.put_many([(self._key(t), None) for t, s in found.items() if not s],
                                      self.ttl.not_streamable)
            return found

        return await self.cache.flight.do("streams:" + ",".join(ordered), load)

    # -- manifests ------------------------------------------------------------------------------------
    async def manifest(self, tenant_id: uuid.UUID, user_id: uuid.UUID, device_id: uuid.UUID | None,
                       stream_id: Any) -> str:
        """The signed manifest of a stream for an entitled user; records the play start."""
        await ensure_entitled(tenant_id, user_id)
        sid = parse_id(stream_id)
        if sid is None:
            raise NotFound("Stream not found.")
        upstream = await self.client.manifest(str(sid))
        expires = int(datetime.now(UTC).timestamp()) + self.url_ttl
        text = sign_manifest(upstream.text, upstream.url, self.client.base_url, self.signing_secret,
                             str(user_id), str(device_id) if device_id else "", expires)
        await PlayStart.create(tenant_id=tenant_id, user_id=user_id, device_id=device_id,
                               track_id=upstream.track_id[:64], stream_id=sid, started_at=datetime.now(UTC))
        return text

    # -- play reports ---------------------------------------------------------------------------------
    async def report_play(self, tenant_id: uuid.UUID, user_id: uuid.UUID, device_id: uuid.UUID | None,
                          data: Any) -> tuple[PlayReport, bool]:
        """Store a finished play (forwarded later). Returns (report, created); the same play reported
        again (same stream and played_at) answers the stored one instead of counting it twice."""
        report = parse(PlayReportIn, data)
        start = await (PlayStart.filter(tenant_id=tenant_id, user_id=user_id, stream_id=report.stream_id)
                       .order_by("-started_at").first())
        if start is None:
            raise ValidationFailed.field("stream_id", "The stream id was never streamed by this user.")
        same = dict(tenant_id=tenant_id, user_id=user_id, stream_id=report.stream_id, played_at=report.played_at)
        existing = await PlayReport.filter(**same).first()
        if existing is not None:
            return existing, False
        try:
            made = await PlayReport.create(
                **same, play_start_id=start.id, device_id=device_id, track_id=start.track_id,
                play_mode=report.play_mode, total_time_played=report.total_time_played,
                next_attempt_at=datetime.now(UTC),
            )
        except IntegrityError:  # the same report, concurrently
            existing = await PlayReport.filter(**same).first()
            if existing is None:
                raise
            return existing, False
        return made, True
