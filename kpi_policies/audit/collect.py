"""The auditor report: evidence an auditor can verify, collected from a run as plain data.

:func:`build_report` turns a :class:`~kpi_policies.result.RunResult` (and the
:class:`~kpi_policies.engine.Engine` that made it) into one JSON-ready dict,
the ``json`` format of ``kpi-policies report`` and the input of the ``html``
(:mod:`kpi_policies.audit.html`) and ``markdown``
(:mod:`kpi_policies.audit.markdown`) formats. Its shape is the public
contract ``schemas/audit-report.schema.json``:

- ``evidence``: the kpi-policies version, the effective policy (its source
  files with their sha256 and the digest of the settings), the as-of date,
  the generation time (``null`` with ``--reproducible``), the commit checked
  out, and for every file its sha256 and, inside a git repository, the commit
  and date of its last change;
- ``documents``: for every file, every rule the run knows with its outcome on
  that file (``pass``, ``fail``, ``suppressed``, ``not_applicable``), every
  finding with the rule's summary and rationale and the lines of YAML around
  it, the goal tree of a plan and the progress of each of its KPIs;
- ``compliance``: the same outcomes as a grid, rules against files;
- ``suppressions``: the register of waivers (inline, policy, baseline) with
  who wrote them according to git, the reason, the expiry, and whether they
  expire within :data:`EXPIRY_WARNING_DAYS` days of the as-of date.
"""

from __future__ import annotations

import datetime as dt
import os
import re

from kpi_policies import __version__
from kpi_policies.audit import evidence_git as audit_git
from kpi_policies.audit.evidence import _baseline_evidence, _file_evidence, _policy_evidence
from kpi_policies.audit.goal_tree import _object_counts, driver_relations, goal_tree
from kpi_policies.audit.numbers import _iso, _number
from kpi_policies.audit.history import plan_history
from kpi_policies.audit.outcomes import OUTCOMES, _rule_docs, rule_outcomes
from kpi_policies.audit.progress import kpi_progress, status_counts
from kpi_policies.audit.weights import weighted_completion
from kpi_policies.audit.register import suppression_register
from kpi_policies.audit.snippets import _text_lines, snippet
from kpi_policies.result import FileResult, RunResult, Severity

#: Version of the report's data shape (``format_version``); bumped on incompatible changes.
FORMAT_VERSION = 2


def _document(fr: FileResult, loaded, engine, rule_ids, rule_docs, index) -> dict:
    """One file's part of the report: its metadata, rule outcomes, findings, goal tree and KPI progress."""
    model = loaded.model if loaded is not None else None
    document = loaded.document if loaded is not None else None
    lines = _text_lines(fr.path, document)
    meta: dict = {}
    if model is not None:
        meta = model.metadata.model_dump(mode="json", exclude_none=True)
    elif document is not None and isinstance(document.data, dict) and isinstance(document.data.get("metadata"), dict):
        meta = {k: v for k, v in document.data["metadata"].items() if isinstance(v, str)}
    period = meta.get("period") if isinstance(meta.get("period"), dict) else None
    findings = []
    for f in fr.findings:
        doc = rule_docs.get(f.rule_id, {})
        findings.append({**f.to_dict(), "status": "active" if f.active else "suppressed",
                         "rule_summary": doc.get("summary", ""), "rationale": doc.get("rationale", ""),
                         "snippet": snippet(lines, f.line) if fr.kind not in ("Baseline",) else None})
    rules = rule_outcomes(fr, rule_ids, engine, has_model=model is not None)
    active = fr.active
    out = {
        "file": fr.path, "kind": fr.kind, "id": fr.doc_id,
        "title": meta.get("title"), "owner": meta.get("owner"), "department": meta.get("department"),
        "description": meta.get("description"), "strategy": meta.get("strategy"),
        "period": {"start": period.get("start"), "end": period.get("end")} if period else None,
        "verdict": "failed" if any(f.severity is Severity.ERROR and f.enforcement == "enforce" for f in active) else "passed",
        "counts": {**{s.value: sum(1 for f in active if f.severity is s) for s in Severity},
                   "suppressed": len(fr.findings) - len(active),
                   **{o: sum(1 for r in rules if r["outcome"] == o) for o in OUTCOMES}},
        "rules": rules, "findings": findings, "goals": [], "tree": None, "kpis": [], "history": None,
    }
    if model is not None and fr.kind == "KpiPlan":
        strategy_goals = []
        if model.metadata.strategy:
            entry = index.strategy(model.metadata.strategy, fr.path)
            strategy_goals = list(entry.model.goals) if entry is not None else []
        out["tree"] = goal_tree(model, strategy_goals, fr.findings, driver_relations(model, engine.catalog, engine.policy))
        out["kpis"] = [kpi_progress(k, model.metadata.period, as_of=engine.as_of, catalog=engine.catalog,
                                    thresholds=_pace_thresholds(engine, fr.path)) for k in model.kpis]
        out["history"] = plan_history(fr.path, model) if fr.sha256 else None  # only for files read from disk
        out["weighted_completion"] = weighted_completion(model.kpis, out["kpis"])
    elif model is not None and fr.kind == "Strategy":
        counts = _object_counts(fr.findings)
        out["goals"] = [{"id": g.id, "title": g.title, "type": g.type, "findings": counts.get(("goal", g.id), [0, 0])[0],
                         **strategy_rollup(g, model, fr.path, index, engine.catalog)}
                        for g in model.goals]
    return out


def strategy_rollup(goal, strategy, path: str, index, catalog) -> dict:
    """A strategy goal's measure and its roll-up over the plans contributing to it (``{}`` without a measure)."""
    from kpi_policies import relations as rel
    from kpi_policies.rules.drivers import _measure, _MeasureUnit, plan_facts, roll_up

    if goal.measure is None or not strategy.metadata.id or not goal.id:
        return {}
    measure = _measure(goal.measure)
    plans = index.plan_facts_for(strategy.metadata.id, path, plan_facts)
    result = roll_up(goal.id, measure, plans, catalog)
    unit = _MeasureUnit(measure)
    total = result["total"]
    weights = sum(p[3] for p in result["parts"]) if result["rate"] else 1.0

    def share(value, weight):
        if not total or not weights:
            return None
        return value * weight / (total * weights) if result["rate"] else value / total

    return {"measure": {"metric": measure["metric"], "unit": measure["unit"], "baseline": _number(measure["baseline"]),
                        "target": _number(measure["target"]), "due": measure["due"],
                        "target_text": rel.amount(measure["target"], unit, catalog) if measure["target"] is not None else None},
            "rollup": {"total": _number(total), "problem": result["problem"], "weighted": result["rate"],
                       "total_text": rel.amount(total, unit, catalog) if total is not None else None,
                       "plans": [{"plan": pid, "kpi": kid, "target": _number(v), "target_text": rel.amount(v, unit, catalog),
                                  "share": share(v, w)} for pid, kid, v, w in result["parts"]]}}


def _pace_thresholds(engine, path: str):
    """The pace thresholds the policy gives rule TR001 for this file (the rule's defaults otherwise)."""
    from kpi_policies.rules.tracking import PaceParams

    try:
        return PaceParams(**engine.view("TR001", path).params).thresholds()
    except Exception:  # a plugin-less engine or parameters the rule rejected: the rule's defaults
        return PaceParams().thresholds()


def build_report(result: RunResult, engine, *, reproducible: bool = False, now: dt.datetime | None = None,
                 root: str | None = None, baseline: str | None = None) -> dict:
    """Collect the audit report of a run as plain, JSON-ready data.

    Args:
        result: What ``engine.run(..., keep=True)`` returned (the report reads the
            documents and models the run kept, never the files again).
        engine: The :class:`~kpi_policies.engine.Engine` that made ``result``
            (its policy, rules and per-file settings are part of the evidence).
        reproducible: Leave the generation time out (``generated_at: null``), so
            the same inputs always give the same report, byte for byte.
        now: The generation time (default: the current time, UTC, to the second).
        root: Folder that policy and waiver paths are shown relative to
            (default: the repository root of the working folder).
        baseline: The baseline file the run used, if any (its sha256 and last
            commit become evidence too).

    Returns:
        A dict in the shape of ``schemas/audit-report.schema.json``.
    """
    from kpi_policies.paths import repo_relative, workspace_root

    root = root or workspace_root()

    def display(path: str) -> str:
        return repo_relative(path, root) if path else path

    as_of = dt.date.fromisoformat(result.as_of)
    rule_docs = _rule_docs(engine)
    order = list(engine.rules)
    rule_ids = list(dict.fromkeys(result.rules_run + [f.rule_id for f in result.findings]))
    rule_ids.sort(key=lambda r: order.index(r) if r in order else len(order))
    docs = [_document(fr, engine.checked.get(fr.path), engine, rule_ids, rule_docs, engine.index) for fr in result.files]
    register = suppression_register(result, as_of, display)
    generated = None
    if not reproducible:
        generated = (now or dt.datetime.now(dt.timezone.utc)).replace(microsecond=0).isoformat()
    counts = {s.value: result.count(s) for s in Severity}
    outcome_totals = {o: sum(d["counts"][o] for d in docs) for o in OUTCOMES}
    return {
        "report": "kpi-policies audit report",
        "format_version": FORMAT_VERSION,
        "evidence": {
            "tool": {"name": "kpi-policies", "version": __version__},
            "as_of": result.as_of,
            "generated_at": generated,
            "reproducible": reproducible,
            "repository_head": audit_git.head(result.files[0].path if result.files else root),
            "policy": _policy_evidence(engine, display),
            "files": [_file_evidence(fr) for fr in result.files],
            "baseline": _baseline_evidence(baseline, display),
            "change_base": getattr(engine, "base_label", None),
        },
        "summary": {
            "verdict": "failed" if result.has_errors else "passed",
            "files": len(result.files),
            "plans": sum(1 for fr in result.files if fr.kind == "KpiPlan"),
            "rules_run": len(result.rules_run),
            "findings": {**counts, "suppressed": result.suppressed},
            "outcomes": outcome_totals,
            "suppressions": len(register),
            "expiring_soon": sum(1 for s in register if s["expiring_soon"]),
            "kpis": sum(len(d["kpis"]) for d in docs),
            "kpi_statuses": status_counts(k for d in docs for k in d["kpis"]),
        },
        "rules": [rule_docs[r] if r in rule_docs else {"id": r, "name": "", "family": re.sub(r"[0-9]+$", "", r),
                                                        "severity": "error", "summary": "", "rationale": ""}
                  for r in rule_ids],
        "compliance": {
            "rules": rule_ids,
            "rows": [{"file": d["file"], "id": d["id"], "kind": d["kind"], "outcomes": [r["outcome"] for r in d["rules"]]}
                     for d in docs],
        },
        "suppressions": register,
        "documents": docs,
    }
