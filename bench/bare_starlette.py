"""The ceiling for this stack: a bare Starlette app answering fixed bytes from memory.

Usage: python bench/bare_starlette.py PORT ROUTE=FILE [ROUTE=FILE ...]
(each FILE holds the JSON that ROUTE answers, to GET and POST alike).
"""

from __future__ import annotations

import sys

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route


def _route(path: str, body: bytes) -> Route:
    async def answer(request: Request) -> Response:
        await request.body()
        return Response(body, media_type="application/json")

    return Route(path, answer, methods=["GET", "POST"])


def main() -> None:
    port = int(sys.argv[1])
    routes = []
    for spec in sys.argv[2:]:
        path, file = spec.split("=", 1)
        routes.append(_route(path, open(file, "rb").read()))
    uvicorn.run(Starlette(routes=routes), host="127.0.0.1", port=port, log_level="warning", access_log=False)


if __name__ == "__main__":
    main()
