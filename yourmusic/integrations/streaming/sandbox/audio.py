"""The sandbox's audio: a steady tone per track, AAC-LC in MPEG-TS segments, encoded and muxed by PyAV.

Every track plays a tone whose pitch derives from its id (`period_for`), so two tracks sound
different. Audio is cut on AAC's own grid of 1024-sample frames: frame `f` covers samples
`[f*1024, (f+1)*1024)` of the track at 44.1 kHz, segment `n` holds frames `[bounds[n], bounds[n+1])`
(`segment_bounds`: about 6 s each, the last shorter, `ceil(duration * 44100 / 1024)` frames in all), and
every packet carries its global timestamp, so the segments play back to back as one continuous stream
and decode to the track's duration (+ less than one frame).

Cost: a tone's period `k` samples is chosen so that `k / gcd(k, 1024)` is small (at most 15): the
signal inside frame `f` then depends only on `f mod m`, so FFmpeg's AAC encoder runs once per pitch over
a few warm-up cycles (10-20 ms), and a segment is those `m` packets repeated with their timestamps,
muxed into MPEG-TS by FFmpeg (about 1 ms for 6 s). Finished segments are kept in an LRU cache.
"""

from __future__ import annotations

import array
import io
import math
from dataclasses import dataclass
from fractions import Fraction
from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # PyAV is imported when the first segment is encoded, not when the sandbox is mounted
    import av

SAMPLE_RATE = 44_100  # Hz, mono
FRAME_SAMPLES = 1024  # samples per AAC-LC frame
SEGMENT_SECONDS = 6  # target segment length; each segment is a whole number of frames
BIT_RATE = 64_000  # bits per second
# Tone periods in samples, 153 Hz (288) to 689 Hz (64): each a power of two times an odd number
# up to 15, so the frame pattern repeats after at most 15 frames (see the module doc).
PERIODS = (64, 72, 80, 88, 96, 104, 112, 120, 128, 144, 160, 176, 192, 208, 224, 240, 256, 288)
# The muxer's max_delay (µs): lets it put several AAC frames in one PES packet (less TS overhead) and,
# as FFmpeg's own HLS segmenter does, shifts every timestamp by the same 1.4 s.
MUX_MAX_DELAY_US = 700_000
WARM_UP_CYCLES = 3
_TIME_BASE = Fraction(1, SAMPLE_RATE)


def period_for(track_id: int) -> int:
    """The tone's period (samples at SAMPLE_RATE) of a track; its pitch is SAMPLE_RATE / period Hz."""
    return PERIODS[track_id % len(PERIODS)]


def pitch_hz(period: int) -> float:
    """The fundamental frequency of a tone period, in Hz."""
    return SAMPLE_RATE / period


def segment_bounds(duration: int) -> list[int]:
    """Frame indexes where each segment starts, plus the end: `len(result) - 1` segments.

    `duration` is whole seconds (>= 1). Segment n starts at frame floor(n * 6 s * rate / 1024); the
    last ends at ceil(duration * rate / 1024), so the audio is never shorter than the track.
    """
    total = -(-duration * SAMPLE_RATE // FRAME_SAMPLES)
    count = -(-duration // SEGMENT_SECONDS)
    return [n * SEGMENT_SECONDS * SAMPLE_RATE // FRAME_SAMPLES for n in range(count)] + [total]


def frames_seconds(frames: int) -> float:
    """The duration of a number of AAC frames, in seconds."""
    return frames * FRAME_SAMPLES / SAMPLE_RATE


@dataclass(frozen=True, slots=True)
class EncodedTone:
    """A tone's AAC packets: `first` for frame 0 (no earlier audio to overlap), `cycle[f % len(cycle)]`
    for every later frame f; `template` is the encoder's stream, whose codec parameters the muxer copies."""

    template: av.audio.stream.AudioStream
    first: bytes
    cycle: tuple[bytes, ...]


def _tone_period(period: int) -> bytes:
    """One period of the tone as 32-bit float samples: a fundamental and a softer octave (no clipping)."""
    two_pi = 2 * math.pi
    return array.array("f", [0.3 * math.sin(two_pi * i / period) + 0.1 * math.sin(2 * two_pi * i / period)
                             for i in range(period)]).tobytes()


@lru_cache(maxsize=len(PERIODS))
def encoded_tone(period: int) -> EncodedTone:
    """Encode a tone once: frame 0, then `m` steady-state packets taken after WARM_UP_CYCLES cycles."""
    cycle_frames = period // math.gcd(period, FRAME_SAMPLES)
    frames = (WARM_UP_CYCLES + 1) * cycle_frames + 2  # +2: the encoder's look-ahead before the flush
    one = _tone_period(period)
    samples = one * (frames * FRAME_SAMPLES // period + 2)
    import av

    container = av.open(io.BytesIO(), "w", format="mpegts")
    stream = container.add_stream("aac", rate=SAMPLE_RATE, layout="mono")
    stream.bit_rate = BIT_RATE
    container.start_encoding()  # fills the stream's codec parameters (AudioSpecificConfig) for the template
    packets: dict[int, bytes] = {}
    width = FRAME_SAMPLES * 4  # bytes of one float32 mono frame
    for f in range(frames + 1):
        frame = None
        if f < frames:
            frame = av.AudioFrame(format="fltp", layout="mono", samples=FRAME_SAMPLES)
            frame.planes[0].update(samples[f * width : (f + 1) * width])
            frame.sample_rate = SAMPLE_RATE
            frame.pts = f * FRAME_SAMPLES
            frame.time_base = _TIME_BASE
        for packet in stream.encode(frame):  # None flushes
            if packet.pts is not None and packet.pts >= 0:  # the negative one is the encoder's priming
                packets[packet.pts // FRAME_SAMPLES] = bytes(packet)
    start = WARM_UP_CYCLES * cycle_frames  # a multiple of the cycle: packet start + j is frame phase j
    return EncodedTone(template=stream, first=packets[0],
                       cycle=tuple(packets[start + j] for j in range(cycle_frames)))


@lru_cache(maxsize=256)
def segment(period: int, first_frame: int, end_frame: int) -> bytes:
    """An MPEG-TS segment of the tone holding frames [first_frame, end_frame), timestamps global.

    Shared by every track of that pitch whose segment has these bounds; about 60 KB per 6 s.
    """
    tone = encoded_tone(period)
    out = io.BytesIO()
    import av

    container = av.open(out, "w", format="mpegts", options={"max_delay": str(MUX_MAX_DELAY_US)})
    stream = container.add_stream_from_template(tone.template)
    for f in range(first_frame, end_frame):
        packet = av.Packet(tone.first if f == 0 else tone.cycle[f % len(tone.cycle)])
        packet.pts = packet.dts = f * FRAME_SAMPLES
        packet.duration = FRAME_SAMPLES
        packet.time_base = _TIME_BASE
        packet.stream = stream
        container.mux(packet)
    container.close()
    return out.getvalue()
