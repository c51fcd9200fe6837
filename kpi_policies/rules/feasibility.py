"""FE, feasibility: every target is a number, with a baseline, a deadline and a realistic size.

docs/domain.md mistake 2: a target that is not feasible (no baseline, a jump far
beyond history, a deadline outside the plan period, a percentage above 100).
SMART (Doran, 1981): realistic and time-bound.
"""

from __future__ import annotations

import re

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
    max_change_points: float = Field(10, gt=0, description="For percent metrics and scores: largest change in points allowed without a justification.")


class ChangeBeyondLimit(Rule):
    """Target is far from its baseline and no justification explains it.

    ## Why it matters
    "A jump far beyond history" is the classic infeasible target (docs/domain.md,
    mistake 2; SMART: realistic). The built-in policy asks for a
    `target.justification` once the target is more than 50% away from its
    baseline (docs/domain.md, "Ids and defaults"). Rates in percent and scores
    (NPS) change in points, not in percent of themselves: conversion from 1.2%
    to 1.9% is +0.7 points, not +58%; their limit is `max_change_points`.

    ## Parameters
    - `max_change_percent` (percent of the baseline, default 50): largest change allowed without a justification.
    - `max_change_points` (points, default 10): the same for percent metrics and scores.

    ## Fails
    ```yaml
    kpis:
      - id: KPI-REVENUE
        baseline: {value: 48000000000, period: 2026}
        target: {value: 96000000000, due: 2027-12-31}     # +100%
    ```

    ```yaml
    kpis:
      - id: KPI-CONVERSION
        baseline: {value: 2.1, period: 2026}
        target: {value: 14.5, due: 2027-12-31}     # +12.4 points
    ```

    ## Passes
    ```yaml
    kpis:
      - id: KPI-REVENUE
        baseline: {value: 48000000000, period: 2026}
        target:
          value: 96000000000
          due: 2027-12-31
          justification: Two new marketplaces open in January; each sold 24 bn in its first year elsewhere.
    ```

    ```yaml
    kpis:
      - id: KPI-CONVERSION
        baseline: {value: 1.2, period: 2026}
        target: {value: 1.9, due: 2027-12-31}     # +0.7 points, not +58%
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
            if {kpi.path + ("baseline", "value"), kpi.path + ("target", "value")} & misread_amounts(ctx):
                continue  # FE011 says the number is misread (585.000): a change computed from it means nothing
            if _in_points(ctx, kpi):
                points = abs(target - base)
                if points > params.max_change_points:
                    yield Violation(kpi.path + ("target", "value"),
                                    _("the target of KPI {kpi} is {points} points away from its baseline ({baseline} -> {target}), "
                                      "beyond the {limit} points allowed without `target.justification`").format(
                                        kpi=kpi.id, points=f"{points:.4g}", baseline=_num(base), target=_num(target),
                                        limit=f"{params.max_change_points:g}"))
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


def _in_points(ctx: Context, kpi) -> bool:
    """True for percent and score KPIs, whose changes are measured in points."""
    metric = ctx.catalog.get(kpi.metric)
    if metric is not None:
        return metric.unit in ("percent", "score")
    return (kpi.unit or "").strip().lower() in ("percent", "%", "score")


def _num(value: float) -> str:
    """A number as people write it: ``52800000000`` -> ``52,800,000,000``; ``2.40`` -> ``2.4``."""
    return format_number(value)


class InitiativeDates(Rule):
    """Initiative dates are outside the plan period, or it ends before it starts.

    ## Why it matters
    Initiatives are the plan's execution: each has an owner and dates
    (docs/domain.md, step 5). Work that starts after it ends cannot be
    scheduled, and work outside the plan period cannot move this plan's
    drivers before their targets are due (Kaplan and Norton: initiatives move
    the measures of the same scorecard).

    ## Fails
    ```yaml
    initiatives:
      - {id: INIT-CHECKOUT, start: 2027-06-30, end: 2027-02-01}
    ```

    ```yaml
    initiatives:
      - {id: INIT-CHECKOUT, end: 2028-03-31}
    ```

    ## Passes
    ```yaml
    initiatives:
      - {id: INIT-CHECKOUT, start: 2027-02-01, end: 2027-06-30}
    ```
    """

    id = "FE008"
    name = "feasibility.initiative-dates"
    severity = Severity.ERROR

    def check(self, ctx: Context, params):
        period = ctx.plan.metadata.period
        for initiative in ctx.plan.initiatives:
            label = initiative.id or _("at initiatives[{n}]").format(n=initiative.path[-1])
            if initiative.start and initiative.end and initiative.end < initiative.start:
                yield Violation(initiative.path + ("end",),
                                _("initiative {initiative} ends {end}, before it starts ({start}): swap `start` and `end` or fix "
                                  "one of them").format(initiative=label, end=initiative.end.isoformat(), start=initiative.start.isoformat()))
                continue
            if period is None or period.start is None or period.end is None:
                continue
            for key in ("start", "end"):
                day = getattr(initiative, key)
                if day is not None and not period.contains(day):
                    if key == "start":
                        text = (_("initiative {initiative} starts {day}, after the plan period ends ({start} to {end})") if day > period.end
                                else _("initiative {initiative} starts {day}, before the plan period starts ({start} to {end})"))
                    else:
                        text = (_("initiative {initiative} ends {day}, after the plan period ends ({start} to {end})") if day > period.end
                                else _("initiative {initiative} ends {day}, before the plan period starts ({start} to {end})"))
                    yield Violation(initiative.path + (key,), text.format(initiative=label, day=day.isoformat(),
                                                                          start=period.start.isoformat(), end=period.end.isoformat()))


class WeightsNotHundred(Rule):
    """KPI weights do not add up to 100, or some KPIs have none.

    ## Why it matters
    A plan may weigh its KPIs (`weight`, trọng số, in percent) to score the
    plan as the sum of weight x each KPI's completion, as Vietnamese KPI
    templates do. The score is only a completion rate when every KPI has a
    weight and the weights add up to 100; otherwise a KPI silently counts for
    nothing, or the rate can pass 100% with every KPI short of its target.

    ## Fails
    ```yaml
    kpis:
      - id: KPI-REVENUE
        weight: 60
      - id: KPI-CONVERSION
        weight: 30                 # 60 + 30 = 90
    ```

    ## Passes
    ```yaml
    kpis:
      - id: KPI-REVENUE
        weight: 60
      - id: KPI-CONVERSION
        weight: 40
    ```
    """

    id = "FE009"
    name = "feasibility.weights-not-hundred"
    severity = Severity.ERROR

    def check(self, ctx: Context, params):
        kpis = list(ctx.kpis())
        weighted = [k for k in kpis if k.weight is not None]
        if not weighted:
            return
        for kpi in kpis:
            if kpi.weight is None:
                yield Violation(kpi.path, _("KPI {kpi} has no `weight`, while other KPIs of the plan do: give it one "
                                            "(0 if it does not count)").format(kpi=kpi_label(kpi)), missing=kpi.path + ("weight",))
        total = sum(k.weight for k in weighted)
        if abs(total - 100) > 0.01:
            parts = " + ".join(f"{k.weight:g}" for k in weighted)
            yield Violation(weighted[0].path + ("weight",),
                            _("the KPI weights add up to {total} ({parts}), not 100: change them so that they total 100").format(
                                total=f"{total:g}", parts=parts))


def _baseline_start(period) -> "dt.date | None":
    """First day of a baseline period written as a year (2026), ``YYYY-MM``, ``YYYY-MM-DD``, ``YYYY-Qn`` or ``YYYY-Hn``."""
    import datetime as dt
    import re

    text = str(period).strip() if period is not None and not isinstance(period, bool) else ""
    m = re.fullmatch(r"(\d{4})(?:-(?:(\d{2})(?:-(\d{2}))?|Q([1-4])|H([12])))?", text, re.I)
    if not m:
        return None
    year, month, day, quarter, half = m.groups()
    month = int(month) if month else (3 * int(quarter) - 2 if quarter else (6 * int(half) - 5 if half else 1))
    try:
        return dt.date(int(year), month, int(day) if day else 1)
    except ValueError:
        return None


class BaselineBeforeDefinitionChange(Rule):
    """Baseline was measured before the platform changed how the metric is counted.

    ## Why it matters
    A target is compared with its baseline (docs/domain.md, step 3), which only
    works when both are counted the same way. Platforms change their
    definitions: YouTube Shorts count every start or replay as a view since
    2025-03-31 (the old count is "engaged views"). A baseline measured before
    such a date, for a target due after it, is not comparable: re-measure the
    baseline under the new definition, or explain in `target.justification`
    how it was converted. The catalog records the dates
    (`definition_changes`; `kpi-policies explain METRIC_ID`); a change of name
    only, such as GA4's conversions becoming key events in March 2024, is
    marked `comparable` and not reported.

    ## Fails
    ```yaml
    kpis:
      - id: KPI-CONVERSION
        metric: video_views
        unit: count
        baseline: {value: 900000, period: 2024}   # before Shorts views changed (2025-03-31)
        target: {value: 1000000, due: 2027-12-31}
    ```

    ## Passes
    ```yaml
    kpis:
      - id: KPI-CONVERSION
        metric: video_views
        unit: count
        baseline: {value: 900000, period: 2026}
        target: {value: 1000000, due: 2027-12-31}
    ```
    """

    id = "FE010"
    name = "feasibility.baseline-before-definition-change"
    severity = Severity.WARNING

    def check(self, ctx: Context, params):
        import datetime as dt

        for kpi in ctx.kpis():
            metric = ctx.catalog.get(kpi.metric)
            if metric is None or kpi.baseline is None or not metric.definition_changes:
                continue
            if kpi.target is not None and not is_blank(kpi.target.justification):
                continue
            start = _baseline_start(kpi.baseline.period)
            period = ctx.plan.metadata.period
            until = (kpi.target.due if kpi.target and kpi.target.due else None) or (period.end if period else None)
            if start is None or until is None:
                continue
            for change in metric.definition_changes:
                if change.comparable:
                    continue
                changed = _baseline_start(change.date)
                if changed is not None and start < changed <= until:
                    yield Violation(kpi.path + ("baseline", "period"),
                                    _("the baseline of KPI {kpi} ({period}) was measured before {metric} changed on {date} "
                                      "({change}); re-measure it under the new definition, or say how it was converted in "
                                      "`target.justification`").format(kpi=kpi.id, period=kpi.baseline.period, metric=metric.name,
                                                                          date=change.date, change=change.change))
                    break


class CurrencyFloorParams(BaseModel):
    """Parameters of FE011."""

    model_config = ConfigDict(extra="forbid")

    currency_floor: dict[str, float] = Field(
        default_factory=lambda: {"VND": 1000},
        description="Per currency code, the smallest plausible amount (default VND 1,000).")
    exempt_metrics: list[str] = Field(
        default_factory=lambda: ["cost_per_view"],
        description="Metrics whose amounts may lie below the floor (a YouTube view costs a few hundred đồng).")


_THREE_DECIMALS = re.compile(r"^[-+]?[0-9]{1,3}\.[0-9]{3}$")
_NUMBER_TOKEN = re.compile(r"[-+]?[0-9][0-9_]*(?:\.[0-9]*)?(?:[eE][-+]?[0-9]+)?")


def raw_number(document, path: tuple, lines: list[str] | None = None) -> str | None:
    """The number at ``path`` as written in the file (``585.000``), read at its position; ``None`` if not found.

    ``lines``: the document's text split into lines, when the caller reads many numbers.
    """
    pos = document.positions.get(tuple(path)) if document is not None else None
    if pos is None or not document.text:
        return None
    line, column = pos
    lines = lines if lines is not None else document.text.splitlines()
    if not 1 <= line <= len(lines):
        return None
    m = _NUMBER_TOKEN.match(lines[line - 1], column - 1)
    return m.group(0) if m else None


class ImplausibleAmount(Rule):
    """A currency amount is written with a thousands dot (585.000) or is too small to be real.

    ## Why it matters
    Vietnamese write 585.000 for five hundred eighty-five thousand; in YAML
    the dot is a decimal point, so `585.000` is the number 585 and every
    figure computed from it is off by a factor of 1,000 (docs/domain.md,
    "Time: what a figure covers", last point). An amount of money below the
    policy's floor (VND 1,000 by default: nothing is priced under a thousand
    đồng) is the same mistake in another form. Write amounts without
    separators: `585000`. Metrics priced per view are exempt.

    ## Parameters
    - `currency_floor` (mapping currency code -> smallest plausible amount; default `{VND: 1000}`).
    - `exempt_metrics` (list of metric ids, default `[cost_per_view]`).

    ## Fails
    ```yaml
    kpis:
      - id: KPI-AOV
        name: Average order value
        objective: OBJ-REVENUE
        metric: average_order_value
        unit: VND
        direction: increase
        baseline: {value: 585.000, period: 2026}
        target: {value: 625000, due: 2027-12-31}
    ```

    ## Passes
    ```yaml
    kpis:
      - id: KPI-AOV
        name: Average order value
        objective: OBJ-REVENUE
        metric: average_order_value
        unit: VND
        direction: increase
        baseline: {value: 585000, period: 2026}
        target: {value: 625000, due: 2027-12-31}
    ```
    """

    id = "FE011"
    name = "feasibility.implausible-amount"
    severity = Severity.ERROR
    Params = CurrencyFloorParams

    def check(self, ctx: Context, params: CurrencyFloorParams):
        lines = None
        for kpi in ctx.kpis():
            unit = (kpi.unit or "").strip()
            if not re.fullmatch(r"[A-Z]{3}", unit):
                continue
            floor = params.currency_floor.get(unit)
            exempt = kpi.metric in params.exempt_metrics
            values = []  # (path, the words naming the amount (made only for a finding), value)
            if kpi.baseline is not None and kpi.baseline.value is not None:
                values.append((kpi.path + ("baseline", "value"), (_baseline_words, kpi), kpi.baseline.value))
            if kpi.target is not None and kpi.target.value is not None:
                values.append((kpi.path + ("target", "value"), (_target_words, kpi), kpi.target.value))
            if kpi.review is not None:
                for entry in kpi.review.log:
                    if entry.actual is not None:
                        values.append((entry.path + ("actual",), (_actual_words, kpi, entry), entry.actual))
            for path, words, value in values:
                if not _maybe_misread(value, floor, exempt):
                    continue
                what = words[0](*words[1:])
                token = None
                if abs(value) < 1000:  # only 1 to 3 digits before the dot can be a thousands dot
                    if lines is None:
                        lines = ctx.document.text.splitlines() if ctx.document is not None else []
                    token = raw_number(ctx.document, path, lines)
                dotted = token is not None and _THREE_DECIMALS.match(token)
                if dotted and (token.endswith(".000") or (floor is not None and abs(value) < floor and not exempt)):
                    meant = token.replace(".", "").lstrip("+")
                    yield Violation(path, _("{what} is written {token}: the dot is read as a decimal point, so this is {value} {unit}; "
                                            "for {meant} {unit} write {plain} (no separators)").format(
                                                what=what, token=token, value=_num(value), unit=unit, meant=_num(int(meant)), plain=meant))
                elif floor is not None and not exempt and value != 0 and abs(value) < floor:
                    yield Violation(path, _("{what} is {value} {unit}, below {floor} {unit}, too small for an amount of money; write "
                                            "the full amount without separators (in thousands it would be {thousands}: write {plain})").format(
                                                what=what, value=_num(value), unit=unit, floor=_num(floor), thousands=_num(value * 1000),
                                                plain=int(round(value * 1000))))


def _maybe_misread(value, floor, exempt: bool) -> bool:
    """True when FE011 must look closer at an amount: below 1,000 (a thousands dot is possible) or below the floor."""
    return abs(value) < 1000 or (floor is not None and not exempt and value != 0 and abs(value) < floor)


def _baseline_words(kpi) -> str:
    return _("the baseline of KPI {kpi}").format(kpi=kpi.id)


def _target_words(kpi) -> str:
    return _("the target of KPI {kpi}").format(kpi=kpi.id)


def _actual_words(kpi, entry) -> str:
    return (_("the actual of {date} of KPI {kpi}").format(date=entry.date.isoformat(), kpi=kpi.id) if entry.date
            else _("the actual of KPI {kpi}").format(kpi=kpi.id))


def misread_amounts(ctx: Context) -> frozenset:
    """Paths of the amounts rule FE011 reports (a thousands dot read as a decimal point, or money below the floor).

    Rules that compute with amounts (FE005, the driver identities) leave these alone: the number they would
    compute from is not the one the plan means, and FE011 already says what to write.
    """
    key = id(ctx.plan)
    cached = _MISREAD.get(key)
    if cached is None or cached[0] is not ctx.plan:
        try:
            paths = frozenset(tuple(v.path) for v in ImplausibleAmount().check(ctx, CurrencyFloorParams()))
        except Exception:  # a plan FE011 cannot read: nothing is known to be misread
            paths = frozenset()
        _MISREAD.clear()  # one plan at a time: the cache never grows
        _MISREAD[key] = cached = (ctx.plan, paths)
    return cached[1]


_MISREAD: dict = {}
