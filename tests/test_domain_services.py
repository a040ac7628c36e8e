"""The typed services called directly (no transport): playlist ordering, home composition, users."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

import pytest

from yourmusic.errors import AggregatorError, Forbidden, NotFound, ValidationFailed
from yourmusic.models import Playlist
from yourmusic.rest_compat.names import CATALOG, PLAYLIST
from yourmusic.services import catalog, home, playlists, users
from yourmusic.validation import Submitted


async def _user(tenant_id: uuid.UUID) -> uuid.UUID:
    new = users.UserCreate(first_name="Ada", last_name="Lovelace", email=f"{uuid.uuid4().hex[:8]}@example.com",
                           date_of_birth=date(1985, 12, 10))
    return (await users.create_user(tenant_id, new)).id


async def _positions(playlist: Playlist) -> list[tuple[str, int]]:
    return [(e.track_id, e.position) for e in await playlists.entries(playlist)]


async def test_track_edits_keep_positions_dense(tenant):
    owner = await _user(tenant.id)
    made = await playlists.create(tenant.id, owner, playlists.NewPlaylist(name="Mix"))
    entries = await playlists.replace_tracks(made, ["a", "b", "c", "d"])
    assert await _positions(made) == [("a", 1), ("b", 2), ("c", 3), ("d", 4)]

    moved = await playlists.move_track(made, entries[3].id, 1)  # last to first: the others shift down
    assert moved.position == 1 and await _positions(made) == [("d", 1), ("a", 2), ("b", 3), ("c", 4)]
    await playlists.move_track(made, entries[3].id, 99)  # past the end means last
    assert await _positions(made) == [("a", 1), ("b", 2), ("c", 3), ("d", 4)]
    await playlists.move_track(made, entries[1].id, 3)  # down: the ones in between move up
    assert await _positions(made) == [("a", 1), ("c", 2), ("b", 3), ("d", 4)]

    await playlists.remove_track(made, entries[0].id)
    await playlists.add_track(made, "e")
    assert await _positions(made) == [("c", 1), ("b", 2), ("d", 3), ("e", 4)]
    assert (await Playlist.get(id=made.id)).track_count == 4
    with pytest.raises(NotFound):
        await playlists.move_track(made, entries[0].id, 1)  # removed


async def test_visibility_and_partial_update(tenant, other_tenant):
    owner, reader = await _user(tenant.id), await _user(tenant.id)
    made = await playlists.create(tenant.id, owner, playlists.NewPlaylist(name="Mine", public=True))
    assert (await playlists.get_visible(tenant.id, reader, made.id)).id == made.id
    with pytest.raises(Forbidden):
        await playlists.get_owned(tenant.id, reader, made.id)
    with pytest.raises(NotFound):
        await playlists.get_visible(other_tenant.id, reader, made.id)
    updated = await playlists.update(made, playlists.PlaylistUpdate(public=False))
    assert (updated.name, updated.public) == ("Mine", False)  # a field not given is kept
    with pytest.raises(NotFound):
        await playlists.get_visible(tenant.id, reader, made.id)


def test_submitted_names_the_callers_fields():
    """A domain field the contract names otherwise is reported under the contract's name and words."""
    with pytest.raises(ValidationFailed) as caught:
        Submitted(playlists.NewPlaylist, {"name": ""}, PLAYLIST).value()
    assert caught.value.errors == {"playlist_name": ["The playlist name field is required."]}
    with pytest.raises(ValidationFailed) as caught:
        Submitted(playlists.EntryMove, {"position": 0}, {"position": "order"}).value()
    assert caught.value.errors == {"order": ["The order field must be at least 1."]}



def test_catalog_queries_in_domain_words():
    """The domain says page_size and track_ids; the aggregator (and the contract) pageSize and trackids."""
    query = catalog.ItemSearch(q="rock", page_size=20, exclude_explicit_content=True, artist_id="12")
    assert catalog.upstream_params(query) == {"q": "rock", "page": 1, "pageSize": 20,
                                              "excludeExplicitContent": True, "artistId": "12"}
    assert catalog.ReleaseBatch(release_ids=" 1, 2 ,3").release_ids == ["1", "2", "3"]
    assert catalog.upstream_params(catalog.TrackBatch(track_ids=["4", "5"], show_errors=True)) == {
        "trackids": "4,5", "showErrors": True}
    with pytest.raises(ValidationFailed) as caught:
        Submitted(catalog.TrackBatch, {"track_ids": "a,b c"}, CATALOG).value()
    assert caught.value.errors == {"trackids": ["The trackids field must be a valid value."]}
    with pytest.raises(ValidationFailed) as caught:
        Submitted(catalog.ArtistBrowse, {"letter": "a", "page_size": 51}, CATALOG).value()
    assert caught.value.errors == {"pageSize": ["The pageSize field must not be greater than 50."]}

class _Catalog:
    """Stands in for the catalog service: searches fail, so a new-releases module must be left out."""

    async def search_releases(self, query: catalog.ItemSearch) -> dict[str, Any]:
        raise AggregatorError()

    async def artist_releases(self, artist_id: str, query: catalog.ArtistReleases) -> dict[str, Any]:
        assert query.page_size == 10  # the module's limit, raised to the aggregator's smallest page
        return {"releases": {"releases": [{"id": i} for i in range(20)]}}


def _loaders() -> home.Loaders:
    async def load(kind: str, item_id: str) -> dict[str, Any]:
        if item_id == "gone":
            raise NotFound()
        return {"id": item_id, "kind": kind}

    return home.Loaders(track=lambda i: load("track", i), release=lambda i: load("release", i),
                        artist=lambda i: load("artist", i))


async def test_home_composition(tenant):
    owner = await _user(tenant.id)
    shared = await playlists.create(tenant.id, owner, playlists.NewPlaylist(name="Shared", public=True))
    hidden = await playlists.create(tenant.id, owner, playlists.NewPlaylist(name="Hidden"))
    page = home.HomePageInput.model_validate({"title": "Front", "modules": [
        {"type": "track_list", "title": "Tracks", "track_ids": ["1", "gone", "2"]},
        {"type": "new_releases", "title": "Search", "query": "rock"},
        {"type": "new_releases", "title": "Artist", "artist_id": "9", "limit": 3},
        {"type": "public_playlists", "title": "Public", "playlist_ids": [str(hidden.id), str(shared.id)]},
        {"type": "hero", "title": "Hero", "link": {"kind": "playlist", "id": str(shared.id)}},
        {"type": "your_playlists", "title": "Yours", "limit": 1},
    ]})
    stored = await home.set_page(tenant.id, page)

    guest = await home.resolve(stored, tenant.id, None, _loaders(), _Catalog())  # type: ignore[arg-type]
    assert [m.title for m in guest.modules] == ["Tracks", "Artist", "Public", "Hero"]  # failed source, guest-only
    tracks, artist, public, hero = guest.modules
    assert [t["id"] for t in tracks.items] == ["1", "2"]  # an id gone from the catalog is skipped
    assert len(artist.items) == 3
    assert [p.name for p in public.items] == ["Shared"]  # a private playlist is never featured
    assert hero.items[0].playlist.id == shared.id and hero.items[0].release is None

    signed_in = await home.resolve(stored, tenant.id, owner, _loaders(), _Catalog())  # type: ignore[arg-type]
    assert [p.name for p in signed_in.modules[-1].items] == ["Hidden"]  # newest first, limit 1
    assert home.HomeView.model_validate(guest.model_dump(mode="json")) == guest  # the shared cache's round trip


async def test_user_email_is_unique_per_tenant(tenant, other_tenant):
    first = await users.get_user(tenant.id, await _user(tenant.id))
    clash = users.UserCreate(first_name="B", last_name="C", email=first.email.upper(), date_of_birth=date(1990, 1, 1))
    with pytest.raises(ValidationFailed) as caught:
        await users.create_user(tenant.id, clash)
    assert list(caught.value.errors) == ["email"]
    assert (await users.create_user(other_tenant.id, clash)).email_key == first.email_key  # another tenant: free
