"""A fingerprint of the whole database, to assert that a refused request changed nothing."""

from __future__ import annotations

from tortoise import Tortoise


async def row_counts() -> dict[str, int]:
    """Rows per table, every model of the app (a refused write must leave all of them as they were)."""
    return {name: await model.all().count() for name, model in sorted(Tortoise.apps["models"].items())}
