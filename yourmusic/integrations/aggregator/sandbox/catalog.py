"""Bundled sandbox catalogue: loading, derived fields, indexes and search.

The data is immutable, so everything a response needs is computed once at load
time. Each object is pre-serialised to an ``orjson.Fragment`` whose image and
link URLs carry two placeholders (``BASE_TOKEN`` / ``SIZE_TOKEN``): a request
only joins fragments and does two ``bytes.replace`` calls, which keeps the
sandbox fast enough to sit under benchmarks without skewing them.

Every invented field (explicit flag, stream availability, ISRC, dates, labels,
barcodes) derives from ``zlib.crc32`` of the id, never ``hash()``, so all
processes and runs serve identical answers.
"""

from __future__ import annotations

import gzip
import re
import unicodedata
import zlib
from collections import defaultdict
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Callable, Iterable

import orjson

CATALOG_PATH = Path(__file__).with_name("catalog.json.gz")

BASE_TOKEN = "@@sandbox-base@@"
SIZE_TOKEN = "@@sandbox-size@@"

IMAGE_SIZES: tuple[int, ...] = (33, 50, 100, 180, 182, 200, 350, 500, 800)
DEFAULT_IMAGE_SIZE = 350
USAGE_TYPES = frozenset({"download", "stream"})
RELEASE_TYPES = frozenset({"album", "single", "video"})

EXPLICIT_PERCENT = 8
STREAMABLE_PERCENT = 90
SINGLE_MAX_TRACKS = 3
CURRENCY = "USD"

LABELS: tuple[str, ...] = (
    "Chinook Records",
    "Northwind Audio",
    "Harbour Lights Music",
    "Tidewater Sound",
    "Copperline Recordings",
    "Meridian Discs",
    "Blue Lantern",
    "Sandbox Music Group",
)
LICENSORS: tuple[str, ...] = (
    "Sandbox Licensing Ltd",
    "Chinook Rights Management",
    "Open Catalog Distribution",
    "Northwind Publishing",
)

_TOKEN_RE = re.compile(r"[^\W_]+")
_SLUG_RE = re.compile(r"[^a-z0-9]+")


# --------------------------------------------------------------------------- text


def normalize(text: str) -> str:
    """Casefold and strip accents so "Antônio" and "antonio" compare equal."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def tokenize(text: str) -> list[str]:
    """Split normalised text into alphanumeric words ("AC/DC" -> ["ac", "dc"])."""
    return _TOKEN_RE.findall(normalize(text))


def slugify(text: str, fallback: str) -> str:
    """Lowercase ASCII hyphenated slug; ``fallback`` when nothing ASCII remains."""
    ascii_text = normalize(text).encode("ascii", "ignore").decode("ascii")
    slug = _SLUG_RE.sub("-", ascii_text).strip("-")
    return slug or fallback


def stable_hash(salt: str, item_id: int) -> int:
    """Process-independent 32-bit hash (``hash()`` is randomised per process)."""
    return zlib.crc32(f"{salt}:{item_id}".encode("ascii"))


def _percent(salt: str, item_id: int) -> int:
    return stable_hash(salt, item_id) % 100


def sort_name(name: str) -> str:
    """Library-style sort name: "The Doors" -> "Doors, The"."""
    if name.lower().startswith("the ") and len(name) > 4:
        return f"{name[4:]}, {name[:3]}"
    return name


def image_url(kind: str, item_id: int) -> str:
    return f"{BASE_TOKEN}/images/{kind}/{item_id}_{SIZE_TOKEN}.svg"


def price_object(value: float) -> dict:
    value = round(value, 2)
    return {"formattedPrice": f"${value:.2f}", "currencyCode": CURRENCY, "value": value}


def _ean13(digits12: str) -> str:
    total = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(digits12))
    return digits12 + str((10 - total % 10) % 10)


# --------------------------------------------------------------------------- search


class SearchIndex:
    """Ranked, accent-insensitive search over precomputed normalised fields.

    Tiers (lower is better): exact match of the primary field (0) or another
    field (1); prefix of the primary (2) or another field (3); every query
    token is a whole word somewhere (4); every token is a substring somewhere,
    or the de-spaced query is (5). Ties: higher popularity, then lower id.
    Comparisons also run on a "compact" form without separators, so "acdc"
    matches "AC/DC" exactly.
    """

    def __init__(self, entries: Iterable[tuple[int, Iterable[str], int]], cache_size: int = 2048) -> None:
        self._ids: list[int] = []
        self._fields: list[tuple[tuple[str, str], ...]] = []
        self._words: list[frozenset[str]] = []
        self._hay: list[str] = []
        self._hay_compact: list[str] = []
        self._popularity: list[int] = []
        for item_id, fields, popularity in entries:
            normalised = []
            words: set[str] = set()
            for text in fields:
                toks = tokenize(text)
                words.update(toks)
                normalised.append((" ".join(toks), "".join(toks)))
            self._ids.append(item_id)
            self._fields.append(tuple(normalised))
            self._words.append(frozenset(words))
            # "\x00" separates fields so substrings never straddle two of them.
            self._hay.append("\x00".join(key for key, _ in normalised))
            self._hay_compact.append("\x00".join(compact for _, compact in normalised))
            self._popularity.append(popularity)
        self.search: Callable[[str], tuple[int, ...]] = lru_cache(maxsize=cache_size)(self._search)

    def __len__(self) -> int:
        return len(self._ids)

    def _search(self, query: str) -> tuple[int, ...]:
        qtokens = tokenize(query)
        if not qtokens:
            return ()
        qkey = " ".join(qtokens)
        qcompact = "".join(qtokens)
        ranked: list[tuple[int, int, int]] = []
        for i, hay in enumerate(self._hay):
            # Cheapest necessary condition first: every tier implies tier 5.
            if not (all(t in hay for t in qtokens) or qcompact in self._hay_compact[i]):
                continue
            ranked.append((self._tier(i, qtokens, qkey, qcompact), -self._popularity[i], self._ids[i]))
        ranked.sort()
        return tuple(item_id for _, _, item_id in ranked)

    def _tier(self, i: int, qtokens: list[str], qkey: str, qcompact: str) -> int:
        fields = self._fields[i]
        for pos, (key, compact) in enumerate(fields):
            if key == qkey or compact == qcompact:
                return 0 if pos == 0 else 1
        for pos, (key, compact) in enumerate(fields):
            if key.startswith(qkey) or compact.startswith(qcompact):
                return 2 if pos == 0 else 3
        words = self._words[i]
        if all(t in words for t in qtokens):
            return 4
        return 5


# --------------------------------------------------------------------------- model


@dataclass(frozen=True, slots=True)
class Artist:
    id: int
    name: str
    slug: str
    sort_name: str
    popularity: int
    release_ids: tuple[int, ...]  # newest release first, then by id
    summary: orjson.Fragment  # {id,name,appearsAs,slug,image}
    full: orjson.Fragment  # summary + url, sortName


@dataclass(frozen=True, slots=True)
class Release:
    id: int
    title: str
    artist_id: int
    type: str
    explicit: bool
    usage_types: frozenset[str]
    track_ids: tuple[int, ...]  # in trackNumber order
    release_date: str
    full: orjson.Fragment


@dataclass(frozen=True, slots=True)
class Track:
    id: int
    title: str
    release_id: int
    artist_id: int
    explicit: bool
    usage_types: frozenset[str]
    type: str
    full: orjson.Fragment


def browse_bucket(name: str) -> str:
    """Browse letter for a name: "a".."z", or "#" for anything else."""
    norm = normalize(name).lstrip()
    first = norm[:1]
    return first if "a" <= first <= "z" else "#"


class Catalog:
    """Immutable in-memory catalogue with id lookups, browse buckets and search."""

    def __init__(self, data: dict) -> None:
        self.source: str = data["source"]
        genres: list[str] = data["genres"]
        media_types: list[str] = data["media_types"]

        artist_rows = {row[0]: row for row in data["artists"]}
        album_rows = {row[0]: row for row in data["albums"]}
        tracks_by_album: dict[int, list[list]] = defaultdict(list)
        for row in data["tracks"]:
            tracks_by_album[row[2]].append(row)
        for rows in tracks_by_album.values():
            rows.sort(key=lambda r: r[0])

        artist_tracks: dict[int, int] = defaultdict(int)
        for album_id, rows in tracks_by_album.items():
            artist_tracks[album_rows[album_id][2]] += len(rows)

        # Artists: summaries first, releases embed them.
        artist_slug: dict[int, str] = {}
        artist_summary: dict[int, dict] = {}
        for artist_id, name in artist_rows.values():
            slug = slugify(name, f"artist-{artist_id}")
            artist_slug[artist_id] = slug
            artist_summary[artist_id] = {
                "id": artist_id,
                "name": name,
                "appearsAs": name,
                "slug": slug,
                "image": image_url("artist", artist_id),
            }

        self.releases: dict[int, Release] = {}
        self.tracks: dict[int, Track] = {}
        releases_by_artist: dict[int, list[Release]] = defaultdict(list)
        for album_id, title, artist_id in album_rows.values():
            rows = tracks_by_album.get(album_id, [])
            track_info = []
            for row in rows:
                track_id = row[0]
                is_video = "video" in media_types[row[6]].lower()
                explicit = _percent("explicit", track_id) < EXPLICIT_PERCENT
                streamable = _percent("stream", track_id) < STREAMABLE_PERCENT
                track_info.append((row, is_video, explicit, streamable))

            if rows and all(info[1] for info in track_info):
                rtype = "video"
            elif len(rows) <= SINGLE_MAX_TRACKS:
                rtype = "single"
            else:
                rtype = "album"
            r_explicit = any(info[2] for info in track_info)
            r_usage = (["download"] if rows else []) + (["stream"] if any(i[3] for i in track_info) else [])
            h = stable_hash("date", album_id)
            year = 1970 + h % 46
            release_date = f"{year:04d}-{1 + (h >> 8) % 12:02d}-{1 + (h >> 16) % 28:02d}"
            slug = slugify(title, f"release-{album_id}")
            a_slug = artist_slug[artist_id]
            r_image = image_url("release", album_id)
            r_url = f"{BASE_TOKEN}/artist/{a_slug}/release/{slug}"
            label_ix = stable_hash("label", album_id) % len(LABELS)
            licensor_ix = stable_hash("licensor", album_id) % len(LICENSORS)
            total_price = sum(row[7] for row in rows)
            cap = 19.99 if rtype == "video" else 9.99
            release_price = total_price if len(rows) <= SINGLE_MAX_TRACKS else min(total_price, cap)
            full = {
                "id": album_id,
                "title": title,
                "version": "",
                "type": rtype,
                "barcode": _ean13(f"50{album_id:06d}{stable_hash('barcode', album_id) % 10000:04d}"),
                "year": year,
                "explicitContent": r_explicit,
                "artist": artist_summary[artist_id],
                "slug": slug,
                "image": r_image,
                "label": {"id": label_ix + 1, "name": LABELS[label_ix]},
                "licensor": {"id": licensor_ix + 1, "name": LICENSORS[licensor_ix]},
                "releaseDate": release_date,
                "trackCount": len(rows),
                "duration": sum(round(row[5] / 1000) for row in rows),
                "usageTypes": r_usage,
                "price": price_object(release_price),
                "url": r_url,
            }
            release_summary = {
                "id": album_id,
                "title": title,
                "version": "",
                "type": rtype,
                "artist": artist_summary[artist_id],
                "slug": slug,
                "image": r_image,
                "releaseDate": release_date,
                "explicitContent": r_explicit,
            }
            release = Release(
                id=album_id,
                title=title,
                artist_id=artist_id,
                type=rtype,
                explicit=r_explicit,
                usage_types=frozenset(r_usage),
                track_ids=tuple(row[0] for row in rows),
                release_date=release_date,
                full=orjson.Fragment(orjson.dumps(full)),
            )
            self.releases[album_id] = release
            releases_by_artist[artist_id].append(release)

            for number, (row, is_video, explicit, streamable) in enumerate(track_info, start=1):
                track_id, t_title, _, genre_ix, composer, duration_ms, _, unit_price = row
                usage = ["download", "stream"] if streamable else ["download"]
                track = {
                    "id": track_id,
                    "title": t_title,
                    "version": "",
                    "artist": artist_summary[artist_id],
                    "trackNumber": number,
                    "discNumber": 1,
                    "duration": round(duration_ms / 1000),
                    "explicitContent": explicit,
                    "isrc": f"GBSDX{year % 100:02d}{track_id:05d}",
                    "type": "video" if is_video else "audio",
                    "genre": genres[genre_ix] if genre_ix is not None else None,
                    "composer": composer,
                    "release": release_summary,
                    "usageTypes": usage,
                    "price": price_object(unit_price),
                    "download": {
                        "releaseDate": release_date,
                        "previewUrl": f"{BASE_TOKEN}/previews/clip/{track_id}",
                    },
                    "subscriptionStreaming": {"releaseDate": release_date} if streamable else None,
                    "url": f"{r_url}?trackid={track_id}",
                }
                self.tracks[track_id] = Track(
                    id=track_id,
                    title=t_title,
                    release_id=album_id,
                    artist_id=artist_id,
                    explicit=explicit,
                    usage_types=frozenset(usage),
                    type=track["type"],
                    full=orjson.Fragment(orjson.dumps(track)),
                )

        self.artists: dict[int, Artist] = {}
        for artist_id, name in artist_rows.values():
            own = sorted(releases_by_artist.get(artist_id, []), key=lambda r: r.id)
            own.sort(key=lambda r: r.release_date, reverse=True)  # stable: ties stay by id
            summary = artist_summary[artist_id]
            full = {
                **summary,
                "url": f"{BASE_TOKEN}/artist/{artist_slug[artist_id]}",
                "sortName": sort_name(name),
            }
            self.artists[artist_id] = Artist(
                id=artist_id,
                name=name,
                slug=artist_slug[artist_id],
                sort_name=sort_name(name),
                popularity=artist_tracks.get(artist_id, 0),
                release_ids=tuple(r.id for r in own),
                summary=orjson.Fragment(orjson.dumps(summary)),
                full=orjson.Fragment(orjson.dumps(full)),
            )

        # Browse buckets, ordered by normalised name then id.
        buckets: dict[str, list[Artist]] = defaultdict(list)
        for artist in self.artists.values():
            buckets[browse_bucket(artist.name)].append(artist)
        self._browse: dict[str, tuple[int, ...]] = {
            letter: tuple(a.id for a in sorted(items, key=lambda a: (normalize(a.name), a.id)))
            for letter, items in buckets.items()
        }

        self.artist_index = SearchIndex((a.id, (a.name,), a.popularity) for a in self.artists.values())
        self.release_index = SearchIndex(
            (r.id, (r.title, self.artists[r.artist_id].name), len(r.track_ids)) for r in self.releases.values()
        )
        self.track_index = SearchIndex(
            (
                t.id,
                (t.title, self.artists[t.artist_id].name, self.releases[t.release_id].title),
                self.artists[t.artist_id].popularity,
            )
            for t in self.tracks.values()
        )

    def browse(self, letter: str) -> tuple[int, ...]:
        """Artist ids for a browse letter ("a".."z"; "0" and "#" mean non-letters)."""
        key = letter.lower()
        if key == "0":
            key = "#"
        return self._browse.get(key, ())

    def search_artists(self, query: str) -> tuple[int, ...]:
        return self.artist_index.search(query)

    def search_releases(self, query: str) -> tuple[int, ...]:
        return self.release_index.search(query)

    def search_tracks(self, query: str) -> tuple[int, ...]:
        return self.track_index.search(query)


def load_catalog(path: Path = CATALOG_PATH) -> Catalog:
    """Build a fresh :class:`Catalog` from a ``catalog.json.gz`` file."""
    with gzip.open(path, "rb") as fh:
        return Catalog(orjson.loads(fh.read()))


@lru_cache(maxsize=1)
def get_catalog() -> Catalog:
    """The bundled catalogue, loaded once per process (it is immutable)."""
    return load_catalog()
