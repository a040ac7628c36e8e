"""Forwarding stored play reports to the aggregator's play log, in the background.

Reports are stored first (POST /api/plays answers once the row is committed), so they survive a
restart; a forwarder in every app process sends them later:

- in batches of `batch_min`..`batch_max`, or whatever is due once the oldest waited `max_wait` seconds;
- each batch is claimed first (one conditional UPDATE: `claim`, `next_attempt_at` pushed forward), so
  several workers or instances never send the same rows at once; a sender that died leaves a claim
  that expires after `claim_ttl`;
- a failed send puts the batch back for later, the wait drawn from the app's one `RetryPolicy`
  (`policy.retry.delay(attempts)`: full jitter, exponential, capped; retried until accepted);
- every item carries the report's id, so the upstream can drop the duplicate that a crash between
  "sent" and "marked forwarded" would cause (at-least-once delivery, idempotent receiver).
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from yourmusic.errors import AppError, NotFound
from yourmusic.integrations.aggregator.client import AggregatorClient
from yourmusic.integrations.retry import RetryPolicy
from yourmusic.models import PlayReport
from yourmusic.services.catalog import TRACK, CatalogService

log = logging.getLogger("yourmusic.plays")

PLAY_LOG_ENDPOINT = "user/subscription/log"
STREAM_FORMAT_ID = 26  # the one HLS rendition the streaming server serves (7digital: AAC stream format)


@dataclass(frozen=True)
class ForwardPolicy:
    """Seconds between looks at the queue, batch sizes, seconds after which a smaller batch goes anyway,
    the backoff of a failed batch (no attempt limit: reports wait until accepted), and seconds before a
    dead sender's claim expires."""

    interval: float = 5.0
    batch_min: int = 10
    batch_max: int = 20
    max_wait: float = 60.0
    retry: RetryPolicy = RetryPolicy(attempts=None, wait_initial=5.0, wait_max=600.0)
    claim_ttl: float = 60.0


def _iso(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class PlayForwarder:
    def __init__(self, aggregator: AggregatorClient, catalog: CatalogService, policy: ForwardPolicy) -> None:
        self.aggregator = aggregator
        self.catalog = catalog
        self.policy = policy
        self._task: asyncio.Task[None] | None = None
        self._stopping = asyncio.Event()
        self.sent = 0  # reports accepted upstream by this process

    # -- lifecycle ------------------------------------------------------------------------------------
    def start(self) -> None:
        """Start the background loop (in the app lifespan, inside the database context)."""
        if self._task is None or self._task.done():
            self._stopping = asyncio.Event()
            self._task = asyncio.create_task(self._run(), name="play-forwarder")

    async def stop(self, timeout: float = 5.0) -> None:
        """Let a batch in flight finish (bounded), then end the loop. Unsent rows wait for the next start."""
        task, self._task = self._task, None
        if task is None:
            return
        self._stopping.set()
        try:
            await asyncio.wait_for(asyncio.shield(task), timeout)
        except (TimeoutError, asyncio.CancelledError):
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    async def _run(self) -> None:
        while not self._stopping.is_set():
            try:
                await self.forward_due()
            except Exception:  # noqa: BLE001 - the loop must outlive any one failure
                log.exception("play forwarding failed")
            try:
                await asyncio.wait_for(self._stopping.wait(), self.policy.interval)
            except TimeoutError:
                pass

    # -- one pass -------------------------------------------------------------------------------------
    async def forward_due(self, *, force: bool = False) -> int:
        """Send every batch that is due now; returns how many reports were accepted upstream.

        `force` sends what is due even below the minimum batch size (tests, operators)."""
        total = 0
        while not self._stopping.is_set() or force:
            batch = await self._claim(force)
            if not batch:
                break
            if not await self._send(batch):
                break
            total += len(batch)
        return total

    async def _claim(self, force: bool) -> list[PlayReport]:
        now = datetime.now(UTC)
        due = PlayReport.filter(forwarded_at=None, next_attempt_at__lte=now)
        count = await due.count()
        if count == 0:
            return []
        if count < self.policy.batch_min and not force:
            oldest = await due.order_by("created_at").first()
            if oldest is None or oldest.created_at > now - timedelta(seconds=self.policy.max_wait):
                return []
        ids = await due.order_by("created_at", "id").limit(self.policy.batch_max).values_list("id", flat=True)
        token = uuid.uuid4()
        await PlayReport.filter(id__in=list(ids), forwarded_at=None, next_attempt_at__lte=now).update(
            claim=token, next_attempt_at=now + timedelta(seconds=self.policy.claim_ttl)
        )
        return list(await PlayReport.filter(claim=token).order_by("created_at", "id"))

    async def _items(self, batch: list[PlayReport]) -> list[dict[str, Any]]:
        """7digital's play-log items; the release id comes from the (cached) catalog."""
        track_ids = list(dict.fromkeys(r.track_id for r in batch))
        tracks = dict(zip(track_ids, await self.catalog.entities(TRACK, track_ids)))
        for outcome in tracks.values():
            if isinstance(outcome, Exception) and not isinstance(outcome, NotFound):
                raise outcome
        items = []
        for r in batch:
            track = tracks.get(r.track_id)
            release = (track.get("release") or {}) if isinstance(track, dict) else {}
            items.append({
                "id": str(r.id),
                "userId": str(r.user_id) if r.user_id else None,  # type: ignore[attr-defined]
                "trackId": int(r.track_id) if r.track_id.isdigit() else r.track_id,
                "releaseId": release.get("id"),
                "formatId": STREAM_FORMAT_ID,
                "playMode": r.play_mode,
                "dateTimePlayed": _iso(r.played_at),
                "totalTimePlayed": r.total_time_played,
            })
        return items

    async def _send(self, batch: list[PlayReport]) -> bool:
        ids = [r.id for r in batch]
        try:
            items = await self._items(batch)
            await self.aggregator.post_signed(PLAY_LOG_ENDPOINT, {}, {"playLogItems": items})
        except AppError as exc:  # the aggregator failed, timed out, refused, or its circuit is open
            log.warning("play log: %d reports not accepted (%s); retrying later", len(batch), exc.code)
            await self._back_off(batch, exc.code)
            return False
        await PlayReport.filter(id__in=ids, forwarded_at=None).update(forwarded_at=datetime.now(UTC), claim=None,
                                                                     last_error=None)
        self.sent += len(batch)
        return True

    async def _back_off(self, batch: list[PlayReport], code: str) -> None:
        now = datetime.now(UTC)
        for r in batch:
            attempts = r.attempts + 1
            delay = self.policy.retry.delay(attempts)
            await PlayReport.filter(id=r.id, forwarded_at=None).update(
                attempts=attempts, next_attempt_at=now + timedelta(seconds=max(delay, 0.05)), claim=None,
                last_error=code[:64],
            )
