"""Run the pipeline over many files: load, schema, models, then rules.

Every file is loaded and validated first, the cross-file index is built from
all of them, then each plan and strategy is judged by the rules. A file that
cannot be read yields findings on itself only; a rule that crashes yields a
finding on the file it crashed on, and the run goes on.
"""

from __future__ import annotations

import datetime as dt
import difflib
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ValidationError

from kpi_policies import models
from kpi_policies.catalog import Catalog, builtin_catalog
from kpi_policies.index import Entry, Index
from kpi_policies.load import Document, load_file
from kpi_policies.policy import Policy, PolicyError
from kpi_policies.result import FileResult, Finding, RunResult, Severity
from kpi_policies.rules.base import Context, Rule
from kpi_policies.rules.registry import all_rules, checking_rules
from kpi_policies.schema import prune, validate


@dataclass
class _Loaded:
    document: Document
    result: FileResult
    model: Any = None
    rejected: frozenset = frozenset()  # paths of values the schema rejected


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


def pointer(path: tuple) -> str:
    """JSON pointer (RFC 6901) of a path tuple: ``('kpis', 2, 'target')`` -> ``/kpis/2/target``."""
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in path)


class Engine:
    """Rules configured by a policy, ready to judge files.

    Args:
        policy: The effective policy (tools, severities, parameters).
        as_of: The day time-dependent rules judge on.
        catalog: The metric catalog (default: the built-in one).

    Raises:
        PolicyError: when the policy names an unknown rule or gives a rule
            parameters that do not fit it.
    """

    def __init__(self, policy: Policy, as_of: dt.date, catalog: Catalog | None = None):
        self.policy = policy
        self.as_of = as_of
        self.catalog = catalog or builtin_catalog()
        self.rules = {r.id: r for r in all_rules()}
        self.params: dict[str, BaseModel] = {}
        from kpi_policies.schema import did_you_mean

        for rule_id in policy.rules:
            if rule_id not in self.rules:
                raise PolicyError(f"{policy.where('rules', rule_id)}: the policy configures rule '{rule_id}', which does not exist"
                                  f"{did_you_mean(rule_id.upper(), self.rules)}; `kpi-policies rules` lists them")
        for rule in self.rules.values():
            try:
                self.params[rule.id] = rule.Params.model_validate(policy.setting(rule.id).params)
            except ValidationError as exc:
                raise PolicyError(_param_error(policy, rule, exc)) from None
        for tool_id, tool in policy.tools.items():
            for i, metric in enumerate(tool.measures):
                if metric not in self.catalog.metrics:
                    raise PolicyError(f"{policy.where('tools', tool_id, 'measures', i)}: tool {tool_id} measures '{metric}', "
                                      f"which is not a metric of the catalog{did_you_mean(metric, self.catalog.metrics)}")

    # --- helpers --------------------------------------------------------
    def enabled(self, rule_id: str) -> bool:
        """False when the policy switched the rule off."""
        return self.policy.setting(rule_id).enabled

    def severity(self, rule_id: str) -> Severity:
        """The rule's severity after policy overrides."""
        rule = self.rules.get(rule_id)
        return self.policy.setting(rule_id).severity or (rule.severity if rule else Severity.ERROR)

    def _finding(self, loaded: _Loaded, rule_id: str, message: str, path: tuple = (), on_key: bool = False,
                 line: int | None = None, column: int | None = None) -> None:
        if not self.enabled(rule_id):
            return
        if line is None:
            line, column = loaded.document.locate(path, on_key=on_key)
        rule = self.rules.get(rule_id)
        loaded.result.findings.append(Finding(
            rule_id=rule_id, severity=self.severity(rule_id), message=message,
            file=loaded.result.path, line=line, column=column or 1,
            plan_id=loaded.result.doc_id, pointer=pointer(path), rule_name=rule.name if rule else "",
        ))

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

    def _evaluated(self, loaded: _Loaded, family: str) -> None:
        loaded.result.rules_evaluated.extend(
            rule_id for rule_id, rule in self.rules.items() if rule.family() == family and self.enabled(rule_id))

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
        for rule_cls in checking_rules():
            if loaded.result.kind not in rule_cls.kinds or not self.enabled(rule_cls.id):
                continue
            loaded.result.rules_evaluated.append(rule_cls.id)
            rule: Rule = rule_cls()
            try:
                violations = list(rule.check(ctx, self.params[rule_cls.id]))
            except Exception as exc:  # a broken rule never takes the run down
                self._finding(loaded, rule_cls.id, f"rule {rule_cls.id} crashed on this file and judged nothing: "
                                                   f"{type(exc).__name__}: {exc}")
                continue
            for v in violations:
                if v.missing and _said_by_schema(tuple(v.missing), loaded.rejected):
                    continue
                self._finding(loaded, rule_cls.id, v.message, tuple(v.path), on_key=v.on_key)

    def run(self, paths: list[str], documents: dict[str, Document] | None = None) -> RunResult:
        """Check ``paths`` (files, already discovered) together.

        Args:
            paths: Files to check and report on, in order.
            documents: Already-loaded documents by path (e.g. from text in tests).

        Returns:
            A :class:`RunResult` with one :class:`FileResult` per path.
        """
        documents = documents or {}
        loaded = [self.load(p, documents.get(p)) for p in paths]
        index = Index()
        for item in loaded:
            if item.model is not None and item.model.metadata.id:
                index.add(Entry(item.result.kind, item.model.metadata.id, item.result.path, item.model, item.document))
        for item in loaded:
            self.judge(item, index)
        for item in loaded:
            item.result.findings.sort(key=Finding.sort_key)
        rules_run = [r.id for r in all_rules() if self.enabled(r.id)]
        return RunResult(files=[i.result for i in loaded], as_of=self.as_of.isoformat(), rules_run=rules_run)
