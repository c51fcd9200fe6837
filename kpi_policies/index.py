"""Cross-file index: every plan and strategy of a run, by id, plus the repository's strategies.

A plan's ``metadata.strategy`` is resolved first among the files being checked,
then among the Strategy files of the repository the plan lives in (the folder
holding ``.git``, or the plan's own folder outside git). Strategies found that
way are read only to resolve references; no finding is reported on them.
"""

from __future__ import annotations

import functools
import os
import re
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

_SKIP_DIRS = {"node_modules", "venv", "__pycache__", "site-packages"}
#: ``kind: Strategy`` on a line of its own, quoted or not, a comment allowed after it.
_STRATEGY_HINT = re.compile(r"^kind:[ \t]*['\"]?Strategy['\"]?[ \t]*(?:#[^\n]*)?\r?$", re.M)
#: How much of a file is read to tell whether it is a strategy.
SNIFF_BYTES = 64 * 1024
#: Most files scanned per repository when looking for a strategy.
MAX_SCAN = 20_000


@dataclass
class Entry:
    """One plan or strategy known to the run.

    Attributes:
        kind: ``KpiPlan`` or ``Strategy``.
        id: ``metadata.id``.
        file: Path of its file.
        model: The :mod:`kpi_policies.models` object.
        document: The loaded file (for positions).
    """

    kind: str
    id: str
    file: str
    model: Any
    document: Any


@dataclass
class Index:
    """Plans and strategies by id.

    Attributes:
        entries: Everything in the files of this run, in file order.
        repository_searches: How many strategy look-ups went to the repository
            (results that depend on them are not cached).
    """

    entries: list[Entry] = field(default_factory=list)
    repository_searches: int = 0
    _repo_strategies: dict[str, dict[str, Entry]] = field(default_factory=dict)

    def add(self, entry: Entry) -> None:
        """Record a plan or strategy of this run."""
        self.entries.append(entry)

    def strategy(self, strategy_id: str, near: str) -> Entry | None:
        """The strategy with this id: from this run, else from the repository holding ``near``."""
        for entry in self.entries:
            if entry.kind == "Strategy" and entry.id == strategy_id:
                return entry
        self.repository_searches += 1
        root = repository_root(near)
        if root not in self._repo_strategies:
            self._repo_strategies[root] = _scan_strategies(root)
        return self._repo_strategies[root].get(strategy_id)


def looks_like_strategy(text: str) -> bool:
    """True when the text has a top-level ``kind: Strategy`` line: the one test of "is it a strategy?"."""
    return _STRATEGY_HINT.search(text) is not None


def read_head(path: str) -> str | None:
    """The first :data:`SNIFF_BYTES` bytes of a regular file as text (``None`` for anything else)."""
    try:
        if not stat.S_ISREG(os.stat(path).st_mode):
            return None  # devices and pipes are reported by the loader, never opened here
        with open(path, "rb") as fh:
            return fh.read(SNIFF_BYTES).decode("utf-8", "replace")
    except OSError:
        return None


def repository_root(path: str) -> str:
    """The nearest folder above ``path`` holding ``.git``; else the file's own folder."""
    start = Path(path).resolve()
    return _root_of(str(start if start.is_dir() else start.parent))


@functools.lru_cache(maxsize=4096)
def _root_of(folder: str) -> str:
    for candidate in (Path(folder), *Path(folder).parents):
        if (candidate / ".git").exists():
            return str(candidate)
    return folder


def _scan_strategies(root: str) -> dict[str, Entry]:
    """Read the Strategy files below ``root`` (cheap text test first)."""
    from kpi_policies import models
    from kpi_policies.load import load_file
    from kpi_policies.schema import prune, validate

    found: dict[str, Entry] = {}
    seen = 0
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d not in _SKIP_DIRS)
        for name in sorted(files):
            if not name.endswith((".yaml", ".yml")):
                continue
            seen += 1
            if seen > MAX_SCAN:
                return found
            path = os.path.join(folder, name)
            head = read_head(path)
            if head is None or not looks_like_strategy(head):
                continue
            doc = load_file(path)
            if not doc.usable:
                continue
            kind, errors = validate(doc.data)
            if kind != "Strategy":
                continue
            try:
                model = models.build(kind, prune(doc.data, errors))
            except models.ModelBuildError:
                continue
            if model.metadata.id and model.metadata.id not in found:
                found[model.metadata.id] = Entry(kind, model.metadata.id, path, model, doc)
    return found
