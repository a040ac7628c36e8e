"""A counting PostgreSQL wire proxy for benches: what a server process sends to the database, per request.

`WireCounter` listens on a free local port and forwards every byte to PostgreSQL unchanged (no TLS: point
the server at it with `PGSSLMODE=disable`). It reads the client -> server direction of the protocol (v3) and
keeps, in order, each statement the client ran: its SQL (from `Query` or the `Parse` of the prepared
statement it executes) and, for extended-protocol executions, the bound parameter values as sent.
A round trip is one `Query` or one `Sync` (the client then waits for `ReadyForQuery`).
It runs in a thread of its own, so a synchronous HTTP client can drive the server meanwhile.
"""

from __future__ import annotations

import asyncio
import socket
import struct
import threading
from dataclasses import dataclass, field

SSL_REQUEST = 80877103
GSS_REQUEST = 80877104


@dataclass
class Executed:
    """One statement the client ran: SQL text, parameter bytes (None = NULL) and their format codes."""

    sql: str
    params: list[bytes | None] = field(default_factory=list)
    formats: list[int] = field(default_factory=list)
    simple: bool = False  # sent as a simple `Query` (may hold several statements)


@dataclass
class Tally:
    """What crossed the wire between two `mark()`s."""

    round_trips: int = 0
    executed: list[Executed] = field(default_factory=list)


class WireCounter:
    """Forward `127.0.0.1:<port>` to `upstream` and tally the client's statements and round trips."""

    def __init__(self, upstream_host: str = "127.0.0.1", upstream_port: int = 5432) -> None:
        self.upstream = (upstream_host, upstream_port)
        self.tally = Tally()
        self._lock = threading.Lock()
        self._loop = asyncio.new_event_loop()
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        ready = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(ready,), daemon=True)
        self._thread.start()
        ready.wait(10)

    def mark(self) -> Tally:
        """The tally since the previous mark (and start a new one)."""
        with self._lock:
            done, self.tally = self.tally, Tally()
        return done

    def close(self) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)

    def _run(self, ready: threading.Event) -> None:
        asyncio.set_event_loop(self._loop)
        server = self._loop.run_until_complete(asyncio.start_server(self._client, "127.0.0.1", self.port))
        ready.set()
        self._loop.run_forever()
        server.close()

    async def _client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_reader, up_writer = await asyncio.open_connection(*self.upstream)
        back = asyncio.ensure_future(self._pipe(up_reader, writer))
        statements: dict[str, str] = {}
        try:
            while True:  # untyped start-up messages: SSL/GSS requests (answered with one byte), then StartupMessage
                head = await reader.readexactly(8)
                length, code = struct.unpack("!ii", head)
                up_writer.write(head + await reader.readexactly(length - 8))
                await up_writer.drain()
                if code not in (SSL_REQUEST, GSS_REQUEST):
                    break
            while True:
                kind = await reader.readexactly(1)
                (length,) = struct.unpack("!i", await reader.readexactly(4))
                body = await reader.readexactly(length - 4)
                self._see(kind, body, statements)
                up_writer.write(kind + struct.pack("!i", length) + body)
                await up_writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            up_writer.close()
            back.cancel()
            writer.close()

    @staticmethod
    async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        except (ConnectionError, asyncio.CancelledError):
            pass

    def _see(self, kind: bytes, body: bytes, statements: dict[str, str]) -> None:
        if kind == b"Q":
            with self._lock:
                self.tally.round_trips += 1
                self.tally.executed.append(Executed(body.rstrip(b"\0").decode(), simple=True))
        elif kind == b"P":
            name, rest = body.split(b"\0", 1)
            sql = rest.split(b"\0", 1)[0].decode()
            statements[name.decode()] = sql
        elif kind == b"B":
            with self._lock:
                self.tally.executed.append(_bind(body, statements))
        elif kind == b"S":
            with self._lock:
                self.tally.round_trips += 1


def _bind(body: bytes, statements: dict[str, str]) -> Executed:
    _portal, rest = body.split(b"\0", 1)
    name, rest = rest.split(b"\0", 1)
    (n_formats,) = struct.unpack_from("!h", rest, 0)
    at = 2
    formats = list(struct.unpack_from(f"!{n_formats}h", rest, at))
    at += 2 * n_formats
    (n_params,) = struct.unpack_from("!h", rest, at)
    at += 2
    params: list[bytes | None] = []
    for _ in range(n_params):
        (size,) = struct.unpack_from("!i", rest, at)
        at += 4
        if size < 0:
            params.append(None)
        else:
            params.append(rest[at:at + size])
            at += size
    if len(formats) == 1:
        formats = formats * n_params
    elif not formats:
        formats = [0] * n_params
    return Executed(statements.get(name.decode(), "?"), params, formats)
