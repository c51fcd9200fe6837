"""Run the pipeline over many files: load, schema, models, rules, then suppressions.

Every file is loaded and validated first, the cross-file index is built from
all of them, then each plan and strategy is judged by the rules the policy
enables for that file. A file that cannot be read yields findings on itself
only; a rule that crashes yields a finding on the file it crashed on, and the
run goes on. Last, inline and policy suppressions (and a baseline, when
given) mark the findings they waive.
"""

from __future__ import annotations

import datetime as dt
import difflib
import json
import os
import re
import stat
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ValidationError

from kpi_policies import models, suppressions
from kpi_policies.catalog import Catalog, Metric, builtin_catalog
from kpi_policies.index import Entry, Index
from kpi_policies.load import Document, load_file
from kpi_policies.policy import Policy, PolicyError, RuleView
from kpi_policies.result import FileResult, Finding, RunResult, Severity
from kpi_policies.rules.base import Context, DocumentSummary, LoadRule, Rule, summary_facts
from kpi_policies.rules.registry import PluginError, all_rules
from kpi_policies.schema import did_you_mean, prune, validate

_SECTIONS = ("goals", "objectives", "kpis", "initiatives")


@dataclass
class _Loaded:
    document: Document
    result: FileResult
    model: Any = None
    rejected: frozenset = frozenset()  # paths of values the schema rejected


def pointer(path: tuple) -> str:
    """JSON pointer (RFC 6901) of a path tuple: ``('kpis', 2, 'target')`` -> ``/kpis/2/target``."""
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in path)


def object_id(data: Any, path: tuple) -> str | None:
    """Id of the goal, objective, KPI or initiative that ``path`` lies in, if any."""
    if len(path) >= 2 and path[0] in _SECTIONS and isinstance(path[1], int) and isinstance(data, dict):
        items = data.get(path[0])
        if isinstance(items, list) and path[1] < len(items) and isinstance(items[path[1]], dict):
            ident = items[path[1]].get("id")
            return ident if isinstance(ident, str) else None
    return None


class Engine:
    """Rules configured by a policy, ready to judge files.

    Args:
        policy: The effective policy (selection, severities, parameters, tools, waivers).
        as_of: The day time-dependent rules and suppression expiries are judged on.
        catalog: The metric catalog (default: the built-in one plus the policy's metrics).
        ignore_suppressions: Report what a run would show without any suppression.

    Raises:
        PolicyError: when the policy names an unknown rule or plugin, gives a
            rule parameters that do not fit it, or extends the catalog badly.
    """

    def __init__(self, policy: Policy, as_of: dt.date, catalog: Catalog | None = None, ignore_suppressions: bool = False):
        self.policy = policy
        self.as_of = as_of
        self.ignore_suppressions = ignore_suppressions
        try:
            rules = all_rules(tuple(policy.plugins))
        except PluginError as exc:
            name = exc.args[1] if len(exc.args) > 1 else None
            raise PolicyError(f"{policy.where('plugins', name)}: {exc.args[0]}") from None
        self.rules: dict[str, type[Rule]] = {r.id: r for r in rules}
        self._families: dict[str, list[str]] = {}
        for rule in rules:
            self._families.setdefault(rule.family(), []).append(rule.id)
        self._checking = [r for r in rules if not issubclass(r, LoadRule)]
        self.catalog = catalog or self._catalog()
        self._views: dict[tuple, RuleView] = {}
        self._params: dict[tuple, BaseModel] = {}
        self._check_policy()

    # --- policy ---------------------------------------------------------
    def _catalog(self) -> Catalog:
        base = builtin_catalog()
        if not self.policy.metrics:
            return base
        extra = {}
        for metric_id, data in self.policy.metrics.items():
            try:
                extra[metric_id] = Metric.model_validate(data)
            except ValidationError as exc:
                raise PolicyError(f"{self.policy.where('metrics', metric_id)}: metric {metric_id}: {exc.errors()[0]['msg']}") from None
        return Catalog(metrics={**base.metrics, **extra})

    def _check_policy(self) -> None:
        policy = self.policy
        for layer in [policy.base, *policy.overrides]:
            for rule_id in layer.rules:
                if rule_id not in self.rules:
                    raise PolicyError(f"{policy.where('rules', rule_id)}: the policy configures rule '{rule_id}', which does not exist"
                                      f"{did_you_mean(rule_id.upper(), self.rules)}; `kpi-policies rules` lists them")
        for rule in self.rules.values():
            for layers in [[policy.base]] + [[policy.base, o] for o in policy.overrides]:
                params: dict = {}
                for layer in layers:
                    if rule.id in layer.rules:
                        params = {**params, **layer.rules[rule.id].params}
                self._validated(rule, params)
        for tool_id, tool in policy.tools.items():
            for i, metric in enumerate(tool.measures):
                if metric not in self.catalog.metrics:
                    raise PolicyError(f"{policy.where('tools', tool_id, 'measures', i)}: tool {tool_id} measures '{metric}', "
                                      f"which is not a metric of the catalog{did_you_mean(metric, self.catalog.metrics)}")
        for s in policy.suppressions:
            unknown = [r for r in s.rules if not any(k == r or k.startswith(r) for k in self.rules)]
            if unknown:
                raise PolicyError(f"{s.file}:{s.line}:{s.column}: suppression names unknown rule {', '.join(unknown)}"
                                  f"{did_you_mean(unknown[0], self.rules)}")

    def _validated(self, rule: type[Rule], params: dict) -> BaseModel:
        key = (rule.id, json.dumps(params, sort_keys=True, default=str))
        if key not in self._params:
            try:
                self._params[key] = rule.Params.model_validate(params)
            except ValidationError as exc:
                raise PolicyError(_param_error(self.policy, rule, exc)) from None
        return self._params[key]

    def view(self, rule_id: str, file: str | None = None) -> RuleView:
        """The effective settings of a rule for a file (cached per file)."""
        key = (rule_id, file if self.policy.overrides else None)
        if key not in self._views:
            rule = self.rules.get(rule_id)
            self._views[key] = self.policy.view(rule, file) if rule else RuleView(True, Severity.ERROR, "enforce", {})
        return self._views[key]

    # --- findings -------------------------------------------------------
    def _finding(self, loaded: _Loaded, rule_id: str, message: str, path: tuple = (), on_key: bool = False,
                 line: int | None = None, column: int | None = None) -> None:
        view = self.view(rule_id, loaded.result.path)
        if not view.enabled:
            return
        if line is None:
            line, column = loaded.document.locate(path, on_key=on_key)
        rule = self.rules.get(rule_id)
        loaded.result.findings.append(Finding(
            rule_id=rule_id, severity=view.severity, message=message,
            file=loaded.result.path, line=line, column=column or 1,
            plan_id=loaded.result.doc_id, pointer=pointer(path), rule_name=rule.name if rule else "",
            object_id=object_id(loaded.document.data, path), enforcement=view.enforcement,
        ))

    def _evaluated(self, loaded: _Loaded, family: str) -> None:
        loaded.result.rules_evaluated.extend(
            rule_id for rule_id in self._families.get(family, ()) if self.view(rule_id, loaded.result.path).enabled)

    # --- pipeline -------------------------------------------------------
    def load(self, path: str, document: Document | None = None) -> _Loaded:
        """Load and schema-check one file (Y and S findings), and build its model.

        Whatever goes wrong stays a finding on this file; nothing escapes to stop the run.
        """
        doc = document or load_file(path)
        loaded = _Loaded(doc, FileResult(path=path))
        try:
            self._load(loaded)
        except Exception as exc:  # a defect of ours must not hide the other files
            loaded.model = None
            self._finding(loaded, "S001", f"this file could not be checked: {type(exc).__name__}: {exc}")
        return loaded

    def _load(self, loaded: _Loaded) -> None:
        doc = loaded.document
        data = doc.data
        self._evaluated(loaded, "Y")
        meta = data.get("metadata") if isinstance(data, dict) else None
        if isinstance(meta, dict) and isinstance(meta.get("id"), str):
            loaded.result.doc_id = meta["id"]
        for problem in doc.problems:
            self._finding(loaded, problem.rule_id, problem.message, line=problem.line, column=problem.column)
        if not doc.usable:
            return
        self._evaluated(loaded, "S")
        kind, errors = validate(data)
        loaded.result.kind = kind
        for error in errors:
            self._finding(loaded, error.rule_id, error.message, error.path, on_key=error.on_key)
        loaded.rejected = frozenset(e.path for e in errors)
        if kind in models.MODELS:
            try:
                loaded.model = models.build(kind, prune(data, errors), pruned=bool(errors))
            except models.ModelBuildError as exc:
                self._finding(loaded, "S001", f"the document could not be read into the {kind} model: {exc}")

    def judge(self, loaded: _Loaded, index: Index) -> None:
        """Run every enabled rule that applies to this file's kind."""
        if loaded.model is None:
            return
        ctx = Context(plan=loaded.model, document=loaded.document, index=index, policy=self.policy,
                      catalog=self.catalog, as_of=self.as_of)
        for rule_cls in self._checking:
            if loaded.result.kind not in rule_cls.kinds:
                continue
            view = self.view(rule_cls.id, loaded.result.path)
            if not view.enabled:
                continue
            loaded.result.rules_evaluated.append(rule_cls.id)
            try:
                violations = list(rule_cls().check(ctx, self._validated(rule_cls, view.params)))
            except Exception as exc:  # a broken rule never takes the run down
                self._finding(loaded, rule_cls.id, f"rule {rule_cls.id} crashed on this file and judged nothing: "
                                                   f"{type(exc).__name__}: {exc}")
                continue
            for v in violations:
                if v.missing and _said_by_schema(tuple(v.missing), loaded.rejected):
                    continue
                line, column = getattr(v, "position", None) or (None, None)
                self._finding(loaded, rule_cls.id, v.message, tuple(v.path), on_key=v.on_key, line=line, column=column)

    # --- one file, start to end -----------------------------------------
    def process(self, path: str, index: Index, document: Document | None = None, raw: bytes | None = None) -> tuple:
        """Load, validate and judge one file; keep only what the run-level steps need.

        Returns:
            ``(FileResult, inline waivers, DocumentSummary, cacheable)``; the
            document and its models are dropped, so memory stays flat however
            many files a run has. ``cacheable`` is False when the result used a
            strategy found by searching the repository.
        """
        if document is None and raw is not None:
            from kpi_policies.load import load_bytes

            document = load_bytes(raw, path)
        loaded = self.load(path, document)
        searched = index.repository_searches
        self.judge(loaded, index)
        return self._outcome(loaded) + (index.repository_searches == searched,)

    def _outcome(self, loaded: _Loaded) -> tuple:
        doc = loaded.document
        waivers = (suppressions.inline(doc.text, loaded.result.path, self.rules, self.as_of, doc.scalar_spans)
                   if doc.text and doc.usable else [])
        position = doc.locate(("metadata", "id")) if loaded.result.doc_id else (1, 1)
        summary = DocumentSummary(loaded.result.path, loaded.result.kind, loaded.result.doc_id, position,
                                  summary_facts(self.rules.values(), loaded))
        return loaded.result, waivers, summary

    # --- run-level steps ------------------------------------------------
    def _run_level(self, results: list[FileResult], summaries: list[DocumentSummary]) -> None:
        """Rules that need every document of the run (duplicate ids)."""
        for rule in self.rules.values():
            if not rule.run_level or not self.view(rule.id).enabled:
                continue
            for i, violation in rule.check_run(summaries, self._validated(rule, self.view(rule.id).params)):
                holder = _Loaded(Document(path=results[i].path), results[i])
                line, column = getattr(violation, "position", None) or (
                    summaries[i].id_position if tuple(violation.path) == ("metadata", "id") else (1, 1))
                self._finding(holder, rule.id, violation.message, tuple(violation.path), line=line, column=column)

    def _suppress_inline(self, result: FileResult, waivers: list) -> None:
        if not waivers:
            return
        holder = _Loaded(Document(path=result.path), result)
        self._evaluated(holder, "SU")
        result.findings = suppressions.apply(result.findings, waivers, ignore=self.ignore_suppressions)
        for w in waivers:
            if w.problem:
                self._finding(holder, w.problem[0], w.problem[1], line=w.line, column=w.column)
            elif not w.used and not self.ignore_suppressions:
                self._finding(holder, "SU003", f"suppression of {', '.join(w.rule_ids)} suppresses nothing on line "
                                               f"{min(w.lines)}; remove it", line=w.line, column=w.column)

    def _suppress_from_policy(self, results: list[FileResult]) -> list[FileResult]:
        """Apply the policy's waivers; findings about the waivers themselves go on the policy file."""
        if not self.policy.suppressions:
            return []
        checked = {r.doc_id for r in results if r.doc_id}
        waivers = []
        for s in self.policy.suppressions:
            until = suppressions.parse_date(s.until)
            w = suppressions.Suppression(tuple(s.rules), s.reason, until, s.file, s.line, s.column, "policy",
                                         plan_id=s.plan, object_id=s.kpi, pointer=s.pointer)
            waivers.append(suppressions.validate(w, self.rules, self.as_of, s.until))
        for result in results:
            result.findings = suppressions.apply(result.findings, waivers, ignore=self.ignore_suppressions)
        out: dict[str, _Loaded] = {}
        for w in waivers:
            if w.plan_id not in checked:
                continue  # its plan is not part of this run (e.g. pre-commit on other files)
            problem = w.problem or (None if w.used or self.ignore_suppressions else
                                    ("SU003", f"policy suppression of {', '.join(w.rule_ids)} for plan {w.plan_id} suppresses nothing; remove it"))
            if problem:
                holder = out.setdefault(w.file, _Loaded(Document(path=w.file), FileResult(path=w.file, kind="Policy")))
                self._finding(holder, problem[0], problem[1], line=w.line, column=w.column)
        return [h.result for h in out.values()]

    # --- the run -------------------------------------------------------
    def run(self, paths: list[str], documents: dict[str, Document] | None = None, baseline=None,
            jobs: int = 1, cache=None) -> RunResult:
        """Check ``paths`` (files, already discovered) together.

        Strategies are read first (they are few, and plans refer to them);
        then every other file is loaded, validated and judged on its own and
        only its findings are kept; last come the run-level steps: duplicate
        ids, inline and policy suppressions, and the baseline.

        Args:
            paths: Files to check and report on, in order.
            documents: Already-loaded documents by path (e.g. from text in tests).
            baseline: A :class:`kpi_policies.baseline.Baseline` whose entries waive known findings.
            jobs: Worker processes for the per-file work (1: this process).
            cache: A :class:`kpi_policies.cache.Cache`, or ``None``.

        Returns:
            A :class:`RunResult` with one :class:`FileResult` per path (plus the
            policy and baseline files when their waivers have findings); the
            same whatever ``jobs`` and ``cache`` are.
        """
        documents = documents or {}
        index = Index()
        index.note_run(paths, documents)
        strategies: dict[str, tuple] = {}
        for path in paths:
            text = documents[path].text if path in documents else _head(path)
            if text is not None and STRATEGY_HINT.search(text):
                loaded = self.load(path, documents.get(path))
                if loaded.model is not None and loaded.result.kind == "Strategy" and loaded.model.metadata.id:
                    index.add(Entry("Strategy", loaded.model.metadata.id, path, loaded.model, loaded.document))
                strategies[path] = loaded
        if cache is not None:
            cache.context = _extend_context(cache.context, index)
        outcomes: list = [None] * len(paths)
        todo = []
        for i, path in enumerate(paths):
            if path in strategies:
                loaded = strategies[path]
                self.judge(loaded, index)
                outcomes[i] = self._outcome(loaded)
            elif path in documents:
                outcomes[i] = self.process(path, index, documents[path])[:3]
            else:
                todo.append(i)
        if jobs > 1 and len(todo) > 1:
            for i, outcome in _parallel(self, [paths[i] for i in todo], todo, list(strategies), jobs, cache):
                outcomes[i] = outcome
        else:
            for i in todo:
                outcomes[i] = _process_cached(self, paths[i], index, cache)
        results = [o[0] for o in outcomes]
        self._run_level(results, [o[2] for o in outcomes])
        for result, waivers, _ in outcomes:
            self._suppress_inline(result, waivers)
        files = results + self._suppress_from_policy(results)
        if baseline is not None and not self.ignore_suppressions:
            files += baseline.apply(files, self)
        for fr in files:
            fr.findings.sort(key=Finding.sort_key)
        rules_run = [r for r in self.rules if self.view(r).enabled]
        return RunResult(files=files, as_of=self.as_of.isoformat(), rules_run=rules_run)


STRATEGY_HINT = re.compile(r"^kind:\s*['\"]?Strategy['\"]?\s*(?:#.*)?$", re.M)


def _head(path: str) -> str | None:
    """The start of a regular file as text, for the cheap "is it a strategy?" test (``None`` otherwise)."""
    try:
        if not stat.S_ISREG(os.stat(path).st_mode):
            return None  # devices and pipes are reported by the loader, never opened here
        with open(path, "rb") as fh:
            return fh.read(200_000).decode("utf-8", "replace")
    except OSError:
        return None


def _extend_context(context: str, index: Index) -> str:
    """The cache context plus the digest of every strategy the run knows."""
    import hashlib

    digest = hashlib.sha256()
    for entry in sorted(index.entries, key=lambda e: (e.id, e.file)):
        digest.update(f"{entry.id}\x1f{entry.file}\x1f".encode())
        digest.update(entry.document.text.encode("utf-8", "surrogateescape"))
    return f"{context}\x1f{digest.hexdigest()}"


def _process_cached(engine: "Engine", path: str, index: Index, cache) -> tuple:
    """One file's outcome from the cache, or checked now (and stored when it may be)."""
    if cache is None:
        return engine.process(path, index)[:3]
    from kpi_policies.load import read_bytes

    raw, _ = read_bytes(path)
    if raw is None:  # unreadable or not a plain file: the loader reports why
        return engine.process(path, index)[:3]
    key = cache.key(path, raw)
    hit = cache.get(key)
    if hit is not None:
        return hit
    result, waivers, summary, cacheable = engine.process(path, index, raw=raw)
    if cacheable:
        cache.put(key, result, waivers, summary)
    return result, waivers, summary


# --- worker processes -------------------------------------------------------
_WORKER: dict = {}


def _worker_init(policy_request, as_of, ignore_suppressions, strategy_paths, cache_args) -> None:
    from kpi_policies.cache import Cache
    from kpi_policies.policy import load_policy

    engine = Engine(load_policy(policy_request), as_of, ignore_suppressions=ignore_suppressions)
    index = Index()
    for path in strategy_paths:
        loaded = engine.load(path)
        if loaded.model is not None and loaded.result.kind == "Strategy" and loaded.model.metadata.id:
            index.add(Entry("Strategy", loaded.model.metadata.id, path, loaded.model, loaded.document))
    cache = None
    if cache_args is not None:
        cache = Cache.__new__(Cache)
        cache.folder, cache.context, cache.secret, cache.enabled = cache_args
        cache.hits = cache.misses = 0
    _WORKER.update(engine=engine, index=index, cache=cache)


def _worker_chunk(chunk: list[tuple[int, str]]) -> list[tuple[int, tuple]]:
    engine, index, cache = _WORKER["engine"], _WORKER["index"], _WORKER["cache"]
    return [(i, _process_cached(engine, path, index, cache)) for i, path in chunk]


def _parallel(engine: "Engine", paths: list[str], positions: list[int], strategy_paths: list[str], jobs: int, cache):
    """Per-file work in ``jobs`` processes, in chunks; yields ``(position, outcome)``."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    items = list(zip(positions, paths))
    size = max(1, min(64, len(items) // (jobs * 4) or 1))
    chunks = [items[k:k + size] for k in range(0, len(items), size)]
    cache_args = (cache.folder, cache.context, cache.secret, cache.enabled) if cache is not None else None
    context = multiprocessing.get_context("fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn")
    with ProcessPoolExecutor(max_workers=jobs, mp_context=context, initializer=_worker_init,
                             initargs=(engine.policy.request, engine.as_of, engine.ignore_suppressions, strategy_paths,
                                       cache_args)) as pool:
        for chunk_result in pool.map(_worker_chunk, chunks):
            yield from chunk_result


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


def _param_error(policy: Policy, rule, exc: ValidationError) -> str:
    """One line for the first bad parameter: where it is, what is wrong, what the rule accepts."""
    first = exc.errors()[0]
    name = ".".join(str(p) for p in first["loc"]) or "params"
    known = ", ".join(rule.Params.model_fields) or "none"
    where = policy.where("rules", rule.id, "params", *first["loc"])
    if first["type"] == "extra_forbidden":
        return f"{where}: rule {rule.id} has no parameter '{name}' (its parameters: {known})"
    return f"{where}: rule {rule.id} parameter '{name}': {first['msg'][0].lower() + first['msg'][1:]}, not {first.get('input')!r}"
