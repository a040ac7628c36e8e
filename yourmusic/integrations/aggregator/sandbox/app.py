"""Starlette app imitating a 7digital API 1.2-style catalogue over the bundled data.

It is the product's embedded default upstream and the thing tests and
benchmarks talk to over real HTTP, so handlers only slice precomputed,
pre-serialised objects (see :mod:`.catalog`) and substitute the per-request
URL base and image size into the bytes.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import re
import time
import zlib
from datetime import UTC, datetime
from typing import Any, Callable, Iterable

import orjson
from authlib.oauth1.rfc5849.errors import OAuth1Error
from authlib.oauth1.rfc5849.signature import verify_hmac_sha1
from authlib.oauth1.rfc5849.wrapper import OAuth1Request
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from .catalog import (
    BASE_TOKEN,
    DEFAULT_IMAGE_SIZE,
    IMAGE_SIZES,
    RELEASE_TYPES,
    SIZE_TOKEN,
    USAGE_TYPES,
    Catalog,
    get_catalog,
)
from .control import SandboxControl

API_VERSION = "1.2"
MAX_BATCH_IDS = 50
PAGE_SIZE_MIN = 10
PAGE_SIZE_MAX = 50
DEFAULT_PAGE_SIZE = 10
RELEASE_TRACKS_PAGE_SIZE = 50  # whole albums fit in one page

E_MISSING = 1001
E_INVALID = 1002
E_NOT_FOUND = 2001
E_CONSUMER_KEY = 2002
E_INJECTED = 9001
HTTP_STATUS = {E_MISSING: 400, E_INVALID: 400, E_NOT_FOUND: 404, E_CONSUMER_KEY: 401}

GARBAGE_BODY = b"<html><body>502 upstream garbage \x00\xff{not json</body></html>"

_BASE_BYTES = BASE_TOKEN.encode()
_SIZE_BYTES = SIZE_TOKEN.encode()
_SIZE_VALUES = {size: str(size).encode() for size in IMAGE_SIZES}
_INT_RE = re.compile(r"-?\d{1,18}")
_IMAGE_RE = re.compile(r"(\d{1,18})_(\d{1,4})\.svg")
_LETTER_RE = re.compile(r"[a-z0#]")


class ORJSONResponse(Response):
    """JSON response serialised with orjson (accepts ready-made bytes too)."""

    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        if isinstance(content, bytes):
            return content
        return orjson.dumps(content)


class ApiError(Exception):
    """A 7digital-style error answer (code + message, HTTP status from the code)."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def error_body(code: int, message: str) -> dict:
    return {"status": "error", "version": API_VERSION, "error": {"code": code, "errorMessage": message}}


def error_response(code: int, message: str, status_code: int | None = None) -> ORJSONResponse:
    return ORJSONResponse(error_body(code, message), status_code=status_code or HTTP_STATUS.get(code, 400))


def ok(**fields: Any) -> dict:
    """Success envelope; status and version always come first."""
    return {"status": "ok", "version": API_VERSION, **fields}


# --------------------------------------------------------------------------- params


class Params:
    """Query-string access with 7digital validation semantics.

    Names are matched case-insensitively (the API mixes ``artistid`` and
    ``artistId``). Empty values count as missing, except ``q`` where an empty
    query is an invalid value (1002).
    """

    __slots__ = ("_q",)

    def __init__(self, request: Request) -> None:
        self._q = {k.lower(): v for k, v in request.query_params.multi_items()}

    def get(self, name: str) -> str | None:
        value = self._q.get(name.lower())
        if value is None:
            return None
        value = value.strip()
        return value or None

    def required(self, name: str) -> str:
        value = self.get(name)
        if value is None:
            raise ApiError(E_MISSING, f"Missing parameter {name}")
        return value

    def query(self) -> str:
        if "q" not in self._q:
            raise ApiError(E_MISSING, "Missing parameter q")
        value = self._q["q"].strip()
        if not value:
            raise ApiError(E_INVALID, "Invalid value for parameter q: must not be empty")
        return value

    def integer(self, name: str, default: int, lo: int, hi: int | None = None) -> int:
        raw = self.get(name)
        if raw is None:
            return default
        if not _INT_RE.fullmatch(raw):
            raise ApiError(E_INVALID, f"Invalid value for parameter {name}: {raw!r} is not an integer")
        value = int(raw)
        if value < lo or (hi is not None and value > hi):
            bounds = f"{lo}..{hi}" if hi is not None else f">= {lo}"
            raise ApiError(E_INVALID, f"Invalid value for parameter {name}: must be {bounds}")
        return value

    def page(self) -> int:
        return self.integer("page", 1, 1)

    def page_size(self, default: int = DEFAULT_PAGE_SIZE) -> int:
        return self.integer("pageSize", default, PAGE_SIZE_MIN, PAGE_SIZE_MAX)

    def image_size(self) -> int:
        raw = self.get("imageSize")
        if raw is None:
            return DEFAULT_IMAGE_SIZE
        if _INT_RE.fullmatch(raw) and int(raw) in _SIZE_VALUES:
            return int(raw)
        allowed = ", ".join(map(str, IMAGE_SIZES))
        raise ApiError(E_INVALID, f"Invalid value for parameter imageSize: must be one of {allowed}")

    def usage_types(self) -> frozenset[str]:
        raw = self.get("usageTypes")
        if raw is None:
            return frozenset()
        values = frozenset(v.strip().lower() for v in raw.split(",") if v.strip())
        unknown = values - USAGE_TYPES
        if unknown:
            raise ApiError(
                E_INVALID, f"Invalid value for parameter usageTypes: {', '.join(sorted(unknown))}"
            )
        return values

    def boolean(self, name: str) -> bool:
        raw = self.get(name)
        if raw is None:
            return False
        lowered = raw.lower()
        if lowered in ("true", "1"):
            return True
        if lowered in ("false", "0"):
            return False
        raise ApiError(E_INVALID, f"Invalid value for parameter {name}: expected true or false")

    def release_type(self) -> str | None:
        raw = self.get("type")
        if raw is None:
            return None
        if raw.lower() not in RELEASE_TYPES:
            raise ApiError(E_INVALID, "Invalid value for parameter type: must be album, single or video")
        return raw.lower()

    def optional_id(self, name: str) -> int | None:
        raw = self.get(name)
        if raw is None:
            return None
        if not _INT_RE.fullmatch(raw):
            raise ApiError(E_INVALID, f"Invalid value for parameter {name}: {raw!r} is not an integer")
        return int(raw)

    def item_id(self, name: str) -> int | None:
        """Required id; None when it is not an integer (details answer 2001 then)."""
        return parse_id(self.required(name))

    def id_list(self, name: str) -> list[str]:
        raw = self.required(name)
        ids = [part.strip() for part in raw.split(",") if part.strip()]
        if not ids:
            raise ApiError(E_MISSING, f"Missing parameter {name}")
        if len(ids) > MAX_BATCH_IDS:
            raise ApiError(E_INVALID, f"Invalid value for parameter {name}: at most {MAX_BATCH_IDS} ids per call")
        return ids


def parse_id(raw: str) -> int | None:
    return int(raw) if _INT_RE.fullmatch(raw) else None


def paginate(items: list | tuple, page: int, page_size: int) -> list | tuple:
    start = (page - 1) * page_size
    return items[start : start + page_size]


def batch_item_id(raw: str) -> int | str:
    parsed = parse_id(raw)
    return parsed if parsed is not None else raw


# --------------------------------------------------------------------------- handlers


Handler = Callable[[Catalog, Params], tuple[dict, int]]


def _artist_search(cat: Catalog, p: Params) -> tuple[dict, int]:
    q, page, size, img = p.query(), p.page(), p.page_size(), p.image_size()
    ids = cat.search_artists(q)
    results = [cat.artists[i].full for i in paginate(ids, page, size)]
    return ok(estimatedTotalItems=len(ids), page=page, expectedPageSize=size, results=results), img


def _artist_details(cat: Catalog, p: Params) -> tuple[dict, int]:
    artist_id, img = p.item_id("artistid"), p.image_size()
    artist = cat.artists.get(artist_id) if artist_id is not None else None
    if artist is None:
        raise ApiError(E_NOT_FOUND, "Artist not found")
    return ok(artist=artist.full), img


def _artist_batch(cat: Catalog, p: Params) -> tuple[dict, int]:
    raw_ids, img = p.id_list("artistids"), p.image_size()
    found, errors = [], []
    for raw in raw_ids:
        artist_id = parse_id(raw)
        artist = cat.artists.get(artist_id) if artist_id is not None else None
        if artist is None:
            errors.append({"itemId": batch_item_id(raw), "code": E_NOT_FOUND, "errorMessage": "Artist not found"})
        else:
            found.append(artist.full)
    return ok(items={"artists": found, "errors": errors}), img


def _artist_releases(cat: Catalog, p: Params) -> tuple[dict, int]:
    artist_id = p.item_id("artistid")
    usage, rtype, img, page, size = p.usage_types(), p.release_type(), p.image_size(), p.page(), p.page_size()
    artist = cat.artists.get(artist_id) if artist_id is not None else None
    if artist is None:
        raise ApiError(E_NOT_FOUND, "Artist not found")
    releases = [
        r
        for r in (cat.releases[i] for i in artist.release_ids)
        if usage <= r.usage_types and (rtype is None or r.type == rtype)
    ]
    page_items = [r.full for r in paginate(releases, page, size)]
    return ok(releases={"page": page, "pageSize": size, "totalItems": len(releases), "releases": page_items}), img


def _artist_browse(cat: Catalog, p: Params) -> tuple[dict, int]:
    letter = p.required("letter").lower()
    if not _LETTER_RE.fullmatch(letter):
        raise ApiError(E_INVALID, "Invalid value for parameter letter: a single letter a-z, 0 or #")
    page, size, img = p.page(), p.page_size(), p.image_size()
    ids = cat.browse(letter)
    items = [cat.artists[i].full for i in paginate(ids, page, size)]
    return ok(artists={"letter": letter, "page": page, "pageSize": size, "totalItems": len(ids), "artists": items}), img


def _search_filters(p: Params) -> tuple[frozenset[str], bool, int | None]:
    return p.usage_types(), p.boolean("excludeExplicitContent"), p.optional_id("artistId")


def _item_search(items: dict, ids: list[int], p: Params) -> tuple[dict, int]:
    """A release or track search: the ranked ids filtered by usage type, explicitness and artist, paged."""
    usage, no_explicit, artist_id = _search_filters(p)
    page, size, img = p.page(), p.page_size(), p.image_size()
    if usage or no_explicit or artist_id is not None:
        ids = [
            i
            for i in ids
            if usage <= items[i].usage_types
            and not (no_explicit and items[i].explicit)
            and (artist_id is None or items[i].artist_id == artist_id)
        ]
    results = [items[i].full for i in paginate(ids, page, size)]
    return ok(estimatedTotalItems=len(ids), page=page, expectedPageSize=size, results=results), img


def _release_search(cat: Catalog, p: Params) -> tuple[dict, int]:
    return _item_search(cat.releases, cat.search_releases(p.query()), p)


def _release_details(cat: Catalog, p: Params) -> tuple[dict, int]:
    release_id, usage, img = p.item_id("releaseid"), p.usage_types(), p.image_size()
    release = cat.releases.get(release_id) if release_id is not None else None
    if release is None or not usage <= release.usage_types:
        raise ApiError(E_NOT_FOUND, "Release not found")
    return ok(release=release.full), img


def _release_tracks(cat: Catalog, p: Params) -> tuple[dict, int]:
    release_id, usage, img = p.item_id("releaseid"), p.usage_types(), p.image_size()
    page, size = p.page(), p.page_size(RELEASE_TRACKS_PAGE_SIZE)
    release = cat.releases.get(release_id) if release_id is not None else None
    if release is None:
        raise ApiError(E_NOT_FOUND, "Release not found")
    tracks = [cat.tracks[i] for i in release.track_ids]
    if usage:
        tracks = [t for t in tracks if usage <= t.usage_types]
    items = [t.full for t in paginate(tracks, page, size)]
    return ok(page=page, pageSize=size, totalItems=len(tracks), tracks=items), img


def _release_batch(cat: Catalog, p: Params) -> tuple[dict, int]:
    raw_ids, usage, img = p.id_list("releaseids"), p.usage_types(), p.image_size()
    show_errors, rtype = p.boolean("showErrors"), p.release_type()
    found, errors = [], []
    for raw in raw_ids:
        release_id = parse_id(raw)
        release = cat.releases.get(release_id) if release_id is not None else None
        if release is None or not usage <= release.usage_types or (rtype is not None and release.type != rtype):
            if show_errors:
                errors.append({"itemId": batch_item_id(raw), "code": E_NOT_FOUND, "errorMessage": "Release not found"})
        else:
            found.append(release.full)
    return ok(items={"releases": found, "errors": errors}), img


def _track_search(cat: Catalog, p: Params) -> tuple[dict, int]:
    return _item_search(cat.tracks, cat.search_tracks(p.query()), p)


def _track_details(cat: Catalog, p: Params) -> tuple[dict, int]:
    track_id, usage, img = p.item_id("trackid"), p.usage_types(), p.image_size()
    track = cat.tracks.get(track_id) if track_id is not None else None
    if track is None or not usage <= track.usage_types:
        raise ApiError(E_NOT_FOUND, "Track not found")
    return ok(track=track.full), img


def _track_batch(cat: Catalog, p: Params) -> tuple[dict, int]:
    raw_ids, usage, img = p.id_list("trackids"), p.usage_types(), p.image_size()
    show_errors = p.boolean("showErrors")
    found, errors = [], []
    for raw in raw_ids:
        track_id = parse_id(raw)
        track = cat.tracks.get(track_id) if track_id is not None else None
        if track is None or not usage <= track.usage_types:
            if show_errors:
                errors.append({"itemId": batch_item_id(raw), "code": E_NOT_FOUND, "errorMessage": "Track not found"})
        else:
            found.append(track.full)
    return ok(items={"tracks": found, "errors": errors}), img


CATALOGUE_ENDPOINTS: dict[str, Handler] = {
    "artist/search": _artist_search,
    "artist/details": _artist_details,
    "artist/details/batch": _artist_batch,
    "artist/releases": _artist_releases,
    "artist/browse": _artist_browse,
    "release/search": _release_search,
    "release/details": _release_details,
    "release/tracks": _release_tracks,
    "release/details/batch": _release_batch,
    "track/search": _track_search,
    "track/details": _track_details,
    "track/details/batch": _track_batch,
}


# --------------------------------------------------------------------------- app


def _base_url(request: Request) -> str:
    """This sandbox's own URL, mount prefix included (Starlette's base_url is the top app's)."""
    url = request.url
    return f"{url.scheme}://{url.netloc}{request.scope.get('root_path', '')}".rstrip("/")


def _render(request: Request, payload: dict, image_size: int) -> ORJSONResponse:
    """Serialise once, then fill in this request's URL base and image size."""
    body = orjson.dumps(payload)
    base = orjson.dumps(_base_url(request))[1:-1]
    body = body.replace(_BASE_BYTES, base).replace(_SIZE_BYTES, _SIZE_VALUES[image_size])
    return ORJSONResponse(body)


async def _injected_fault(control: SandboxControl, endpoint: str) -> Response | None:
    """Apply configured faults to ``endpoint``; a Response replaces the real answer."""
    if not control.applies_to(endpoint):
        return None
    if control.latency > 0:
        await asyncio.sleep(control.latency)
    if control.fail_status is not None:
        return error_response(E_INJECTED, f"Injected fault: HTTP {control.fail_status}", control.fail_status)
    if control.garbage:
        return Response(GARBAGE_BODY, status_code=200, media_type="application/json")
    return None


def _catalogue_route(key: str, handler: Handler, catalog: Callable[[], Catalog], consumer_key: str | None) -> Route:
    async def endpoint(request: Request) -> Response:
        control: SandboxControl = request.app.state.sandbox
        control.counts[key] += 1
        fault = await _injected_fault(control, key)
        if fault is not None:
            return fault
        supplied = request.query_params.get("oauth_consumer_key", "")
        if not supplied or (consumer_key is not None and supplied != consumer_key):
            return error_response(E_CONSUMER_KEY, "Invalid consumer key")
        try:
            payload, image_size = handler(catalog(), Params(request))
        except ApiError as exc:
            return error_response(exc.code, exc.message)
        return _render(request, payload, image_size)

    endpoint.__name__ = key.replace("/", "_")
    return Route(f"/{API_VERSION}/{key}", endpoint, methods=["GET"])


DEFAULT_CONSUMER_SECRET = "yourmusic-sandbox-secret"
PLAY_LOG_ENDPOINT = "user/subscription/log"
PLAY_MODES = frozenset({"online", "offline", "online-cached"})
OAUTH_TIMESTAMP_TOLERANCE = 300


def _oauth_refusal(request: Request, body: bytes, consumer_key: str | None, consumer_secret: str,
                   control: SandboxControl) -> str | None:
    """Why an OAuth 1.0 (HMAC-SHA1, header) signed request is refused; None when it is good.

    Checked with authlib's server-side request parsing and signature verification, plus the body
    hash (oauth_body_hash) of a non-form body, the timestamp window and nonce reuse.
    """
    header = request.headers.get("authorization")
    if not header:
        return "missing OAuth Authorization header"
    try:
        oauth = OAuth1Request(request.method, str(request.url), body=body, headers={"Authorization": header})
    except (ValueError, OAuth1Error):
        return "malformed OAuth parameters"
    if oauth.signature_type != "HEADER" or not oauth.signature or not oauth.client_id:
        return "missing OAuth parameters"
    if consumer_key is not None and oauth.client_id != consumer_key:
        return "unknown consumer key"
    if oauth.signature_method != "HMAC-SHA1":
        return "unsupported signature method"
    try:
        skew = abs(time.time() - int(oauth.timestamp or ""))
    except ValueError:
        return "bad timestamp"
    if skew > OAUTH_TIMESTAMP_TOLERANCE:
        return "stale timestamp"
    body_hash = oauth.oauth_params.get("oauth_body_hash")
    if body:
        expected = base64.b64encode(hashlib.sha1(body).digest()).decode()
        if body_hash is None or not hmac.compare_digest(body_hash, expected):
            return "body hash mismatch"

    class _Client:
        def get_client_secret(self) -> str:
            return consumer_secret

    oauth.client = _Client()
    if not verify_hmac_sha1(oauth):
        return "bad signature"
    nonce = f"{oauth.timestamp}:{oauth.oauth_params.get('oauth_nonce', '')}"
    if nonce in control.nonces:
        return "nonce reused"
    control.nonces.add(nonce)
    return None


def _play_items(payload: Any) -> list[dict]:
    if not isinstance(payload, dict) or not isinstance(payload.get("playLogItems"), list):
        raise ApiError(E_MISSING, "Missing parameter playLogItems")
    items = payload["playLogItems"]
    if not items or len(items) > 100:
        raise ApiError(E_INVALID, "Invalid value for parameter playLogItems: 1..100 items")
    for item in items:
        if not isinstance(item, dict) or not isinstance(item.get("id"), str) or not item["id"]:
            raise ApiError(E_INVALID, "Invalid play log item: id is required")
        if parse_id(str(item.get("trackId", ""))) is None:
            raise ApiError(E_INVALID, "Invalid play log item: trackId")
        if item.get("playMode") not in PLAY_MODES:
            raise ApiError(E_INVALID, "Invalid play log item: playMode")
        seconds = item.get("totalTimePlayed")
        if isinstance(seconds, bool) or not isinstance(seconds, int) or seconds < 0:
            raise ApiError(E_INVALID, "Invalid play log item: totalTimePlayed")
        if not isinstance(item.get("dateTimePlayed"), str):
            raise ApiError(E_INVALID, "Invalid play log item: dateTimePlayed")
    return items


def _play_log_route(consumer_key: str | None, consumer_secret: str) -> Route:
    """Subscriber play reports (7digital: trackId, releaseId, formatId, playMode, dateTimePlayed,
    totalTimePlayed), OAuth 1.0 signed; de-duplicated by each item's `id`, every arrival counted."""

    async def play_log(request: Request) -> Response:
        control: SandboxControl = request.app.state.sandbox
        control.counts[PLAY_LOG_ENDPOINT] += 1
        fault = await _injected_fault(control, PLAY_LOG_ENDPOINT)
        if fault is not None:
            return fault
        body = await request.body()
        refused = _oauth_refusal(request, body, consumer_key, consumer_secret, control)
        if refused is not None:
            return error_response(E_CONSUMER_KEY, f"OAuth signature refused: {refused}")
        try:
            items = _play_items(orjson.loads(body or b"null"))
        except orjson.JSONDecodeError:
            return error_response(E_INVALID, "The body must be JSON")
        except ApiError as exc:
            return error_response(exc.code, exc.message)
        accepted = duplicates = 0
        for item in items:
            control.play_arrivals[item["id"]] += 1
            if item["id"] in control.plays:
                duplicates += 1
            else:
                control.plays[item["id"]] = item
                accepted += 1
        return ORJSONResponse(ok(playLog={"accepted": accepted, "duplicates": duplicates}))

    return Route(f"/{API_VERSION}/{PLAY_LOG_ENDPOINT}", play_log, methods=["POST"])


async def _plays(request: Request) -> Response:
    control: SandboxControl = request.app.state.sandbox
    return ORJSONResponse({**control.play_stats(), "arrivals_by_id": dict(control.play_arrivals)})


async def _status(request: Request) -> Response:
    fault = await _injected_fault(request.app.state.sandbox, "status")
    if fault is not None:
        return fault
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return ORJSONResponse(ok(serverTime=now))


def svg_image(kind: str, item_id: int, size: int) -> bytes:
    """Tiny deterministic placeholder artwork: a square coloured from the id."""
    colour = zlib.crc32(f"{kind}:{item_id}".encode()) & 0xFFFFFF
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{size}" height="{size}" '
        f'viewBox="0 0 {size} {size}"><rect width="{size}" height="{size}" fill="#{colour:06x}"/></svg>'
    ).encode()


def _image_route(catalog: Callable[[], Catalog]) -> Route:
    async def image(request: Request) -> Response:
        lookups = {"artist": catalog().artists, "release": catalog().releases}
        kind = request.path_params["kind"]
        match = _IMAGE_RE.fullmatch(request.path_params["filename"])
        if kind not in lookups or match is None:
            return error_response(E_NOT_FOUND, "Image not found")
        item_id, size = int(match.group(1)), int(match.group(2))
        if item_id not in lookups[kind] or size not in _SIZE_VALUES:
            return error_response(E_NOT_FOUND, "Image not found")
        return Response(
            svg_image(kind, item_id, size),
            media_type="image/svg+xml",
            headers={"Cache-Control": "public, max-age=86400"},
        )

    return Route("/images/{kind}/{filename}", image, methods=["GET"])


async def _stats(request: Request) -> Response:
    control: SandboxControl = request.app.state.sandbox
    return ORJSONResponse(control.stats())


async def _reset(request: Request) -> Response:
    control: SandboxControl = request.app.state.sandbox
    control.reset()
    return ORJSONResponse({**control.stats(), "faults": control.faults()})


async def _faults(request: Request) -> Response:
    control: SandboxControl = request.app.state.sandbox
    if request.method == "POST":
        try:
            spec = orjson.loads(await request.body() or b"{}")
        except orjson.JSONDecodeError:
            return ORJSONResponse({"error": "body must be a JSON object"}, status_code=400)
        allowed = {"latency", "fail_status", "garbage", "paths"}
        if not isinstance(spec, dict) or set(spec) - allowed:
            return ORJSONResponse(
                {"error": f"body must be a JSON object with keys among {sorted(allowed)}"}, status_code=400
            )
        spec = {k: v for k, v in spec.items() if not (k in ("latency", "garbage") and v is None)}
        try:
            control.set_faults(**spec)
        except ValueError as exc:
            return ORJSONResponse({"error": str(exc)}, status_code=400)
    return ORJSONResponse(control.faults())


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    if exc.status_code == 404:
        return error_response(E_NOT_FOUND, "Resource not found")
    response = error_response(E_INVALID, exc.detail or "Bad request", exc.status_code)
    if exc.headers:
        response.headers.update(exc.headers)
    return response


def create_app(consumer_key: str | None = None, *, catalog: Catalog | None = None,
               consumer_secret: str = DEFAULT_CONSUMER_SECRET) -> Starlette:
    """Build a sandbox app.

    ``consumer_key=None`` accepts any non-empty ``oauth_consumer_key``;
    otherwise only that exact key. ``consumer_secret`` checks the OAuth 1.0
    signatures of the play log. Each app gets its own ``SandboxControl`` at
    ``app.state.sandbox``; the catalogue itself is shared process-wide, loaded by the first request that
    needs it (about 0.25 s of search index: not at the embedding server's start, issue 17.9).
    """
    cat: Callable[[], Catalog] = (lambda: catalog) if catalog is not None else get_catalog
    routes: list[Route] = [Route(f"/{API_VERSION}/status", _status, methods=["GET"])]
    routes += [_catalogue_route(key, handler, cat, consumer_key) for key, handler in CATALOGUE_ENDPOINTS.items()]
    routes += [
        _play_log_route(consumer_key, consumer_secret),
        _image_route(cat),
        Route("/_sandbox/stats", _stats, methods=["GET"]),
        Route("/_sandbox/plays", _plays, methods=["GET"]),
        Route("/_sandbox/reset", _reset, methods=["POST"]),
        Route("/_sandbox/faults", _faults, methods=["GET", "POST"]),
    ]
    app = Starlette(routes=routes, exception_handlers={HTTPException: _http_error})
    app.state.sandbox = SandboxControl()
    return app


def endpoints() -> Iterable[str]:
    """Counter keys of the catalogue endpoints (what ``paths`` may contain, plus "status")."""
    return tuple(CATALOGUE_ENDPOINTS)
