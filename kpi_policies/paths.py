"""Paths as reports show them: relative to the repository root, with forward slashes."""

from __future__ import annotations

import os
from urllib.parse import quote


def repo_relative(path: str, root: str) -> str:
    """``path`` relative to ``root`` with ``/`` separators; kept absolute when outside it."""
    absolute = os.path.abspath(path)
    rel = os.path.relpath(absolute, root)
    if rel.startswith(".."):
        rel = absolute
    return rel.replace(os.sep, "/")


def uri_of(path: str, root: str) -> str:
    """A percent-encoded URI reference for ``path``: relative to ``root`` when inside it (RFC 3986)."""
    rel = repo_relative(path, root)
    if os.path.isabs(rel):
        return "file://" + quote(rel, safe="/")
    return quote(rel, safe="/")


def workspace_root() -> str:
    """The repository root reports are relative to.

    The git root of the working folder (the command line moves there before a
    run); without one, ``$GITHUB_WORKSPACE``, else the working folder. A
    repository checked out in a subfolder of ``$GITHUB_WORKSPACE`` is thus
    still its own root.
    """
    from kpi_policies.index import repository_root

    cwd = os.getcwd()
    root = repository_root(cwd)
    if os.path.exists(os.path.join(root, ".git")):
        return root
    return os.environ.get("GITHUB_WORKSPACE") or cwd
