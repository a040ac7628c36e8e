from __future__ import annotations

from starlette.responses import Response

from yourmusic.resolvers import health
from yourmusic.rest_compat.core import Call, Operation
from yourmusic.rest_compat.responses import JSONResponse
from yourmusic.rest_compat.shapes import HeartbeatOut


async def heartbeat(call: Call) -> Response:
    return JSONResponse({"time": health.heartbeat().isoformat()})


OPERATIONS = [
    Operation(("GET",), "/api/heartbeat", heartbeat, "heartbeat", "Heartbeat", "Public & Health",
              "Query.heartbeat", response=HeartbeatOut),
]
