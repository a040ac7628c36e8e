"""Playlists and their ordered entries (catalog track ids; the same track may appear twice)."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model

from yourmusic.models.tenancy import Tenant
from yourmusic.models.users import User


class Playlist(Model):
    id = fields.UUIDField(primary_key=True)
    tenant: fields.ForeignKeyRelation[Tenant] = fields.ForeignKeyField(
        "models.Tenant", related_name="playlists", on_delete=fields.CASCADE
    )
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="playlists", on_delete=fields.CASCADE
    )
    name = fields.CharField(max_length=255)
    # `services.textsearch.fold(name)`, written with the name: what search matches keywords against
    # (PostgreSQL: a pg_trgm GIN index, migration 0010). Text: folding may lengthen a name ("ß" -> "ss").
    search_name = fields.TextField(default="", db_default="")
    public = fields.BooleanField(default=False)
    track_count = fields.IntField(default=0)
    # At least the highest `PlaylistTrack.rank` of its entries (higher after the last one is removed): an
    # append takes the next rank from here, on the row its edit locks, without reading the entries.
    rank_end = fields.BigIntField(default=0, db_default=0)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "playlists"
        # (user_id, created_at, id): a caller's playlists in list order (a user is in one tenant, so this is
        # tenant-scoped), and the ON DELETE CASCADE of a user. (tenant_id, public): public playlists.
        indexes = (("tenant_id", "public"), ("user_id", "created_at", "id"))


# One entry of a playlist. Its place is `rank`: unique within the playlist, sparse (appends and renumbering
# leave `services.playlists.GAP` between neighbours, so a move or an insert writes one row: a rank between
# its new neighbours'; when none fits, a few entries around the spot are respread), stored only to order by. The 1-based dense `position` every answer carries is not
# stored: `services.playlists.numbered` derives it from rank order when the entries are read.
# (Comments, not docstrings: Tortoise copies a model's docstring into the table's SQL comment.)
class PlaylistTrack(Model):
    id = fields.UUIDField(primary_key=True)
    playlist: fields.ForeignKeyRelation[Playlist] = fields.ForeignKeyField(
        "models.Playlist", related_name="entries", on_delete=fields.CASCADE
    )
    track_id = fields.CharField(max_length=64)
    rank = fields.BigIntField(default=0, db_default=0)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "playlist_tracks"
        indexes = (("playlist_id", "rank"),)

    position: int  # 1-based, dense: set by `services.playlists.numbered` on the entries it reads or writes
