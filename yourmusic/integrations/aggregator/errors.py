"""The aggregator's error codes (7digital API 1.2) and what each means for our callers."""

from __future__ import annotations

MISSING_PARAMETER = 1001
INVALID_VALUE = 1002
NOT_FOUND = 2001
INVALID_KEY = 2002
TIMEOUT = 7003
INTERNAL = 9001
