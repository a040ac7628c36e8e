"""#18 the composed home page, and its configuration by the tenant's backend (PUT)."""

from __future__ import annotations

import hashlib
from typing import Any

import orjson
from pydantic import BaseModel, ConfigDict, Field
from starlette.responses import Response

from yourmusic.resolvers import home
from yourmusic.rest_compat.catalog_shapes import CatalogArtist, CatalogRelease, CatalogTrack
from yourmusic.rest_compat.core import OAUTH2, UDT, Call, Operation
from yourmusic.rest_compat.names import PLAYLIST, contract_shape
from yourmusic.rest_compat.responses import JSONResponse
from yourmusic.services import home as svc
from yourmusic.services.home import HomePageInput
from yourmusic.services.playlists import PlaylistCard

# A playlist item of the page: the contract's playlist with its `track_count`.
HomePlaylistOut = contract_shape(PlaylistCard, "HomePlaylistOut", PLAYLIST)


class HomeLinkOut(BaseModel):
    """What a banner links to."""

    kind: str = Field(json_schema_extra={"enum": ["release", "artist", "playlist"]},
                      description="`release`, `artist` or `playlist`.")
    id: str = Field(description="The release's or artist's id (the aggregator's), or the playlist's (UUID).")


class HomeBannerOut(BaseModel):
    """The item of a `hero` module: a banner and what it links to."""

    model_config = ConfigDict(extra="allow")
    title: str = Field(description="The banner's heading.")
    subtitle: str | None = Field(None, description="A second line.")
    image: str | None = Field(None, description="Absolute http(s) URL of the image; the target's image when none "
                                                "was set.")
    link: HomeLinkOut = Field(description="What the banner links to.")
    target: HomePlaylistOut | CatalogRelease | CatalogArtist | None = Field(  # type: ignore[valid-type]
        None, description="The linked playlist, or the aggregator's release or artist.")


_ITEMS = {"type": "array", "description": "The module's items, by its `type`: hero, one HomeBannerOut; "
                                          "release_carousel and new_releases, CatalogRelease; track_list, "
                                          "CatalogTrack; artist_grid, CatalogArtist; public_playlists and "
                                          "your_playlists, HomePlaylistOut. Catalog items come from the aggregator.",
          "items": {"anyOf": [HomeBannerOut, HomePlaylistOut, CatalogTrack, CatalogRelease, CatalogArtist]}}

_PAGE = {
    "type": "object",
    "required": ["page", "modules"],
    "properties": {
        "page": {"type": "object", "properties": {"id": {"type": ["string", "null"]}, "slug": {"type": "string"},
                                                  "title": {"type": "string"},
                                                  "updated_at": {"type": ["string", "null"]}}},
        "modules": {"type": "array", "items": {"type": "object", "required": ["id", "type", "title", "position", "items"],
                                               "properties": {"id": {"type": "string"},
                                                              "type": {"enum": list(svc.MODULE_TYPES)},
                                                              "title": {"type": "string"},
                                                              "position": {"type": "integer"},
                                                              "items": _ITEMS}}},
    },
}


def _item(item: Any) -> Any:
    if isinstance(item, PlaylistCard):
        return HomePlaylistOut.dump(item)
    if isinstance(item, svc.Banner):
        target = HomePlaylistOut.dump(item.playlist) if item.playlist else (item.release or item.artist)
        return {"title": item.title, "subtitle": item.subtitle, "image": item.image,
                "link": {"kind": item.link.kind, "id": item.link.id}, "target": target}
    return item  # the aggregator's JSON, as it came


def page_json(view: svc.HomeView) -> dict[str, Any]:
    """The contract's `{"page": {...}, "modules": [...]}` of a resolved page."""
    info = view.page
    return {
        "page": {"id": str(info.id) if info.id else None, "slug": info.slug, "title": info.title,
                 "updated_at": info.updated_at.isoformat().replace("+00:00", "Z") if info.updated_at else None},
        "modules": [{"id": m.id, "type": m.type, "title": m.title, "position": m.position,
                     "items": [_item(i) for i in m.items]} for m in view.modules],
    }


def etag(body: bytes) -> str:
    return '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


def _page_response(call: Call, view: svc.HomeView) -> Response:
    body = orjson.dumps(page_json(view))
    tag = etag(body)
    headers = {"ETag": tag, "Cache-Control": "private, no-cache", "Vary": "Authorization, X-Tenant"}
    if tag in [t.strip() for t in call.request.headers.get("if-none-match", "").split(",")]:
        return Response(status_code=304, headers=headers)
    return Response(body, media_type="application/json", headers=headers)


async def get_home(call: Call) -> Response:
    return _page_response(call, await home.home(call.ctx))


async def put_home(call: Call) -> Response:
    return JSONResponse(page_json(await home.set_home(call.ctx, await call.body(HomePageInput))))


OPERATIONS = [
    Operation(("GET",), "/api/home", get_home, "getHome", "Get home page", "Home", "Query.home",
              auth=(UDT,), auth_optional=True, headers=("X-Tenant",), response=_PAGE, errors=(401, 404, 422),
              description="Authentication is optional. Authenticated: the tenant is the user's. Guest: the X-Tenant "
                          "header (tenant slug) is required. A present but invalid or expired token is a 401 "
                          "INVALID_AUTH_TOKEN. Answers carry an ETag; If-None-Match gives 304."),
    Operation(("PUT",), "/api/home", put_home, "setHomePage", "Configure the home page", "Home",
              "Mutation.setHomePage", auth=(OAUTH2,), body=HomePageInput, response=_PAGE, errors=(401, 403, 422),
              description="The tenant's backend sets the page title and the ordered modules (at most 30, at most "
                          "50 items each). Types: " + ", ".join(svc.MODULE_TYPES) + "."),
]
