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


@strawberry.type
class HomePageInfo:
    id: strawberry.ID | None
    slug: str
    title: str
    updated_at: datetime | None


@strawberry.type
class HeroBanner:
    title: str
    subtitle: str | None
    image: str | None
    link_kind: str
    link_id: strawberry.ID
    release: Release | None = None
    artist: Artist | None = None
    playlist: Playlist | None = None


@strawberry.type(description="A banner linking to a release, an artist or a playlist.")
class HeroModule:
    id: strawberry.ID
    title: str
    position: int
    items: list[HeroBanner]


@strawberry.type(description="Chosen releases.")
class ReleaseCarouselModule:
    id: strawberry.ID
    title: str
    position: int
    items: list[Release]


@strawberry.type(description="Chosen tracks.")
class TrackListModule:
    id: strawberry.ID
    title: str
    position: int
    items: list[Track]


@strawberry.type(description="Chosen artists.")
class ArtistGridModule:
    id: strawberry.ID
    title: str
    position: int
    items: list[Artist]


@strawberry.type(description="New releases from the aggregator (an artist's, or a search).")
class NewReleasesModule:
    id: strawberry.ID
    title: str
    position: int
    items: list[Release]


@strawberry.type(description="Featured public playlists of the tenant.")
class PublicPlaylistsModule:
    id: strawberry.ID
    title: str
    position: int
    items: list[Playlist]


@strawberry.type(description="The signed-in user's playlists (never shown to guests).")
class YourPlaylistsModule:
    id: strawberry.ID
    title: str
    position: int
    items: list[Playlist]


HomeModule = Annotated[
    HeroModule | ReleaseCarouselModule | TrackListModule | ArtistGridModule | NewReleasesModule
    | PublicPlaylistsModule | YourPlaylistsModule,
    strawberry.union("HomeModule"),
]


@strawberry.type
class Home:
    page: HomePageInfo
    modules: list[HomeModule]


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
    type: str
    title: str
    id: strawberry.ID | None = None
    subtitle: str | None = None
    image: str | None = None
    link_kind: str | None = None
    link_id: strawberry.ID | None = None
    release_ids: list[strawberry.ID] | None = None
    track_ids: list[strawberry.ID] | None = None
    artist_ids: list[strawberry.ID] | None = None
    playlist_ids: list[strawberry.ID] | None = None
    artist_id: strawberry.ID | None = None
    query: str | None = None
    limit: int | None = None


@strawberry.input
class HomePageSetInput:
    title: str
    modules: list[HomeModuleInput]


def _module_body(m: HomeModuleInput) -> dict[str, Any]:
    body: dict[str, Any] = {k: v for k, v in strawberry.asdict(m).items() if v is not None}
    kind, link_id = body.pop("link_kind", None), body.pop("link_id", None)
    if kind is not None or link_id is not None:
        body["link"] = {"kind": kind, "id": link_id}
    return body


@strawberry.type
class HomeQuery:
    @strawberry.field(description="The composed home page. Guests send the X-Tenant header; users their token.")
    async def home(self, info: Info) -> Home:
        return to_home(await resolvers.home(info.context))


@strawberry.type
class HomeMutation:
    @strawberry.mutation(description="Sets the tenant's home page (client token); answers the page as guests see it.")
    async def set_home_page(self, info: Info, input: HomePageSetInput) -> Home:
        page = Submitted(svc.HomePageInput, {"title": input.title, "modules": [_module_body(m) for m in input.modules]})
        return to_home(await resolvers.set_home(info.context, page))
