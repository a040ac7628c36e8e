"""Build the aggregator sandbox's bundled catalogue from the Chinook export.

Why a build step: the shared Chinook JSON is large and carries columns the
sandbox never serves (file sizes, genre ids). The sandbox ships a compact,
gzip-compressed, byte-for-byte reproducible snapshot instead, so the package
stays small and every checkout serves exactly the same catalogue.

Usage::

    python scripts/build_catalog.py [SOURCE_JSON] [OUTPUT_GZ]
"""

from __future__ import annotations

import gzip
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SOURCE = Path("/work/shared/data/chinook-catalog.json")
DEFAULT_OUTPUT = ROOT / "yourmusic" / "integrations" / "aggregator" / "sandbox" / "catalog.json.gz"
FORMAT_VERSION = 1


def build(source: dict) -> dict:
    """Reduce the Chinook export to the positional rows the sandbox loads.

    Rows are arrays (not objects) and genres/media types are interned into
    lookup tables: this roughly halves the payload versus keyed objects.
    """
    artists = sorted(source["artists"], key=lambda a: a["id"])
    albums = sorted(source["albums"], key=lambda a: a["id"])
    tracks = sorted(source["tracks"], key=lambda t: t["id"])
    genres = sorted({t["genre"] for t in tracks if t.get("genre")})
    media_types = sorted({t["media_type"] for t in tracks})
    genre_ix = {g: i for i, g in enumerate(genres)}
    media_ix = {m: i for i, m in enumerate(media_types)}
    artist_ids = {a["id"] for a in artists}
    album_ids = {a["id"] for a in albums}
    for album in albums:  # fail loudly on a broken export rather than serve dangling refs
        if album["artist_id"] not in artist_ids:
            raise ValueError(f"album {album['id']} references unknown artist {album['artist_id']}")
    for track in tracks:
        if track["album_id"] not in album_ids:
            raise ValueError(f"track {track['id']} references unknown album {track['album_id']}")
    return {
        "format": FORMAT_VERSION,
        "source": source["source"],
        "columns": {
            "artists": ["id", "name"],
            "albums": ["id", "title", "artist_id"],
            "tracks": ["id", "title", "album_id", "genre", "composer", "duration_ms", "media_type", "unit_price"],
        },
        "genres": genres,
        "media_types": media_types,
        "artists": [[a["id"], a["name"]] for a in artists],
        "albums": [[a["id"], a["title"], a["artist_id"]] for a in albums],
        "tracks": [
            [
                t["id"],
                t["title"],
                t["album_id"],
                genre_ix[t["genre"]] if t.get("genre") else None,
                t.get("composer"),
                t["duration_ms"],
                media_ix[t["media_type"]],
                t["unit_price"],
            ]
            for t in tracks
        ],
    }


def write(data: dict, output: Path) -> int:
    """Write deterministic gzip (mtime=0, no filename) so rebuilds diff cleanly."""
    raw = json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    output.parent.mkdir(parents=True, exist_ok=True)
    with open(output, "wb") as fh:
        with gzip.GzipFile(filename="", mode="wb", fileobj=fh, compresslevel=9, mtime=0) as gz:
            gz.write(raw)
    return output.stat().st_size


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    source_path = Path(args[0]) if args else DEFAULT_SOURCE
    output = Path(args[1]) if len(args) > 1 else DEFAULT_OUTPUT
    source = json.loads(source_path.read_text(encoding="utf-8"))
    data = build(source)
    size = write(data, output)
    print(
        f"wrote {output} ({size} bytes): {len(data['artists'])} artists, "
        f"{len(data['albums'])} albums, {len(data['tracks'])} tracks"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
