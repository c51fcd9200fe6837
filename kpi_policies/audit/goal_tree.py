"""The goal tree of a plan as nodes and edges: goals, objectives, KPIs, drivers, initiatives."""

from __future__ import annotations

from kpi_policies.i18n import _
from kpi_policies.result import Finding

def _object_counts(findings: list[Finding]) -> dict[tuple[str, str], list[int]]:
    """``(node kind, object id) -> [active findings, suppressed findings]``."""
    counts: dict[tuple[str, str], list[int]] = {}
    for f in findings:
        kind = f.location.object_kind
        if kind and f.object_id:
            entry = counts.setdefault((kind, f.object_id), [0, 0])
            entry[0 if f.active else 1] += 1
    return counts


def goal_tree(plan, strategy_goals: list, findings: list[Finding], relations: dict | None = None) -> dict:
    """The goal tree of a plan as nodes and edges (the SVG is drawn from this).

    Args:
        plan: A :class:`kpi_policies.models.KpiPlan`.
        strategy_goals: Goals of the strategy the plan names (``[]`` when none is found).
        findings: The plan file's findings (to mark the nodes that have some).
        relations: What :func:`driver_relations` found, to put operators and
            shares on the driver arcs (``None``: none).

    Returns:
        ``{"nodes": [{"key", "kind": "goal"|"objective"|"kpi"|"initiative",
        "id", "title", "source": "plan"|"strategy", "placeholder": bool (a
        goal or objective that is named but missing, or not named at all),
        "findings": active count, "suppressed": count}], "edges": [{"from",
        "to", "kind": "serves" (objective -> goal), "measures" (KPI ->
        objective), "drives" (driver KPI -> KPI), "moves" (initiative -> KPI)};
        a "drives" edge of a relation also has "operator" (how the driver
        enters it: ×, ÷, + or −) and "share" (its share of the planned
        change, or ``None``)}], "relations": [...] (see :func:`driver_relations`)}``.
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
            target = add("goal", objective.goal, _("unknown goal: not in the plan or its strategy"), placeholder=True)
        else:
            target = add("goal", "none", _("no business goal named"), placeholder=True)
        edges.append({"from": key, "to": target, "kind": "serves"})
    kpi_ids = {k.id for k in plan.kpis if k.id}
    for kpi in plan.kpis:
        key = add("kpi", label(kpi, "kpis"), kpi.name)
        if kpi.objective and kpi.objective in objective_ids:
            target = f"objective:{kpi.objective}"
        else:
            ident = kpi.objective or "none"
            target = add("objective", ident, _("unknown objective: not in the plan") if kpi.objective else _("no objective named"),
                         placeholder=True)
            if "goal:?none" not in nodes:
                add("goal", "none", _("no business goal named"), placeholder=True)
            if not any(e["from"] == target for e in edges):
                edges.append({"from": target, "to": "goal:?none", "kind": "serves"})
        edges.append({"from": key, "to": target, "kind": "measures"})
    arcs = {}
    for item in (relations or []):
        for member in item["members"]:
            arcs[(member["id"], item["kpi"])] = {"operator": member["operator"], "share": member["share"]}
    for kpi in plan.kpis:
        drawn = list(kpi.drivers) + [m for (m, parent) in arcs if parent == kpi.id and m not in kpi.drivers]
        for driver in drawn:
            if driver in kpi_ids and kpi.id:
                edges.append({"from": f"kpi:{driver}", "to": f"kpi:{kpi.id}", "kind": "drives",
                              **arcs.get((driver, kpi.id), {})})
    for initiative in plan.initiatives:
        key = add("initiative", label(initiative, "initiatives"), initiative.title)
        for kpi_id in dict.fromkeys(initiative.kpis):
            if kpi_id in kpi_ids:
                edges.append({"from": key, "to": f"kpi:{kpi_id}", "kind": "moves"})
    return {"nodes": list(nodes.values()), "edges": edges, "relations": list(relations or [])}


def _operator(tree, name: str) -> str:
    """How ``name`` enters the formula: ``×`` (a factor or numerator), ``÷`` (a divisor), ``+`` or ``−``."""
    from kpi_policies import formula as fx

    def go(node, inherited):
        if isinstance(node, fx.Ref):
            return inherited if node.name == name else None
        if isinstance(node, fx.Neg):
            return go(node.operand, "\u2212")
        if isinstance(node, fx.BinOp):
            left = {"+": "+", "-": "+", "*": "\u00d7", "/": "\u00d7"}[node.op]
            right = {"+": "+", "-": "\u2212", "*": "\u00d7", "/": "\u00f7"}[node.op]
            return go(node.left, left if inherited in (None, "+", "\u00d7") else inherited) or \
                go(node.right, right)
        return None
    return go(tree, None) or "\u00d7"


def driver_relations(plan, catalog, policy=None) -> list[dict]:
    """The relations that hold between the plan's KPIs, with implied targets and shares of the planned change.

    Returns:
        ``[{"kpi", "formula" (in words), "origin", "declared_target", "implied_target"
        (``None`` when a value is missing or a divisor is 0), "agrees" (within 2% of
        the planned change, or 0.1% of the target), "members": [{"id", "operator", "share"}]}]``;
        a share is ln(x_T / x_0) / ln(T / B) for products and ratios (log-mean
        Divisia), a driver's change over the total change for sums, ``None`` when
        a value is missing or not positive.
    """
    from kpi_policies import formula as fx
    from kpi_policies import relations as rel

    out = []
    for applied in rel.analyse(plan, catalog, policy).applied:
        parent = applied.parent
        declared = rel.value_of(parent, "target")
        try:
            implied = rel.implied(applied, "target", catalog)
        except fx.Undefined:
            implied = None
        agrees = None
        if implied is not None and declared is not None:
            base = rel.value_of(parent, "baseline")
            change = abs(declared - base) if base is not None else abs(declared)
            agrees = abs(implied - declared) <= max(0.02 * change, 0.001 * abs(declared))
        shares = rel.shares(applied, catalog) or {}
        out.append({
            "kpi": parent.id, "formula": applied.shown(), "origin": applied.origin,
            "declared_target": declared, "implied_target": implied, "agrees": agrees,
            "implied_text": rel.amount(implied, parent, catalog) if implied is not None else None,
            "declared_text": rel.amount(declared, parent, catalog) if declared is not None else None,
            "members": [{"id": m, "operator": _operator(applied.tree, m),
                         "share": shares.get(m)} for m in applied.members],
        })
    return out
