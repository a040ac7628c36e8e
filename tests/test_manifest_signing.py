"""The HLS playlist signer (integrations/streaming/manifest.py) over every URI-bearing tag of RFC 8216
and Low-Latency HLS, read back by an independent parser (`m3u8`); and what it refuses.

The same signer behind GET /api/stream/{id} is tested through HTTP in test_streaming.py.
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import m3u8
import pytest

from yourmusic.errors import StreamingError
from yourmusic.integrations.streaming.manifest import parse_attributes, sign_manifest
from yourmusic.integrations.streaming.signing import verify_segment

BASE = "https://stream.test/base"
MANIFEST_URL = f"{BASE}/streams/s1/playlist.m3u8"
SECRET, USER, DEVICE, EXPIRES = "the-secret", "user-1", "device-1", 4_000_000_000

MEDIA_PLAYLIST = """#EXTM3U
#EXT-X-VERSION:9
#EXT-X-TARGETDURATION:6
#EXT-X-SERVER-CONTROL:CAN-BLOCK-RELOAD=YES,PART-HOLD-BACK=3.0
#EXT-X-PART-INF:PART-TARGET=1.0
#EXT-X-MEDIA-SEQUENCE:0
#EXT-X-MAP:URI="init.mp4",BYTERANGE="720@0"
#EXT-X-KEY:METHOD=AES-128,URI="../../keys/k1.bin?v=2",IV=0x00000000000000000000000000000001
# a comment, URI="not-a-tag.bin"
#EXTINF:6.000,title, with commas
seg0.m4s
#EXT-X-KEY:METHOD=SAMPLE-AES,URI="skd://key-42",KEYFORMAT="com.apple.streamingkeydelivery",KEYFORMATVERSIONS="1"
#EXT-X-PART:DURATION=1.0,URI="part1.0.m4s",INDEPENDENT=YES
#EXTINF:6.000,
{BASE}/streams/s1/seg1.m4s
#EXT-X-KEY:METHOD=NONE
#EXT-X-DATERANGE:ID="chapter-2",START-DATE="2025-01-01T00:00:12Z",DURATION=6.0
#EXTINF:6.000,
segments/2.m4s?quality=hi
#EXT-X-PRELOAD-HINT:TYPE=PART,URI="part2.0.m4s"
#EXT-X-RENDITION-REPORT:URI="../s2/playlist.m3u8",LAST-MSN=1,LAST-PART=0
""".replace("{BASE}", BASE)

MULTIVARIANT_PLAYLIST = """#EXTM3U
#EXT-X-SESSION-DATA:DATA-ID="com.example.lyrics",URI="lyrics.json"
#EXT-X-SESSION-DATA:DATA-ID="com.example.title",VALUE="Plain value"
#EXT-X-SESSION-KEY:METHOD=AES-128,URI="data:text/plain;base64,AAECAwQFBgcICQoLDA0ODw=="
#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="aac",NAME="English, loud",DEFAULT=YES,URI="audio/en.m3u8"
#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="aac",NAME="Muxed",DEFAULT=NO
#EXT-X-STREAM-INF:BANDWIDTH=128000,CODECS="mp4a.40.2,ac-3",AUDIO="aac"
low/playlist.m3u8
#EXT-X-I-FRAME-STREAM-INF:BANDWIDTH=20000,URI="iframes.m3u8"
"""


def _sign(text: str) -> str:
    return sign_manifest(text, MANIFEST_URL, BASE, SECRET, USER, DEVICE, EXPIRES)


def _assert_signed(uri: str, path: str) -> None:
    """Absolute on the streaming server at `path` (below its base), with a signature it accepts."""
    url = urlsplit(uri)
    assert f"{url.scheme}://{url.netloc}" == "https://stream.test" and url.path == "/base" + path, uri
    q = {k: v[0] for k, v in parse_qs(url.query).items()}
    assert (q["user"], q["device"], q["exp"]) == (USER, DEVICE, str(EXPIRES))
    assert verify_segment(SECRET, path, q["user"], q["device"], q["exp"], q["sig"], now=0) is None, uri


def test_every_uri_of_a_media_playlist_is_signed():
    signed = _sign(MEDIA_PLAYLIST)
    playlist = m3u8.loads(signed)
    segments = playlist.segments
    _assert_signed(segments[0].init_section.uri, "/streams/s1/init.mp4")
    assert segments[0].init_section.byterange == "720@0"
    _assert_signed(segments[0].key.uri, "/keys/k1.bin")
    assert "v=2&user=" in segments[0].key.uri and segments[0].key.iv == "0x00000000000000000000000000000001"
    assert segments[1].key.uri == "skd://key-42"  # a key system's identifier: nothing to fetch, kept
    _assert_signed(segments[0].uri, "/streams/s1/seg0.m4s")
    _assert_signed(segments[1].uri, "/streams/s1/seg1.m4s")
    _assert_signed(segments[2].uri, "/streams/s1/segments/2.m4s")
    assert "quality=hi&user=" in segments[2].uri
    _assert_signed(segments[1].parts[0].uri, "/streams/s1/part1.0.m4s")
    _assert_signed(playlist.preload_hint.uri, "/streams/s1/part2.0.m4s")
    _assert_signed(playlist.rendition_reports[0].uri, "/streams/s2/playlist.m3u8")
    # Nothing else changed: same lines in the same order, other attributes byte for byte.
    before, after = MEDIA_PLAYLIST.splitlines(), signed.splitlines()
    assert len(before) == len(after)
    for old, new in zip(before, after):
        if "URI=" not in old and (old.startswith("#") or not old):
            assert new == old
    assert after[7].startswith("#EXT-X-KEY:METHOD=AES-128,URI=\"https://") and after[7].endswith(
        '",IV=0x00000000000000000000000000000001')


def test_every_uri_of_a_multivariant_playlist_is_signed():
    playlist = m3u8.loads(_sign(MULTIVARIANT_PLAYLIST))
    _assert_signed(playlist.session_data[0].uri, "/streams/s1/lyrics.json")
    assert playlist.session_data[1].value == "Plain value"
    assert playlist.session_keys[0].uri.startswith("data:text/plain;base64,")  # inline: kept
    _assert_signed(playlist.media[0].uri, "/streams/s1/audio/en.m3u8")
    assert playlist.media[0].name == "English, loud" and playlist.media[1].uri is None
    _assert_signed(playlist.playlists[0].uri, "/streams/s1/low/playlist.m3u8")
    assert playlist.playlists[0].stream_info.codecs == "mp4a.40.2,ac-3"
    _assert_signed(playlist.iframe_playlists[0].uri, "/streams/s1/iframes.m3u8")


@pytest.mark.parametrize("line", [
    '#EXT-X-CONTENT-STEERING:SERVER-URI="steering.json",PATHWAY-ID="CDN-A"',  # a URI tag we do not sign
    '#EXT-X-DATERANGE:ID="ad",START-DATE="2025-01-01T00:00:00Z",X-ASSET-URI="ad.m3u8"',
    '#EXT-X-FUTURE-TAG:URI="whatever.bin"',
    "#EXT-X-KEY:METHOD=AES-128,URI=key.bin",  # unquoted
    '#EXT-X-MAP:URI="a.mp4",URI="b.mp4"',  # twice
    '#EXT-X-MAP:URI="a.mp4',  # unterminated
    '#EXT-X-MAP:URI="a.mp4",',  # trailing comma
    '#EXT-X-MAP:uri="a.mp4"',  # attribute names are upper case
    '#EXT-X-KEY:METHOD=AES-128,URI="https://elsewhere.test/base/k.bin"',  # outside the server
    '#EXT-X-KEY:METHOD=AES-128,URI="http://stream.test/base/k.bin"',  # another scheme, another origin
    '#EXT-X-MAP:URI="../../../other/init.mp4"',  # above the server's base path
    "https://elsewhere.test/base/streams/s1/0.ts",
    "/basement/0.ts",
])
def test_what_cannot_be_signed_refuses_the_whole_playlist(line):
    text = "#EXTM3U\n#EXT-X-TARGETDURATION:6\n" + line + "\n#EXTINF:6.0,\n0.ts\n"
    with pytest.raises(StreamingError) as refused:
        _sign(text)
    assert refused.value.status == 502 and refused.value.code == "STREAMING_ERROR"
    assert "elsewhere" not in str(refused.value) and "a.mp4" not in str(refused.value)


@pytest.mark.parametrize("text,expected", [
    ('METHOD=AES-128,URI="k,1.bin",IV=0x01', [("METHOD", "AES-128"), ("URI", '"k,1.bin"'), ("IV", "0x01")]),
    ("BANDWIDTH=1,RESOLUTION=640x360,FRAME-RATE=29.970",
     [("BANDWIDTH", "1"), ("RESOLUTION", "640x360"), ("FRAME-RATE", "29.970")]),
    ('NAME=""', [("NAME", '""')]),
    ("6.000,title", None),  # EXTINF: not an attribute list
    ("METHOD=AES-128,,IV=0x01", None),
    ('URI="a" ,IV=0x01', None),
    ("", None),
])
def test_attribute_lists(text, expected):
    parsed = parse_attributes(text)
    assert (None if parsed is None else [(name, value) for name, value, _, _ in parsed]) == expected
    for name, value, start, end in parsed or []:
        assert text[start:end] == value
