"""The SQL the app's Tortoise client sends, captured from its DEBUG query log (both databases)."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any


@contextmanager
def sent_statements() -> Iterator[list[tuple[str, tuple[Any, ...]]]]:
    """Every (SQL, values) the app's Tortoise client runs inside the block (its DEBUG query log)."""
    seen: list[tuple[str, tuple[Any, ...]]] = []

    class Capture(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            if isinstance(record.args, tuple) and len(record.args) == 2 and isinstance(record.args[0], str):
                seen.append((record.args[0], tuple(record.args[1] or ())))

    logger = logging.getLogger("tortoise.db_client")
    handler, level = Capture(level=logging.DEBUG), logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    try:
        yield seen
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)


def flat(sql: str) -> str:
    """One line, upper case: for matching statement kinds."""
    return " ".join(sql.split()).upper()
