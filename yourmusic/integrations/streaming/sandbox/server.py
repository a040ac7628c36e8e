"""Serve the streaming sandbox with uvicorn (`yourmusic sandbox streaming --port P`)."""

from __future__ import annotations

import argparse

from .app import DEFAULT_SIGNING_SECRET, create_app


def run(host: str = "127.0.0.1", port: int = 8766, *, api_key: str | None = None,
        signing_secret: str = DEFAULT_SIGNING_SECRET, log_level: str = "warning",
        cors_origins: tuple[str, ...] = ("*",)) -> None:
    """Block serving the sandbox; uvicorn is imported lazily so tests need not load it. Segment URLs are
    signed and need no credentials, so by default any origin's player may fetch them (as from a CDN)."""
    import uvicorn

    uvicorn.run(create_app(api_key=api_key, signing_secret=signing_secret, cors_origins=cors_origins),
                host=host, port=port, log_level=log_level, access_log=False)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="HLS streaming server sandbox")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8766)
    parser.add_argument("--api-key", default=None, help="require this exact X-Api-Key")
    parser.add_argument("--signing-secret", default=DEFAULT_SIGNING_SECRET)
    parser.add_argument("--log-level", default="warning")
    args = parser.parse_args(argv)
    run(args.host, args.port, api_key=args.api_key, signing_secret=args.signing_secret, log_level=args.log_level)
