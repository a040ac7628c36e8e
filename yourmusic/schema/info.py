from __future__ import annotations

import strawberry

from yourmusic.context import Context

Info = strawberry.Info[Context, None]


def snake_input(value: object) -> dict[str, object]:
    """A Strawberry input as the snake_case mapping the resolvers validate; unsent fields left out."""
    data = strawberry.asdict(value)  # type: ignore[arg-type]
    return {k: v for k, v in data.items() if v is not strawberry.UNSET}
