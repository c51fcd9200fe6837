"""Strategies first: find the run's Strategy files and index them before any plan is judged.

Plans refer to strategies (``metadata.strategy``); a plan's findings depend on
the strategy it names, so strategies are read, checked and indexed before the
other files. A file is recognised as a strategy from its first
:data:`kpi_policies.index.KIND_BYTES` bytes (up to :data:`~kpi_policies.index.SNIFF_BYTES` when its
``kind:`` line is further down) by :func:`kpi_policies.index.looks_like_strategy`,
the same test the repository search uses.
"""

from __future__ import annotations

from kpi_policies.engine.check_file import Checked, FileChecker
from kpi_policies.index import Entry, Index, looks_like_strategy, read_kind_head
from kpi_policies.load import Document, load_bytes


def index_strategies(checker: FileChecker, paths: list[str], documents: dict[str, Document]) -> tuple[Index, dict[str, Checked]]:
    """Load every strategy among ``paths`` and index it by id.

    Returns:
        ``(index, checked)``: the index of the run's strategies, and the loaded
        (not yet judged) strategy files by path, so they are not read again.
    """
    index = Index()
    found: dict[str, Checked] = {}
    for path in paths:
        head = documents[path].text if path in documents else read_kind_head(path)
        if head is None or not looks_like_strategy(head):
            continue
        if path in documents:
            checked = checker.load(path, documents[path])
        else:
            raw, document = checker.read(path)
            checked = checker.load(path, document if document is not None else load_bytes(raw, path), raw)
        model = checked.model
        if model is not None and checked.result.kind == "Strategy" and model.metadata.id:
            index.add(Entry("Strategy", model.metadata.id, path, model, checked.document))
        found[path] = checked
    return index, found


def strategies_digest(index: Index) -> str:
    """sha256 of every strategy the run knows (part of the cache key: a plan's verdict depends on them)."""
    import hashlib

    digest = hashlib.sha256()
    for entry in sorted(index.entries, key=lambda e: (e.id, e.file)):
        digest.update(f"{entry.id}\x1f{entry.file}\x1f".encode())
        digest.update(entry.document.text.encode("utf-8", "surrogateescape"))
    return digest.hexdigest()
