"""#2 aggregator status and #30-#40 the catalog: the aggregator's JSON, passed through."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from pydantic import BaseModel
from starlette.responses import Response

from yourmusic.resolvers import catalog
from yourmusic.resolvers.streaming import with_stream_ids
from yourmusic.rest_compat.catalog_shapes import (CatalogArtist, CatalogArtistPage, CatalogRelease,
                                                  CatalogReleaseBatch, CatalogReleasePage, CatalogTrack,
                                                  CatalogTrackBatch, envelope, paged, search)
from yourmusic.rest_compat.core import OAUTH2, UDT, Call, Handler, Operation
from yourmusic.rest_compat.names import CATALOG, contract_input
from yourmusic.rest_compat.responses import JSONResponse
from yourmusic.services import catalog as svc

# The domain's queries under the contract's (the aggregator's) parameter names.
ArtistSearch = contract_input(svc.ArtistSearch, "ArtistSearch", CATALOG)
ItemSearch = contract_input(svc.ItemSearch, "ItemSearch", CATALOG)
ArtistBrowse = contract_input(svc.ArtistBrowse, "ArtistBrowse", CATALOG)
ArtistReleases = contract_input(svc.ArtistReleases, "ArtistReleases", CATALOG)
ItemDetails = contract_input(svc.ItemDetails, "ItemDetails", CATALOG)
ReleaseTracks = contract_input(svc.ReleaseTracks, "ReleaseTracks", CATALOG)
ReleaseBatch = contract_input(svc.ReleaseBatch, "ReleaseBatch", CATALOG)
TrackBatch = contract_input(svc.TrackBatch, "TrackBatch", CATALOG)

_UPSTREAM = (401, 403, 404, 422, 502, 504)
_ANY = (OAUTH2, UDT)
# Each operation's answer: the envelope the reference documents around the aggregator's objects.
RESPONSES: dict[str, dict] = {
    "searchArtists": search(CatalogArtist),
    "browseArtists": envelope("artists", artists=CatalogArtistPage),
    "getArtist": envelope("artist", artist=CatalogArtist),
    "getArtistReleases": envelope("releases", releases=CatalogReleasePage),
    "searchReleases": search(CatalogRelease),
    "getReleasesBatch": envelope("items", items=CatalogReleaseBatch),
    "getRelease": envelope("release", release=CatalogRelease),
    "getReleaseTracks": paged("tracks", tracks={"type": "array", "items": CatalogTrack,
                                                "description": "The tracks of this page, in order."}),
    "searchTracks": search(CatalogTrack),
    "getTracksBatch": envelope("items", items=CatalogTrackBatch),
    "getTrack": envelope("track", track=CatalogTrack),
}
_STATUS = {"type": "object", "required": ["status"], "properties": {"status": {"enum": ["up", "down"]}}}


def _pass_through(resolver: Callable[..., Awaitable[dict]], query: type[BaseModel], id_param: str | None = None,
                  tracks: tuple[str, ...] | None = None) -> Handler:
    """A handler that hands the path id (if any) and the query (as `query`) to the resolver and answers its
    JSON as is; the track objects at `tracks` (a key path) gain a `streamId` (the one addition to the
    pass-through)."""

    async def handler(call: Call) -> Response:
        if id_param is None:
            payload = await resolver(call.ctx, call.query_as(query))
        else:
            payload = await resolver(call.ctx, call.path(id_param), call.query_as(query))
        if tracks is not None:
            payload = await with_stream_ids(call.ctx, payload, tracks)
        return JSONResponse(payload)

    return handler


async def aggregator_status(call: Call) -> Response:
    up = await catalog.aggregator_up(call.ctx)
    return JSONResponse({"status": "up" if up else "down"}, status_code=200 if up else 503)


search_artists = _pass_through(catalog.search_artists, ArtistSearch)
browse_artists = _pass_through(catalog.browse_artists, ArtistBrowse)
artist = _pass_through(catalog.artist, ItemDetails, "artist_id")
artist_releases = _pass_through(catalog.artist_releases, ArtistReleases, "artist_id")
search_releases = _pass_through(catalog.search_releases, ItemSearch)
release_batch = _pass_through(catalog.release_batch, ReleaseBatch)
release = _pass_through(catalog.release, ItemDetails, "release_id")
release_tracks = _pass_through(catalog.release_tracks, ReleaseTracks, "release_id", tracks=("tracks",))
search_tracks = _pass_through(catalog.search_tracks, ItemSearch, tracks=("results",))
track_batch = _pass_through(catalog.track_batch, TrackBatch, tracks=("items", "tracks"))
track = _pass_through(catalog.track, ItemDetails, "track_id", tracks=("track",))


def _op(method_path: str, handler, op_id: str, summary: str, tag: str, graphql: str, query=None,
        description: str = "") -> Operation:
    _, path = method_path.split(" ", 1)
    return Operation(("GET",), path, handler, op_id, summary, tag, graphql, auth=_ANY, query=query,
                     response=RESPONSES[op_id], errors=_UPSTREAM, description=description)


# Literal routes (search, browse, batch) come before the {id} routes they would otherwise match.
OPERATIONS = [
    Operation(("GET",), "/api/aggregator/status", aggregator_status, "aggregatorStatus", "Aggregator status",
              "Public & Health", "Query.aggregatorStatus", response=_STATUS, errors=(503,),
              description="200 {\"status\": \"up\"} or 503 {\"status\": \"down\"}; probed with a short timeout, "
                          "the answer kept a few seconds."),
    _op("GET /api/artists/search", search_artists, "searchArtists", "Search artists", "Artists",
        "Query.searchArtists", ArtistSearch, "Search for artists using the aggregator service."),
    _op("GET /api/artists/browse", browse_artists, "browseArtists", "Browse artists", "Artists",
        "Query.browseArtists", ArtistBrowse, "Browse artists by letter."),
    _op("GET /api/artists/{artist_id}", artist, "getArtist", "Get artist details", "Artists", "Query.artist",
        None, "Get detailed information about a specific artist."),
    _op("GET /api/artists/{artist_id}/releases", artist_releases, "getArtistReleases", "Get artist releases",
        "Artists", "Artist.releases", ArtistReleases, "Get releases for a specific artist."),
    _op("GET /api/releases/search", search_releases, "searchReleases", "Search releases", "Releases",
        "Query.searchReleases", ItemSearch, "Search for releases using the aggregator service."),
    _op("GET /api/releases/batch", release_batch, "getReleasesBatch", "Get batch release details", "Releases",
        "Query.releases", ReleaseBatch, "Get detailed information about multiple releases (at most 50)."),
    _op("GET /api/releases/{release_id}", release, "getRelease", "Get release details", "Releases",
        "Query.release", ItemDetails, "Get detailed information about a specific release."),
    _op("GET /api/releases/{release_id}/tracks", release_tracks, "getReleaseTracks", "Get release tracks",
        "Releases", "Release.tracks", ReleaseTracks, "Get tracks for a specific release."),
    _op("GET /api/tracks/search", search_tracks, "searchTracks", "Search tracks", "Tracks", "Query.searchTracks",
        ItemSearch, "Search for tracks using the aggregator service."),
    _op("GET /api/tracks/batch", track_batch, "getTracksBatch", "Get batch track details", "Tracks",
        "Query.tracks", TrackBatch, "Get detailed information about multiple tracks (at most 50)."),
    _op("GET /api/tracks/{track_id}", track, "getTrack", "Get track details", "Tracks", "Query.track",
        ItemDetails, "Get detailed information about a specific track."),
]
