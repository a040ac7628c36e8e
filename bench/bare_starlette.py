"""The ceiling for this stack: a bare Starlette app answering fixed bytes from memory.

Usage: python bench/bare_starlette.py PORT FILE [ROUTE]  (FILE holds the JSON to answer).
"""

from __future__ import annotations

import sys

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route


def main() -> None:
    port, path = int(sys.argv[1]), sys.argv[2]
    route = sys.argv[3] if len(sys.argv) > 3 else "/api/tracks/{track_id}"
    body = open(path, "rb").read()

    async def answer(request: Request) -> Response:
        return Response(body, media_type="application/json")

    app = Starlette(routes=[Route(route, answer, methods=["GET", "POST"])])
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)


if __name__ == "__main__":
    main()
