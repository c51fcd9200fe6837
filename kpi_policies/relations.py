"""Which relations hold between a plan's KPIs, and what their numbers imply.

A KPI is related to its drivers in one of two ways (docs/domain.md, "Drivers:
how KPIs combine"):

- its own ``formula:`` over KPI ids of the plan (``KPI-ORDERS * KPI-AOV``);
- a catalog relation of its metric (``revenue = orders * average_order_value``),
  applied when its drivers hold exactly one KPI for every metric the relation
  names. Relations a policy adds count like the catalog's.

Values enter a relation in the KPI's unit, except percent: 2.1 percent enters
as 0.021 (a rate is a ratio). The rules of family DR and the audit report both
read :func:`analyse`.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Iterable

from kpi_policies import formula as fx
from kpi_policies.i18n import _
from kpi_policies.catalog import Catalog, Relation, builtin_catalog

PERCENT_UNITS = {"percent", "%", "pct"}
_PURE_UNITS = {"count", "ratio", "percent", "%", "pct", "times", "x"}
_CURRENCY = re.compile(r"^[A-Za-z]{3}$")
#: Words in a KPI's name, description or source that say its logged actuals are running year-to-date totals.
_YTD = re.compile(r"year[ -]to[ -]date|\bytd\b|lũy kế|luỹ kế", re.I)


@dataclass
class Applied:
    """One relation that holds for a KPI of the plan.

    Attributes:
        parent: The KPI computed.
        tree: The formula over KPI ids.
        members: KPI id -> KPI, for every id the formula names.
        origin: Where the relation comes from, in words ("its formula", "the catalog relation revenue-from-orders").
        path: Where findings about the relation point (the formula, or the drivers).
        formula_text: The formula as written in the plan (for column positions), or ``None``.
    """

    parent: object
    tree: fx.Node
    members: dict
    origin: str
    path: tuple
    formula_text: str | None = None
    labels: dict = field(default_factory=dict)

    def label(self, kpi_id: str) -> str:
        """How a member is named in messages: its metric's name when unambiguous, else its id."""
        return self.labels.get(kpi_id, kpi_id)

    def shown(self) -> str:
        """``orders × average order value``."""
        return fx.show(self.tree, self.label)

    def kind(self) -> str:
        """``product``, ``ratio``, ``sum`` or ``formula``."""
        return fx.kind(self.tree)


@dataclass
class Problem:
    """A formula that cannot be used: where, what, and the column inside the formula."""

    kpi: object
    path: tuple
    message: str
    column: int | None = None


@dataclass
class Partial:
    """A catalog relation the drivers cover only in part."""

    kpi: object
    relation: Relation
    covered: list
    missing: list


@dataclass
class Analysis:
    """Everything :func:`analyse` found in one plan."""

    applied: list = field(default_factory=list)
    problems: list = field(default_factory=list)
    partial: list = field(default_factory=list)


def relations(catalog: Catalog, policy=None) -> list[Relation]:
    """The catalog's relations (the built-in ones when the catalog carries none) plus the policy's.

    A policy relation with the id of a catalog relation replaces it.
    """
    out = list(getattr(catalog, "relations", None) or builtin_catalog().relations)
    for data in getattr(policy, "relations", None) or []:
        try:
            relation = Relation.model_validate(data)
        except Exception:  # load_policy already refused malformed relations
            continue
        out = [r for r in out if r.id != relation.id] + [relation]
    return out


def is_percent(kpi, catalog: Catalog) -> bool:
    """True when the KPI's values are percent (they enter relations divided by 100)."""
    unit = (kpi.unit or "").strip().lower()
    if unit:
        return unit in PERCENT_UNITS
    metric = catalog.get(kpi.metric)
    return metric is not None and metric.unit == "percent"


def scale(kpi, catalog: Catalog) -> float:
    """Factor from the KPI's written values to the values a relation uses."""
    return 0.01 if is_percent(kpi, catalog) else 1.0


def dimension(kpi, catalog: Catalog) -> dict | None:
    """The KPI's unit for unit algebra: ``{'VND': 1}`` for a currency, ``{}`` for counts and rates, ``None`` if unknown."""
    unit = (kpi.unit or "").strip()
    low = unit.lower()
    if not unit:
        metric = catalog.get(kpi.metric)
        if metric is None or metric.unit == "currency":
            return None
        unit = low = metric.unit
    if low in _PURE_UNITS:
        return {}
    if low in ("score", "days", "day"):
        return {"days" if low.startswith("day") else "score": 1}
    metric = catalog.get(kpi.metric)
    if _CURRENCY.match(unit) and (metric.unit == "currency" if metric is not None else unit.isupper()):
        return {unit.upper(): 1}  # a currency code (VND, USD); "pcs" is a count
    return {}


def is_year_to_date(kpi) -> bool:
    """True when the plan says the KPI's actuals are running totals for the year so far."""
    texts = [kpi.name, kpi.description]
    if kpi.measurement is not None:
        texts.append(kpi.measurement.source)
    return any(t and _YTD.search(t) for t in texts)


def metric_label(metric_id: str) -> str:
    """How a metric is named in messages: ``average_order_value`` -> ``average order value``."""
    return metric_id.replace("_", " ")


def _labels(members: dict, parent, catalog: Catalog) -> dict:
    """Member id -> its metric (in words) when no other member shares the metric."""
    metrics = [getattr(k, "metric", None) for k in members.values()]
    out = {}
    for kpi_id, kpi in members.items():
        if kpi.metric and catalog.get(kpi.metric) is not None and metrics.count(kpi.metric) == 1 and kpi.metric != parent.metric:
            out[kpi_id] = metric_label(kpi.metric)
    return out


def relation_text(relation: Relation) -> str:
    """``revenue = orders × average order value``."""
    try:
        return f"{metric_label(relation.metric)} = {fx.show(relation.tree(), metric_label)}"
    except fx.FormulaError:
        return f"{relation.metric} = {relation.formula}"


def is_outcome(metric_id: str | None, catalog: Catalog, policy=None) -> bool:
    """True for lagging results: a metric a product or sum computes (revenue, orders), or a cost ratio (ROAS, cost per order)."""
    metric = catalog.get(metric_id)
    for relation in relations(catalog, policy):
        if relation.metric != metric_id:
            continue
        try:
            kind = fx.kind(relation.tree())
        except fx.FormulaError:
            continue
        if kind in ("product", "sum") or (metric is not None and "cost_efficiency" in metric.goal_types):
            return True
    return False


def analyse(plan, catalog: Catalog, policy=None) -> Analysis:
    """The relations that hold between the plan's KPIs, the formulas that cannot be read, and the partial ones."""
    result = Analysis()
    kpis = {k.id: k for k in getattr(plan, "kpis", []) if k.id}
    known = relations(catalog, policy)
    for kpi in kpis.values():
        if isinstance(kpi.formula, str) and kpi.formula.strip():
            _from_formula(kpi, kpis, catalog, result)
            continue
        if not kpi.metric:
            continue
        drivers = [kpis[d] for d in kpi.drivers if d in kpis and d != kpi.id]
        for relation in known:
            if relation.metric != kpi.metric:
                continue
            try:
                tree = relation.tree()
            except fx.FormulaError:
                continue
            needed = fx.names(tree)
            chosen, missing = {}, []
            for metric_id in needed:
                matches = [d for d in drivers if d.metric == metric_id]
                if len(matches) == 1:
                    chosen[metric_id] = matches[0]
                elif not matches:
                    missing.append(metric_id)
            if not missing and len(chosen) == len(needed):
                renamed = _rename(tree, {m: k.id for m, k in chosen.items()})
                members = {k.id: k for k in chosen.values()}
                from_policy = relation not in (getattr(catalog, "relations", None) or builtin_catalog().relations)
                where = (_("the policy relation {id}") if from_policy else _("the catalog relation {id}")).format(id=relation.id)
                result.applied.append(Applied(kpi, renamed, members, where, kpi.path + ("drivers",),
                                              labels=_labels(members, kpi, catalog)))
            elif chosen and missing:
                result.partial.append(Partial(kpi, relation, list(chosen.values()), missing))
    return result


def _from_formula(kpi, kpis: dict, catalog: Catalog, result: Analysis) -> None:
    path = kpi.path + ("formula",)
    try:
        tree = fx.parse(kpi.formula)
    except fx.FormulaError as exc:
        result.problems.append(Problem(kpi, path, _("the formula of KPI {kpi} cannot be read at column {column}: {error}").format(
            kpi=kpi.id, column=exc.column, error=exc.message),
                                       exc.column))
        return
    for ref in fx.refs(tree):
        if ref.name == kpi.id:
            result.problems.append(Problem(kpi, path, _("the formula of KPI {kpi} uses KPI {kpi} itself (column {column})").format(kpi=kpi.id, column=ref.column),
                                           ref.column))
            return
        if ref.name not in kpis:
            from kpi_policies.schema import did_you_mean

            result.problems.append(Problem(kpi, path, _("the formula of KPI {kpi} uses '{name}' (column {column}), which is not a KPI "
                                                        "of this plan").format(kpi=kpi.id, name=ref.name, column=ref.column)
                                           + did_you_mean(ref.name, list(kpis))
                                           + _("; a formula names KPIs of the plan and numbers only"), ref.column))
            return
    members = {n: kpis[n] for n in fx.names(tree)}
    if not members:
        result.problems.append(Problem(kpi, path, _("the formula of KPI {kpi} names no KPI: it is a constant, not a relation").format(kpi=kpi.id), 1))
        return
    result.applied.append(Applied(kpi, tree, members, _("its formula"), path, formula_text=kpi.formula,
                                  labels=_labels(members, kpi, catalog)))


def _rename(node: fx.Node, mapping: dict) -> fx.Node:
    if isinstance(node, fx.Ref):
        return fx.Ref(mapping.get(node.name, node.name), node.column)
    if isinstance(node, fx.Neg):
        return fx.Neg(_rename(node.operand, mapping), node.column)
    if isinstance(node, fx.BinOp):
        return fx.BinOp(node.op, _rename(node.left, mapping), _rename(node.right, mapping), node.column)
    return node


# --- numbers -----------------------------------------------------------------

def value_of(kpi, which: str):
    """The KPI's ``baseline`` or ``target`` value as written, or ``None``."""
    obj = getattr(kpi, which, None)
    return getattr(obj, "value", None) if obj is not None else None


def values(applied: Applied, which: str, catalog: Catalog) -> dict:
    """Member id -> its ``baseline`` or ``target`` value as the relation uses it (percent as ratio; ``None`` if absent)."""
    out = {}
    for kpi_id, kpi in applied.members.items():
        raw = value_of(kpi, which)
        out[kpi_id] = None if raw is None else raw * scale(kpi, catalog)
    return out


def implied(applied: Applied, which: str, catalog: Catalog) -> float:
    """What the members' baselines or targets imply for the parent, in the parent's written unit.

    Raises:
        formula.Undefined: a value is missing, or a divisor is 0.
    """
    result = fx.evaluate(applied.tree, values(applied, which, catalog))
    return result / scale(applied.parent, catalog)


def back_solve(applied: Applied, catalog: Catalog) -> list[tuple]:
    """For each member: the target that alone makes the relation reach the parent's target.

    Returns:
        ``(kpi, needed value in its unit)`` pairs, the smallest change over the
        driver's baseline first; members that cannot reach it are left out.
    """
    parent_target = value_of(applied.parent, "target")
    if parent_target is None:
        return []
    goal = parent_target * scale(applied.parent, catalog)
    current = values(applied, "target", catalog)
    out = []
    order = list(getattr(applied.parent, "drivers", []) or [])
    for position, (kpi_id, kpi) in enumerate(applied.members.items()):
        needed = fx.solve(applied.tree, goal, kpi_id, current)
        if needed is None or not math.isfinite(needed):
            continue
        needed /= scale(kpi, catalog)
        if needed < 0 or (is_percent(kpi, catalog) and needed > 100):
            continue
        base = value_of(kpi, "baseline")
        now = value_of(kpi, "target")
        # the smallest change asked of a driver over its baseline first
        change = abs(needed / base - 1) if base else (abs(needed / now - 1) if now else math.inf)
        rank = order.index(kpi_id) if kpi_id in order else len(order) + position
        out.append((round(change, 6), rank, kpi, needed))
    out.sort(key=lambda t: (t[0], t[1]))
    return [(kpi, needed) for _, _, kpi, needed in out]


def log_shares(applied: Applied, catalog: Catalog) -> dict | None:
    """Each member's share of the parent's planned change: ln(x_T / x_0) / ln(T / B) (log-mean Divisia, Ang 2005).

    Only for products and ratios (a divisor's share counts against); ``None``
    when a baseline or target is missing or not positive, or the parent does not change.
    """
    if applied.kind() not in ("product", "ratio"):
        return None
    base = values(applied, "baseline", catalog)
    goal = values(applied, "target", catalog)
    if any(v is None or v <= 0 for v in [*base.values(), *goal.values()]):
        return None
    b, t = _parent_change(applied, base, goal, catalog)
    if b is None or t is None or b <= 0 or t <= 0 or math.isclose(b, t, rel_tol=1e-12):
        return None
    total = math.log(t / b)
    return {kpi_id: fx.sign(applied.tree, kpi_id) * math.log(goal[kpi_id] / base[kpi_id]) / total for kpi_id in applied.members}


def _parent_change(applied: Applied, base: dict, goal: dict, catalog: Catalog) -> tuple:
    """The parent's baseline and target as the relation uses them: as declared, else as its drivers imply.

    The declared ones make the shares add up to the part of the planned change
    the drivers carry (less than 100% when their targets fall short).
    """
    out = []
    for which, values_ in (("baseline", base), ("target", goal)):
        declared = value_of(applied.parent, which)
        if declared is not None:
            out.append(declared * scale(applied.parent, catalog))
            continue
        try:
            out.append(fx.evaluate(applied.tree, values_))
        except fx.Undefined:
            out.append(None)
    return tuple(out)


def sum_shares(applied: Applied, catalog: Catalog) -> dict | None:
    """For sums: each member's share of the parent's planned change (its change over the total change)."""
    if applied.kind() != "sum":
        return None
    base = values(applied, "baseline", catalog)
    goal = values(applied, "target", catalog)
    if any(v is None for v in [*base.values(), *goal.values()]):
        return None
    changes = {k: fx.sign(applied.tree, k) * (goal[k] - base[k]) for k in applied.members}
    b, t = _parent_change(applied, base, goal, catalog)
    if b is None or t is None or t == b:
        return None
    total = t - b
    return {k: c / total for k, c in changes.items()}


def shares(applied: Applied, catalog: Catalog) -> dict | None:
    """Each member's share of the planned change (log shares for products and ratios, plain shares for sums)."""
    return log_shares(applied, catalog) or sum_shares(applied, catalog)


# --- showing numbers ---------------------------------------------------------

def amount(value: float, kpi=None, catalog: Catalog | None = None, unit: bool = True, digits: int = 1) -> str:
    """A figure as a marketing head reads it: ``51.9 bn VND``, ``84,000``, ``2.4%``."""
    written = (getattr(kpi, "unit", None) or "").strip() if kpi is not None else ""
    percent = kpi is not None and catalog is not None and is_percent(kpi, catalog)
    size = abs(value)
    if percent:
        text = f"{value:.{max(digits, 1)}f}".rstrip("0").rstrip(".") + "%"
        return text
    if size >= 1e9:
        text = f"{value / 1e9:,.{digits}f} bn"
    elif size >= 1e6:
        text = f"{value / 1e6:,.{digits}f} m"
    elif float(value).is_integer() or size >= 1000:
        text = f"{value:,.0f}"
    else:
        text = f"{value:,.{max(digits, 2)}f}".rstrip("0").rstrip(".")
    if unit and written and written.lower() not in _PURE_UNITS and not percent:
        text += f" {written}"
    return text


def two_amounts(a: float, b: float, kpi, catalog: Catalog) -> tuple[str, str]:
    """``a`` with its unit and ``b`` without, with just enough digits to tell them apart."""
    for digits in (1, 2, 3, 4):
        first, second = amount(a, kpi, catalog, True, digits), amount(b, kpi, catalog, False, digits)
        if first.split(" ")[0] != second.split(" ")[0] or a == b:
            return first, second
    return first, second


def iter_year_to_date(kpis: Iterable) -> bool:
    """True when any of these KPIs logs year-to-date actuals."""
    return any(is_year_to_date(k) for k in kpis)
