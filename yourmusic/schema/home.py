"""The home page in GraphQL: one type per module kind, together the `HomeModule` union."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import strawberry

from yourmusic.resolvers import home as resolvers
from yourmusic.schema.catalog import Artist, Release, Track
from yourmusic.schema.info import Info
from yourmusic.schema.playlists import Playlist
from yourmusic.services import home as svc
from yourmusic.validation import Submitted

D = strawberry.field
A = strawberry.argument
_MOD_ID = "The module's id (UUID), stable across page edits when sent back in HomeModuleInput.id."
_MOD_TITLE = "The module's heading (1..255 characters)."
_MOD_POS = "1-based position of the module on the page."
_CATALOG_ITEMS = ("from the aggregator, in the order chosen; an id the catalog no longer has is left out, and the "
                  "whole module is left out when the aggregator fails.")


@strawberry.type(description="The page itself, as its tenant set it.")
class HomePageInfo:
    id: strawberry.ID | None = D(description="The page's id (UUID); null while the tenant has set no page.")
    slug: str = D(description="The page's slug (`home`).")
    title: str = D(description="The page's title (`Home` while the tenant has set no page).")
    updated_at: datetime | None = D(description="When the tenant last set the page (UTC); null when never.")


@strawberry.type(description="One banner of a hero module: text, image and what it links to.")
class HeroBanner:
    title: str = D(description="The banner's heading.")
    subtitle: str | None = D(description="A second line (at most 255 characters).")
    image: str | None = D(description="Absolute http(s) URL of the image; the linked release's or artist's image "
                                      "when none was set.")
    link_kind: str = D(description="What the banner links to: `release`, `artist` or `playlist`.")
    link_id: strawberry.ID = D(description="The id of that release or artist (the aggregator's) or playlist (UUID).")
    release: Release | None = D(default=None, description="The linked release, from the aggregator, when "
                                                          "`linkKind` is `release`.")
    artist: Artist | None = D(default=None, description="The linked artist, from the aggregator, when `linkKind` "
                                                         "is `artist`.")
    playlist: Playlist | None = D(default=None, description="The linked public playlist when `linkKind` is "
                                                            "`playlist`.")


@strawberry.type(description="A banner linking to a release, an artist or a playlist.")
class HeroModule:
    id: strawberry.ID = D(description=_MOD_ID)
    title: str = D(description=_MOD_TITLE)
    position: int = D(description=_MOD_POS)
    items: list[HeroBanner] = D(description="The banner (one).")


@strawberry.type(description="Chosen releases.")
class ReleaseCarouselModule:
    id: strawberry.ID = D(description=_MOD_ID)
    title: str = D(description=_MOD_TITLE)
    position: int = D(description=_MOD_POS)
    items: list[Release] = D(description="The chosen releases (1..50), " + _CATALOG_ITEMS)


@strawberry.type(description="Chosen tracks.")
class TrackListModule:
    id: strawberry.ID = D(description=_MOD_ID)
    title: str = D(description=_MOD_TITLE)
    position: int = D(description=_MOD_POS)
    items: list[Track] = D(description="The chosen tracks (1..50), " + _CATALOG_ITEMS)


@strawberry.type(description="Chosen artists.")
class ArtistGridModule:
    id: strawberry.ID = D(description=_MOD_ID)
    title: str = D(description=_MOD_TITLE)
    position: int = D(description=_MOD_POS)
    items: list[Artist] = D(description="The chosen artists (1..50), " + _CATALOG_ITEMS)


@strawberry.type(description="New releases from the aggregator (an artist's, or a search).")
class NewReleasesModule:
    id: strawberry.ID = D(description=_MOD_ID)
    title: str = D(description=_MOD_TITLE)
    position: int = D(description=_MOD_POS)
    items: list[Release] = D(description="At most `limit` (1..50) releases, newest first, from the aggregator; the module is left out when it fails.")


@strawberry.type(description="Featured public playlists of the tenant.")
class PublicPlaylistsModule:
    id: strawberry.ID = D(description=_MOD_ID)
    title: str = D(description=_MOD_TITLE)
    position: int = D(description=_MOD_POS)
    items: list[Playlist] = D(description="The chosen public playlists that still exist and are public, in the order chosen.")


@strawberry.type(description="The signed-in user's playlists (never shown to guests).")
class YourPlaylistsModule:
    id: strawberry.ID = D(description=_MOD_ID)
    title: str = D(description=_MOD_TITLE)
    position: int = D(description=_MOD_POS)
    items: list[Playlist] = D(description="The signed-in user's newest playlists, at most `limit` (1..50).")


HomeModule = Annotated[
    HeroModule | ReleaseCarouselModule | TrackListModule | ArtistGridModule | NewReleasesModule
    | PublicPlaylistsModule | YourPlaylistsModule,
    strawberry.union("HomeModule", description="One module of the home page; its type says what its `items` "
                     "are (select them with `... on TrackListModule { items { title } }`)."),
]


@strawberry.type(description="A tenant's composed home page: the page and its modules, items resolved.")
class Home:
    page: HomePageInfo = D(description="The page's id, title and last change.")
    modules: list[HomeModule] = D(description="The modules in position order; a module whose source failed is "
                                              "left out.")


def _hero(item: svc.Banner) -> HeroBanner:
    return HeroBanner(title=item.title, subtitle=item.subtitle, image=item.image, link_kind=item.link.kind,
                      link_id=strawberry.ID(item.link.id),
                      release=Release.of(item.release) if item.release else None,
                      artist=Artist.of(item.artist) if item.artist else None,
                      playlist=Playlist.of(item.playlist) if item.playlist else None)


_BUILDERS: dict[str, tuple[type, Any]] = {
    "hero": (HeroModule, _hero),
    "release_carousel": (ReleaseCarouselModule, Release.of),
    "track_list": (TrackListModule, Track.of),
    "artist_grid": (ArtistGridModule, Artist.of),
    "new_releases": (NewReleasesModule, Release.of),
    "public_playlists": (PublicPlaylistsModule, Playlist.of),
    "your_playlists": (YourPlaylistsModule, Playlist.of),
}


def to_home(view: svc.HomeView) -> Home:
    modules = []
    for m in view.modules:
        cls, build = _BUILDERS[m.type]
        modules.append(cls(id=strawberry.ID(m.id), title=m.title, position=m.position,
                           items=[build(i) for i in m.items]))
    info = view.page
    return Home(page=HomePageInfo(id=strawberry.ID(str(info.id)) if info.id else None, slug=info.slug,
                                  title=info.title, updated_at=info.updated_at), modules=modules)


@strawberry.input(description="One module; which fields apply depends on `type`.")
class HomeModuleInput:
    type: str = D(description="`hero`, `release_carousel`, `track_list`, `artist_grid`, `new_releases`, "
                              "`public_playlists` or `your_playlists`.")
    title: str = D(description="The module's heading (1..255 characters).")
    id: strawberry.ID | None = D(default=None, description="An existing module's id (UUID) to keep it; null: a new "
                                                           "id.")
    subtitle: str | None = D(default=None, description="hero: a second line (at most 255 characters).")
    image: str | None = D(default=None, description="hero: absolute http(s) URL of the image (at most 2048 "
                                                    "characters).")
    link_kind: str | None = D(default=None, description="hero (required): `release`, `artist` or `playlist`.")
    link_id: strawberry.ID | None = D(default=None, description="hero (required): the linked release's or "
                                                                "artist's id (the aggregator's), or playlist's.")
    release_ids: list[strawberry.ID] | None = D(default=None, description="release_carousel (required): 1..50 "
                                                                          "catalog release ids.")
    track_ids: list[strawberry.ID] | None = D(default=None, description="track_list (required): 1..50 catalog "
                                                                        "track ids.")
    artist_ids: list[strawberry.ID] | None = D(default=None, description="artist_grid (required): 1..50 catalog "
                                                                         "artist ids.")
    playlist_ids: list[strawberry.ID] | None = D(default=None, description="public_playlists (required): 1..50 "
                                                                           "playlist ids (UUID).")
    artist_id: strawberry.ID | None = D(default=None, description="new_releases: this artist's newest releases "
                                                                  "(the aggregator's id).")
    query: str | None = D(default=None, description="new_releases: a release search instead (1..255 characters).")
    limit: int | None = D(default=None, description="new_releases, your_playlists: how many items (1..50, "
                                                    "default 10).")


@strawberry.input(description="A tenant's whole home page (replaces the one set before).")
class HomePageSetInput:
    title: str = D(description="The page's title (1..255 characters).")
    modules: list[HomeModuleInput] = D(description="The modules in order (at most 30).")


def _module_body(m: HomeModuleInput) -> dict[str, Any]:
    body: dict[str, Any] = {k: v for k, v in strawberry.asdict(m).items() if v is not None}
    kind, link_id = body.pop("link_kind", None), body.pop("link_id", None)
    if kind is not None or link_id is not None:
        body["link"] = {"kind": kind, "id": link_id}
    return body


@strawberry.type
class HomeQuery:
    @strawberry.field(description="The composed home page. Guests send the X-Tenant header (a tenant "
                      "slug); users their token; a client token sees the page as guests do. Catalog items come from "
                      "the aggregator. Errors: VALIDATION_FAILED (a guest without X-Tenant), NOT_FOUND (no such "
                      "tenant), INVALID_AUTH_TOKEN (a bad token, even with X-Tenant).")
    async def home(self, info: Info) -> Home:
        return to_home(await resolvers.home(info.context))


@strawberry.type
class HomeMutation:
    @strawberry.mutation(description="Sets the tenant's home page (client token); answers the page as guests "
                         "see it. Catalog ids are checked with the aggregator. Errors: UNAUTHENTICATED or "
                         "INVALID_AUTH_TOKEN, FORBIDDEN (not a client token), VALIDATION_FAILED naming "
                         "`modules.<i>.<field>` (a bad module, an unknown catalog id or playlist), "
                         "AGGREGATOR_ERROR, AGGREGATOR_TIMEOUT.")
    async def set_home_page(self, info: Info,
                            input: Annotated[HomePageSetInput, A(description="The whole page.")]) -> Home:
        page = Submitted(svc.HomePageInput, {"title": input.title, "modules": [_module_body(m) for m in input.modules]})
        return to_home(await resolvers.set_home(info.context, page))
