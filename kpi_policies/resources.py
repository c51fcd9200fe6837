"""Locate the bundled data: JSON schemas, the default policy and the metric catalog.

In an installed wheel they sit in ``kpi_policies/_data/{schemas,rules}``; in a
source checkout (or an editable install) they are the repository's top-level
``schemas/`` and ``rules/`` folders, the public contract files themselves.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


@functools.lru_cache(maxsize=None)
def data_dir(name: str) -> Path:
    """Folder of bundled data ``name`` (``"schemas"`` or ``"rules"``).

    Raises:
        FileNotFoundError: when neither the wheel copy nor the checkout copy exists.
    """
    for candidate in (_PACKAGE / "_data" / name, _PACKAGE.parent / name):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"kpi-policies is missing its bundled '{name}' folder; reinstall it")


@functools.lru_cache(maxsize=None)
def load_schema(filename: str) -> dict:
    """Parse one bundled JSON schema, e.g. ``"kpi-plan.schema.json"``."""
    return json.loads((data_dir("schemas") / filename).read_text(encoding="utf-8"))
