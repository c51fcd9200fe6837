"""Cross-file index: every plan and strategy of a run, by id, plus the repository's strategies.

A plan's ``metadata.strategy`` is resolved first among the files being checked,
then among the Strategy files of the repository the plan lives in (the folder
holding ``.git``, or the plan's own folder outside git). Strategies found that
way are read only to resolve references; no finding is reported on them.

The plans serving a strategy (:meth:`Index.plan_facts_for`) are likewise the run's
plans plus the repository's: a strategy checked alone, or a plan checked alone
under pre-commit, still sees its sibling plans; findings go only on the files
of the run.
"""

from __future__ import annotations

import contextlib
import functools
import os
import re
import stat
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

_SKIP_DIRS = {"node_modules", "venv", "__pycache__", "site-packages"}


class _KindLine:
    """``kind: NAME`` on a line of its own, quoted or not, a comment allowed after it."""

    def __init__(self, kind: str):
        self.kind = kind
        self.search = re.compile(rf"^kind:[ \t]*['\"]?{kind}['\"]?[ \t]*(?:#[^\n]*)?\r?$", re.M).search


_STRATEGY_HINT = _KindLine("Strategy")
_PLAN_HINT = _KindLine("KpiPlan")

#: How much of a file is read to tell whether it is a strategy or a plan.
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
    run_paths: tuple = ()
    run_documents: dict = field(default_factory=dict, repr=False)
    _repo_strategies: dict[str, dict[str, Entry]] = field(default_factory=dict)
    _repo_plans: dict[tuple, list[tuple[str, dict]]] = field(default_factory=dict)
    _run_plans: list[tuple[str, dict]] | None = None

    def note_run(self, paths, documents=None) -> None:
        """Remember the files of the run (and documents given as text) so :meth:`plan_facts_for` sees them."""
        self.run_paths = tuple(paths)
        self.run_documents = dict(documents or {})
        self._run_plans = None

    def in_run(self, entry: Entry | None) -> bool:
        """True when ``entry`` is a file of this run (not one found in the repository)."""
        return entry is not None and (any(e is entry for e in self.entries) or entry.file in self.run_paths)

    def plan_facts_for(self, strategy_id: str, near: str, summarize, current: Entry | None = None) -> list[dict]:
        """``summarize(model)`` of every plan naming ``strategy_id`` in ``metadata.strategy``: the run's, then the repository's.

        A file read both ways counts once, as the run has it; ``current`` (the
        plan being judged) replaces its own file. Plans outside the run are read
        through the run's store of plan summaries when there is one (see
        :func:`remembering_plans`), so an unchanged plan is not read again.
        """
        if self._run_plans is None:
            self._run_plans = []
            for p in self.run_paths:
                if p in self.run_documents:
                    entry = _read(p, "KpiPlan", self.run_documents[p])
                    facts = summarize(entry.model) if entry is not None else None
                else:
                    facts = plan_facts_of(p, summarize)
                if facts:
                    self._run_plans.append((p, facts))
        self.repository_searches += 1
        root = repository_root(near)
        if (root, strategy_id) not in self._repo_plans:
            self._repo_plans[(root, strategy_id)] = repository_plan_facts(
                root, strategy_id, summarize, skip=frozenset(_real(p) for p in self.run_paths))
        out: dict[str, tuple[str, dict]] = {}
        known = [(e.file, summarize(e.model)) for e in [*(e for e in self.entries if e.kind == "KpiPlan"), *([current] if current else [])]]
        for file, facts in [*self._repo_plans[(root, strategy_id)], *self._run_plans, *known]:
            if facts and facts.get("strategy") == strategy_id:
                out[_real(file)] = (file, facts)
        return [facts for file, facts in sorted(out.values(), key=lambda pair: (pair[1].get("id") or "", pair[0]))]

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
    return _declares(text, _STRATEGY_HINT)


def _declares(text: str, hint) -> bool:
    """True when ``text`` has the top-level ``kind:`` line of ``hint`` (the kind's name is looked for first: a
    substring search is a hundred times cheaper than the line-anchored expression over 64 KiB)."""
    return hint.kind in text and hint.search(text) is not None


#: Where a file's kind is looked for first: the ``kind:`` line is normally among the first lines.
KIND_BYTES = 4096
_ANY_KIND_LINE = re.compile(r"^kind:[^\n]*\n", re.M)  # a whole line: one cut at the boundary reads on


def read_kind_head(path: str) -> str | None:
    """The start of a regular file as text, enough to tell its kind: the first :data:`KIND_BYTES` bytes when
    a top-level ``kind:`` line is among them (the common case), else the first :data:`SNIFF_BYTES`."""
    try:
        if not stat.S_ISREG(os.stat(path).st_mode):
            return None
        with open(path, "rb") as fh:
            head = fh.read(KIND_BYTES)
            if len(head) == KIND_BYTES and not _ANY_KIND_LINE.search(head.decode("utf-8", "replace")):
                head += fh.read(SNIFF_BYTES - KIND_BYTES)
        return head.decode("utf-8", "replace")
    except OSError:
        return None


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


def _real(path: str) -> str:
    try:
        return os.path.realpath(path)
    except (OSError, ValueError):
        return path


def _read(path: str, kind_wanted: str, document=None) -> Entry | None:
    """One file as an index entry when it is a readable document of ``kind_wanted`` with an id."""
    from kpi_policies import models
    from kpi_policies.load import load_file
    from kpi_policies.schema import prune, validate

    doc = document if document is not None else load_file(path)
    if not doc.usable:
        return None
    kind, errors = validate(doc.data)
    if kind != kind_wanted:
        return None
    try:
        model = models.build(kind, prune(doc.data, errors))
    except models.ModelBuildError:
        return None
    if not model.metadata.id:
        return None
    return Entry(kind, model.metadata.id, path, model, doc)


def _yaml_files(root: str):
    """The YAML files below ``root``, in a stable order, skipping hidden and tool folders; at most :data:`MAX_SCAN`."""
    seen = 0
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d not in _SKIP_DIRS)
        for name in sorted(files):
            if not name.endswith((".yaml", ".yml")):
                continue
            seen += 1
            if seen > MAX_SCAN:
                return
            yield os.path.join(folder, name)


def _scan(root: str, hint, kind_wanted: str) -> list[Entry]:
    """The documents of one kind below ``root`` (a text test first)."""
    found: list[Entry] = []
    for path in _yaml_files(root):
        head = read_head(path)
        if head is None or not _declares(head, hint):
            continue
        entry = _read(path, kind_wanted)
        if entry is not None:
            found.append(entry)
    return found


def _scan_strategies(root: str) -> dict[str, Entry]:
    """The Strategy files below ``root`` by id (the first file of an id wins)."""
    found: dict[str, Entry] = {}
    for entry in _scan(root, _STRATEGY_HINT, "Strategy"):
        found.setdefault(entry.id, entry)
    return found


#: The store of plan summaries of the run under way (``None``: every plan outside the run is read).
_PLAN_FACTS: ContextVar = ContextVar("kpi_policies_plan_facts", default=None)


@contextlib.contextmanager
def remembering_plans(store):
    """Within the block, plans outside the run are summarised through ``store`` (a
    :class:`kpi_policies.cache.PlanFacts`, or ``None``), which is saved at the end."""
    token = _PLAN_FACTS.set(store)
    try:
        yield
    finally:
        _PLAN_FACTS.reset(token)
        if store is not None:
            store.save()


def plan_facts_of(path: str, summarize) -> dict | None:
    """``summarize(model)`` of the plan in the file ``path``; ``None`` when it is not a readable, valid plan.

    Through the run's store (see :func:`remembering_plans`) an unchanged file
    costs a ``stat`` (or a read and a hash), not a parse.
    """
    from kpi_policies.load import load_bytes, read_bytes

    store = _PLAN_FACTS.get()
    try:
        info = os.stat(path)
    except OSError:
        return None
    if not stat.S_ISREG(info.st_mode):
        return None
    name = None
    if store is not None:
        name = os.path.relpath(_real(path), store.cache.root)
        known, facts = store.get(name, info)
        if known:
            return facts
    raw, _problem = read_bytes(path)
    if raw is None:
        return None
    if store is not None:
        known, facts = store.get(name, info, raw)
        if known:
            return facts
    facts = None
    if _declares(raw[:SNIFF_BYTES].decode("utf-8", "replace"), _PLAN_HINT):
        entry = _read(path, "KpiPlan", load_bytes(raw, path))
        facts = summarize(entry.model) if entry is not None else None
    if store is not None:
        store.put(name, info, raw, facts)
    return facts


def repository_plan_facts(root: str, strategy_ids, summarize, skip=frozenset()) -> list[tuple[str, dict]]:
    """``(file, summarize(model))`` of the plans below ``root`` naming one of ``strategy_ids`` (an id or a set of
    them), but for the files in ``skip`` (real paths).

    Without a store of plan summaries, a file whose first bytes name none of the
    strategies is not parsed; with one, every plan is summarised once and kept.
    """
    wanted = {strategy_ids} if isinstance(strategy_ids, str) else set(strategy_ids)
    found: list[tuple[str, dict]] = []
    remembered = _PLAN_FACTS.get() is not None
    counted: set[str] = set()  # real paths: a plan reached through a link counts once
    for path in _yaml_files(root):  # root is a real path: a file here is its own real path unless a link
        real = _real(path) if os.path.islink(path) else path
        if real in skip or real in counted:
            continue
        counted.add(real)
        if not remembered:
            head = read_head(path)
            if head is None or not _declares(head, _PLAN_HINT) or not any(sid in head for sid in wanted):
                continue
        facts = plan_facts_of(path, summarize)
        if facts and facts.get("strategy") in wanted:
            found.append((path, facts))
    return found
