"""What git knows about the files an audit report names: last change, working-tree state, who wrote a line.

Every function answers ``None`` when there is nothing to say (the file is
outside a git repository, git is not installed, the file was never
committed, or git refuses to answer): an audit report is still written, it
just says git gave no evidence. Nothing here changes the repository; git is
run with ``GIT_OPTIONAL_LOCKS=0`` so it does not even refresh the index.
"""

from __future__ import annotations

import os
import subprocess

#: Seconds one git command may take before it is given up on.
TIMEOUT = 30
_UNCOMMITTED = "0" * 40


def _git(args: list[str], cwd: str) -> str | None:
    """Standard output of ``git ARGS`` run in ``cwd``, or ``None`` when git fails or is missing."""
    env = dict(os.environ, GIT_OPTIONAL_LOCKS="0", LC_ALL="C", GIT_PAGER="cat")
    try:
        proc = subprocess.run(["git", *args], cwd=cwd or ".", capture_output=True, text=True,
                              encoding="utf-8", errors="replace", timeout=TIMEOUT, env=env)
    except (OSError, subprocess.SubprocessError):
        return None
    return proc.stdout if proc.returncode == 0 else None


def _split(path: str) -> tuple[str, str]:
    """``(folder, file name)`` of ``path``, so git runs inside the repository that holds it."""
    absolute = os.path.abspath(path)
    return os.path.dirname(absolute), os.path.basename(absolute)


def last_change(path: str) -> dict | None:
    """The last commit that changed ``path``: ``git log -1 --format=%H%x09%cI -- FILE``.

    Args:
        path: A file, relative to the working folder or absolute.

    Returns:
        ``{"commit": 40-hex str, "date": ISO 8601 committer date with offset,
        "state": "committed" | "modified"}`` (``modified``: the working tree
        differs from that commit, so the file's sha256 is of uncommitted
        content), ``{"commit": None, "date": None, "state": "untracked"}`` for a
        file inside a repository that was never committed, or ``None`` outside git.
    """
    folder, name = _split(path)
    out = _git(["log", "-1", "--format=%H%x09%cI", "--", name], folder)
    if out is None:
        return None
    status = _git(["status", "--porcelain", "--", name], folder)
    if not out.strip():
        return {"commit": None, "date": None, "state": "untracked"} if status is not None else None
    commit, _, date = out.strip().partition("\t")
    return {"commit": commit, "date": date, "state": "modified" if status and status.strip() else "committed"}


def head(path: str) -> str | None:
    """The commit checked out in the repository holding ``path`` (a file or folder), or ``None`` outside git."""
    folder = os.path.abspath(path)
    if not os.path.isdir(folder):
        folder = os.path.dirname(folder)
    out = _git(["rev-parse", "--verify", "-q", "HEAD"], folder)
    return (out.strip() or None) if out else None


def _person(name: str, email: str, date: str, commit: str, summary: str, how: str) -> dict:
    return {"name": name, "email": email.strip("<>"), "date": date, "commit": commit, "summary": summary, "source": how}


def blame_line(path: str, line: int) -> dict | None:
    """Who last wrote line ``line`` of ``path``: ``git blame -L line,line --porcelain -- FILE``.

    Args:
        path: The file.
        line: 1-based line number.

    Returns:
        ``{"name", "email", "date" (ISO 8601 author date, UTC), "commit",
        "summary" (first line of the commit message), "source": "git blame"}``,
        or ``None`` when git cannot say or the line is not committed yet.
    """
    import datetime as dt

    folder, name = _split(path)
    out = _git(["blame", "-L", f"{line},{line}", "--porcelain", "--", name], folder)
    if not out:
        return None
    lines = out.splitlines()
    commit = lines[0].split(" ", 1)[0]
    if commit == _UNCOMMITTED:
        return None
    fields = {}
    for text in lines[1:]:
        if text.startswith("\t"):
            break
        key, _, value = text.partition(" ")
        fields[key] = value
    try:
        when = dt.datetime.fromtimestamp(int(fields.get("author-time", "")), dt.timezone.utc).isoformat()
    except ValueError:
        when = None
    return _person(fields.get("author", ""), fields.get("author-mail", ""), when, commit,
                   fields.get("summary", ""), "git blame")


def last_author(path: str) -> dict | None:
    """Who made the last commit to ``path`` (for waivers that are a whole file, such as a baseline).

    Returns:
        The same shape as :func:`blame_line` with ``"source": "git log"``, or ``None``.
    """
    folder, name = _split(path)
    out = _git(["log", "-1", "--format=%an%x09%ae%x09%aI%x09%H%x09%s", "--", name], folder)
    if not out or not out.strip():
        return None
    parts = out.rstrip("\n").split("\t", 4)
    if len(parts) < 5:
        return None
    return _person(parts[0], parts[1], parts[2], parts[3], parts[4], "git log")
