"""The auditor report: evidence an auditor can verify, collected from a run as plain data.

:func:`build_report` turns a :class:`~kpi_policies.result.RunResult` (and the
:class:`~kpi_policies.engine.Engine` that made it) into one JSON-ready dict,
the ``json`` format of ``kpi-policies report`` and the input of the ``html``
(:mod:`kpi_policies.report.audit_html`) and ``markdown``
(:mod:`kpi_policies.report.audit_markdown`) formats. Its shape is the public
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

It also defines :data:`report_command`, the ``kpi-policies report`` command.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import re
from typing import Any

import click

from kpi_policies import __version__
from kpi_policies.cli_common import IsoDate, emit, prepare_run
from kpi_policies.result import Finding, FileResult, RunResult, Severity

#: Version of the report's data shape (``format_version``); bumped on incompatible changes.
FORMAT_VERSION = 1
#: A waiver whose ``until`` is at most this many days after the as-of date is flagged as expiring.
EXPIRY_WARNING_DAYS = 30
#: Lines of YAML shown before and after the line of a finding.
SNIPPET_CONTEXT = 2
#: Longest line of a snippet, in characters (longer lines end with an ellipsis).
SNIPPET_WIDTH = 160
OUTCOMES = ("pass", "fail", "suppressed", "not_applicable")
_LINE_BREAK = re.compile(r"\r\n|\r|\n")
_SECTION_KINDS = {"goals": "goal", "objectives": "objective", "kpis": "kpi", "initiatives": "initiative"}


# --- small helpers -----------------------------------------------------------

def _number(value: float | int | None) -> float | int | None:
    """A number as JSON shows it best: whole floats as ints (``5600000000`` not ``5600000000.0``)."""
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return int(value)
    return value


def _iso(value: Any) -> str | None:
    """A date (or anything with ``isoformat``) as ISO text; ``None`` stays ``None``."""
    if value is None:
        return None
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


def sha256_of(path: str) -> tuple[str | None, int | None]:
    """``(sha256 hex, size in bytes)`` of the file's bytes, or ``(None, None)`` when it cannot be read."""
    digest = hashlib.sha256()
    size = 0
    try:
        with open(path, "rb") as fh:
            for block in iter(lambda: fh.read(1 << 16), b""):
                digest.update(block)
                size += len(block)
    except OSError:
        return None, None
    return digest.hexdigest(), size


def _text_lines(path: str, document=None) -> list[str]:
    """The file's lines as the loader numbers them (``\\r\\n``, ``\\r`` and ``\\n`` all end a line)."""
    if document is not None and document.text:
        text = document.text
    else:
        from kpi_policies.load import decode

        try:
            with open(path, "rb") as fh:
                text, _problem = decode(fh.read())
        except OSError:
            return []
    return _LINE_BREAK.split(text)


def snippet(lines: list[str], line: int, context: int = SNIPPET_CONTEXT) -> dict | None:
    """The lines around ``line``.

    Args:
        lines: The file's lines (see :func:`_text_lines`).
        line: 1-based line of the finding.
        context: Lines to show before and after it.

    Returns:
        ``{"start": first line number shown (1-based), "focus": line,
        "lines": [text, ...]}`` with over-long lines cut to
        :data:`SNIPPET_WIDTH` characters, or ``None`` when ``line`` is not in the file.
    """
    if not lines or line < 1 or line > len(lines):
        return None
    start = max(1, line - context)
    end = min(len(lines), line + context)
    shown = [text if len(text) <= SNIPPET_WIDTH else text[: SNIPPET_WIDTH - 1] + "\u2026" for text in lines[start - 1:end]]
    while len(shown) > 1 and not shown[-1].strip() and start + len(shown) - 1 > line:
        shown.pop()
    return {"start": start, "focus": line, "lines": shown}


# --- KPI progress ------------------------------------------------------------

def progress_share(baseline: float | None, target: float | None, actual: float | None) -> float | None:
    """The share of the way from baseline to target that ``actual`` has come.

    ``(actual - baseline) / (target - baseline)``: 0 at the baseline, 1 at the
    target, above 1 beyond it, below 0 when the KPI moved away from its target.
    The same formula serves ``increase`` and ``decrease`` KPIs (for a decrease
    both differences are negative while the KPI improves).

    Args:
        baseline: Baseline value, in the KPI's unit.
        target: Target value, in the same unit.
        actual: The value reached (usually the latest review's actual).

    Returns:
        The share as a fraction (``0.5`` = half way), rounded to 4 decimals, or
        ``None`` when a value is missing or the target equals the baseline.
    """
    if baseline is None or target is None or actual is None or target == baseline:
        return None
    return round((actual - baseline) / (target - baseline), 4)


def kpi_progress(kpi, period_start: dt.date | None) -> dict:
    """Baseline, reviews, target and the progress made of one KPI, as plain data.

    Args:
        kpi: A :class:`kpi_policies.models.Kpi`.
        period_start: First day of the plan period (where the baseline stands on
            the time axis, and from when the expected share is counted).

    Returns:
        ``{"id", "name", "unit", "direction", "objective", "baseline": {"value",
        "period"} | None, "target": {"value", "due"} | None, "reviews": [{"date",
        "actual", "note"}] (dated, in date order), "latest": a review | None,
        "share": float | None (see :func:`progress_share`), "expected_share":
        float | None (the share of the time from period start to the target's
        due date that had passed at the latest review), "status": one of
        ``reached``, ``on_track``, ``behind``, ``moving_away``, ``maintain``,
        ``unknown``, "status_text": one sentence}``.
    """
    baseline = kpi.baseline.value if kpi.baseline else None
    target = kpi.target.value if kpi.target else None
    due = kpi.target.due if kpi.target else None
    log = kpi.review.log if kpi.review else []
    reviews = sorted((r for r in log if r.date is not None and r.actual is not None), key=lambda r: r.date)
    latest = reviews[-1] if reviews else None
    share = expected = None
    if kpi.direction == "maintain":
        status = "maintain"
        text = (f"to be kept at {_fmt(target)}; latest {_fmt(latest.actual)} on {latest.date.isoformat()}"
                if latest and target is not None else "to be kept at its level; no comparable review yet")
    elif baseline is None or target is None:
        status, text = "unknown", f"no {'baseline' if baseline is None else 'target'} value, so progress cannot be measured"
    elif latest is None:
        status, text = "unknown", "no review with an actual value is logged yet"
    elif target == baseline:
        status, text = "unknown", "the target equals the baseline, so progress cannot be measured"
    else:
        share = progress_share(baseline, target, latest.actual)
        if period_start and due and due > period_start:
            elapsed = (latest.date - period_start).days / (due - period_start).days
            expected = round(min(1.0, max(0.0, elapsed)), 4)
        elapsed_text = f"{_pct(expected)} of the time to the due date had passed" if expected is not None else ""
        if share >= 1:
            status, text = "reached", "the latest actual is at or beyond the target"
        elif share < 0:
            status, text = "moving_away", "the latest actual is on the wrong side of the baseline"
        elif expected is not None and share < expected:
            status, text = "behind", f"behind a straight path to the target: {elapsed_text}"
        else:
            status, text = "on_track", (f"at or ahead of a straight path to the target: {elapsed_text}" if elapsed_text
                                        else "between baseline and target")
    return {
        "id": kpi.id or f"kpis[{kpi.path[-1] if kpi.path else '?'}]",
        "name": kpi.name,
        "unit": kpi.unit,
        "direction": kpi.direction,
        "objective": kpi.objective,
        "baseline": {"value": _number(baseline), "period": _iso(kpi.baseline.period)} if baseline is not None else None,
        "target": {"value": _number(target), "due": _iso(due)} if target is not None else None,
        "reviews": [{"date": r.date.isoformat(), "actual": _number(r.actual), "note": r.note} for r in reviews],
        "latest": {"date": latest.date.isoformat(), "actual": _number(latest.actual)} if latest else None,
        "share": share,
        "expected_share": expected,
        "status": status,
        "status_text": text,
    }


def _fmt(value: float | None) -> str:
    """A value for a sentence: ``5.6``, ``62,400,000,000``."""
    if value is None:
        return "?"
    value = _number(value)
    return f"{value:,}" if isinstance(value, int) else f"{value:,.6g}"


def _pct(share: float) -> str:
    """``0.4567`` -> ``"46%"``."""
    return f"{share * 100:.0f}%"


# --- the goal tree -----------------------------------------------------------

def _object_counts(findings: list[Finding]) -> dict[tuple[str, str], list[int]]:
    """``(node kind, object id) -> [active findings, suppressed findings]``."""
    counts: dict[tuple[str, str], list[int]] = {}
    for f in findings:
        section = f.pointer.split("/")[1] if f.pointer.count("/") >= 2 else ""
        kind = _SECTION_KINDS.get(section)
        if kind and f.object_id:
            entry = counts.setdefault((kind, f.object_id), [0, 0])
            entry[0 if f.active else 1] += 1
    return counts


def goal_tree(plan, strategy_goals: list, findings: list[Finding]) -> dict:
    """The goal tree of a plan as nodes and edges (the SVG is drawn from this).

    Args:
        plan: A :class:`kpi_policies.models.KpiPlan`.
        strategy_goals: Goals of the strategy the plan names (``[]`` when none is found).
        findings: The plan file's findings (to mark the nodes that have some).

    Returns:
        ``{"nodes": [{"key", "kind": "goal"|"objective"|"kpi"|"initiative",
        "id", "title", "source": "plan"|"strategy", "placeholder": bool (a
        goal or objective that is named but missing, or not named at all),
        "findings": active count, "suppressed": count}], "edges": [{"from",
        "to", "kind": "serves" (objective -> goal), "measures" (KPI ->
        objective), "drives" (driver KPI -> KPI), "moves" (initiative -> KPI)}]}``.
        Goals of the strategy appear only when an objective of the plan serves them.
    """
    counts = _object_counts(findings)
    nodes: dict[str, dict] = {}
    edges: list[dict] = []

    def add(kind: str, ident: str, title: str | None, source: str = "plan", placeholder: bool = False) -> str:
        key = f"{kind}:{ident}" if not placeholder else f"{kind}:?{ident}"
        if key not in nodes:
            active, waived = counts.get((kind, ident), [0, 0]) if not placeholder else (0, 0)
            nodes[key] = {"key": key, "kind": kind, "id": ident, "title": title or "", "source": source,
                          "placeholder": placeholder, "findings": active, "suppressed": waived}
        return key

    def label(item, section: str) -> str:
        return item.id or f"{section}[{item.path[-1] if item.path else '?'}]"

    own_goals = {g.id for g in plan.goals if g.id}
    for goal in plan.goals:
        add("goal", label(goal, "goals"), goal.title)
    by_id = {g.id: g for g in strategy_goals if g.id}
    objective_ids = set()
    for objective in plan.objectives:
        key = add("objective", label(objective, "objectives"), objective.title)
        objective_ids.add(objective.id)
        if objective.goal and objective.goal in own_goals:
            target = f"goal:{objective.goal}"
        elif objective.goal and objective.goal in by_id:
            target = add("goal", objective.goal, by_id[objective.goal].title, source="strategy")
        elif objective.goal:
            target = add("goal", objective.goal, "unknown goal: not in the plan or its strategy", placeholder=True)
        else:
            target = add("goal", "none", "no business goal named", placeholder=True)
        edges.append({"from": key, "to": target, "kind": "serves"})
    kpi_ids = {k.id for k in plan.kpis if k.id}
    for kpi in plan.kpis:
        key = add("kpi", label(kpi, "kpis"), kpi.name)
        if kpi.objective and kpi.objective in objective_ids:
            target = f"objective:{kpi.objective}"
        else:
            ident = kpi.objective or "none"
            target = add("objective", ident, "unknown objective: not in the plan" if kpi.objective else "no objective named",
                         placeholder=True)
            if "goal:?none" not in nodes:
                add("goal", "none", "no business goal named", placeholder=True)
            if not any(e["from"] == target for e in edges):
                edges.append({"from": target, "to": "goal:?none", "kind": "serves"})
        edges.append({"from": key, "to": target, "kind": "measures"})
    for kpi in plan.kpis:
        for driver in kpi.drivers:
            if driver in kpi_ids and kpi.id:
                edges.append({"from": f"kpi:{driver}", "to": f"kpi:{kpi.id}", "kind": "drives"})
    for initiative in plan.initiatives:
        key = add("initiative", label(initiative, "initiatives"), initiative.title)
        for kpi_id in dict.fromkeys(initiative.kpis):
            if kpi_id in kpi_ids:
                edges.append({"from": key, "to": f"kpi:{kpi_id}", "kind": "moves"})
    return {"nodes": list(nodes.values()), "edges": edges}


# --- rule outcomes -----------------------------------------------------------

def _rule_docs(engine) -> dict[str, dict]:
    """Rule id -> ``{"id", "name", "family", "severity", "summary", "rationale"}`` for every rule the engine knows."""
    out = {}
    for rule_id, rule in engine.rules.items():
        out[rule_id] = {"id": rule_id, "name": rule.name, "family": rule.family(), "severity": rule.severity.value,
                        "summary": rule.summary(), "rationale": " ".join(rule.rationale().split()) or rule.summary()}
    return out


def _not_applicable_note(rule_id: str, fr: FileResult, engine, has_model: bool) -> str:
    """Why a rule did not judge a file, in a few words."""
    rule = engine.rules.get(rule_id)
    if not engine.view(rule_id, fr.path).enabled:
        return "turned off for this file by the policy"
    if rule is None:
        return "not a rule of this run"
    family = rule.family()
    if fr.kind in ("Policy", "Baseline"):
        return f"the {fr.kind.lower()} file is only judged for its waivers"
    if rule_id == "SU005":
        return "judges the baseline file, when one is given"
    if family == "SU":
        return "the file has no suppression comment"
    if fr.kind is None:
        return "the file could not be read far enough" if family in ("S", "GL", "FE", "MT", "RC", "KF") else "not run"
    if rule.kinds and fr.kind not in rule.kinds:
        return f"judges {' and '.join(rule.kinds)} files, not {fr.kind}"
    if not has_model:
        return "the file could not be read into its model"
    return "not run on this file"


def rule_outcomes(fr: FileResult, rule_ids: list[str], engine, has_model: bool = True) -> list[dict]:
    """Every rule's outcome on one file.

    A rule ``fail``s with an active finding, is ``suppressed`` when all its
    findings are waived, ``pass``es when it judged the file and found nothing,
    and is ``not_applicable`` when it did not judge the file (another kind of
    file, turned off by an override, or the file could not be read that far).

    Args:
        fr: The file's result.
        rule_ids: The rules to report, in order (the run's rules plus any with findings).
        engine: The engine of the run (for rule names and per-file settings).
        has_model: False when the document could not be read into its model.

    Returns:
        ``[{"id", "name", "outcome", "severity" (effective, for this file),
        "enforcement", "findings" (active), "suppressed", "note"}]``.
    """
    by_rule: dict[str, list[Finding]] = {}
    for f in fr.findings:
        by_rule.setdefault(f.rule_id, []).append(f)
    evaluated = set(fr.rules_evaluated)
    out = []
    for rule_id in rule_ids:
        found = by_rule.get(rule_id, [])
        active = [f for f in found if f.active]
        if active:
            outcome, note = "fail", ""
        elif found:
            outcome, note = "suppressed", "every finding is waived"
        elif rule_id in evaluated:
            outcome, note = "pass", ""
        else:
            outcome, note = "not_applicable", _not_applicable_note(rule_id, fr, engine, has_model)
        view = engine.view(rule_id, fr.path)
        rule = engine.rules.get(rule_id)
        out.append({"id": rule_id, "name": rule.name if rule else (found[0].rule_name if found else ""),
                    "outcome": outcome, "severity": (found[0].severity if found else view.severity).value,
                    "enforcement": found[0].enforcement if found else view.enforcement,
                    "findings": len(active), "suppressed": len(found) - len(active), "note": note})
    return out


# --- suppression register ----------------------------------------------------

def _waived_by(kind: str, file: str, line: int) -> tuple[dict | None, str]:
    """``(person, how we know)`` for a waiver, from git."""
    from kpi_policies.report import audit_git

    if not file or not os.path.isfile(file):
        return None, "the file holding the waiver is not available"
    person = audit_git.last_author(file) if kind == "baseline" else audit_git.blame_line(file, line)
    if person is not None:
        return person, f"{person['source']} of {os.path.basename(file)}" + ("" if kind == "baseline" else f" line {line}")
    change = audit_git.last_change(file)
    if change is None:
        return None, "not in a git repository: who wrote it is unknown"
    return None, "not committed yet: who wrote it is unknown until it is"


def suppression_register(result: RunResult, as_of: dt.date, display=lambda p: p) -> list[dict]:
    """Every waiver that suppressed at least one finding, with the findings it waived.

    Args:
        result: The run.
        as_of: The as-of date expiries are counted from.
        display: Maps a file path to the form the report shows.

    Returns:
        ``[{"kind": "inline"|"policy"|"baseline", "rules", "reason", "until",
        "expires_in_days": int | None, "expiring_soon": bool (within
        :data:`EXPIRY_WARNING_DAYS` days of ``as_of``), "file", "line",
        "waived_by": {"name", "email", "date", "commit", "summary", "source"} | None,
        "waived_by_note", "findings": [{"file", "line", "rule_id", "plan_id",
        "object_id", "message"}]}]``, soonest expiry first, then by file and line.
    """
    groups: dict[tuple, dict] = {}
    for f in result.findings:
        s = f.suppression
        if not s:
            continue
        key = (s.get("kind"), s.get("file"), s.get("line"), tuple(s.get("rules") or ()), s.get("reason"), s.get("until"))
        entry = groups.get(key)
        if entry is None:
            until = s.get("until")
            days = (dt.date.fromisoformat(until) - as_of).days if until else None
            person, note = _waived_by(s.get("kind"), s.get("file"), s.get("line") or 1)
            entry = groups[key] = {
                "kind": s.get("kind"), "rules": list(s.get("rules") or ()), "reason": s.get("reason"), "until": until,
                "expires_in_days": days, "expiring_soon": days is not None and 0 <= days <= EXPIRY_WARNING_DAYS,
                "file": display(s.get("file") or ""), "line": s.get("line"),
                "waived_by": person, "waived_by_note": note, "findings": []}
        entry["findings"].append({"file": f.file, "line": f.line, "rule_id": f.rule_id, "plan_id": f.plan_id,
                                  "object_id": f.object_id, "message": f.message})
    return sorted(groups.values(), key=lambda e: (e["until"] is None, e["until"] or "", e["file"], e["line"] or 0))


# --- evidence ----------------------------------------------------------------

def _policy_evidence(engine, display) -> dict:
    """Id, digest, source files (with sha256) and the rules turned off of the effective policy."""
    from kpi_policies.report import audit_git
    from kpi_policies.resources import data_dir

    policy = engine.policy
    builtin = os.path.realpath(str(data_dir("rules")))
    sources = []
    for path in policy.sources:
        real = os.path.realpath(path)
        is_builtin = os.path.dirname(real) == builtin
        digest, _size = sha256_of(path)
        sources.append({"path": f"built-in:{os.path.basename(real)}" if is_builtin else display(path),
                        "builtin": is_builtin, "sha256": digest,
                        "git": None if is_builtin or digest is None else audit_git.last_change(path)})
    return {"id": policy.id, "digest": f"sha256:{policy.digest}", "sources": sources, "plugins": list(policy.plugins),
            "rules_off": [r for r in engine.rules if not engine.view(r).enabled]}


def _file_evidence(fr: FileResult) -> dict:
    """sha256, size and git history of one file of the run."""
    from kpi_policies.report import audit_git

    digest, size = sha256_of(fr.path)
    return {"path": fr.path, "kind": fr.kind, "id": fr.doc_id, "sha256": digest, "size": size,
            "git": audit_git.last_change(fr.path) if digest else None}


def _baseline_evidence(path: str | None, display) -> dict | None:
    """sha256 and git history of the baseline file a run used, or ``None`` without one."""
    from kpi_policies.report import audit_git

    if not path:
        return None
    digest, size = sha256_of(path)
    return {"path": display(path), "sha256": digest, "size": size, "git": audit_git.last_change(path) if digest else None}


# --- the whole report --------------------------------------------------------

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
        "rules": rules, "findings": findings, "goals": [], "tree": None, "kpis": [],
    }
    if model is not None and fr.kind == "KpiPlan":
        strategy_goals = []
        if model.metadata.strategy:
            entry = index.strategy(model.metadata.strategy, fr.path)
            strategy_goals = list(entry.model.goals) if entry is not None else []
        out["tree"] = goal_tree(model, strategy_goals, fr.findings)
        start = model.metadata.period.start if model.metadata.period else None
        out["kpis"] = [kpi_progress(k, start) for k in model.kpis]
    elif model is not None and fr.kind == "Strategy":
        counts = _object_counts(fr.findings)
        out["goals"] = [{"id": g.id, "title": g.title, "type": g.type, "findings": counts.get(("goal", g.id), [0, 0])[0]}
                        for g in model.goals]
    return out


def build_report(result: RunResult, engine, *, reproducible: bool = False, now: dt.datetime | None = None,
                 documents: dict | None = None, root: str | None = None, baseline: str | None = None) -> dict:
    """Collect the audit report of a run as plain, JSON-ready data.

    Args:
        result: What ``engine.run(...)`` returned.
        engine: The :class:`~kpi_policies.engine.Engine` that made ``result``
            (its policy, rules and per-file settings are part of the evidence).
        reproducible: Leave the generation time out (``generated_at: null``), so
            the same inputs always give the same report, byte for byte.
        now: The generation time (default: the current time, UTC, to the second).
        documents: Already-loaded documents by path, as given to ``engine.run``
            (files are read from disk otherwise).
        root: Folder that policy and waiver paths are shown relative to
            (default: the repository root of the working folder).
        baseline: The baseline file the run used, if any (its sha256 and last
            commit become evidence too).

    Returns:
        A dict in the shape of ``schemas/audit-report.schema.json``.
    """
    from kpi_policies.index import Entry, Index
    from kpi_policies.report.paths import repo_relative, workspace_root

    root = root or workspace_root()

    def display(path: str) -> str:
        return repo_relative(path, root) if path else path

    documents = documents or {}
    as_of = dt.date.fromisoformat(result.as_of)
    rule_docs = _rule_docs(engine)
    order = list(engine.rules)
    rule_ids = list(dict.fromkeys(result.rules_run + [f.rule_id for f in result.findings]))
    rule_ids.sort(key=lambda r: order.index(r) if r in order else len(order))
    loaded = {}
    index = Index()
    for fr in result.files:
        if fr.kind in ("KpiPlan", "Strategy") and (fr.path in documents or os.path.isfile(fr.path)):
            item = engine.load(fr.path, documents.get(fr.path))
            loaded[fr.path] = item
            if item.model is not None and item.model.metadata.id:
                index.add(Entry(fr.kind, item.model.metadata.id, fr.path, item.model, item.document))
    docs = [_document(fr, loaded.get(fr.path), engine, rule_ids, rule_docs, index) for fr in result.files]
    register = suppression_register(result, as_of, display)
    generated = None
    if not reproducible:
        generated = (now or dt.datetime.now(dt.timezone.utc)).replace(microsecond=0).isoformat()
    from kpi_policies.report import audit_git

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


def render(report: dict, fmt: str) -> str:
    """The report in ``fmt``: ``json`` (the data itself), ``html`` or ``markdown``.

    Raises:
        ValueError: for another format name.
    """
    if fmt == "json":
        import json

        return json.dumps(report, ensure_ascii=False, indent=2) + "\n"
    if fmt == "html":
        from kpi_policies.report.audit_html import render_html

        return render_html(report)
    if fmt == "markdown":
        from kpi_policies.report.audit_markdown import render_markdown

        return render_markdown(report)
    raise ValueError(f"unknown audit report format {fmt!r}; use html, json or markdown")


# --- the command -------------------------------------------------------------

@click.command(name="report")
@click.argument("paths", nargs=-1, type=click.Path())
@click.option("--format", "fmt", type=click.Choice(["html", "json", "markdown"]), default="html", show_default=True,
              help="html: one self-contained page with pictures; json: the same as data "
                   "(schemas/audit-report.schema.json); markdown: a short version for a wiki or pull request.")
@click.option("--output", "-o", type=click.Path(dir_okay=False), default=None,
              help="Write the report to this file (default: standard output).")
@click.option("--as-of", type=IsoDate(), default=None,
              help="Judge time-dependent rules and waiver expiries as of this day. Default: today.")
@click.option("--policy", "policy_path", default=None,
              help="A policy pack (kind: Policy) or built-in pack name (recommended, strict). "
                   "Default: the project configuration's, else recommended.")
@click.option("--baseline", "baseline_path", type=click.Path(dir_okay=False), default=None,
              help="Count the findings recorded in this baseline file as waived (default: the configured baseline).")
@click.option("--reproducible", is_flag=True,
              help="Leave the generation time out, so the same inputs give a byte-identical report.")
def report_command(paths, fmt, output, as_of, policy_path, baseline_path, reproducible) -> None:
    """Write an audit report: evidence, rule outcomes, findings, waivers and KPI progress.

    PATHS are files or folders as for `check` (default: the project
    configuration's paths, else the repository's plans/ folder). The report
    names the kpi-policies version, the policy and its digest, the as-of date,
    each file's sha256 and last commit; every rule's outcome on every plan;
    each finding with the lines around it; every waiver with who wrote it and
    when it expires; the goal tree and the progress of every KPI.

    Exit 0 when the report is written (whatever it found), 2 on a usage or
    configuration error.

    \b
    Examples:
      kpi-policies report plans/ --format html --output report.html
      kpi-policies report --format json --reproducible --output audit.json
    """
    _, files, engine, baseline = prepare_run(paths, as_of, policy_path, baseline_path)
    result = engine.run(files, baseline=baseline)
    text = render(build_report(result, engine, reproducible=reproducible, baseline=baseline.path if baseline else None), fmt)
    emit(text, output)
    if output:
        click.echo(f"wrote {output}", err=True)
