"""Streaming: who may stream, stream ids of catalog tracks, signed manifests and links, play starts and reports.

Tenant and user are always explicit arguments, ids are UUIDs, inputs the domain models below (the
transports validate them through `validation.Submitted`); answers are rows (`models.PlayReport`), domain
values (`PlayRecord`, `SignedLink`) or the manifest's text. The streaming server is reached through
`integrations.streaming.client`; stream ids are cached per track in the shared cache (like catalog
entities); manifests never are (they carry per-user signed URLs).
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Literal, get_args

from pydantic import AfterValidator, Field
from pydantic_core import PydanticCustomError
from tortoise.exceptions import IntegrityError

from yourmusic.cache import CacheStore
from yourmusic.errors import AppError, InvalidAuthToken, NotFound, SubscriptionRequired, ValidationFailed
from yourmusic.integrations.streaming.client import BATCH_LIMIT, StreamingClient
from yourmusic.integrations.streaming.manifest import sign_manifest
from yourmusic.models import PlayReport, PlayStart, User
from yourmusic.principals import UserPrincipal
from yourmusic.security.stream_links import StreamLinkSigner
from yourmusic.services.billing import is_entitled
from yourmusic.values import RowValue
from yourmusic.validation import NO_ROW, Input, UtcDateTime

log = logging.getLogger("yourmusic.streaming")

PlayMode = Literal["online", "offline", "online-cached"]
PLAY_MODES: tuple[str, ...] = get_args(PlayMode)
CLOCK_SKEW = timedelta(seconds=60)  # a device clock this far ahead is still believed
MAX_PLAY_SECONDS = 86_400


def _not_in_the_future(value: datetime) -> datetime:
    if value > datetime.now(UTC) + CLOCK_SKEW:
        raise PydanticCustomError("date_past", "must not be in the future")
    return value


PlayedAt = Annotated[UtcDateTime, AfterValidator(_not_in_the_future)]


class PlayReportIn(Input):
    """A finished play of a stream the user started."""

    stream_id: uuid.UUID
    total_time_played: int = Field(ge=0, le=MAX_PLAY_SECONDS, description="Seconds actually played.")
    play_mode: PlayMode
    played_at: PlayedAt = Field(description="When the play started (ISO 8601 with a timezone; not in the future).")


class PlayRecord(RowValue):
    """A stored play report as a value: the one shape both transports map from."""


    id: uuid.UUID
    stream_id: uuid.UUID
    track_id: str
    total_time_played: int = Field(description="Seconds actually played.")
    play_mode: PlayMode
    played_at: datetime
    created_at: datetime


@dataclass(frozen=True)
class SignedLink:
    """A stream link's credential: the query string to append to the stream's link path (tenant, user,
    device, session, expiry and signature) and when it stops opening (UTC)."""

    stream_id: uuid.UUID
    query: str
    expires_at: datetime


async def ensure_entitled(tenant_id: uuid.UUID, user_id: uuid.UUID) -> User:
    """The user, if they may stream now (`billing.is_entitled`): INVALID_AUTH_TOKEN (401) when the user is
    gone, SUBSCRIPTION_REQUIRED (403) when not entitled."""
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
    """Stream ids (cached), signed manifests and links, play reports.

    `signing_secret` is shared with the streaming server (segment URLs, valid `url_ttl` seconds); `links`
    signs the API's own manifest links (valid `link_ttl` seconds)."""

    def __init__(self, client: StreamingClient, cache: CacheStore, *, signing_secret: str, url_ttl: int,
                 links: StreamLinkSigner, link_ttl: int, ttl: StreamTtl | None = None) -> None:
        self.client = client
        self.cache = cache
        self.signing_secret = signing_secret
        self.url_ttl = url_ttl
        self.links = links
        self.link_ttl = link_ttl
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
            if isinstance(found, AppError) and found.status >= 500:  # the server failed, was slow or down
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
                       stream_id: uuid.UUID) -> str:
        """The stream's HLS playlist, every URI signed for this user and device, for an entitled user
        (SUBSCRIPTION_REQUIRED otherwise); records the play start. NotFound for an unknown stream (the
        nil UUID, a malformed id, never reaches the server); StreamingError (502), ServiceUnavailable
        (503, the server is down) or StreamingTimeout (504) when the streaming server fails."""
        await ensure_entitled(tenant_id, user_id)
        if stream_id == NO_ROW:
            raise NotFound("Stream not found.")
        upstream = await self.client.manifest(str(stream_id))
        expires = int(datetime.now(UTC).timestamp()) + self.url_ttl
        text = sign_manifest(upstream.text, upstream.url, self.client.base_url, self.signing_secret,
                             str(user_id), str(device_id) if device_id else "", expires)
        await PlayStart.create(tenant_id=tenant_id, user_id=user_id, device_id=device_id,
                               track_id=upstream.track_id[:64], stream_id=stream_id, started_at=datetime.now(UTC))
        return text

    # -- signed links ---------------------------------------------------------------------------------
    async def link(self, me: UserPrincipal, stream_id: uuid.UUID) -> SignedLink:
        """A short-lived credential for opening the stream's manifest without a header, minted for an
        entitled user (SUBSCRIPTION_REQUIRED otherwise) and bound to their tenant, user, device, session
        family and this stream. A malformed id is NotFound; whether the stream exists is asked when the
        link is opened (minting needs no streaming server)."""
        await ensure_entitled(me.tenant_id, me.user_id)
        if stream_id == NO_ROW:
            raise NotFound("Stream not found.")
        expires = int(datetime.now(UTC).timestamp()) + self.link_ttl
        return SignedLink(stream_id=stream_id, query=self.links.sign(me, stream_id, expires),
                          expires_at=datetime.fromtimestamp(expires, UTC))

    def link_holder(self, stream_id: uuid.UUID, query: dict[str, str]) -> UserPrincipal:
        """Who a presented link was minted for; the 401s of `StreamLinkSigner.verify` when it is missing,
        altered, forged, for another stream or expired. Entitlement and the user's liveness are checked
        again by the caller (`manifest`, the session check)."""
        return self.links.verify(stream_id, query)

    # -- play reports ---------------------------------------------------------------------------------
    async def report_play(self, tenant_id: uuid.UUID, user_id: uuid.UUID, device_id: uuid.UUID | None,
                          report: PlayReportIn) -> tuple[PlayRecord, bool]:
        """Store a finished play (forwarded later). Returns (report, created); the same play reported
        again (same stream and played_at) answers the stored one instead of counting it twice.
        ValidationFailed (`stream_id`) when this user never started that stream."""
        start = await (PlayStart.filter(tenant_id=tenant_id, user_id=user_id, stream_id=report.stream_id)
                       .order_by("-started_at").first())
        if start is None:
            raise ValidationFailed.field("stream_id", "The stream id was never streamed by this user.")
        same = dict(tenant_id=tenant_id, user_id=user_id, stream_id=report.stream_id, played_at=report.played_at)
        existing = await PlayReport.filter(**same).first()
        if existing is not None:
            return PlayRecord.of(existing), False
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
            return PlayRecord.of(existing), False
        return PlayRecord.of(made), True
