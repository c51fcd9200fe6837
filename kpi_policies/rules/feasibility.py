"""FE, feasibility: every target is a number, with a baseline, a deadline and a realistic size.

docs/domain.md mistake 2: a target that is not feasible (no baseline, a jump far
beyond history, a deadline outside the plan period, a percentage above 100).
SMART (Doran, 1981): realistic and time-bound.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from kpi_policies.i18n import _, format_number
from kpi_policies.result import Severity
from kpi_policies.rules.base import Context, Rule, Violation, is_blank, kpi_label


class MissingBaseline(Rule):
    """KPI has no baseline to compare its target with.

    ## Why it matters
    A target is set against a baseline it is compared with, e.g. revenue +10%
    on the same period last year (docs/domain.md, step 3). Without a baseline value
    and the period it was measured in, nobody can tell whether the target is
    feasible (mistake 2).

    ## Fails
    ```yaml
    kpis:
      - id: KPI-CONVERSION
        baseline: ~                # removed
    ```

    ## Passes
    ```yaml
    kpis:
      - id: KPI-CONVERSION
        baseline: {value: 2.1, period: 2026}
    ```
    """

    id = "FE001"
    name = "feasibility.missing-baseline"
    severity = Severity.ERROR

    def check(self, ctx: Context, params):
        for kpi in ctx.kpis():
            if kpi.baseline is None:
                yield Violation(kpi.path, _("KPI {kpi} has no baseline; add `baseline: {{value: ..., period: ...}}` measured before the plan").format(kpi=kpi_label(kpi)),
                                missing=kpi.path + ("baseline",))
            elif kpi.baseline.value is None:
                yield Violation(kpi.path + ("baseline",), _("the baseline of KPI {kpi} has no value").format(kpi=kpi.id), missing=kpi.path + ("baseline", "value"))
            elif kpi.baseline.period is None:
                yield Violation(kpi.path + ("baseline",), _("the baseline of KPI {kpi} does not say which period it was measured in (`period`, e.g. 2026)").format(kpi=kpi.id),
                                missing=kpi.path + ("baseline", "period"))


class MissingTarget(Rule):
    """KPI has no target value.

    ## Why it matters
    Setting a target per KPI, a number with a unit and a deadline, is step 3 of
    a good plan (docs/domain.md). ISO 9001:2015 6.2 requires objectives to be
    measurable; a KPI with no target cannot be met or missed.

    ## Fails
    ```yaml
    kpis:
      - id: KPI-CONVERSION
        target: ~                  # removed
    ```

    ## Passes
    ```yaml
    kpis:
      - id: KPI-CONVERSION
        target: {value: 2.4, due: 2027-12-31}
    ```
    """

    id = "FE002"
    name = "feasibility.missing-target"
    severity = Severity.ERROR

    def check(self, ctx: Context, params):
        for kpi in ctx.kpis():
            if kpi.target is None:
                yield Violation(kpi.path, _("KPI {kpi} has no target; add `target: {{value: ..., due: YYYY-MM-DD}}`").format(kpi=kpi_label(kpi)),
                                missing=kpi.path + ("target",))
            elif kpi.target.value is None:
                yield Violation(kpi.path + ("target",), _("the target of KPI {kpi} has no value").format(kpi=kpi.id), missing=kpi.path + ("target", "value"))


class MissingDeadline(Rule):
    """Target has no deadline.

    ## Why it matters
    SMART targets are time-bound (Doran, 1981) and ISO 9001:2015 6.2 asks "by
    when". A target without `due` cannot be reviewed against time.

    ## Fails
    ```yaml
    kpis:
      - id: KPI-CONVERSION
        target: {value: 2.4, due: ~}
    ```

    ## Passes
    ```yaml
    kpis:
      - id: KPI-CONVERSION
        target: {value: 2.4, due: 2027-12-31}
    ```
    """

    id = "FE003"
    name = "feasibility.missing-deadline"
    severity = Severity.ERROR

    def check(self, ctx: Context, params):
        for kpi in ctx.kpis():
            if kpi.target is not None and kpi.target.due is None:
                yield Violation(kpi.path + ("target",), _("the target of KPI {kpi} has no deadline (`due`, a date inside the plan period)").format(kpi=kpi.id),
                                missing=kpi.path + ("target", "due"))


class TargetAgainstDirection(Rule):
    """Target does not move in the KPI's declared direction.

    ## Why it matters
    `direction: increase` with a target at or below the baseline (or
    `decrease` with a target at or above it) is a contradiction: either the
    direction or the target is wrong (docs/domain.md, step 3 and mistake 2).
    `maintain` KPIs are not judged here.

    ## Fails
    ```yaml
    kpis:
      - id: KPI-CONVERSION
        direction: increase
        baseline: {value: 2.1, period: 2026}
        target: {value: 1.9, due: 2027-12-31}
    ```

    ## Passes
    ```yaml
    kpis:
      - id: KPI-CONVERSION
        direction: increase
        baseline: {value: 2.1, period: 2026}
        target: {value: 2.4, due: 2027-12-31}
    ```
    """

    id = "FE004"
    name = "feasibility.target-direction"
    severity = Severity.ERROR

    def check(self, ctx: Context, params):
        for kpi in ctx.kpis():
            if kpi.baseline is None or kpi.target is None:
                continue
            base, target = kpi.baseline.value, kpi.target.value
            if base is None or target is None:
                continue
            if kpi.direction == "increase" and target <= base:
                text = (_("KPI {kpi} should increase, but its target {target} is equal to its baseline {baseline}") if target == base
                        else _("KPI {kpi} should increase, but its target {target} is below its baseline {baseline}"))
                yield Violation(kpi.path + ("target", "value"), text.format(kpi=kpi.id, target=_num(target), baseline=_num(base)))
            elif kpi.direction == "decrease" and target >= base:
                text = (_("KPI {kpi} should decrease, but its target {target} is equal to its baseline {baseline}") if target == base
                        else _("KPI {kpi} should decrease, but its target {target} is above its baseline {baseline}"))
                yield Violation(kpi.path + ("target", "value"), text.format(kpi=kpi.id, target=_num(target), baseline=_num(base)))


class ChangeLimitParams(BaseModel):
    """Parameters of FE005."""

    model_config = ConfigDict(extra="forbid")

    max_change_percent: float = Field(50, gt=0, description="Largest change against baseline, in percent of the baseline, allowed without a justification.")


class ChangeBeyondLimit(Rule):
    """Target is far from its baseline and no justification explains it.

    ## Why it matters
    "A jump far beyond history" is the classic infeasible target (docs/domain.md,
    mistake 2; SMART: realistic). The built-in policy asks for a
    `target.justification` once the target is more than 50% away from its
    baseline (docs/domain.md, "Ids and defaults").

    ## Parameters
    - `max_change_percent` (percent of the baseline, default 50): largest change allowed without a justification.

    ## Fails
    ```yaml
    kpis:
      - id: KPI-CONVERSION
        baseline: {value: 2.1, period: 2026}
        target: {value: 4.2, due: 2027-12-31}     # +100%
    ```

    ## Passes
    ```yaml
    kpis:
      - id: KPI-CONVERSION
        baseline: {value: 2.1, period: 2026}
        target:
          value: 4.2
          due: 2027-12-31
          justification: New checkout launched in January doubled conversion in the pilot market.
    ```
    """

    id = "FE005"
    name = "feasibility.change-beyond-limit"
    severity = Severity.ERROR
    Params = ChangeLimitParams

    def check(self, ctx: Context, params: ChangeLimitParams):
        for kpi in ctx.kpis():
            if kpi.baseline is None or kpi.target is None:
                continue
            base, target = kpi.baseline.value, kpi.target.value
            if base is None or target is None or not is_blank(kpi.target.justification):
                continue
            if base == 0:
                if target != 0:
                    yield Violation(kpi.path + ("target", "value"),
                                    _("KPI {kpi} starts from a baseline of 0, so any target is an unbounded change; add `target.justification`").format(kpi=kpi.id))
                continue
            change = abs(target - base) / abs(base) * 100
            if change > params.max_change_percent:
                yield Violation(kpi.path + ("target", "value"),
                                _("the target of KPI {kpi} is {change}% away from its baseline ({baseline} -> {target}), "
                                  "beyond the {limit}% allowed without `target.justification`").format(
                                    kpi=kpi.id, change=f"{change:.0f}", baseline=_num(base), target=_num(target),
                                    limit=f"{params.max_change_percent:g}"))


class DueOutsidePeriod(Rule):
    """Target is due outside the plan period.

    ## Why it matters
    A plan covers a period; a target due after it ends (or before it starts)
    is not this plan's target and will never be reviewed in it (docs/domain.md,
    mistake 2: a deadline outside the plan period).

    ## Fails
    ```yaml
    kpis:
      - id: KPI-CONVERSION
        target: {value: 2.4, due: 2028-06-30}
    ```

    ## Passes
    ```yaml
    kpis:
      - id: KPI-CONVERSION
        target: {value: 2.4, due: 2027-12-31}
    ```
    """

    id = "FE006"
    name = "feasibility.due-outside-period"
    severity = Severity.ERROR

    def check(self, ctx: Context, params):
        period = ctx.plan.metadata.period
        if period is None or period.start is None or period.end is None:
            return
        for kpi in ctx.kpis():
            if kpi.target is not None and kpi.target.due is not None and not period.contains(kpi.target.due):
                text = (_("the target of KPI {kpi} is due {due}, after the plan period ends ({start} to {end})")
                        if kpi.target.due > period.end
                        else _("the target of KPI {kpi} is due {due}, before the plan period starts ({start} to {end})"))
                yield Violation(kpi.path + ("target", "due"),
                                text.format(kpi=kpi.id, due=kpi.target.due.isoformat(), start=period.start.isoformat(), end=period.end.isoformat()))


class PercentOutOfRange(Rule):
    """Value lies outside the range its metric allows.

    ## Why it matters
    A conversion rate of 120% or a churn rate below 0 cannot happen (docs/domain.md,
    mistake 2: a percentage above 100). The range comes from the metric catalog
    (an ad conversion rate may exceed 100%, an NPS runs from -100 to 100); a
    percent KPI whose metric has no range must stay within 0 to 100.

    ## Fails
    ```yaml
    kpis:
      - id: KPI-CONVERSION
        target: {value: 104, due: 2027-12-31}    # a rate cannot exceed 100%
    ```

    ## Passes
    ```yaml
    kpis:
      - id: KPI-CONVERSION
        target: {value: 2.4, due: 2027-12-31}
    ```
    """

    id = "FE007"
    name = "feasibility.value-out-of-range"
    severity = Severity.ERROR

    def check(self, ctx: Context, params):
        for kpi in ctx.kpis():
            metric = ctx.catalog.get(kpi.metric)
            low, high = None, None
            if metric is not None and (metric.range.min is not None or metric.range.max is not None):
                low, high = metric.range.min, metric.range.max
            elif (kpi.unit or "").strip().lower() in ("percent", "%") and metric is None:
                low, high = 0.0, 100.0
            if low is None and high is None:
                continue
            values = []
            if kpi.baseline is not None and kpi.baseline.value is not None:
                values.append((kpi.path + ("baseline", "value"), _("the baseline of KPI {kpi} is {value}"), kpi.baseline.value, {}))
            if kpi.target is not None and kpi.target.value is not None:
                values.append((kpi.path + ("target", "value"), _("the target of KPI {kpi} is {value}"), kpi.target.value, {}))
            if kpi.review is not None:
                for entry in kpi.review.log:
                    if entry.actual is not None:
                        values.append((entry.path + ("actual",), _("the actual value of the review on {date} of KPI {kpi} is {value}"),
                                       entry.actual, {"date": entry.date}))
            for path, what, value, extra in values:
                if (low is not None and value < low) or (high is not None and value > high):
                    bounds = _("{low} to {high}").format(low=_num(low) if low is not None else "-inf",
                                                          high=_num(high) if high is not None else _("no upper bound"))
                    yield Violation(path, what.format(kpi=kpi.id, value=_num(value), **extra) + _(", outside the range {bounds} of metric {metric}").format(
                        bounds=bounds, metric=kpi.metric or kpi.unit))


def _num(value: float) -> str:
    """A number as people write it: ``52800000000`` -> ``52,800,000,000``; ``2.40`` -> ``2.4``."""
    return format_number(value)
