"""Numbers and dates as the audit report's data holds them."""

from __future__ import annotations

from typing import Any


def _number(value: float | int | None) -> float | int | None:
    """A number as JSON shows it best: whole floats as ints (``5600000000`` not ``5600000000.0``)."""
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return int(value)
    return value


def _iso(value: Any) -> str | None:
    """A date (or anything with ``isoformat``) as ISO text; ``None`` stays ``None``."""
    if value is None:
        return None
    return value.isoformat() if hasattr(value, "isoformat") else str(value)
