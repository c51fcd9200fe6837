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
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ValidationError

from kpi_policies import models, suppressions
from kpi_policies.catalog import Catalog, Metric, builtin_catalog
from kpi_policies.index import Entry, Index
from kpi_policies.load import Document, load_file
from kpi_policies.policy import Policy, PolicyError, RuleView
from kpi_policies.result import FileResult, Finding, RunResult, Severity
from kpi_policies.rules.base import Context, LoadRule, Rule
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
                loaded.model = models.build(kind, prune(data, errors))
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
                self._finding(loaded, rule_cls.id, v.message, tuple(v.path), on_key=v.on_key)

    def _suppress_inline(self, loaded: _Loaded) -> None:
        waivers = suppressions.inline(loaded.document.text, loaded.result.path, self.rules, self.as_of)
        if not waivers:
            return
        self._evaluated(loaded, "SU")
        loaded.result.findings = suppressions.apply(loaded.result.findings, waivers, ignore=self.ignore_suppressions)
        for w in waivers:
            if w.problem:
                self._finding(loaded, w.problem[0], w.problem[1], line=w.line, column=w.column)
            elif not w.used and not self.ignore_suppressions:
                self._finding(loaded, "SU003", f"suppression of {', '.join(w.rule_ids)} suppresses nothing on line "
                                               f"{min(w.lines)}; remove it", line=w.line, column=w.column)

    def _suppress_from_policy(self, loaded_files: list[_Loaded]) -> list[FileResult]:
        """Apply the policy's waivers; findings about the waivers themselves go on the policy file."""
        if not self.policy.suppressions:
            return []
        checked = {item.result.doc_id for item in loaded_files if item.result.doc_id}
        waivers = []
        for s in self.policy.suppressions:
            until = suppressions._parse_date(s.until)
            w = suppressions.Suppression(tuple(s.rules), s.reason, until, s.file, s.line, s.column, "policy",
                                         plan_id=s.plan, object_id=s.kpi, pointer=s.pointer)
            waivers.append(suppressions.validate(w, self.rules, self.as_of, s.until))
        for item in loaded_files:
            item.result.findings = suppressions.apply(item.result.findings, waivers, ignore=self.ignore_suppressions)
        out: dict[str, _Loaded] = {}
        for w in waivers:
            if w.plan_id not in checked:
                continue  # its plan is not part of this run (e.g. pre-commit on other files)
            problem = w.problem or (None if w.used or self.ignore_suppressions else
                                    ("SU003", f"policy suppression of {', '.join(w.rule_ids)} for plan {w.plan_id} suppresses nothing; remove it"))
            if problem:
                holder = out.setdefault(w.file, _Loaded(load_file(w.file), FileResult(path=w.file, kind="Policy")))
                self._finding(holder, problem[0], problem[1], line=w.line, column=w.column)
        return [h.result for h in out.values()]

    def run(self, paths: list[str], documents: dict[str, Document] | None = None, baseline=None) -> RunResult:
        """Check ``paths`` (files, already discovered) together.

        Args:
            paths: Files to check and report on, in order.
            documents: Already-loaded documents by path (e.g. from text in tests).
            baseline: A :class:`kpi_policies.baseline.Baseline` whose entries waive known findings.

        Returns:
            A :class:`RunResult` with one :class:`FileResult` per path (plus the
            policy file when its waivers have findings).
        """
        documents = documents or {}
        loaded = [self.load(p, documents.get(p)) for p in paths]
        index = Index()
        for item in loaded:
            if item.model is not None and item.model.metadata.id:
                index.add(Entry(item.result.kind, item.model.metadata.id, item.result.path, item.model, item.document))
        for item in loaded:
            self.judge(item, index)
            self._suppress_inline(item)
        extra = self._suppress_from_policy(loaded)
        files = [i.result for i in loaded] + extra
        if baseline is not None and not self.ignore_suppressions:
            extra_baseline = baseline.apply(files, self)
            files += extra_baseline
        for fr in files:
            fr.findings.sort(key=Finding.sort_key)
        rules_run = [r for r in self.rules if self.view(r).enabled]
        return RunResult(files=files, as_of=self.as_of.isoformat(), rules_run=rules_run)


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
