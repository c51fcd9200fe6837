"""Split one check over a CI job matrix: ``check --shard I/N`` and the pieces ``merge`` puts together.

Which files a shard checks
    File ``p`` belongs to shard ``1 + h(p) mod N``, where ``h`` is the first 16
    hex digits of the sha256 of ``p``'s path relative to the repository root
    (forward slashes). The split is deterministic, even, and stable as files
    come and go: adding a plan never moves another plan to another shard
    (only changing ``N`` does).

What a shard still sees of the whole repository
    - Strategies: every Strategy file of the run is read by every shard (they
      are few), so plans resolve their ``metadata.strategy`` exactly as in one
      run; findings on a strategy are reported by its own shard only.
    - Run-level rules (duplicate ids, GL007): each shard also reads the
      ``kind`` and ``metadata.id`` of every other file (YAML parsing only: no
      schema, models or rules) and runs the run-level rules over all of them,
      in the run's file order, keeping the findings on its own files. Inline
      waivers of those findings therefore work as in one run. When duplicate
      ids are the only run-level rule, a file is parsed only if its text
      holds one of this shard's ids as a word (see :func:`_summary_if_needed`):
      most files are only scanned.

What a shard writes
    Its JSON report (``--format json``) carries a ``shard`` object: the shard
    index and count, the number of files in the whole run, each reported
    file's position in the whole run and the rules evaluated on it, and the
    rules' documentation, so that ``kpi-policies merge`` can rebuild the one
    run's result without reading any plan.
"""

from __future__ import annotations

import hashlib
import os
import re

from kpi_policies.result import FileResult, RunResult

SHARD = re.compile(r"([0-9]+)/([0-9]+)")


class ShardError(ValueError):
    """A ``--shard`` value that is not ``I/N`` with 1 <= I <= N (a usage error)."""


def parse(text: str) -> tuple[int, int]:
    """``"2/4"`` -> ``(2, 4)``.

    Raises:
        ShardError: for anything but ``I/N`` with ``1 <= I <= N``.
    """
    m = SHARD.fullmatch(text.strip())
    if not m or not 1 <= int(m.group(1)) <= int(m.group(2)):
        raise ShardError(f"--shard takes I/N with 1 <= I <= N (e.g. 1/4), not {text!r}")
    return int(m.group(1)), int(m.group(2))


def shard_of(path: str, count: int) -> int:
    """The shard (1..count) a repository-relative path belongs to."""
    key = os.path.normpath(path).replace(os.sep, "/")
    return 1 + int(hashlib.sha256(key.encode("utf-8", "surrogateescape")).hexdigest()[:16], 16) % count


def _is_strategy(path: str) -> bool:
    """True when a file is a strategy by the engine's own test (:func:`kpi_policies.index.looks_like_strategy`)."""
    from kpi_policies.index import looks_like_strategy, read_kind_head

    head = read_kind_head(path)
    return head is not None and looks_like_strategy(head)


def summary_of(path: str, engine=None):
    """What run-level rules need of a file: its kind, id and the position of the id, read cheaply (YAML only),
    or, when a run-level rule of ``engine`` keeps facts of each document (a strategy's roll-up), the
    summary a whole run would make, facts included."""
    from kpi_policies.load import load_file
    from kpi_policies.rules.base import DocumentSummary, summary_facts
    from kpi_policies.schema import SCHEMA_FILES

    if engine is not None and any(r.run_level and getattr(r, "summarize", None) and engine.view(r.id).enabled
                                  for r in engine.rules.values()):
        checked = engine.checker.load(path, load_file(path))
        position = checked.document.locate(("metadata", "id")) if checked.result.doc_id else (1, 1)
        return engine.checker.outcome_summary(checked.result, position, summary_facts(engine.rules.values(), checked))
    doc = load_file(path)
    data = doc.data
    meta = data.get("metadata") if isinstance(data, dict) else None
    doc_id = meta["id"] if isinstance(meta, dict) and isinstance(meta.get("id"), str) else None
    kind = data.get("kind") if doc.usable and isinstance(data, dict) else None
    kind = kind if isinstance(kind, str) and kind in SCHEMA_FILES else None
    position = doc.locate(("metadata", "id")) if doc_id else (1, 1)
    return DocumentSummary(path, kind, doc_id, position)


#: Run-level rules that only compare document ids (duplicate ids): for them a file
#: whose text cannot hold any id of this shard's files needs no YAML parsing.
ID_RULES = {"GL007"}
_ID = re.compile(r"[A-Za-z0-9._-]+")


def _summary_if_needed(path: str, ids: set[str]):
    """The file's summary when its id could equal one of ``ids``; else a blank one (it cannot change a finding here).

    Exact, not a guess: when every id is made of ``A-Z a-z 0-9 . _ -`` and the
    file is UTF-8 text without backslashes (no escape can spell an id), a YAML
    scalar equal to an id appears in the text as a whole run of those
    characters. Anything else is parsed.
    """
    from kpi_policies.rules.base import DocumentSummary

    if not all(_ID.fullmatch(i) for i in ids):
        return summary_of(path)
    try:
        import stat

        if not stat.S_ISREG(os.stat(path).st_mode):
            return summary_of(path)
        with open(path, "rb") as fh:
            text = fh.read().decode("utf-8")
    except (OSError, UnicodeDecodeError):
        return summary_of(path)
    if "\\" in text or "\x00" in text or not ids.isdisjoint(_ID.findall(text)):
        return summary_of(path)
    return DocumentSummary(path, None, None, (1, 1))


def run(engine, files: list[str], index: int, count: int, **options) -> tuple[RunResult, dict]:
    """Check shard ``index`` of ``count`` of ``files`` (the whole run's files, in order).

    Args:
        engine: The :class:`~kpi_policies.engine.Engine` of the run.
        files: Every file of the whole run, repository-relative where inside it.
        options: Passed to ``engine.run`` (``baseline``, ``jobs``, ``cache``).

    Returns:
        ``(result, shard)``: the result of this shard's files (plus the policy
        and baseline files when their waivers have findings), and the
        ``shard`` object its JSON report carries (see the module docs).
    """
    from kpi_policies.engine import Engine

    if not callable(getattr(Engine, "_run_level", None)):  # the hook this module widens to the whole run
        raise RuntimeError("this engine has no run-level step to widen; sharding would miss cross-file findings")
    mine = {p for p in files if shard_of(p, count) == index}
    strategies = {p for p in files if p not in mine and _is_strategy(p)}
    paths = [p for p in files if p in mine or p in strategies]
    rest = [p for p in files if p not in mine and p not in strategies]
    only_ids = {r.id for r in engine.rules.values() if r.run_level and engine.view(r.id).enabled} <= ID_RULES

    def run_level(results, summaries):
        # the run-level rules over every file of the whole run, in its order; findings kept on this run's files
        ids = {s.doc_id for s in summaries if s.doc_id and s.file in mine}  # findings are kept on these only
        others = {p: _summary_if_needed(p, ids) if only_ids else summary_of(p, engine) for p in rest}
        by_path = {r.path: (r, s) for r, s in zip(results, summaries)}
        full = [by_path.get(p) or (FileResult(path=p), others[p]) for p in files]
        Engine._run_level(engine, [r for r, _ in full], [s for _, s in full])

    engine._run_level = run_level
    try:
        result = engine.run(paths, **options)
    finally:
        del engine._run_level
    position = {p: i for i, p in enumerate(files)}
    result.files = [fr for fr in result.files if fr.path in mine or fr.path not in position]
    info = {
        "index": index,
        "count": count,
        "total_files": len(files),
        "files": [{"position": position.get(fr.path), "rules_evaluated": fr.rules_evaluated} for fr in result.files],
        "rules": {rule_id: rule.to_dict() for rule_id, rule in result.rules.items()},
    }
    return result, info
