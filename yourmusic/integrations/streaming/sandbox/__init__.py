"""Streaming sandbox: an HLS server over the bundled catalog, with signed segment URLs.

The product's embedded default streaming server (mounted at /_sandbox/streaming) and the fixture
tests talk to over real HTTP.
"""

from .app import DEFAULT_API_KEY, DEFAULT_SIGNING_SECRET, StreamIndex, create_app, stream_id_for
from .server import run

__all__ = ["DEFAULT_API_KEY", "DEFAULT_SIGNING_SECRET", "StreamIndex", "create_app", "run", "stream_id_for"]
