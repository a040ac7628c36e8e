from __future__ import annotations

from datetime import UTC, datetime


def heartbeat() -> datetime:
    """Current server time, to the second, in UTC."""
    return datetime.now(UTC).replace(microsecond=0)
