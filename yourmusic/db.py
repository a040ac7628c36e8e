"""Tortoise ORM configuration and the migration runner (Tortoise 1.x native migrations).

Native migrations are database-neutral: the one checked-in set applies to SQLite and PostgreSQL.
"""

from __future__ import annotations

import errno
import socket
from pathlib import Path
from typing import Any

from tortoise.migrations.api import migrate as tortoise_migrate

MODEL_MODULES = ["yourmusic.models"]
MIGRATIONS_MODULE = "yourmusic.migrations"


def sqlite_file(url: str) -> Path | None:
    """The file of a `sqlite://` URL (relative to the current directory unless absolute); None for any
    other database and for `sqlite://:memory:`."""
    if url.startswith("sqlite://") and url != "sqlite://:memory:":
        return Path(url[len("sqlite://") :].split("?", 1)[0])
    return None


def normalise_db_url(url: str) -> str:
    """Accept the common `postgresql://` spelling and make the SQLite folder exist."""
    if url.startswith("postgresql://"):
        url = "postgres://" + url[len("postgresql://") :]
    path = sqlite_file(url)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
    return url


# Per-connection PostgreSQL settings (sent at connect, so they cost no round trip).
# `plan_cache_mode`: asyncpg prepares every statement and reuses it; after five runs PostgreSQL may
# cache one generic plan for all parameter values, and a plan that suits a 1M-user tenant (a
# sequential scan) then serves a 1k-user tenant too (issue 17.2). Custom plans are made for the
# values of each execution; planning these short statements costs tens of microseconds.
POSTGRES_SERVER_SETTINGS: dict[str, str] = {"plan_cache_mode": "force_custom_plan"}


async def keep_session(connection: Any) -> None:
    """asyncpg pool `reset`: send nothing when a connection goes back to the pool.

    asyncpg's default reset runs `SELECT pg_advisory_unlock_all(); CLOSE ALL; UNLISTEN *; RESET ALL`
    after every query made outside a transaction: one extra round trip each. Nothing here changes
    session state (no advisory locks, LISTEN, cursors outside transactions or `SET`; the settings above
    are connection parameters, which `RESET ALL` keeps anyway). A transaction left open is still rolled
    back: asyncpg does that itself before calling this.
    """


def connection_config(database_url: str) -> str | dict[str, Any]:
    """Tortoise's `connections` entry: the URL, or for PostgreSQL its expanded form with the pool's
    `reset` and `server_settings` (which a URL cannot carry). Query-string options of the URL are kept."""
    url = normalise_db_url(database_url)
    if not url.startswith(("postgres://", "asyncpg://")):
        return url
    from tortoise.backends.base.config_generator import expand_db_url

    config = expand_db_url(url)
    credentials = config["credentials"]
    credentials["server_settings"] = {**POSTGRES_SERVER_SETTINGS, **(credentials.get("server_settings") or {})}
    credentials.setdefault("reset", keep_session)
    return config


def tortoise_config(database_url: str) -> dict[str, Any]:
    """The Tortoise configuration for `DATABASE_URL` (one app, `yourmusic.models`, its migrations)."""
    return {
        "connections": {"default": connection_config(database_url)},
        "apps": {
            "models": {
                "models": MODEL_MODULES,
                "default_connection": "default",
                "migrations": MIGRATIONS_MODULE,
            }
        },
        "use_tz": True,
        "timezone": "UTC",
    }


def _tortoise_cli_config() -> dict[str, Any]:
    """For the `tortoise` CLI (`tortoise -c yourmusic.db.TORTOISE_ORM makemigrations`)."""
    from yourmusic.settings import get_settings

    return tortoise_config(get_settings().database_url)


async def migrate(database_url: str) -> None:
    """Apply every pending migration, then release the connections the runner opened."""
    from tortoise import Tortoise

    await tortoise_migrate(config=tortoise_config(database_url))
    await Tortoise.close_connections()


def __getattr__(name: str) -> Any:
    if name == "TORTOISE_ORM":
        return _tortoise_cli_config()
    raise AttributeError(name)


_NETWORK_ERRNOS = frozenset({errno.ECONNREFUSED, errno.ECONNRESET, errno.ECONNABORTED, errno.EHOSTUNREACH,
                             errno.ENETUNREACH, errno.ENETDOWN, errno.EHOSTDOWN, errno.ETIMEDOUT, errno.EPIPE,
                             errno.ENOTCONN, errno.EADDRNOTAVAIL})


def _network_errno(exc: OSError) -> bool:
    """An OSError of the network: a socket errno, or none at all (asyncpg's "Multiple exceptions" when
    every address of the host refused). Any other OSError (EOVERFLOW from a timestamp, a missing file)
    is a bug or bad input, never an outage."""
    return exc.errno is None or exc.errno in _NETWORK_ERRNOS


def database_unavailable(exc: BaseException) -> bool:
    """Is this the database being unreachable (down, restarting, connection lost), not a bug?

    Such a failure answers 503 SERVICE_UNAVAILABLE (retry later) instead of a 500.
    """
    import asyncpg
    from tortoise.exceptions import DBConnectionError

    kinds = (ConnectionError, TimeoutError, socket.gaierror, DBConnectionError, asyncpg.PostgresConnectionError,
             asyncpg.InterfaceError, asyncpg.CannotConnectNowError, asyncpg.exceptions.OperatorInterventionError,
             asyncpg.exceptions.ConnectionDoesNotExistError,
             asyncpg.exceptions.InternalClientError)  # a connection broken mid-operation by a restart
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        if isinstance(current, kinds) or (isinstance(current, OSError) and _network_errno(current)):
            return True
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return False
