"""Paths on the command line to the list of files to check."""

from __future__ import annotations

import os
from pathlib import Path

EXTENSIONS = (".yaml", ".yml")


class DiscoveryError(Exception):
    """A path given does not exist (a usage error: exit 2)."""


def _outside(path: str, boundary: str) -> bool:
    real = os.path.realpath(path)
    return os.path.commonpath([boundary, real]) != boundary


def discover(paths: list[str], exclude: list[str] = (), root: str | None = None, confine: bool = False) -> list[str]:
    """Files named, plus every ``*.yaml`` / ``*.yml`` below folders named.

    Folders are walked in sorted order, skipping hidden folders (``.git``,
    ``.github``...). A file named explicitly is checked whatever its
    extension. Each file appears once, in the order first met. Files found
    in a folder whose path relative to ``root`` matches a glob of ``exclude``
    are left out; a file named explicitly is checked even when ``exclude``
    matches it (pre-commit names the changed files: an excluded one must not
    turn into a silent "0 files checked" pass).

    With ``confine`` (the paths come from the project configuration, not the
    command line) every path must resolve inside ``root``'s repository. A
    link found in a folder that leads out of the repository is listed: the
    loader refuses it as a ``Y010`` finding without reading it.

    Raises:
        DiscoveryError: for a path that does not exist, when the folders
            named hold no YAML file at all (a mistyped folder must not pass),
            or for a configured path leading outside the repository.
    """
    out: list[str] = []
    seen: set[str] = set()
    empty: list[str] = []

    base = os.path.abspath(root or os.getcwd())

    def excluded(path: str) -> bool:
        from kpi_policies.globs import match_any  # (pathspec is imported only when something is excluded)

        rel = os.path.relpath(os.path.abspath(path), base).replace(os.sep, "/")
        return match_any(exclude, rel)

    def add(path: str, named: bool = False) -> None:
        key = os.path.realpath(path)
        if exclude and not named and excluded(path):
            return
        if key not in seen:
            seen.add(key)
            out.append(path)

    from kpi_policies.index import repository_root

    repo = os.path.realpath(repository_root(base))
    for path in paths:
        if confine and _outside(path, repo):
            raise DiscoveryError(f"{path} (from the project configuration) is outside the repository ({repo}); "
                                 f"name it on the command line to check it")
        if os.path.isdir(path):
            before = len(out)
            unreadable: list[str] = []
            for folder, dirs, files in os.walk(path, onerror=lambda exc: unreadable.append(exc.filename)):
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                for name in sorted(files):
                    if name.endswith(EXTENSIONS):
                        add(os.path.normpath(os.path.join(folder, name)))  # a link out of the repository is a Y010 finding
            for folder in unreadable:  # reported as a Y010 finding, never silently skipped
                add(folder)
            if len(out) == before:
                empty.append(path)
        elif os.path.exists(path) or os.path.islink(path):
            add(path, named=True)
        else:
            raise DiscoveryError(f"no such file or folder: {path}")
    if empty and not out:
        raise DiscoveryError(f"no *.yaml or *.yml files in {', '.join(empty)}: nothing to check")
    return out


def default_paths(cwd: str | None = None) -> list[str]:
    """``plans/`` of the repository holding ``cwd`` (or of ``cwd`` itself).

    Raises:
        DiscoveryError: when there is no plans/ folder.
    """
    from kpi_policies.index import repository_root

    here = Path(cwd or os.getcwd())
    for base in (here, Path(repository_root(str(here)))):
        if (base / "plans").is_dir():
            return [os.path.relpath(base / "plans", here)]
    raise DiscoveryError("no plans/ folder here; name the plan files or folders to check")
