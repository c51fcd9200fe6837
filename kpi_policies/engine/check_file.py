"""One file, start to end: load → schema → models → rules, and what the run keeps of it.

:class:`FileChecker` is the only per-file step: the command line, the tests,
the cache and the worker processes all go through :meth:`FileChecker.check`.
Whatever goes wrong in a file stays a finding on that file; a rule that
crashes becomes a finding of that rule, and the other rules still run.
"""

from __future__ import annotations

import datetime as dt
import difflib
import hashlib
from dataclasses import dataclass, field
from typing import Any

from kpi_policies import models, suppressions
from kpi_policies.engine.resolve_policy import ResolvedPolicy
from kpi_policies.i18n import _
from kpi_policies.index import Index
from kpi_policies.load import Document, LoadProblem, load_bytes, read_bytes
from kpi_policies.result import FileResult, Finding, Location
from kpi_policies.rules.base import Context, DocumentSummary, summary_facts
from kpi_policies.schema import prune, validate


@dataclass
class Checked:
    """A file while it is being checked: its document, its result so far, its model.

    Attributes:
        document: The loaded file (data, positions, text).
        result: Its :class:`FileResult` (findings so far).
        model: The pydantic model, or ``None`` when it could not be built.
        rejected: Paths of the values the schema rejected.
    """

    document: Document
    result: FileResult
    model: Any = None
    rejected: frozenset = frozenset()


@dataclass
class Outcome:
    """What a run keeps of one checked file once its document is dropped.

    Attributes:
        result: The file's result (findings, rules evaluated).
        waivers: Its inline waivers, applied at the end of the run.
        summary: Its kind, id and the position of the id (for run-level rules).
        cacheable: False when the result used a strategy found by searching the repository.
        checked: The document and model, kept only when the run was asked to keep them.
    """

    result: FileResult
    waivers: list = field(default_factory=list)
    summary: DocumentSummary | None = None
    cacheable: bool = True
    checked: Checked | None = None


class FileChecker:
    """Loads, validates and judges single files under one resolved policy.

    Args:
        resolved: The policy resolved against the run's rules.
        as_of: The day time-dependent rules judge on.
    """

    #: ``(path, model) -> kpi_policies.history.Base | None``: the earlier version change rules compare with (``check --base``).
    base_lookup = None

    def __init__(self, resolved: ResolvedPolicy, as_of: dt.date):
        self.resolved = resolved
        self.as_of = as_of

    # --- findings ---------------------------------------------------------
    def add(self, result: FileResult, rule_id: str, message: str, at: Location, data: Any = None) -> None:
        """Record a finding of ``rule_id`` on ``result`` with the rule's effective settings for that file."""
        view = self.resolved.view(rule_id, result.path)
        if not view.enabled:
            return
        rule = self.resolved.rules.get(rule_id)
        result.findings.append(Finding(
            rule_id=rule_id, severity=view.severity, message=message, file=result.path, line=at.line,
            column=at.column or 1, plan_id=result.doc_id, pointer=at.pointer, rule_name=rule.name if rule else "",
            object_id=at.object_id(data), enforcement=view.enforcement, path=at.path))

    def add_at(self, checked: Checked, rule_id: str, message: str, path: tuple = (), on_key: bool = False) -> None:
        """Record a finding at a path of the checked document (its line and column come from the document)."""
        line, column = checked.document.locate(path, on_key=on_key)
        self.add(checked.result, rule_id, message, Location(tuple(path), line, column), checked.document.data)

    def mark_evaluated(self, result: FileResult, family: str) -> None:
        """Record that the enabled rules of ``family`` judged this file."""
        result.rules_evaluated.extend(
            r for r in self.resolved.families.get(family, ()) if self.resolved.view(r, result.path).enabled)

    # --- the steps ----------------------------------------------------------
    def read(self, path: str) -> tuple[bytes | None, Document | None]:
        """The file's bytes, or a document holding the Y010 problem when it cannot be read."""
        raw, why = read_bytes(path)
        if raw is None:
            return None, Document(path=path, problems=[LoadProblem("Y010", 1, 1, why)])
        return raw, None

    def load(self, path: str, document: Document, raw: bytes | None = None) -> Checked:
        """Schema-check a loaded document (Y and S findings) and build its model.

        Args:
            path: The file as given or discovered.
            document: The loaded file.
            raw: The bytes it was loaded from (their sha256 and size become evidence).
        """
        result = FileResult(path=path)
        if raw is not None:
            result.sha256, result.size = hashlib.sha256(raw).hexdigest(), len(raw)
        checked = Checked(document, result)
        try:
            self._load(checked)
        except Exception as exc:  # a defect of ours must not hide the other files
            checked.model = None
            self.add(result, "S001", _("this file could not be checked: {error}").format(error=f"{type(exc).__name__}: {exc}"), Location())
        return checked

    def _load(self, checked: Checked) -> None:
        doc, result = checked.document, checked.result
        data = doc.data
        self.mark_evaluated(result, "Y")
        meta = data.get("metadata") if isinstance(data, dict) else None
        if isinstance(meta, dict) and isinstance(meta.get("id"), str):
            result.doc_id = meta["id"]
        for problem in doc.problems:
            self.add(result, problem.rule_id, problem.message, Location((), problem.line, problem.column))
        if not doc.usable:
            return
        self.mark_evaluated(result, "S")
        kind, errors = validate(data)
        result.kind = kind
        for error in errors:
            self.add_at(checked, error.rule_id, error.message, error.path, on_key=error.on_key)
        checked.rejected = frozenset(e.path for e in errors)
        if kind in models.MODELS:
            try:
                checked.model = models.build(kind, prune(data, errors), pruned=bool(errors))
            except models.ModelBuildError as exc:
                self.add(result, "S001", _("the document could not be read into the {kind} model: {error}").format(kind=kind, error=exc), Location())

    def judge(self, checked: Checked, index: Index) -> None:
        """Run every enabled rule that applies to this file's kind."""
        if checked.model is None:
            return
        result = checked.result
        base = self.base_lookup(result.path, checked.model) if self.base_lookup else None
        ctx = Context(plan=checked.model, document=checked.document, index=index, policy=self.resolved.policy,
                      catalog=self.resolved.catalog, as_of=self.as_of, base=base)
        for rule_cls in self.resolved.checking:
            if result.kind not in rule_cls.kinds:
                continue
            view = self.resolved.view(rule_cls.id, result.path)
            if not view.enabled:
                continue
            result.rules_evaluated.append(rule_cls.id)
            try:
                violations = list(rule_cls().check(ctx, self.resolved.params(rule_cls, view.params)))
            except Exception as exc:  # a broken rule never takes the run down
                self.add(result, rule_cls.id, _("rule {rule} crashed on this file and judged nothing: {error}").format(
                    rule=rule_cls.id, error=f"{type(exc).__name__}: {exc}"), Location())
                continue
            for v in violations:
                if v.missing and _said_by_schema(tuple(v.missing), checked.rejected):
                    continue
                if v.position:  # the rule knows the exact place (e.g. a column inside a formula)
                    self.add(result, rule_cls.id, v.message, Location(tuple(v.path), *v.position), checked.document.data)
                else:
                    self.add_at(checked, rule_cls.id, v.message, tuple(v.path), on_key=v.on_key)

    def outcome(self, checked: Checked, cacheable: bool = True, keep: bool = False) -> Outcome:
        """What the run keeps of a judged file: its result, inline waivers and summary (and the document if ``keep``)."""
        doc, result = checked.document, checked.result
        waivers = (suppressions.inline(doc.text, result.path, self.resolved.rules, self.as_of, doc.scalar_spans)
                   if doc.text and doc.usable else [])
        position = doc.locate(("metadata", "id")) if result.doc_id else (1, 1)
        summary = self.outcome_summary(result, position, summary_facts(self.resolved.rules.values(), checked))
        return Outcome(result, waivers, summary, cacheable, checked if keep else None)

    @staticmethod
    def outcome_summary(result: FileResult, id_position: tuple = (1, 1), facts: dict | None = None) -> DocumentSummary:
        """What run-level rules see of a file: its path, kind, id, where the id is written, and the facts they keep."""
        return DocumentSummary(result.path, result.kind, result.doc_id, id_position, facts)

    # --- one file, start to end ----------------------------------------------
    def check(self, path: str, index: Index, cache=None, document: Document | None = None, keep: bool = False) -> Outcome:
        """Read (once), load, validate and judge one file; from the cache when it holds the same bytes.

        Args:
            path: The file.
            index: The run's index of strategies.
            cache: A :class:`kpi_policies.cache.Cache`, or ``None``.
            document: An already-loaded document (tests, editors); the file is not read then.
            keep: Keep the document and model in the outcome (for the audit report).
        """
        raw = key = None
        if document is None:
            raw, document = self.read(path)
        if cache is not None and raw is not None and not keep:
            key = cache.key(path, raw)
            hit = cache.get(key)
            if hit is not None:
                return Outcome(*hit)
        if document is None:
            document = load_bytes(raw, path)
        return self.judged(self.load(path, document, raw), index, cache=cache, key=key, keep=keep)

    def judged(self, checked: Checked, index: Index, cache=None, key: str | None = None, keep: bool = False) -> Outcome:
        """Judge a loaded file and keep its outcome (stored in the cache when it does not depend on a repository search)."""
        searched = index.repository_searches
        self.judge(checked, index)
        outcome = self.outcome(checked, cacheable=index.repository_searches == searched, keep=keep)
        if cache is not None and key is not None and outcome.cacheable:
            cache.put(key, outcome.result, outcome.waivers, outcome.summary)
        return outcome


def _said_by_schema(missing: tuple, rejected: frozenset) -> bool:
    """True when a schema finding already explains why the value at ``missing`` is absent.

    That is when the schema rejected the value written there (or an object
    holding it), or rejected a misspelt key beside it (``tagret`` for ``target``).
    """
    if any(missing[:n] in rejected for n in range(1, len(missing) + 1)):
        return True
    parent, name = missing[:-1], missing[-1]
    siblings = [p[-1] for p in rejected if len(p) == len(missing) and p[:-1] == parent and isinstance(p[-1], str)]
    return bool(difflib.get_close_matches(str(name), siblings, n=1, cutoff=0.6))
