"""A scratch database for migration tests, on the backend under test: migrate it to a given migration,
write rows the way an older version left them (raw SQL), migrate on, and read what the migration made.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import asyncpg

from tests.conftest import BACKEND, PG_ADMIN_URL

_MIGRATE = """
import asyncio, sys
from tortoise import Tortoise
from tortoise.migrations.api import migrate
from yourmusic.db import tortoise_config
async def main():
    await migrate(config=tortoise_config(sys.argv[1]), target=sys.argv[2] if len(sys.argv) > 2 else None)
    await Tortoise.close_connections()
asyncio.run(main())
"""


@asynccontextmanager
async def scratch_database(tmp_path: Path) -> AsyncIterator[str]:
    """The URL of an empty database (PostgreSQL: created, dropped afterwards; SQLite: a file in `tmp_path`)."""
    if BACKEND != "postgres":
        yield f"sqlite://{tmp_path / 'migrate.sqlite3'}"
        return
    db = f"yourmusic_mig_{uuid.uuid4().hex[:10]}"
    admin = await asyncpg.connect(PG_ADMIN_URL)
    try:
        await admin.execute(f'CREATE DATABASE "{db}"')
        yield PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + db
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')
        await admin.close()


def migrate(url: str, target: str | None = None) -> None:
    """Apply the project's migrations to `url` up to `target` (e.g. "models.0010_playlist_search"; None:
    all), in a process of its own as `yourmusic migrate` would (raises CalledProcessError on failure)."""
    subprocess.run([sys.executable, "-c", _MIGRATE, url, *([target] if target else [])], check=True,
                   env={**os.environ}, capture_output=True, timeout=120)


async def execute(url: str, statements: list[str]) -> None:
    """Run `statements` (literal SQL both databases read) in order, committed."""
    if BACKEND == "postgres":
        con = await asyncpg.connect(url)
        try:
            for sql in statements:
                await con.execute(sql)
        finally:
            await con.close()
        return
    lite = sqlite3.connect(url[len("sqlite://"):])
    try:
        for sql in statements:
            lite.execute(sql)
        lite.commit()
    finally:
        lite.close()


async def fetch(url: str, sql: str) -> list[tuple]:
    """The rows of one query, as tuples."""
    if BACKEND == "postgres":
        con = await asyncpg.connect(url)
        try:
            return [tuple(r) for r in await con.fetch(sql)]
        finally:
            await con.close()
    lite = sqlite3.connect(url[len("sqlite://"):])
    try:
        return lite.execute(sql).fetchall()
    finally:
        lite.close()
