"""The composed home page: a tenant's configuration (validated modules) and its one-pass resolution.

Resolution gathers every module's release, track and artist ids and asks the dataloaders for all of
them at once, so a page costs one batch call per entity kind (per 50 ids), not one per module. A module
whose source fails upstream is left out; the rest of the page still answers.

The resolved page is a domain value (`HomeView`); each transport shapes it (REST adds its ETag).

A page is stored and rendered in one transaction (`publish_page`): a page whose rendering fails is never
stored. A stored module this version cannot render (an older version may have stored what validation
now refuses) is left out like a module whose source failed: it never takes the page down.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any, Literal, TypeVar

from pydantic import (BaseModel, ConfigDict, Field, SkipValidation, TypeAdapter, ValidationError, ValidationInfo,
                      field_validator)
from pydantic_core import PydanticCustomError
from tortoise.transactions import in_transaction

from yourmusic.cache import CacheStore
from yourmusic.errors import AggregatorError, AggregatorTimeout, NotFound, ValidationFailed
from yourmusic.models import HomePage, Playlist
from yourmusic.services import playlists as playlist_svc
from yourmusic.services.catalog import ArtistReleases, CatalogService, ItemSearch
from yourmusic.services.playlists import PlaylistCard
from yourmusic.validation import Input, Name, errors_from, parse_id

log = logging.getLogger("yourmusic.home")

MAX_MODULES = 30
MAX_ITEMS = 50
GUEST_TTL = 60
CatalogId = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")]
Ids = Annotated[list[CatalogId], Field(min_length=1, max_length=MAX_ITEMS)]
Uuid = Annotated[str, Field(pattern=r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")]
Limit = Annotated[int, Field(ge=1, le=MAX_ITEMS)]


class _Module(Input):
    id: Uuid | None = None
    title: Name


class Link(Input):
    """What a hero points at: a catalog release or artist (the aggregator's id), or a playlist (its UUID)."""

    kind: Literal["release", "artist", "playlist"]
    id: CatalogId

    @field_validator("id")
    @classmethod
    def _playlist_id_is_a_uuid(cls, value: str, info: ValidationInfo) -> str:
        if info.data.get("kind") == "playlist" and parse_id(value) is None:
            raise PydanticCustomError("uuid_parsing", "must be a valid UUID")
        return value


class Hero(_Module):
    type: Literal["hero"]
    subtitle: Annotated[str, Field(max_length=255)] | None = None
    image: Annotated[str, Field(max_length=2048, pattern=r"^https?://")] | None = None
    link: Link


class ReleaseCarousel(_Module):
    type: Literal["release_carousel"]
    release_ids: Ids


class TrackList(_Module):
    type: Literal["track_list"]
    track_ids: Ids


class ArtistGrid(_Module):
    type: Literal["artist_grid"]
    artist_ids: Ids


class NewReleases(_Module):
    """From the aggregator: a chosen artist's newest releases, or a release search."""

    type: Literal["new_releases"]
    artist_id: CatalogId | None = None
    query: Annotated[str, Field(min_length=1, max_length=255)] | None = None
    limit: Limit = 10


class PublicPlaylists(_Module):
    type: Literal["public_playlists"]
    playlist_ids: Annotated[list[Uuid], Field(min_length=1, max_length=MAX_ITEMS)]


class YourPlaylists(_Module):
    """Only for a signed-in user; guests never see it."""

    type: Literal["your_playlists"]
    limit: Limit = 10


Module = Annotated[
    Hero | ReleaseCarousel | TrackList | ArtistGrid | NewReleases | PublicPlaylists | YourPlaylists,
    Field(discriminator="type"),
]
MODULE_TYPES = ("hero", "release_carousel", "track_list", "artist_grid", "new_releases", "public_playlists",
                "your_playlists")
_MODULE = TypeAdapter(Module)


class HomePageInput(Input):
    """A tenant's page: a title and its modules in order (each checked by its type in `validate_page`)."""

    title: Name
    modules: Annotated[list[dict[str, Any]], Field(max_length=MAX_MODULES)]


def validate_page(body: HomePageInput) -> tuple[str, list[dict[str, Any]]]:
    """The page title and its modules as stored: each validated by its type, with an id and a position."""
    errors: dict[str, list[str]] = {}
    modules: list[dict[str, Any]] = []
    for index, raw in enumerate(body.modules):
        try:
            module = _MODULE.validate_python(raw)
        except ValidationError as exc:
            for err in exc.errors():
                if err["type"] in ("union_tag_invalid", "union_tag_not_found"):
                    message = "The type field is required." if err["type"] == "union_tag_not_found" else \
                        "The selected type is invalid (one of " + ", ".join(MODULE_TYPES) + ")."
                    errors.setdefault(f"modules.{index}.type", []).append(message)
            for field, messages in errors_from(exc).items():
                if field == "body":
                    continue  # the tag errors above
                inner = field.split(".", 1)[1] if "." in field else field  # drop the union's tag from the path
                errors.setdefault(f"modules.{index}.{inner}", []).extend(messages)
            continue
        if module.type == "new_releases" and (module.artist_id is None) == (module.query is None):
            errors.setdefault(f"modules.{index}.query", []).append("Give exactly one of artist_id or query.")
            continue
        stored = module.model_dump(exclude_none=True)
        stored["id"] = module.id or str(uuid.uuid4())
        stored["position"] = index + 1
        modules.append(stored)
    if errors:
        raise ValidationFailed(errors)
    return body.title, modules


V = TypeVar("V")


async def publish_page(tenant_id: uuid.UUID, body: HomePageInput, render: Callable[[HomePage], Awaitable[V]],
                       cache: CacheStore | None = None) -> V:
    """Stores the tenant's page and renders it (`render`, the answer) in one transaction: whatever fails,
    validation (ValidationFailed naming `modules.N.field`) or rendering, nothing is stored. The guests'
    copy is forgotten once the new page is committed."""
    title, modules = validate_page(body)
    async with in_transaction():
        page, created = await HomePage.get_or_create(tenant_id=tenant_id,
                                                     defaults={"title": title, "modules": modules})
        if not created:
            page.title, page.modules = title, modules
            await page.save(update_fields=["title", "modules", "updated_at"])
        answer = await render(page)
    if cache is not None:
        await cache.delete(guest_cache_key(tenant_id))
    return answer


async def _as_stored(page: HomePage) -> HomePage:
    return page


async def set_page(tenant_id: uuid.UUID, body: HomePageInput, cache: CacheStore | None = None) -> HomePage:
    """Stores the tenant's page without rendering it (the demo tenant's); see `publish_page`."""
    return await publish_page(tenant_id, body, _as_stored, cache)


async def get_page(tenant_id: uuid.UUID) -> HomePage | None:
    return await HomePage.get_or_none(tenant_id=tenant_id)


def guest_cache_key(tenant_id: uuid.UUID) -> str:
    return f"home:guest:{tenant_id}"


@dataclass
class Loaders:
    """What resolution needs from the request: the per-request catalog loaders."""

    track: Callable[[str], Awaitable[dict[str, Any]]]
    release: Callable[[str], Awaitable[dict[str, Any]]]
    artist: Callable[[str], Awaitable[dict[str, Any]]]


class _Value(BaseModel):
    model_config = ConfigDict(frozen=True)


class PageInfo(_Value):
    """The page itself (id None and title "Home" while the tenant has not set one)."""

    id: uuid.UUID | None
    slug: str
    title: str
    updated_at: datetime | None


class Banner(_Value):
    """A hero module's one item: its text, image, link and what the link points at (a catalog release or
    artist as the aggregator's JSON, or a playlist)."""

    title: str
    subtitle: str | None
    image: str | None
    link: Link
    release: SkipValidation[dict[str, Any] | None] = None  # as the entity cache holds it (see CatalogView)
    artist: SkipValidation[dict[str, Any] | None] = None
    playlist: PlaylistCard | None = None


class _ModuleView(_Value):
    id: str
    title: str
    position: int


class HeroView(_ModuleView):
    type: Literal["hero"]
    items: list[Banner]


class CatalogView(_ModuleView):
    """Releases, tracks or artists, each the aggregator's JSON: the very objects the entity cache holds, not
    validated copies (they come from the catalog service, and GraphQL converts each once by its identity:
    schema/catalog.py `by_source`)."""

    type: Literal["release_carousel", "track_list", "artist_grid", "new_releases"]
    items: SkipValidation[list[dict[str, Any]]]


class PlaylistsView(_ModuleView):
    type: Literal["public_playlists", "your_playlists"]
    items: list[PlaylistCard]


ModuleView = Annotated[HeroView | CatalogView | PlaylistsView, Field(discriminator="type")]
_MODULE_VIEW: TypeAdapter[HeroView | CatalogView | PlaylistsView] = TypeAdapter(ModuleView)


class HomeView(_Value):
    """A resolved page: modules in position order, each with its items (a JSON round trip keeps it whole:
    guests' pages live in the shared cache as `model_dump(mode="json")`)."""

    page: PageInfo
    modules: list[ModuleView]


class _Failed(Exception):
    """A module's source failed upstream: the module is left out."""


class _Placed(BaseModel):
    id: str
    position: int


def renderable_modules(page: HomePage | None) -> list[dict[str, Any]]:
    """The page's stored modules that this version validates (as `validate_page` stores them), in position
    order. One that does not (stored by an older version, or by hand) is logged and left out."""
    stored = page.modules if page is not None and isinstance(page.modules, list) else []
    out = []
    for raw in stored:
        try:
            module, placed = _MODULE.validate_python(raw), _Placed.model_validate(raw)
        except ValidationError as exc:
            ref = raw.get("id") if isinstance(raw, dict) else None
            log.warning("home module %s left out: it is not valid (%s)", ref, exc.errors()[0]["type"])
            continue
        out.append({**module.model_dump(exclude_none=True), "id": placed.id, "position": placed.position})
    return sorted(out, key=lambda m: m["position"])


async def resolve(page: HomePage | None, tenant_id: uuid.UUID, user_id: uuid.UUID | None,
                  loaders: Loaders, catalog: CatalogService) -> HomeView:
    """The page with its items resolved, modules in position order."""
    modules = renderable_modules(page)
    if user_id is None:
        modules = [m for m in modules if m["type"] != "your_playlists"]

    # One pass: ask for every entity of every module now; the loaders batch them per kind.
    def start(kind: str, ids: list[str]) -> list[asyncio.Future]:
        load = getattr(loaders, kind)
        return [asyncio.ensure_future(load(i)) for i in ids]

    pending: list[tuple[dict[str, Any], Any]] = []
    for m in modules:
        kind = m["type"]
        if kind == "release_carousel":
            pending.append((m, start("release", m["release_ids"])))
        elif kind == "track_list":
            pending.append((m, start("track", m["track_ids"])))
        elif kind == "artist_grid":
            pending.append((m, start("artist", m["artist_ids"])))
        elif kind == "hero" and m["link"]["kind"] in ("release", "artist"):
            pending.append((m, start(m["link"]["kind"], [m["link"]["id"]])))
        elif kind == "hero":
            pending.append((m, asyncio.ensure_future(_public_playlists(tenant_id, [m["link"]["id"]]))))
        elif kind == "new_releases":
            pending.append((m, asyncio.ensure_future(_new_releases(catalog, m))))
        elif kind == "public_playlists":
            pending.append((m, asyncio.ensure_future(_public_playlists(tenant_id, m["playlist_ids"]))))
        elif kind == "your_playlists" and user_id is not None:
            pending.append((m, asyncio.ensure_future(_your_playlists(tenant_id, user_id, m["limit"]))))

    out = []
    for module, work in pending:
        try:
            items = await _items(module, work)
            out.append(_MODULE_VIEW.validate_python({"id": module["id"], "type": module["type"],
                                                     "title": module["title"], "position": module["position"],
                                                     "items": items}))
        except _Failed:
            log.warning("home module %s (%s) left out: its source failed", module["id"], module["type"])
        except Exception:  # noqa: BLE001 - one module never takes the page down
            log.exception("home module %s (%s) left out: it could not be rendered", module["id"], module["type"])
    info = PageInfo(id=page.id if page else None, slug=page.slug if page else "home",
                    title=page.title if page else "Home", updated_at=page.updated_at if page else None)
    return HomeView(page=info, modules=out)


async def _items(module: dict[str, Any], work: Any) -> list[Any]:
    if isinstance(work, list):
        results = await asyncio.gather(*work, return_exceptions=True)
        if any(isinstance(r, (AggregatorError, AggregatorTimeout)) for r in results):
            raise _Failed()
        for r in results:
            if isinstance(r, BaseException) and not isinstance(r, NotFound):
                raise r
        found = [r for r in results if not isinstance(r, BaseException)]  # an id gone from the catalog: skipped
    else:
        try:
            found = await work
        except (AggregatorError, AggregatorTimeout):
            raise _Failed() from None
    if module["type"] != "hero":
        return found
    target = found[0] if found else None
    if target is None:
        raise _Failed()  # a hero pointing at nothing is not shown
    kind = module["link"]["kind"]
    image = module.get("image") or (target.get("image") if isinstance(target, dict) else None)
    return [Banner(title=module["title"], subtitle=module.get("subtitle"), image=image,
                   link=Link(kind=kind, id=module["link"]["id"]), **{kind: target})]


async def _new_releases(catalog: CatalogService, module: dict[str, Any]) -> list[dict[str, Any]]:
    limit = module.get("limit", 10)
    size = max(10, min(50, limit))
    if module.get("artist_id"):
        payload = await catalog.artist_releases(module["artist_id"], ArtistReleases(page_size=size))
        releases = (payload.get("releases") or {}).get("releases") or []
    else:
        payload = await catalog.search_releases(ItemSearch(q=module["query"], page_size=size))
        releases = payload.get("results") or []
    return list(releases)[:limit]


async def _public_playlists(tenant_id: uuid.UUID, ids: list[str]) -> list[PlaylistCard]:
    rows = await Playlist.filter(tenant_id=tenant_id, public=True, id__in=ids)
    by_id = {str(p.id): p for p in rows}
    return [PlaylistCard.of(by_id[i]) for i in ids if i in by_id]


async def _your_playlists(tenant_id: uuid.UUID, user_id: uuid.UUID, limit: int) -> list[PlaylistCard]:
    return [PlaylistCard.of(p) for p in (await playlist_svc.mine(tenant_id, user_id))[:limit]]


DEMO_PAGE: dict[str, Any] = {
    "title": "Welcome to YourMusic",
    "modules": [
        {"type": "hero", "title": "Back in Black, forever", "subtitle": "AC/DC's finest riffs",
         "link": {"kind": "artist", "id": "1"}},
        {"type": "release_carousel", "title": "Staff picks", "release_ids": ["1", "4", "35", "48", "94", "151"]},
        {"type": "track_list", "title": "Trending tracks", "track_ids": ["1", "15", "450", "1000", "2000", "3000"]},
        {"type": "artist_grid", "title": "Artists to know", "artist_ids": ["22", "50", "51", "90", "118", "150"]},
        {"type": "new_releases", "title": "Iron Maiden, newest first", "artist_id": "90", "limit": 8},
        {"type": "new_releases", "title": "Rock releases", "query": "rock", "limit": 10},
        {"type": "your_playlists", "title": "Your playlists", "limit": 10},
    ],
}
