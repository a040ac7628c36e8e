"""Playlist entries ordered by a sparse rank (issue 17.5): a move, a remove or an add writes one entry row.

1. `playlist_tracks.rank` (BIGINT) and `playlists.rank_end` (BIGINT, at least the playlist's highest rank).
2. Existing entries: `rank = position * 2^32` (`services.playlists.GAP` when written), in one statement;
   each playlist's `rank_end` is its highest rank (0 without entries).
3. The index (playlist_id, position) and the column `position` are dropped (the dense 1-based position is
   derived from rank order when entries are read: `services.playlists.numbered`), then the index
   (playlist_id, rank) is created (after the drop: SQLite rebuilds the table to drop a column, and the
   rebuild keeps no index made before it).

Backwards, `position` comes back filled with the dense 1..n of each playlist's rank order (checked on
PostgreSQL). Not on SQLite with data: Tortoise drops a column there by rebuilding the table, and the
rebuild of `playlists` (dropping `rank_end`) is a DROP TABLE that cascades to every entry.
"""

from typing import Any

from tortoise import fields, migrations
from tortoise.indexes import Index
from tortoise.migrations import operations as ops

GAP = 1 << 32  # services.playlists.GAP when this migration was written; fixed here whatever it becomes


async def fill_ranks(apps: Any, schema_editor: Any) -> None:
    await schema_editor.client.execute_script(
        f'UPDATE "playlist_tracks" SET "rank" = CAST("position" AS BIGINT) * {GAP};'
        'UPDATE "playlists" SET "rank_end" = COALESCE((SELECT MAX(t."rank") FROM "playlist_tracks" AS t '
        'WHERE t."playlist_id" = "playlists"."id"), 0);'
    )


async def fill_positions(apps: Any, schema_editor: Any) -> None:
    """Backwards: dense positions from rank order (`UPDATE ... FROM`: PostgreSQL, SQLite 3.33+)."""
    await schema_editor.client.execute_script(
        'UPDATE "playlist_tracks" SET "position" = v.n FROM (SELECT "id", ROW_NUMBER() OVER '
        '(PARTITION BY "playlist_id" ORDER BY "rank") AS n FROM "playlist_tracks") AS v '
        'WHERE "playlist_tracks"."id" = v."id";'
    )


class Migration(migrations.Migration):
    dependencies = [('models', '0010_playlist_search')]

    initial = False

    operations = [
        ops.AddField(
            model_name='Playlist',
            name='rank_end',
            field=fields.BigIntField(default=0, db_default=0),
        ),
        ops.AddField(
            model_name='PlaylistTrack',
            name='rank',
            field=fields.BigIntField(default=0, db_default=0),
        ),
        ops.RunPython(fill_ranks, fill_positions),
        ops.RemoveIndex(
            model_name='PlaylistTrack',
            name=None,
            fields=['playlist_id', 'position'],
        ),
        ops.AlterField(  # a default first, so that backwards the column comes back on a table with rows
            model_name='PlaylistTrack',
            name='position',
            field=fields.IntField(db_default=0),
        ),
        ops.RemoveField(
            model_name='PlaylistTrack',
            name='position',
        ),
        ops.AddIndex(
            model_name='PlaylistTrack',
            index=Index(fields=['playlist_id', 'rank']),
        ),
    ]
