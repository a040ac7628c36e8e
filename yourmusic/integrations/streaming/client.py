"""aiohttp client for the HLS streaming server (the sandbox's API, or a compatible server).

Session, timeouts, retries and the breaker come from `integrations.http.PooledHttpClient` (as for
the aggregator). Upstream answers become domain errors here: an unknown stream -> NotFound; the server
down (no connection, its circuit open, or its own 503) -> StreamingUnavailable (the contract's 503
SERVICE_UNAVAILABLE); another failure or an unreadable answer -> StreamingError (502); timeout ->
StreamingTimeout (504). This module imports nothing from the transports.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import quote, urlencode

import orjson

from yourmusic.errors import NotFound, StreamingError, StreamingTimeout, StreamingUnavailable
from yourmusic.integrations.http import HttpPolicy, PooledHttpClient, Retryable

if TYPE_CHECKING:
    import aiohttp  # imported by the first call (integrations/http.py), not at start

log = logging.getLogger("yourmusic.streaming")

BATCH_LIMIT = 50  # track ids per /streams call


@dataclass(frozen=True)
class StreamingConfig:
    base_url: str
    api_key: str
    policy: HttpPolicy = HttpPolicy()


@dataclass(frozen=True)
class Manifest:
    stream_id: str
    track_id: str
    text: str
    url: str  # where it was fetched: relative segment URIs resolve against it


class StreamingClient(PooledHttpClient):
    integration = "streaming"

    def __init__(self, config: StreamingConfig, session: aiohttp.ClientSession | None = None) -> None:
        super().__init__(config.policy, session)
        self.config = config
        self.base_url = config.base_url.rstrip("/")

    async def stream_ids(self, track_ids: list[str]) -> dict[str, str | None]:
        """Track id -> stream id (None: not streamable) for at most BATCH_LIMIT ids, in one call."""
        if not track_ids:
            return {}
        if len(track_ids) > BATCH_LIMIT:
            raise ValueError(f"at most {BATCH_LIMIT} track ids per call")
        url = f"{self.base_url}/streams?{urlencode({'trackids': ','.join(track_ids)})}"
        status, raw, _ = await self._get("streams", url)
        try:
            payload = orjson.loads(raw)
            rows = payload["streams"]
            found = {str(row["trackId"]): (str(row["streamId"]) if row.get("streamId") else None) for row in rows}
        except (orjson.JSONDecodeError, KeyError, TypeError):
            log.warning("streaming /streams answered %s with an unreadable body", status)
            raise StreamingError("The streaming server answered with something unreadable.") from None
        return {t: found.get(t) for t in track_ids}

    async def manifest(self, stream_id: str) -> Manifest:
        """The stream's HLS media playlist as the server has it (relative or unsigned segment URIs)."""
        url = f"{self.base_url}/streams/{quote(stream_id, safe='')}/playlist.m3u8"
        _, raw, headers = await self._get("playlist", url)
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise StreamingError("The streaming server answered with something unreadable.") from None
        if not text.startswith("#EXTM3U"):
            log.warning("streaming playlist for %s is not an HLS playlist", stream_id)
            raise StreamingError("The streaming server answered with something unreadable.")
        return Manifest(stream_id=stream_id, track_id=headers.get("x-track-id", ""), text=text, url=url)

    async def _get(self, endpoint: str, url: str) -> tuple[int, bytes, dict[str, str]]:
        return await self._attempts(
            lambda: self._once(endpoint, url),
            attempts=None,
            unavailable=StreamingUnavailable,
            healthy=(NotFound,),
            fatal=(StreamingError, StreamingTimeout),
        )

    async def _once(self, endpoint: str, url: str) -> tuple[int, bytes, dict[str, str]]:
        session = self._session_or_new()
        import aiohttp  # loaded by the session
        import yarl

        self.calls[endpoint] += 1
        started = time.perf_counter()
        try:
            async with session.get(yarl.URL(url, encoded=True), headers={"X-Api-Key": self.config.api_key}) as response:
                raw = await response.read()
                status = response.status
                headers = {k.lower(): v for k, v in response.headers.items()}
        except TimeoutError:
            log.warning("streaming %s timed out after %.2fs", endpoint, time.perf_counter() - started)
            raise StreamingTimeout() from None
        except aiohttp.ClientError as exc:
            log.warning("streaming %s connection failed: %s", endpoint, type(exc).__name__)
            raise Retryable(StreamingUnavailable()) from None
        if status == 200:
            return status, raw, headers
        if status == 404:
            raise NotFound("Stream not found.")
        if status == 504:
            raise StreamingTimeout()
        log.warning("streaming %s failed: HTTP %s", endpoint, status)
        if status == 503:
            raise Retryable(StreamingUnavailable())
        if status >= 500:
            raise Retryable(StreamingError())
        raise StreamingError()
