"""KF, KPI fit: the KPI's metric, direction and unit fit each other and the goal served.

docs/domain.md mistake 4: the wrong KPI for the objective (a vanity metric as the
only KPI of a sales objective, a cost KPI whose direction says "increase").
Metric facts come from the built-in catalog (``rules/metrics.yaml``).
"""

from __future__ import annotations

from kpi_policies.i18n import N_, _
from kpi_policies.result import Severity
from kpi_policies.rules.base import Context, Rule, Violation, is_blank, kpi_label
from kpi_policies.units import is_currency_code, unit_hint

_PERCENT = {"percent", "%", "pct", "percentage"}
_RATIO = {"ratio", "x", "times"}
_SCORE = {"score", "points", "nps"}
_DAYS = {"days", "day"}


def unit_kind(unit: str) -> str:
    """Classify a KPI's unit: ``currency`` (a code of the ISO 4217 list, or "currency"),
    ``percent``, ``ratio``, ``score``, ``days`` or ``count`` (anything else: count, orders, users...).

    ``NPS`` is a score, not a currency: only codes of the ISO 4217 list count as money.
    """
    u = unit.strip()
    for kind, words in (("percent", _PERCENT), ("ratio", _RATIO), ("score", _SCORE), ("days", _DAYS)):
        if u.lower() in words:
            return kind
    if is_currency_code(u) or u.lower() == "currency":
        return "currency"
    return "count"


#: metric unit kind -> unit kinds a KPI may use for it
_UNIT_FITS = {
    "currency": {"currency"},
    "count": {"count"},
    "percent": {"percent"},
    "ratio": {"ratio", "percent"},  # ROAS is written as a ratio or a percent (docs/domain.md)
    "score": {"score", "count"},
    "days": {"days"},
}


#: Words of the messages (English; shown through ``_``).
DIRECTION_WORDS = {"increase": N_("increase"), "decrease": N_("decrease"), "maintain": N_("maintain")}
BETTER_WORDS = {"higher": N_("higher"), "lower": N_("lower")}

class UnknownMetric(Rule):
    """KPI's metric is not in the metric catalog.

    ## Why it matters
    The catalog knows each standard metric's formula, unit, better direction,
    the goals it serves and the tools that measure it (docs/domain.md, "Standard
    KPI facts"); the other KF rules and MT003 can only judge a KPI whose
    `metric` is a catalog id. A warning: a company may track its own metrics.

    ## Fails
    ```yaml
    kpis:
      - id: KPI-CONVERSION
        metric: conversions_rate
    ```

    ## Passes
    ```yaml
    kpis:
      - id: KPI-CONVERSION
        metric: conversion_rate
    ```
    """

    id = "KF001"
    name = "kpi-fit.unknown-metric"
    severity = Severity.WARNING

    def check(self, ctx: Context, params):
        for kpi in ctx.kpis():
            if is_blank(kpi.metric):
                yield Violation(kpi.path, _("KPI {kpi} names no catalog metric (`metric`), so its fit cannot be judged").format(kpi=kpi_label(kpi)),
                                missing=kpi.path + ("metric",))
            elif kpi.metric not in ctx.catalog.metrics:
                guess = ctx.catalog.suggest(kpi.metric)
                hint = (_(" (did you mean '{guess}'?)").format(guess=guess) if guess else _("; `kpi-policies metrics` lists the catalog"))
                yield Violation(kpi.path + ("metric",), _("metric '{metric}' of KPI {kpi} is not in the metric catalog").format(metric=kpi.metric, kpi=kpi.id) + hint)


class DirectionAgainstMetric(Rule):
    """KPI's direction goes against its metric's better direction.

    ## Why it matters
    Costs per click, view or acquisition, churn and CAC are better when lower;
    revenue, conversion rate and reach when higher (docs/domain.md, "Standard KPI
    facts"). A cost KPI whose direction says "increase" rewards waste
    (mistake 4). `maintain` is never judged here.

    ## Fails
    ```yaml
    kpis:
      - id: KPI-CONVERSION
        direction: decrease        # a conversion rate is better higher
    ```

    ## Passes
    ```yaml
    kpis:
      - id: KPI-CONVERSION
        direction: increase
    ```
    """

    id = "KF002"
    name = "kpi-fit.direction-against-metric"
    severity = Severity.ERROR

    def check(self, ctx: Context, params):
        for kpi in ctx.kpis():
            metric = ctx.catalog.get(kpi.metric)
            if metric is None or kpi.direction not in ("increase", "decrease"):
                continue
            wanted = "increase" if metric.better == "higher" else "decrease"
            if kpi.direction != wanted:
                yield Violation(kpi.path + ("direction",),
                                _("KPI {kpi} is set to {direction}, but {metric} is better {better}: use `direction: {wanted}`").format(
                                    kpi=kpi.id, direction=_(DIRECTION_WORDS.get(kpi.direction, kpi.direction)), metric=metric.name,
                                    better=_(BETTER_WORDS.get(metric.better, metric.better)), wanted=wanted))


class UnitMismatch(Rule):
    """KPI's unit does not fit its metric.

    ## Why it matters
    A target is a number with a unit (docs/domain.md, step 3), and the unit must be
    the metric's: a currency code of the ISO 4217 list (VND, USD) for revenue
    and costs, `percent` for rates, `count` for orders or users, `ratio` or
    `percent` for ROAS, `score` for NPS. A KPI with no unit cannot be read.
    A currency written as a symbol or in words (`₫`, `đồng`, `VNĐ`) or with a
    scale (`tỷ VND`, `triệu đồng`) is answered with the form to write: the
    code, and the amounts in full (70 tỷ is 70000000000).

    ## Fails
    ```yaml
    kpis:
      - id: KPI-CONVERSION
        unit: VND                  # a conversion rate is a percent
    ```

    ## Passes
    ```yaml
    kpis:
      - id: KPI-CONVERSION
        unit: percent
    ```
    """

    id = "KF003"
    name = "kpi-fit.unit-mismatch"
    severity = Severity.ERROR

    def check(self, ctx: Context, params):
        for kpi in ctx.kpis():
            if is_blank(kpi.unit):
                yield Violation(kpi.path, _("KPI {kpi} has no unit (`unit`: a currency code such as USD or VND, percent, count, ratio, score or days)").format(kpi=kpi_label(kpi)),
                                missing=kpi.path + ("unit",))
                continue
            hint = unit_hint(kpi.unit)
            if hint:
                yield Violation(kpi.path + ("unit",), _("KPI {kpi} is in '{unit}': {hint}").format(kpi=kpi.id, unit=kpi.unit.strip(), hint=hint))
                continue
            metric = ctx.catalog.get(kpi.metric)
            if metric is None:
                continue
            kind = unit_kind(kpi.unit)
            if kind not in _UNIT_FITS[metric.unit]:
                expected = (_("an ISO 4217 currency code such as USD, EUR or VND") if metric.unit == "currency"
                            else _(" or ").join(sorted(_UNIT_FITS[metric.unit])))
                yield Violation(kpi.path + ("unit",),
                                _("KPI {kpi} is in '{unit}', but {metric} is measured in {metric_unit}: use {expected}").format(
                                    kpi=kpi.id, unit=kpi.unit, metric=metric.name, metric_unit=metric.unit, expected=expected))


class MetricOffGoal(Rule):
    """An objective's KPIs measure none of what its business goal is about (e.g. only video views for sales).

    ## Why it matters
    Choose KPIs that measure the objective (docs/domain.md, step 2): sales growth is
    measured by revenue, orders, order value and conversion rate; brand
    awareness by reach, visitors and video views; cost optimisation by cost per
    view, per order and ROAS. A vanity metric (video views) as the only KPI of a
    sales objective is the mistake (mistake 4); next to revenue, video views
    may well be a useful driver, so the rule looks at the objective's KPIs
    together. An objective with a KPI outside the catalog is not judged, and
    neither is a goal type no catalog metric serves. A warning, since a plan
    may have reasons.

    ## Fails
    ```yaml
    objectives:
      - {id: OBJ-SHOP, title: Sell more through video, goal: G-SALES}
    kpis:
      - id: KPI-VIEWS
        name: Video views
        objective: OBJ-SHOP
        metric: video_views        # the only KPI of a sales objective
        unit: count
        direction: increase
        baseline: {value: 1000000, period: 2026}
        target: {value: 1200000, due: 2027-12-31}
        measurement: {tool: youtube-studio, source: Studio views report, owner: content-team}
        review: {cadence: monthly, reviewer: head-of-marketing, log: [{date: 2027-03-31, actual: 300000}]}
    ```

    ## Passes
    ```yaml
    kpis:
      - id: KPI-CONVERSION
        metric: video_views        # next to revenue, which measures sales
        unit: count
    ```
    """

    id = "KF004"
    name = "kpi-fit.metric-off-goal"
    severity = Severity.WARNING

    def check(self, ctx: Context, params):
        goals = ctx.goals()
        served = {t for m in ctx.catalog.metrics.values() for t in m.goal_types}
        by_objective: dict = {}
        for kpi in ctx.kpis():
            by_objective.setdefault(kpi.objective, []).append(kpi)
        for objective in ctx.plan.objectives:
            goal = goals.get(objective.goal) if objective.id else None
            kpis = by_objective.get(objective.id, [])
            if goal is None or goal.type is None or goal.type not in served or not kpis:
                continue
            metrics = [ctx.catalog.get(k.metric) for k in kpis]
            if any(m is None for m in metrics) or any(goal.type in m.goal_types for m in metrics):
                continue
            fits = [m.id for m in ctx.catalog.metrics.values() if goal.type in m.goal_types and m.role == "outcome"] or \
                [m.id for m in ctx.catalog.metrics.values() if goal.type in m.goal_types]
            for kpi, metric in zip(kpis, metrics):
                text = (_("KPI {kpi} measures {metric} ({goal_types}), the only KPI of objective {objective}, whose goal {goal} is "
                          "{goal_type}: no KPI measures that goal; add one such as {fits}") if len(kpis) == 1 else
                        _("KPI {kpi} measures {metric} ({goal_types}), one of the KPIs of objective {objective}, whose goal {goal} is "
                          "{goal_type}: no KPI measures that goal; add one such as {fits}"))
                yield Violation(kpi.path + ("metric",), text.format(
                    kpi=kpi.id, metric=metric.name, goal_types=", ".join(metric.goal_types), objective=objective.id,
                    goal=goal.id, goal_type=goal.type, fits=", ".join(fits[:4])))
