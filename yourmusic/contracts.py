"""The public contracts as files: `schema.graphql` (the SDL printed from the Strawberry schema) and
`openapi.json` (the document /openapi.json serves), both committed at the repository's root.

`yourmusic schema export` writes them; `yourmusic schema export --check` (and tests/test_contracts.py)
fail when a committed file is stale. `scripts/check_contracts.py` compares them with the previous commit
and fails on a breaking change (see the README, "Contracts").
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

SDL_FILE = "schema.graphql"
OPENAPI_FILE = "openapi.json"
REFRESH_COMMAND = ".venv/bin/yourmusic schema export"


def sdl() -> str:
    from yourmusic.schema import build_schema

    return build_schema().as_str().rstrip("\n") + "\n"


def openapi_document() -> dict[str, Any]:
    from yourmusic.rest_compat.openapi import build_openapi
    from yourmusic.rest_compat.routes import OPERATIONS

    return build_openapi(OPERATIONS)


def openapi_text(document: dict[str, Any] | None = None) -> str:
    return json.dumps(document if document is not None else openapi_document(), indent=2, ensure_ascii=False) + "\n"


def rendered() -> dict[str, str]:
    return {SDL_FILE: sdl(), OPENAPI_FILE: openapi_text()}


def export(root: Path, check: bool = False) -> list[str]:
    """Write the contract files under `root` (or, with `check`, only compare). Returns the stale ones."""
    stale = []
    for name, text in rendered().items():
        path = root / name
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            stale.append(name)
            if not check:
                path.write_text(text, encoding="utf-8")
    return stale
