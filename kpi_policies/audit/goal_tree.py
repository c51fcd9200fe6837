"""The goal tree of a plan as nodes and edges: goals, objectives, KPIs, drivers, initiatives."""

from __future__ import annotations

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
