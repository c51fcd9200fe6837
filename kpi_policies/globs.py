"""Path globs, the same everywhere (policy ``overrides``, configuration ``exclude``): git's wildmatch.

Globs are matched by pathspec's ``GitIgnoreSpec`` (git's wildmatch), as in a
``.gitignore`` file: ``*`` and ``?`` stay inside one folder, ``**`` spans
folders, a glob without a ``/`` matches a file name at any depth
(``*.draft.yaml``), a glob naming a folder matches everything below it, and
``!glob`` takes a file back. Paths are relative to the repository root, with
``/`` separators.

Matching runs on the RE2 engine (google-re2), whose time grows in line with
the path whatever the glob, so a crafted glob (``*a*a*a*a*a*a*a*b``) cannot
make a run hang; where RE2 is not installed, pathspec's own engine is used.
"""

from __future__ import annotations

import functools
from typing import Iterable

import pathspec


@functools.lru_cache(maxsize=1)
def _backend() -> str:
    try:
        import re2  # noqa: F401  (google-re2)
    except ImportError:
        return "simple"
    return "re2"


class GlobError(ValueError):
    """A glob that cannot be read."""


@functools.lru_cache(maxsize=256)
def _spec(patterns: tuple[str, ...]) -> pathspec.GitIgnoreSpec:
    try:
        return pathspec.GitIgnoreSpec.from_lines(patterns, backend=_backend())
    except Exception as exc:  # pathspec raises several kinds for a bad pattern
        raise GlobError(f"cannot read the glob(s) {', '.join(map(repr, patterns))}: {exc}") from None


def check(patterns: Iterable[str]) -> None:
    """Raise :class:`GlobError` when a glob cannot be read."""
    _spec(tuple(patterns))


def match_any(patterns: Iterable[str], path: str) -> bool:
    """True when the ``/``-separated ``path`` is matched by the globs (the last matching one decides, as in git)."""
    patterns = tuple(patterns)
    if not patterns:
        return False
    return bool(_spec(patterns).match_file(path))


def glob_match(pattern: str, path: str) -> bool:
    """True when one glob matches ``path``."""
    return match_any((pattern,), path)
