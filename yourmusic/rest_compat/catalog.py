"""#2 aggregator status and #30-#40 the catalog: the aggregator's JSON, passed through."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from starlette.responses import Response

from yourmusic.resolvers import catalog
from yourmusic.resolvers.streaming import with_stream_ids
from yourmusic.rest_compat.core import OAUTH2, UDT, Call, Handler, Operation
from yourmusic.rest_compat.responses import JSONResponse
from yourmusic.services import catalog as svc

_UPSTREAM = (401, 403, 404, 422, 502, 504)
_ANY = (OAUTH2, UDT)
_PASS_THROUGH = {"type": "object", "description": "The aggregator's JSON (7digital API 1.2 style), passed through.",
                 "additionalProperties": True}
_STATUS = {"type": "object", "required": ["status"], "properties": {"status": {"enum": ["up", "down"]}}}


def _pass_through(resolver: Callable[..., Awaitable[dict]], id_param: str | None = None,
                  tracks: tuple[str, ...] | None = None) -> Handler:
    """A handler that hands the path id (if any) and the query to the resolver and answers its JSON as is;
    the track objects at `tracks` (a key path) gain a `streamId` (the one addition to the pass-through)."""

    async def handler(call: Call) -> Response:
        if id_param is None:
            payload = await resolver(call.ctx, call.query)
        else:
            payload = await resolver(call.ctx, call.path(id_param), call.query)
        if tracks is not None:
            payload = await with_stream_ids(call.ctx, payload, tracks)
        return JSONResponse(payload)

    return handler


async def aggregator_status(call: Call) -> Response:
    up = await catalog.aggregator_up(call.ctx)
    return JSONResponse({"status": "up" if up else "down"}, status_code=200 if up else 503)


search_artists = _pass_through(catalog.search_artists)
browse_artists = _pass_through(catalog.browse_artists)
artist = _pass_through(catalog.artist, "artist_id")
artist_releases = _pass_through(catalog.artist_releases, "artist_id")
search_releases = _pass_through(catalog.search_releases)
release_batch = _pass_through(catalog.release_batch)
release = _pass_through(catalog.release, "release_id")
release_tracks = _pass_through(catalog.release_tracks, "release_id", tracks=("tracks",))
search_tracks = _pass_through(catalog.search_tracks, tracks=("results",))
track_batch = _pass_through(catalog.track_batch, tracks=("items", "tracks"))
track = _pass_through(catalog.track, "track_id", tracks=("track",))


def _op(method_path: str, handler, op_id: str, summary: str, tag: str, graphql: str, query=None,
        description: str = "") -> Operation:
    _, path = method_path.split(" ", 1)
    return Operation(("GET",), path, handler, op_id, summary, tag, graphql, auth=_ANY, query=query,
                     response=_PASS_THROUGH, errors=_UPSTREAM, description=description)


# Literal routes (search, browse, batch) come before the {id} routes they would otherwise match.
OPERATIONS = [
    Operation(("GET",), "/api/aggregator/status", aggregator_status, "aggregatorStatus", "Aggregator status",
              "Public & Health", "Query.aggregatorStatus", response=_STATUS, errors=(503,),
              description="200 {\"status\": \"up\"} or 503 {\"status\": \"down\"}; probed with a short timeout, "
                          "the answer kept a few seconds."),
    _op("GET /api/artists/search", search_artists, "searchArtists", "Search artists", "Artists",
        "Query.searchArtists", svc.ArtistSearch, "Search for artists using the aggregator service."),
    _op("GET /api/artists/browse", browse_artists, "browseArtists", "Browse artists", "Artists",
        "Query.browseArtists", svc.ArtistBrowse, "Browse artists by letter."),
    _op("GET /api/artists/{artist_id}", artist, "getArtist", "Get artist details", "Artists", "Query.artist",
        None, "Get detailed information about a specific artist."),
    _op("GET /api/artists/{artist_id}/releases", artist_releases, "getArtistReleases", "Get artist releases",
        "Artists", "Artist.releases", svc.ArtistReleases, "Get releases for a specific artist."),
    _op("GET /api/releases/search", search_releases, "searchReleases", "Search releases", "Releases",
        "Query.searchReleases", svc.ItemSearch, "Search for releases using the aggregator service."),
    _op("GET /api/releases/batch", release_batch, "getReleasesBatch", "Get batch release details", "Releases",
        "Query.releases", svc.ReleaseBatch, "Get detailed information about multiple releases (at most 50)."),
    _op("GET /api/releases/{release_id}", release, "getRelease", "Get release details", "Releases",
        "Query.release", svc.ItemDetails, "Get detailed information about a specific release."),
    _op("GET /api/releases/{release_id}/tracks", release_tracks, "getReleaseTracks", "Get release tracks",
        "Releases", "Release.tracks", svc.ReleaseTracks, "Get tracks for a specific release."),
    _op("GET /api/tracks/search", search_tracks, "searchTracks", "Search tracks", "Tracks", "Query.searchTracks",
        svc.ItemSearch, "Search for tracks using the aggregator service."),
    _op("GET /api/tracks/batch", track_batch, "getTracksBatch", "Get batch track details", "Tracks",
        "Query.tracks", svc.TrackBatch, "Get detailed information about multiple tracks (at most 50)."),
    _op("GET /api/tracks/{track_id}", track, "getTrack", "Get track details", "Tracks", "Query.track",
        svc.ItemDetails, "Get detailed information about a specific track."),
]
