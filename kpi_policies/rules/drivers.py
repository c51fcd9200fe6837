"""DR, driver arithmetic: driver trees add up, and department plans reach the strategy's goals.

docs/domain.md, "Drivers: how KPIs combine": metric trees relate KPIs by
equations (products, sums, ratios) and every number should reconcile up the
tree; step 4 names the drivers of each KPI, and mistake 1 is a KPI not linked
to the business goal. The relations come from a KPI's ``formula:``, or from
the metric catalog when a KPI's drivers measure every metric of one of its
relations (:mod:`kpi_policies.relations`). Across files, a strategy goal with
a ``measure`` is reached by the plans that declare ``contributes_to`` it.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from kpi_policies import formula as fx
from kpi_policies import relations as rel
from kpi_policies.i18n import _, ngettext
from kpi_policies.result import Severity
from kpi_policies.rules.base import Context, Rule, Violation

_DIRECTION_SIGN = {"increase": 1, "decrease": -1}


class ToleranceParams(BaseModel):
    """Parameters of the identity rules."""

    model_config = ConfigDict(extra="forbid")

    tolerance_percent: float = Field(2, ge=0, description="How far the value the drivers imply may be from the declared one: in percent of the baseline or actual, and for a target in percent of its planned change.")


class RollUpParams(BaseModel):
    """Parameters of DR010."""

    model_config = ConfigDict(extra="forbid")

    tolerance_percent: float = Field(0, ge=0, description="How far, in percent of the strategy's target, the plans' roll-up may fall short of it.")


def _analysis(ctx: Context) -> rel.Analysis:
    """The plan's relations, worked out once per plan and shared by the rules of the family."""
    cached = getattr(ctx, "_driver_analysis", None)
    if cached is None:
        cached = rel.analyse(ctx.plan, ctx.catalog, ctx.policy)
        ctx._driver_analysis = cached
    return cached


def _formula_position(ctx: Context, path: tuple, text: str | None, column: int | None):
    """1-based (line, column) in the file of a column inside a one-line formula; ``None`` when unsure."""
    if not text or not column:
        return None
    line, col = ctx.document.locate(path)
    lines = ctx.document.text.splitlines()
    if not 0 < line <= len(lines):
        return None
    row = lines[line - 1]
    start = col - 1
    if start < len(row) and row[start] in "'\"":
        start += 1
    if row[start:start + len(text)] != text:
        return None
    return (line, start + column)


def _pct(a: float, b: float) -> float:
    """|a - b| in percent of |b|."""
    return abs(a - b) / abs(b) * 100


def _missing(applied: rel.Applied, which: str) -> bool:
    return any(rel.value_of(k, which) is None for k in applied.members.values()) or rel.value_of(applied.parent, which) is None


class UnreadableFormula(Rule):
    """KPI formula cannot be read, or names something that is not a KPI of the plan.

    ## Why it matters
    A formula relates a KPI to its drivers (docs/domain.md, "Drivers: how KPIs
    combine"). It is read as a small arithmetic language: KPI ids of the plan,
    numbers, + − × ÷ (also `*` and `/`) and parentheses; a minus between two ids
    needs spaces around it, since ids contain hyphens. It is never run as
    code: anything else (a call, an attribute, quotes) is reported at its
    column, and so is an id that is not a KPI of the plan, so the relation
    names every factor as a KPI or a constant.

    ## Fails
    ```yaml
    kpis:
      - id: KPI-REVENUE
        formula: KPI-ORDERS * KPI-AOV     # the plan has no such KPIs
    ```

    ```yaml
    kpis:
      - id: KPI-REVENUE
        formula: "__import__('os').system('x')"
    ```

    ## Passes
    ```yaml
    kpis:
      - id: KPI-REVENUE
        drivers: [KPI-ORDERS, KPI-AOV]
        formula: KPI-ORDERS × KPI-AOV
      - {id: KPI-ORDERS, name: Orders, objective: OBJ-REVENUE, metric: orders, unit: count, direction: increase,
         baseline: {value: 80000, period: 2026}, target: {value: 84000, due: 2027-12-31}}
      - {id: KPI-AOV, name: Average order value, objective: OBJ-REVENUE, metric: average_order_value, unit: VND,
         direction: increase, baseline: {value: 600000, period: 2026}, target: {value: 628600, due: 2027-12-31}}
    ```
    """

    id = "DR001"
    name = "drivers.unreadable-formula"
    severity = Severity.ERROR

    def check(self, ctx: Context, params):
        for problem in _analysis(ctx).problems:
            position = _formula_position(ctx, problem.path, problem.kpi.formula, problem.column)
            yield Violation(problem.path, problem.message, position=position)


class BaselineIdentity(Rule):
    """KPI baseline does not equal what its drivers' baselines give.

    ## Why it matters
    With revenue = orders × average order value, last year's revenue is last
    year's orders times last year's average order value (docs/domain.md,
    "Drivers: how KPIs combine"). When the baselines do not reconcile, they
    were copied from different tools or periods, and every target built on
    them is off too.

    ## Parameters
    - `tolerance_percent` (percent of the KPI's baseline, default 2): how far the drivers' result may be from it.

    ## Fails
    ```yaml
    kpis:
      - id: KPI-REVENUE
        drivers: [KPI-ORDERS, KPI-AOV]
      - {id: KPI-ORDERS, name: Orders, objective: OBJ-REVENUE, metric: orders, unit: count, direction: increase,
         baseline: {value: 90000, period: 2026}, target: {value: 88000, due: 2027-12-31}}
      - {id: KPI-AOV, name: Average order value, objective: OBJ-REVENUE, metric: average_order_value, unit: VND,
         direction: increase, baseline: {value: 600000, period: 2026}, target: {value: 600000, due: 2027-12-31}}
    ```

    ## Passes
    ```yaml
    kpis:
      - id: KPI-REVENUE
        drivers: [KPI-ORDERS, KPI-AOV]
      - {id: KPI-ORDERS, name: Orders, objective: OBJ-REVENUE, metric: orders, unit: count, direction: increase,
         baseline: {value: 80000, period: 2026}, target: {value: 84000, due: 2027-12-31}}
      - {id: KPI-AOV, name: Average order value, objective: OBJ-REVENUE, metric: average_order_value, unit: VND,
         direction: increase, baseline: {value: 600000, period: 2026}, target: {value: 628600, due: 2027-12-31}}
    ```
    """

    id = "DR002"
    name = "drivers.baseline-identity"
    severity = Severity.ERROR
    Params = ToleranceParams

    def check(self, ctx: Context, params: ToleranceParams):
        yield from _identity(ctx, "baseline", params.tolerance_percent)


class TargetIdentity(Rule):
    """KPI target is not what its drivers' targets give.

    ## Why it matters
    With a product, the parent's growth is the product of its drivers' growth:
    orders +5% and average order value +3% support revenue +8.15%, not +10%
    (docs/domain.md, "Drivers: how KPIs combine"). A target its drivers do not
    add up to will be missed however well each driver is run. The message
    gives the value the drivers imply and, for each driver, the target that
    alone would close the gap (the parent's target divided by the others').
    Sums and ratios are checked the same way.

    ## Parameters
    - `tolerance_percent` (percent of the planned change, target minus baseline, default 2): how far the drivers'
      result may be from the target; a gap under 0.1% of the target (rounding) always passes.

    ## Fails
    ```yaml
    kpis:
      - id: KPI-REVENUE
        drivers: [KPI-ORDERS, KPI-AOV]
      - {id: KPI-ORDERS, name: Orders, objective: OBJ-REVENUE, metric: orders, unit: count, direction: increase,
         baseline: {value: 80000, period: 2026}, target: {value: 84000, due: 2027-12-31}}      # +5%
      - {id: KPI-AOV, name: Average order value, objective: OBJ-REVENUE, metric: average_order_value, unit: VND,
         direction: increase, baseline: {value: 600000, period: 2026}, target: {value: 618000, due: 2027-12-31}}  # +3%
    ```

    ## Passes
    ```yaml
    kpis:
      - id: KPI-REVENUE
        drivers: [KPI-ORDERS, KPI-AOV]
      - {id: KPI-ORDERS, name: Orders, objective: OBJ-REVENUE, metric: orders, unit: count, direction: increase,
         baseline: {value: 80000, period: 2026}, target: {value: 84000, due: 2027-12-31}}
      - {id: KPI-AOV, name: Average order value, objective: OBJ-REVENUE, metric: average_order_value, unit: VND,
         direction: increase, baseline: {value: 600000, period: 2026}, target: {value: 628600, due: 2027-12-31}}
    ```
    """

    id = "DR003"
    name = "drivers.target-identity"
    severity = Severity.ERROR
    Params = ToleranceParams

    def check(self, ctx: Context, params: ToleranceParams):
        yield from _identity(ctx, "target", params.tolerance_percent)


def _identity(ctx: Context, which: str, tolerance: float):
    from kpi_policies.rules.feasibility import misread_amounts

    catalog = ctx.catalog
    misread = misread_amounts(ctx)
    for applied in _analysis(ctx).applied:
        parent = applied.parent
        if _missing(applied, which):
            continue  # FE001 and FE002 report missing baselines and targets
        if any(kpi.path + (which, "value") in misread for kpi in [parent, *applied.members.values()]):
            continue  # FE011 reports the misread amount (585.000); an identity computed from it would only add noise
        declared = rel.value_of(parent, which)
        where = parent.path + (which, "value")
        try:
            implied = rel.implied(applied, which, catalog)
        except fx.Undefined as exc:
            text = (_("the baseline of KPI {kpi} cannot be checked against {relation}: {reason}") if which == "baseline" else
                    _("the target of KPI {kpi} cannot be checked against {relation}: {reason}"))
            yield Violation(where, text.format(kpi=parent.id, relation=applied.shown(), reason=_zero_reason(exc.reason, applied, which)))
            continue
        if declared == 0:
            if implied != 0:
                text = (_("KPI {kpi} has a baseline of 0, but its drivers' baselines imply {implied} ({relation})") if which == "baseline" else
                        _("KPI {kpi} has a target of 0, but its drivers' targets imply {implied} ({relation})"))
                yield Violation(where, text.format(kpi=parent.id, implied=rel.amount(implied, parent, catalog), relation=applied.shown()))
            continue
        gap = _pct(implied, declared)
        if which == "target":
            # a target is judged against the change it plans: +8.15% instead of +10% misses a fifth of it,
            # though 51.9 bn is only 1.7% below 52.8 bn; written figures are rounded, so 0.1% always passes
            base = rel.value_of(parent, "baseline")
            change = abs(declared - base) if base is not None else abs(declared)
            if abs(implied - declared) <= max(tolerance / 100 * change, 0.001 * abs(declared)):
                continue
        elif gap <= tolerance:
            continue
        shown_implied, shown_declared = rel.two_amounts(implied, declared, parent, catalog)
        short = implied < declared
        if which == "baseline":
            text = (_("KPI {kpi} = {relation}, but its drivers' baselines give {implied}, {gap}% short of its baseline of {declared} "
                      "(more than the {tolerance}% allowed): baselines copied from different tools or periods do not add up") if short else
                    _("KPI {kpi} = {relation}, but its drivers' baselines give {implied}, {gap}% above its baseline of {declared} "
                      "(more than the {tolerance}% allowed): baselines copied from different tools or periods do not add up"))
            yield Violation(where, text.format(kpi=parent.id, relation=applied.shown(), implied=shown_implied, gap=f"{gap:.1f}",
                                               declared=shown_declared, tolerance=f"{tolerance:g}"))
        else:
            text = (_("KPI {kpi} = {relation}: its drivers' targets imply {implied}, {gap}% short of the {declared} target{fixes}") if short else
                    _("KPI {kpi} = {relation}: its drivers' targets imply {implied}, {gap}% above the {declared} target{fixes}"))
            yield Violation(where, text.format(kpi=parent.id, relation=applied.shown(), implied=shown_implied, gap=f"{gap:.1f}",
                                               declared=shown_declared, fixes=_fixes(applied, catalog)))


def _zero_reason(reason: str, applied: rel.Applied, which: str) -> str:
    for kpi_id in applied.members:
        if reason.startswith(f"{kpi_id} is 0"):
            return (_("KPI {kpi} has a baseline of 0, and nothing can be divided by 0; check that baseline") if which == "baseline" else
                    _("KPI {kpi} has a target of 0, and nothing can be divided by 0; check that target")).format(kpi=kpi_id)
    return reason


def _fixes(applied: rel.Applied, catalog) -> str:
    """``: raise the average order value target to +4.8% over its baseline, or the orders target to +6.8%``."""
    parts = []
    last_verb = None
    for kpi, needed in rel.back_solve(applied, catalog):
        now = rel.value_of(kpi, "target")
        verb = "raise" if now is None or needed > now else "lower"
        base = rel.value_of(kpi, "baseline")
        if base:
            change = (needed / base - 1) * 100
            if rel.is_percent(kpi, catalog):
                figure = f"{rel.amount(needed, kpi, catalog, digits=2)} ({change:+.1f}%)"
            else:
                figure = f"{change:+.1f}%"
            suffix = _(" over its baseline") if not parts else ""
        else:
            figure, suffix = rel.amount(needed, kpi, catalog), ""
        what = (_("the {label} target").format(label=applied.label(kpi.id)) if applied.label(kpi.id) != kpi.id
                else _("the target of {kpi}").format(kpi=kpi.id))
        if verb == last_verb:
            part = _("{what} to {figure}")
        elif verb == "raise":
            part = _("raise {what} to {figure}")
        else:
            part = _("lower {what} to {figure}")
        parts.append(part.format(what=what, figure=figure) + suffix)
        last_verb = verb
        if len(parts) == 3:
            break
    return ": " + _(", or ").join(parts) if parts else ""


class ActualsIdentity(Rule):
    """Logged actuals of a KPI and its drivers do not add up on the same review date.

    ## Why it matters
    When revenue = orders × average order value, the revenue logged at a review
    should be the orders times the average order value logged that day
    (docs/domain.md, "Drivers: how KPIs combine"). A gap means one figure came
    from another report or window; the review then argues about numbers
    instead of actions. Only dates where the KPI and all its drivers have an
    actual are compared; KPIs the plan says are logged year to date are left
    out (a running total and a monthly figure do not combine).

    ## Parameters
    - `tolerance_percent` (percent of the logged actual, default 2): how far the drivers' result may be from it.

    ## Fails
    ```yaml
    kpis:
      - id: KPI-REVENUE                # logged 4,420,000,000 VND on 2027-03-31
        drivers: [KPI-ORDERS, KPI-AOV]
      - {id: KPI-ORDERS, name: Orders, objective: OBJ-REVENUE, metric: orders, unit: count, direction: increase,
         baseline: {value: 80000, period: 2026}, target: {value: 84000, due: 2027-12-31},
         review: {cadence: monthly, reviewer: ceo, log: [{date: 2027-03-31, actual: 7000}]}}
      - {id: KPI-AOV, name: Average order value, objective: OBJ-REVENUE, metric: average_order_value, unit: VND,
         direction: increase, baseline: {value: 600000, period: 2026}, target: {value: 628600, due: 2027-12-31},
         review: {cadence: monthly, reviewer: ceo, log: [{date: 2027-03-31, actual: 610000}]}}
    ```

    ## Passes
    ```yaml
    kpis:
      - id: KPI-REVENUE
        drivers: [KPI-ORDERS, KPI-AOV]
      - {id: KPI-ORDERS, name: Orders, objective: OBJ-REVENUE, metric: orders, unit: count, direction: increase,
         baseline: {value: 80000, period: 2026}, target: {value: 84000, due: 2027-12-31},
         review: {cadence: monthly, reviewer: ceo, log: [{date: 2027-03-31, actual: 7246}]}}
      - {id: KPI-AOV, name: Average order value, objective: OBJ-REVENUE, metric: average_order_value, unit: VND,
         direction: increase, baseline: {value: 600000, period: 2026}, target: {value: 628600, due: 2027-12-31},
         review: {cadence: monthly, reviewer: ceo, log: [{date: 2027-03-31, actual: 610000}]}}
    ```
    """

    id = "DR004"
    name = "drivers.actuals-identity"
    severity = Severity.WARNING
    Params = ToleranceParams

    def check(self, ctx: Context, params: ToleranceParams):
        catalog = ctx.catalog
        for applied in _analysis(ctx).applied:
            parent = applied.parent
            if rel.iter_year_to_date([parent, *applied.members.values()]) or parent.review is None:
                continue
            logs = {kpi_id: _actuals(kpi) for kpi_id, kpi in applied.members.items()}
            bad = []
            for entry in parent.review.log:
                if entry.date is None or entry.actual is None or not all(entry.date in log for log in logs.values()):
                    continue
                values = {k: logs[k][entry.date] * rel.scale(applied.members[k], catalog) for k in logs}
                try:
                    implied = fx.evaluate(applied.tree, values) / rel.scale(parent, catalog)
                except fx.Undefined:
                    continue
                if entry.actual == 0 or _pct(implied, entry.actual) > params.tolerance_percent:
                    bad.append((entry, implied))
            if bad:
                entry, implied = bad[0]
                shown_implied, shown_actual = rel.two_amounts(implied, entry.actual, parent, catalog)
                more = (ngettext(" (and on {n} more review date)", " (and on {n} more review dates)", len(bad) - 1).format(n=len(bad) - 1)
                        if len(bad) > 1 else "")
                yield Violation(entry.path + ("actual",),
                                _("on {date} KPI {kpi} logged {actual}, but its drivers' actuals give {implied} ({relation}), "
                                  "{apart}{more}: check that both come from the same report and period").format(
                                    date=entry.date.isoformat(), kpi=parent.id, actual=shown_actual, implied=shown_implied,
                                    relation=applied.shown(), apart=_apart(implied, entry.actual), more=more))


def _apart(a: float, b: float) -> str:
    return _("{pct}% apart").format(pct=f"{_pct(a, b):.1f}") if b else _("against a logged 0")


def _actuals(kpi) -> dict:
    if kpi.review is None:
        return {}
    return {e.date: e.actual for e in kpi.review.log if e.date is not None and e.actual is not None}


class DirectionContradiction(Rule):
    """Driver is set to move against its KPI, and no other driver makes up for it.

    ## Why it matters
    In revenue = orders × average order value, an average order value set to
    decrease pulls revenue down; if revenue is set to increase and no other
    driver is set to push it up, the plan contradicts itself (docs/domain.md,
    "Drivers: how KPIs combine"; mistake 2). A divisor works the other way:
    ad cost falling raises ROAS.

    ## Fails
    ```yaml
    kpis:
      - id: KPI-REVENUE                # set to increase
        drivers: [KPI-ORDERS, KPI-AOV]
      - {id: KPI-ORDERS, name: Orders, objective: OBJ-REVENUE, metric: orders, unit: count, direction: maintain,
         baseline: {value: 80000, period: 2026}, target: {value: 80000, due: 2027-12-31}}
      - {id: KPI-AOV, name: Average order value, objective: OBJ-REVENUE, metric: average_order_value, unit: VND,
         direction: decrease, baseline: {value: 600000, period: 2026}, target: {value: 590000, due: 2027-12-31}}
    ```

    ## Passes
    ```yaml
    kpis:
      - id: KPI-REVENUE
        drivers: [KPI-ORDERS, KPI-AOV]
      - {id: KPI-ORDERS, name: Orders, objective: OBJ-REVENUE, metric: orders, unit: count, direction: increase,
         baseline: {value: 80000, period: 2026}, target: {value: 89500, due: 2027-12-31}}
      - {id: KPI-AOV, name: Average order value, objective: OBJ-REVENUE, metric: average_order_value, unit: VND,
         direction: decrease, baseline: {value: 600000, period: 2026}, target: {value: 590000, due: 2027-12-31}}
    ```
    """

    id = "DR005"
    name = "drivers.direction-contradiction"
    severity = Severity.ERROR

    def check(self, ctx: Context, params):
        for applied in _analysis(ctx).applied:
            parent = applied.parent
            want = _DIRECTION_SIGN.get(parent.direction or "")
            if not want:
                continue
            effects = {}
            for kpi_id, kpi in applied.members.items():
                move = _DIRECTION_SIGN.get(kpi.direction or "")
                effect = fx.sign(applied.tree, kpi_id)
                if move and effect:
                    effects[kpi_id] = move * effect
            against = [k for k, e in effects.items() if e == -want]
            if against and not any(e == want for e in effects.values()):
                for kpi_id in against:
                    kpi = applied.members[kpi_id]
                    text = (_("KPI {kpi} is set to {direction}, which pulls KPI {parent} down ({parent} = {relation}), while {parent} "
                              "is set to {parent_direction} and no other driver makes up for it: change one of the two directions")
                            if want > 0 else
                            _("KPI {kpi} is set to {direction}, which pulls KPI {parent} up ({parent} = {relation}), while {parent} "
                              "is set to {parent_direction} and no other driver makes up for it: change one of the two directions"))
                    yield Violation(kpi.path + ("direction",), text.format(kpi=kpi_id, direction=kpi.direction, parent=parent.id,
                                                                           relation=applied.shown(), parent_direction=parent.direction))


class UnitAlgebra(Rule):
    """Units of a KPI and its drivers do not fit the relation between them.

    ## Why it matters
    A relation carries units: orders (a count) × average order value (VND) is
    VND, so revenue must be in VND (docs/domain.md, "Drivers: how KPIs
    combine"). Adding VND to a count, or a tree that mixes VND and USD, gives
    numbers nobody can reconcile; a currency mix is converted at a stated rate
    in a KPI of its own, not inside a tree.

    ## Fails
    ```yaml
    kpis:
      - id: KPI-REVENUE
        unit: USD
        drivers: [KPI-ORDERS, KPI-AOV]
      - {id: KPI-ORDERS, name: Orders, objective: OBJ-REVENUE, metric: orders, unit: count, direction: increase,
         baseline: {value: 80000, period: 2026}, target: {value: 84000, due: 2027-12-31}}
      - {id: KPI-AOV, name: Average order value, objective: OBJ-REVENUE, metric: average_order_value, unit: VND,
         direction: increase, baseline: {value: 600000, period: 2026}, target: {value: 628600, due: 2027-12-31}}
    ```

    ## Passes
    ```yaml
    kpis:
      - id: KPI-REVENUE
        unit: VND
        drivers: [KPI-ORDERS, KPI-AOV]
      - {id: KPI-ORDERS, name: Orders, objective: OBJ-REVENUE, metric: orders, unit: count, direction: increase,
         baseline: {value: 80000, period: 2026}, target: {value: 84000, due: 2027-12-31}}
      - {id: KPI-AOV, name: Average order value, objective: OBJ-REVENUE, metric: average_order_value, unit: VND,
         direction: increase, baseline: {value: 600000, period: 2026}, target: {value: 628600, due: 2027-12-31}}
    ```
    """

    id = "DR006"
    name = "drivers.unit-algebra"
    severity = Severity.ERROR

    def check(self, ctx: Context, params):
        catalog = ctx.catalog
        for applied in _analysis(ctx).applied:
            parent = applied.parent
            dims = {k: rel.dimension(kpi, catalog) for k, kpi in applied.members.items()}
            mine = rel.dimension(parent, catalog)
            currencies = {}
            for kpi in [parent, *applied.members.values()]:
                for key in (rel.dimension(kpi, catalog) or {}):
                    if key not in ("score", "days"):
                        currencies.setdefault(key, kpi.id)
            if len(currencies) > 1:
                listed = ", ".join(_("{kpi} in {currency}").format(kpi=who, currency=cur) for cur, who in currencies.items())
                yield Violation(parent.path + ("unit",), _("KPI {kpi} = {relation} mixes currencies ({listed}): use one currency along "
                                                           "the tree, or convert at a stated rate in a KPI of its own").format(
                                                               kpi=parent.id, relation=applied.shown(), listed=listed),
                                missing=parent.path + ("unit",))
                continue
            if mine is None or any(d is None for d in dims.values()):
                continue
            try:
                result = fx.units(applied.tree, dims)
            except fx.Undefined as exc:
                yield Violation(applied.path, _("KPI {kpi} = {relation} cannot be worked out: {reason}").format(
                    kpi=parent.id, relation=applied.shown(), reason=exc.reason))
                continue
            if result != mine:
                yield Violation(parent.path + ("unit",),
                                _("{relation} gives {unit}, but KPI {kpi} is in {kpi_unit}: fix the unit of {kpi} or of its drivers").format(
                                    relation=applied.shown(), unit=fx.show_unit(result), kpi=parent.id, kpi_unit=parent.unit))


class IncompleteRelation(Rule):
    """KPI drivers cover only part of a relation of its metric.

    ## Why it matters
    Revenue = orders × average order value: a revenue KPI driven by average
    order value but by no orders KPI cannot be reconciled with its drivers, and
    nobody owns the missing factor (docs/domain.md, "Drivers: how KPIs
    combine"). Add a driver KPI for each missing metric, or write the
    relation yourself in `formula:` with the missing part as a number. Drivers
    that do not form an equation (conversion rate, new customers and average
    order value for revenue, step 4) are a sound plan, hence only a hint.

    ## Fails
    ```yaml
    kpis:
      - id: KPI-REVENUE
        drivers: [KPI-CONVERSION, KPI-AOV]
      - {id: KPI-AOV, name: Average order value, objective: OBJ-REVENUE, metric: average_order_value, unit: VND,
         direction: increase, baseline: {value: 600000, period: 2026}, target: {value: 628600, due: 2027-12-31}}
    ```

    ## Passes
    ```yaml
    kpis:
      - id: KPI-REVENUE
        drivers: [KPI-CONVERSION]
    ```
    """

    id = "DR007"
    name = "drivers.incomplete-relation"
    severity = Severity.INFO

    def check(self, ctx: Context, params):
        analysis = _analysis(ctx)
        done = {id(a.parent) for a in analysis.applied}
        for partial in analysis.partial:
            if id(partial.kpi) in done:
                continue  # another relation of its metric applies
            names = [rel.metric_label(m) for m in partial.missing]
            covered = ", ".join(f"{rel.metric_label(k.metric)} ({k.id})" for k in partial.covered)
            yield Violation(partial.kpi.path + ("drivers",),
                            _("{relation}, and the drivers of KPI {kpi} measure {covered} but not {missing}: add a driver KPI for "
                              "{needed}, or write the relation in `formula:`").format(
                                relation=rel.relation_text(partial.relation), kpi=partial.kpi.id, covered=covered,
                                missing=_(" nor ").join(names), needed=_(" and ").join(names)))


class OutcomeWithoutDrivers(Rule):
    """Outcome KPI of a sales or cost goal has no driver.

    ## Why it matters
    Revenue, orders, ROAS and cost per order are lagging results: by the time
    they move, the period is over. Kaplan and Norton pair every lagging
    outcome with leading drivers, and step 4 of a good plan names them
    (docs/domain.md). An outcome at the top of the tree of a sales or cost
    goal, with no driver and no formula, has nobody steering it during the
    year. A metric counts as an outcome when a catalog relation computes it as
    a product or a sum (revenue, orders), or it is a cost ratio (ROAS, cost
    per order, customer acquisition cost).

    ## Fails
    ```yaml
    kpis:
      - id: KPI-REVENUE
        drivers: ~                 # removed
    ```

    ## Passes
    ```yaml
    kpis:
      - id: KPI-REVENUE
        drivers: [KPI-CONVERSION]
    ```
    """

    id = "DR008"
    name = "drivers.outcome-without-drivers"
    severity = Severity.WARNING

    def check(self, ctx: Context, params):
        goals = ctx.goals()
        objectives = {o.id: o for o in ctx.plan.objectives if o.id}
        driven = {d for k in ctx.kpis() for d in k.drivers}
        for applied in _analysis(ctx).applied:
            driven.update(applied.members)
        for kpi in ctx.kpis():
            if kpi.drivers or (kpi.formula or "").strip() or kpi.id in driven:
                continue
            if not rel.is_outcome(kpi.metric, ctx.catalog, ctx.policy):
                continue
            objective = objectives.get(kpi.objective or "")
            goal = goals.get(objective.goal) if objective is not None and objective.goal else None
            if goal is None or goal.type not in ("sales_growth", "cost_efficiency"):
                continue
            parts = [rel.relation_text(r) for r in rel.relations(ctx.catalog, ctx.policy) if r.metric == kpi.metric][:1]
            hint = _(" (e.g. {example})").format(example=parts[0]) if parts else ""
            yield Violation(kpi.path, _("KPI {kpi} is an outcome of goal {goal} but has no driver: name the leading KPIs "
                                        "that move it in `drivers:`").format(kpi=kpi.id, goal=goal.id) + hint, missing=kpi.path + ("drivers",))


class PeriodOutsideStrategy(Rule):
    """Plan period does not lie within the period of the strategy it serves.

    ## Why it matters
    A plan serves its strategy's goals for the strategy's period (docs/domain.md,
    step 1). A plan running past the strategy's end, or starting before it,
    plans for goals nobody has set yet.

    ## Fails
    ```yaml
    metadata:
      strategy: company-2027
      period: {start: 2027-01-01, end: 2028-03-31}
    ```

    ## Passes
    ```yaml
    metadata:
      strategy: company-2027
      period: {start: 2027-01-01, end: 2027-12-31}
    ```
    """

    id = "DR009"
    name = "drivers.period-outside-strategy"
    severity = Severity.ERROR

    def check(self, ctx: Context, params):
        entry = ctx.strategy()
        mine = ctx.plan.metadata.period
        if entry is None or mine is None or mine.start is None or mine.end is None:
            return
        theirs = entry.model.metadata.period
        if theirs is None or theirs.start is None or theirs.end is None:
            return
        if mine.start < theirs.start or mine.end > theirs.end:
            yield Violation(ctx.plan.metadata.path + ("period",),
                            _("the plan runs {start} to {end}, outside the period of strategy {strategy} ({strategy_start} to "
                              "{strategy_end}): plan within the strategy's period").format(
                                start=mine.start.isoformat(), end=mine.end.isoformat(), strategy=entry.id,
                                strategy_start=theirs.start.isoformat(), strategy_end=theirs.end.isoformat()))


class StrategyRollUp(Rule):
    """Plans contributing to a strategy goal's measure do not reach its target.

    ## Why it matters
    A strategy goal with a measure (revenue 70 bn VND by the end of the year)
    is reached only if the department plans that contribute to it add up to
    it (docs/domain.md, "Drivers: how KPIs combine": every number reconciles
    up the tree). A KPI declares `contributes_to: <goal id>`; totals (revenue,
    orders) are summed across plans, rates are weighted by their base (a
    conversion rate by the plan's sessions). The finding sits on the strategy
    goal and lists each plan's share; when only a plan is checked (pre-commit),
    it sits on the plan's contributing KPI, the strategy and the other plans
    being read from the repository.

    ## Parameters
    - `tolerance_percent` (percent of the goal's target, default 0): how far the roll-up may fall short.

    ## Fails
    ```text
    # strategy: G-SALES has measure {metric: revenue, unit: VND, target: 70000000000}
    # plan marketing: KPI-REVENUE target 52.8 bn, contributes_to: G-SALES
    # plan retail:    KPI-STORE-REVENUE target 15 bn, contributes_to: G-SALES
    ```

    ## Passes
    ```text
    # plan retail:    KPI-STORE-REVENUE target 17.2 bn, contributes_to: G-SALES
    ```
    """

    id = "DR010"
    name = "drivers.strategy-roll-up"
    severity = Severity.ERROR
    Params = RollUpParams
    kinds = ("KpiPlan", "Strategy")
    run_level = True
    raw_examples = True

    summarize = None  # set below: the family's summary (see cascade_facts)

    def check(self, ctx: Context, params: RollUpParams):
        """A plan checked without its strategy (pre-commit): the roll-up goes on its contributing KPI."""
        if getattr(ctx.plan, "kpis", None) is None:
            return  # a strategy: judged across the run, see check_run
        entry = ctx.strategy()
        if entry is None or ctx.index.in_run(entry):
            return  # the strategy is checked in this run: the finding goes on it
        from kpi_policies.index import Entry

        goals = {g.id: g for g in entry.model.goals if g.id}
        mine = [k for k in ctx.kpis() if k.contributes_to in goals]
        if not mine:
            return
        current = Entry("KpiPlan", ctx.plan.metadata.id or ctx.document.path, ctx.document.path, ctx.plan, ctx.document)
        plans = ctx.index.plan_facts_for(entry.id, ctx.document.path, plan_facts, current=current)
        for kpi in mine:
            goal = goals[kpi.contributes_to]
            if goal.measure is None or goal.measure.target is None:
                continue
            message = rollup_message(goal.id, _measure(goal.measure), plans, ctx.catalog, params.tolerance_percent)
            if message:
                yield Violation(kpi.path + ("contributes_to",), _("{message} (strategy {strategy}, {file})").format(
                    message=message, strategy=entry.id, file=_shown_path(entry.file)))

    @classmethod
    def check_run(cls, documents, params: RollUpParams):
        from kpi_policies.catalog import builtin_catalog

        catalog = builtin_catalog()
        for i, strategy, plans in _cascade(documents):
            for goal in strategy["goals"]:
                measure = goal.get("measure")
                if not goal.get("id") or not measure or measure.get("target") is None:
                    continue
                message = rollup_message(goal["id"], measure, plans, catalog, params.tolerance_percent)
                if message:
                    yield i, Violation(tuple(goal["path"]) + ("measure", "target"), message,
                                       position=tuple(goal["measure_position"]) if goal.get("measure_position") else None)


def _measure(measure) -> dict:
    """A goal's measure as plain data."""
    return {"metric": measure.metric, "unit": measure.unit, "baseline": measure.baseline, "target": measure.target,
            "due": measure.due.isoformat() if measure.due else None}


def plan_facts(model) -> dict | None:
    """What the strategy cascade needs of a plan: its strategy, the goals its objectives serve, its contributions."""
    strategy = getattr(model.metadata, "strategy", None)
    if not strategy or not hasattr(model, "kpis"):
        return None
    kpis = [k for k in model.kpis if k.id]
    targets = {}
    for k in kpis:
        if k.metric and k.target is not None and k.target.value is not None:
            targets.setdefault(k.metric, k.target.value)
    return {"id": model.metadata.id, "strategy": strategy,
            "served": sorted({o.goal for o in model.objectives if o.goal}),
            "contributions": [{"kpi": k.id, "goal": k.contributes_to, "metric": k.metric, "unit": k.unit,
                               "target": k.target.value if k.target is not None else None}
                              for k in kpis if k.contributes_to],
            "targets": targets}


def strategy_facts(model, document) -> dict | None:
    """What the strategy cascade needs of a strategy: its goals, their measures and where they stand."""
    if not model.metadata.id:
        return None
    goals = []
    for goal in model.goals:
        where = document.locate(goal.path + ("measure", "target")) if document is not None and goal.measure else None
        goals.append({"id": goal.id, "path": list(goal.path), "position": list(document.locate(goal.path + ("id",))) if document is not None else None,
                      "measure": _measure(goal.measure) if goal.measure is not None else None,
                      "measure_position": list(where) if where else None})
    return {"id": model.metadata.id, "goals": goals}


def cascade_facts(model, document) -> dict | None:
    """The family's summary of a document (kept by the engine for the run-level rules DR010 and DR011)."""
    if hasattr(model, "kpis"):
        return plan_facts(model)
    return strategy_facts(model, document)


StrategyRollUp.summarize = staticmethod(cascade_facts)

_CASCADE: dict = {}


def _cascade(documents) -> list[tuple]:
    """``(index, strategy facts, plan facts serving it)`` for each strategy of the run.

    Plans are the run's (from their summaries) plus the repository's that the
    run does not hold (read once per run).
    """
    key = id(documents)
    if _CASCADE.get("key") == key and _CASCADE.get("documents") is documents:
        return _CASCADE["value"]
    from kpi_policies.index import _real, repository_plan_facts, repository_root

    strategies = [(i, doc.facts["DR"], repository_root(doc.file)) for i, doc in enumerate(documents)
                  if doc.kind == "Strategy" and doc.facts and doc.facts.get("DR")]
    if not strategies:
        _CASCADE.update(key=key, documents=documents, value=[])
        return []
    run_files = frozenset(_real(d.file) for d in documents)
    run_plans = [d.facts["DR"] for d in documents if d.kind == "KpiPlan" and d.facts and d.facts.get("DR")]
    elsewhere: dict[str, list[dict]] = {}  # each repository walked once for all its strategies
    for root in {root for _i, _s, root in strategies}:
        ids = {strategy["id"] for _i, strategy, r in strategies if r == root}
        elsewhere[root] = [facts for _file, facts in repository_plan_facts(root, ids, plan_facts, skip=run_files)]
    out = []
    for i, strategy, root in strategies:
        sid = strategy["id"]
        plans = [p for p in [*run_plans, *elsewhere[root]] if p.get("strategy") == sid]
        out.append((i, strategy, sorted(plans, key=lambda p: p.get("id") or "")))
    _CASCADE.update(key=key, documents=documents, value=out)
    return out


def _shown_path(path: str) -> str:
    """A file path as the reader knows it: relative to the workspace when inside it."""
    from kpi_policies.paths import repo_relative, workspace_root

    try:
        return repo_relative(path, workspace_root())
    except (OSError, ValueError):
        return path


def roll_up(goal_id: str, measure: dict, plans: list[dict], catalog) -> dict:
    """The roll-up of a strategy goal's measure over the contributing plans (plan facts, see :func:`plan_facts`).

    Returns:
        ``{"parts": [(plan id, KPI id, value, weight)], "total": float | None, "problem": str | None, "rate": bool}``;
        for totals ``value`` is the KPI's target and the total their sum; for rates
        the total is the mean weighted by each plan's base (``weight``).
    """
    metric_id = measure.get("metric")
    metric = catalog.get(metric_id)
    unit = (measure.get("unit") or "").strip().lower()
    rate = unit in rel.PERCENT_UNITS or unit == "ratio" or (not unit and metric is not None and metric.unit in ("percent", "ratio", "score"))
    parts, problem = [], None
    for plan in plans:
        for c in plan.get("contributions", []):
            if c.get("goal") != goal_id:
                continue
            value = c.get("target")
            if c.get("metric") and metric_id and c["metric"] != metric_id:
                problem = _("KPI {kpi} of plan {plan} measures {metric}, not {goal_metric}").format(
                    kpi=c["kpi"], plan=plan["id"], metric=c["metric"], goal_metric=metric_id)
            elif unit and c.get("unit") and c["unit"].strip().lower() != unit:
                problem = _("KPI {kpi} of plan {plan} is in {unit}, the goal's measure in {goal_unit}").format(
                    kpi=c["kpi"], plan=plan["id"], unit=c["unit"], goal_unit=measure.get("unit"))
            elif value is None:
                problem = _("KPI {kpi} of plan {plan} has no target").format(kpi=c["kpi"], plan=plan["id"])
            if problem:
                break
            weight = 1.0
            if rate:
                base = _denominator(metric_id, catalog)
                weight = plan.get("targets", {}).get(base) if base else None
                if weight is None:
                    problem = _("plan {plan} has no KPI for the base its {metric} is weighted by ({base})").format(
                        plan=plan["id"], metric=metric_id, base=base or _("none known in the catalog"))
                    break
            parts.append((plan["id"], c["kpi"], value, weight))
        if problem:
            break
    total = None
    if parts and problem is None:
        if rate:
            weights = sum(p[3] for p in parts)
            total = sum(p[2] * p[3] for p in parts) / weights if weights else None
            if total is None:
                problem = _("the plans' bases add up to 0")
        else:
            total = sum(p[2] for p in parts)
    return {"parts": parts, "total": total, "problem": problem, "rate": rate}


def _denominator(metric_id: str, catalog) -> str | None:
    for relation in rel.relations(catalog):
        if relation.metric == metric_id:
            tree = relation.tree()
            if isinstance(tree, fx.BinOp) and tree.op == "/" and isinstance(tree.right, fx.Ref):
                return tree.right.name
    return None


def rollup_message(goal_id: str, measure: dict, plans: list[dict], catalog, tolerance: float) -> str | None:
    """What is wrong with the roll-up of a goal's measure, in one sentence, or ``None``."""
    unit_kpi = _MeasureUnit(measure)
    result = roll_up(goal_id, measure, plans, catalog)
    target = measure["target"]
    what = (_("strategy goal {goal} aims at {target} of {metric} by {due}") if measure.get("due") else
            _("strategy goal {goal} aims at {target} of {metric}")).format(
        goal=goal_id, target=rel.amount(target, unit_kpi, catalog), metric=measure.get("metric"), due=measure.get("due"))
    if result["problem"]:
        return _("{what}, but the plans cannot be rolled up: {problem}").format(what=what, problem=result["problem"])
    if not result["parts"]:
        served = sorted({p["id"] for p in plans if p.get("id")})
        if served:
            return _("{what}, but no KPI of the plans serving it ({plans}) declares `contributes_to: {goal}`: nobody's targets "
                     "add up to it").format(what=what, plans=", ".join(served), goal=goal_id)
        return _("{what}, but no KPI declares `contributes_to: {goal}`: nobody's targets add up to it").format(what=what, goal=goal_id)
    total = result["total"]
    metric = catalog.get(measure.get("metric"))
    lower_better = metric is not None and metric.better == "lower"
    if target == 0:
        return None
    gap = (total - target) / abs(target) * 100
    short = gap > tolerance if lower_better else -gap > tolerance
    if not short:
        return None
    if result["rate"]:
        listed = ", ".join(_("{plan} {target} on a base of {base}").format(plan=pid, target=rel.amount(v, unit_kpi, catalog), base=f"{w:,.0f}")
                           for pid, _kpi, v, w in result["parts"])
        how = _("weighted by their base")
    else:
        listed = ", ".join(f"{pid} {rel.amount(v, unit_kpi, catalog, unit=False)} ({v / total * 100:.0f}%)" if total else pid
                           for pid, _kpi, v, _weight in result["parts"])
        how = _("added up")
    shown_total, shown_target = rel.two_amounts(total, target, unit_kpi, catalog)
    missing = rel.amount(abs(total - target), unit_kpi, catalog, unit=False)
    text = (_("{what}, but the contributing plans' targets, {how}, reach {total}, {missing} ({gap}%) above {target}: {listed}")
            if lower_better else
            _("{what}, but the contributing plans' targets, {how}, reach {total}, {missing} ({gap}%) short of {target}: {listed}"))
    return text.format(what=what, how=how, total=shown_total, missing=missing, gap=f"{abs(gap):.1f}", target=shown_target, listed=listed)


class _MeasureUnit:
    """A measure seen as a KPI for number formatting."""

    def __init__(self, measure: dict):
        self.unit = measure.get("unit")
        self.metric = measure.get("metric")


class UnservedStrategyGoal(Rule):
    """Strategy goal is served by no objective of any plan.

    ## Why it matters
    Every marketing objective serves a business goal (docs/domain.md, step 1);
    the other way round, a company goal that no department plan serves will
    not be worked on. Plans are looked for among the files checked and in the
    repository holding the strategy. It may be intended (a plan not written
    yet), hence a warning.

    ## Fails
    ```text
    # strategy company-2027 has goal G-RETENTION; no plan has an objective with goal: G-RETENTION
    ```

    ## Passes
    ```text
    # plan crm-2027 has an objective with goal: G-RETENTION
    ```
    """

    id = "DR011"
    name = "drivers.unserved-strategy-goal"
    severity = Severity.WARNING
    kinds = ("Strategy",)
    run_level = True
    raw_examples = True

    def check(self, ctx: Context, params):
        return ()  # judged across the whole run: see check_run

    @classmethod
    def check_run(cls, documents, params):
        for i, strategy, plans in _cascade(documents):
            served = {g for p in plans for g in p.get("served", [])}
            for goal in strategy["goals"]:
                if goal.get("id") and goal["id"] not in served:
                    among = (ngettext(" ({n} plan names this strategy)", " ({n} plans name this strategy)", len(plans)).format(n=len(plans))
                             if plans else _(" (no plan names this strategy in `metadata.strategy`)"))
                    yield i, Violation(tuple(goal["path"]) + ("id",),
                                       _("strategy goal {goal} is served by no objective of any plan").format(goal=goal["id"]) + among,
                                       position=tuple(goal["position"]) if goal.get("position") else None)


class BadContribution(Rule):
    """KPI contributes to a strategy goal that does not exist or that it cannot add to.

    ## Why it matters
    `contributes_to` adds a KPI's target to a strategy goal's measure
    (docs/domain.md, step 1 and "Drivers: how KPIs combine"). It must name a goal of
    the plan's strategy that has a `measure`, with the same metric as the KPI;
    otherwise the roll-up silently leaves the KPI out.

    ## Fails
    ```yaml
    metadata:
      strategy: company-2027
    kpis:
      - id: KPI-REVENUE
        contributes_to: G-PROFIT        # the strategy has no such goal
    ```

    ## Passes
    ```yaml
    kpis:
      - id: KPI-REVENUE
        contributes_to: ~
    ```
    """

    id = "DR012"
    name = "drivers.bad-contribution"
    severity = Severity.ERROR

    def check(self, ctx: Context, params):
        claims = [k for k in ctx.kpis() if k.contributes_to]
        if not claims:
            return
        entry = ctx.strategy()
        for kpi in claims:
            where = kpi.path + ("contributes_to",)
            if entry is None:
                yield Violation(where, _("KPI {kpi} contributes to {goal}, but the plan names no strategy it could find "
                                         "(`metadata.strategy`)").format(kpi=kpi.id, goal=kpi.contributes_to))
                continue
            goals = {g.id: g for g in entry.model.goals if g.id}
            goal = goals.get(kpi.contributes_to)
            if goal is None:
                from kpi_policies.schema import did_you_mean

                yield Violation(where, _("KPI {kpi} contributes to '{goal}', which is not a goal of strategy {strategy}").format(
                    kpi=kpi.id, goal=kpi.contributes_to, strategy=entry.id) + did_you_mean(kpi.contributes_to, list(goals)))
            elif goal.measure is None:
                yield Violation(where, _("KPI {kpi} contributes to goal {goal}, which has no `measure` in strategy {strategy}: "
                                         "add one (metric, baseline, target, due) or remove `contributes_to`").format(
                                             kpi=kpi.id, goal=goal.id, strategy=entry.id))
            elif goal.measure.metric and kpi.metric and goal.measure.metric != kpi.metric:
                yield Violation(where, _("KPI {kpi} measures {metric}, but goal {goal} is measured in {goal_metric}: "
                                         "only KPIs of the same metric add up").format(
                                             kpi=kpi.id, metric=kpi.metric, goal=goal.id, goal_metric=goal.measure.metric))
