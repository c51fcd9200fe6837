"""TR, tracking: what each figure covers, and whether the KPI is on pace for its target.

docs/domain.md "Time: what a figure covers": a KPI's figures add up over its
window in one way (total, year to date, average, latest, non-additive);
attainment (tỷ lệ hoàn thành) is the actual to date against the target to
date, phased; a baseline for "+10% so với cùng kỳ năm trước" covers the same
period last year. ISO 9001:2015 6.2.2 e (how results will be evaluated) and
9.1.3 (analyse and evaluate results). The numbers come from
:mod:`kpi_policies.timeline`, the same module the audit report uses.
"""

from __future__ import annotations

import functools
import re
import unicodedata

from pydantic import BaseModel, ConfigDict, Field, model_validator

from kpi_policies.i18n import N_, _, ngettext
from kpi_policies.result import Severity
from kpi_policies.rules.base import Context, Rule, Violation
from kpi_policies.timeline import (AGGREGATION_WORDS, CADENCE_KIND, TO_DATE, PaceThresholds, aggregation_of,
                                   canonical_cadence, describe_number, pace, parse_period,
                                   period_kind, target_window)


class PaceParams(BaseModel):
    """Parameters of TR001 and TR002 (give both the same values)."""

    model_config = ConfigDict(extra="forbid")

    on_track_percent: float = Field(98, gt=0, le=200, description="The forecast at the due date, in percent of the target, from which a KPI is on track.")
    off_track_percent: float = Field(95, gt=0, le=200, description="Below this percent of the target the forecast is off track; between the two, at risk.")

    @model_validator(mode="after")
    def _ordered(self):
        if self.off_track_percent > self.on_track_percent:
            raise ValueError("off_track_percent must not exceed on_track_percent")
        return self

    def thresholds(self) -> PaceThresholds:
        """As :class:`kpi_policies.timeline.PaceThresholds`."""
        return PaceThresholds(on_track=self.on_track_percent, off_track=self.off_track_percent)


def _pace_of(ctx: Context, kpi, params: PaceParams):
    """The pace of ``kpi``, computed once per document for TR001 and TR002 (same thresholds)."""
    cache = ctx.__dict__.setdefault("_tracking_pace", {})
    key = (id(kpi), params.on_track_percent, params.off_track_percent)
    if key not in cache:
        cache[key] = (kpi, pace(kpi, ctx.plan.metadata.period, ctx.catalog, ctx.as_of, params.thresholds()))
    return cache[key][1]


def _pace_findings(ctx: Context, params: PaceParams, statuses: tuple[str, ...]):
    for kpi in ctx.kpis():
        if kpi.direction == "maintain":
            continue
        result = _pace_of(ctx, kpi, params)
        if result.status not in statuses:
            continue
        last = result.figures[-1].entry if result.figures else None
        where = last.path + ("actual",) if last is not None and last.path else kpi.path + ("target", "value")
        how = _(AGGREGATION_WORDS.get(result.aggregation or "", "latest value"))
        parts = []
        if result.attainment is not None:
            parts.append(_("{pct}% of the target attained").format(pct=f"{result.attainment * 100:.0f}"))
        if result.attainment_to_date is not None and result.aggregation in ("total", "ytd"):
            parts.append(_("{pct}% of the target to date ({target})").format(pct=f"{result.attainment_to_date * 100:.0f}",
                                                                             target=describe_number(result.target_to_date)))
        figures = "; " + ", ".join(parts) if parts else ""
        text = {"at_risk": _("KPI {kpi} is at risk: {status} (figures read as the {how}{figures} up to {date})"),
                "off_track": _("KPI {kpi} is off track: {status} (figures read as the {how}{figures} up to {date})"),
                "missed": _("KPI {kpi} missed its target: {status} (figures read as the {how}{figures} up to {date})"),
                }[result.status]
        yield Violation(where, text.format(kpi=kpi.id, status=result.status_text, how=how, figures=figures,
                                           date=result.actual_through.isoformat()))


class AtRisk(Rule):
    """KPI is at risk of missing its target at the current pace.

    ## Why it matters
    Attainment (tỷ lệ hoàn thành) is the actual to date against the target to
    date, phased over the target's window; a forecast projects it to the due
    date: the run rate for totals and year-to-date figures, the drift of the
    recent reviews for averages and latest values (docs/domain.md, "Time: what
    a figure covers"; Hyndman and Athanasopoulos, *Forecasting: Principles and
    Practice*, 5.2). ISO 9001:2015 9.1.3 asks to analyse and evaluate results
    in time to act. A forecast between `off_track_percent` and
    `on_track_percent` of the target is at risk. How the figures add up comes
    from the KPI's `aggregation` or its metric's default in the catalog.
    `maintain` KPIs and targets against the KPI's direction (FE004) are not
    judged here.

    ## Parameters
    - `on_track_percent` (percent of the target, default 98): forecast from which the KPI is on track.
    - `off_track_percent` (percent of the target, default 95): below it the KPI is off track (TR002).

    ## Fails
    ```yaml
    kpis:
      - id: KPI-REVENUE
        review:
          log:
            - {date: 2027-01-31, actual: 4100000000}
            - {date: 2027-02-28, actual: 4000000000}
            - {date: 2027-03-31, actual: 4450000000}   # 12.55 bn in Q1: forecast 50.9 bn, 96% of 52.8 bn
    ```

    ## Passes
    ```yaml
    kpis:
      - id: KPI-REVENUE
        review:
          log:
            - {date: 2027-01-31, actual: 4200000000}
            - {date: 2027-02-28, actual: 4300000000}
            - {date: 2027-03-31, actual: 4500000000}   # 13 bn in Q1: forecast 52.7 bn
    ```
    """

    id = "TR001"
    name = "tracking.at-risk"
    severity = Severity.WARNING
    Params = PaceParams

    def check(self, ctx: Context, params: PaceParams):
        yield from _pace_findings(ctx, params, ("at_risk",))


class OffTrack(Rule):
    """KPI is off track for its target, or missed it.

    ## Why it matters
    The forecast at the due date (see TR001) falls short of
    `off_track_percent` of the target, or the target's window has ended short
    of it. A warning by default; a policy that wants off-track KPIs to block
    sets this rule's severity to error. ISO 9001:2015 9.1.3 and 10.2: results
    that miss the objective call for action.

    ## Parameters
    - `on_track_percent` (percent of the target, default 98): as for TR001.
    - `off_track_percent` (percent of the target, default 95): below it the KPI is off track.

    ## Fails
    ```yaml
    kpis:
      - id: KPI-REVENUE
        review:
          log:
            - {date: 2027-01-31, actual: 3000000000}
            - {date: 2027-02-28, actual: 3100000000}
            - {date: 2027-03-31, actual: 3200000000}   # 9.3 bn in Q1: forecast 37.7 bn, 71% of 52.8 bn
    ```

    ## Passes
    ```yaml
    kpis:
      - id: KPI-REVENUE
        review:
          log:
            - {date: 2027-01-31, actual: 4200000000}
            - {date: 2027-02-28, actual: 4300000000}
            - {date: 2027-03-31, actual: 4500000000}
    ```
    """

    id = "TR002"
    name = "tracking.off-track"
    severity = Severity.WARNING
    Params = PaceParams

    def check(self, ctx: Context, params: PaceParams):
        yield from _pace_findings(ctx, params, ("off_track", "missed"))


def _plain(text: str) -> str:
    """Lower case without Vietnamese diacritics: ``Lũy kế`` -> ``luy ke``."""
    text = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    return re.sub(r"\s+", " ", "".join(c for c in text if unicodedata.category(c) != "Mn").lower())


#: Kinds of period, as said in messages.
PERIOD_WORDS = {"month": N_("month"), "quarter": N_("quarter"), "half": N_("half"), "year": N_("year"), "span": N_("span"),
                "period": N_("period")}
#: Calendar cadences, as said in messages.
CADENCE_WORDS = {"monthly": N_("monthly"), "quarterly": N_("quarterly"), "semiannual": N_("semiannual"), "annual": N_("annual")}


#: Words that say how a figure adds up -> (the aggregation they point to, what they mean).
_WORDS = [
    ("trung binh thang", "average", N_("a monthly average")),
    ("trung binh quy", "average", N_("a quarterly average")),
    ("trung binh moi thang", "average", N_("a monthly average")),
    ("binh quan thang", "average", N_("a monthly average")),
    ("monthly average", "average", N_("a monthly average")),
    ("average per month", "average", N_("a monthly average")),
    ("average monthly", "average", N_("a monthly average")),
    ("quarterly average", "average", N_("a quarterly average")),
    ("luy ke", "ytd", N_("a running total to date")),
    ("cong don", "ytd", N_("a running total to date")),
    ("year to date", "ytd", N_("a running total to date")),
    ("year-to-date", "ytd", N_("a running total to date")),
    ("ytd", "ytd", N_("a running total to date")),
    ("cumulative", "ytd", N_("a running total to date")),
    ("moi thang", "average", N_("a figure per month")),
    ("hang thang", "average", N_("a figure per month")),
    ("moi quy", "average", N_("a figure per quarter")),
    ("hang quy", "average", N_("a figure per quarter")),
    ("moi tuan", "average", N_("a figure per week")),
    ("per month", "average", N_("a figure per month")),
    ("each month", "average", N_("a figure per month")),
    ("a month", "average", N_("a figure per month")),
    ("per quarter", "average", N_("a figure per quarter")),
    ("each quarter", "average", N_("a figure per quarter")),
    ("per week", "average", N_("a figure per week")),
]


_WORD_RANK = {word: i for i, (word, _, _) in enumerate(_WORDS)}
_WORD_RE = re.compile(r"(?<![a-z0-9])(" + "|".join(re.escape(w) for w, _, _ in sorted(_WORDS, key=lambda x: -len(x[0])))
                      + r")(?![a-z0-9])")


@functools.lru_cache(maxsize=4096)
def time_word(text: str | None) -> tuple[str, str, str] | None:
    """The word in ``text`` saying how its figure adds up, the most telling first: ``(word as written, aggregation, meaning)``."""
    if not text:
        return None
    plain = _plain(text)
    matches = list(_WORD_RE.finditer(plain))
    if not matches:
        return None
    m = min(matches, key=lambda x: _WORD_RANK[x.group(1)])
    _word, aggregation, meaning = _WORDS[_WORD_RANK[m.group(1)]]
    # the same stretch of the original text (NFD removal keeps one character per letter)
    original = unicodedata.normalize("NFC", text)
    written = original[m.start():m.end()] if len(_plain(original)) == len(original) else m.group(1)
    return written, aggregation, meaning


class UndeclaredAggregation(Rule):
    """KPI's name says how its figure adds up, but the KPI declares no aggregation.

    ## Why it matters
    "Trung bình tháng" (monthly average), "lũy kế" (year to date) and "mỗi
    tháng" (per month) change what every logged figure means: a monthly
    average is judged on the average of the months, not on the peak month; a
    running total is compared with the target to date, not with last year's
    annual figure (docs/domain.md, "Time: what a figure covers"; ISO 9001:2015
    6.2.2 e: how results will be evaluated). The plan must say it, so the tool
    does not guess: add `aggregation` (total, ytd, average, latest,
    non_additive). "Per month" on a rate (monthly churn rate) names the
    rate's own period and is not reported.

    ## Fails
    ```yaml
    kpis:
      - id: KPI-REVENUE
        name: Doanh thu online lũy kế
    ```

    ## Passes
    ```yaml
    kpis:
      - id: KPI-REVENUE
        name: Doanh thu online lũy kế
        aggregation: ytd
    ```
    """

    id = "TR003"
    name = "tracking.undeclared-aggregation"
    severity = Severity.WARNING

    def check(self, ctx: Context, params):
        for kpi in ctx.kpis():
            if kpi.aggregation is not None:
                continue
            for field_name in ("name", "description"):
                found = time_word(getattr(kpi, field_name))
                if found is None:
                    continue
                written, aggregation, meaning = found
                default, _source = aggregation_of(kpi, ctx.catalog)
                if default == "latest" and meaning.startswith("a figure per"):
                    continue  # "monthly churn rate": the rate's own period, not how figures add up
                now = (_("its figures are read as the {how} (the metric's default)").format(how=_(AGGREGATION_WORDS[default])) if default
                       else _("the tool cannot tell how its figures add up"))
                yield Violation(kpi.path + (field_name,),
                                _("the {field} of KPI {kpi} says '{written}' ({meaning}), but the KPI declares no "
                                  "`aggregation`; {now}: add `aggregation: {aggregation}` if that is what it means").format(
                                    field=field_name, kpi=kpi.id, written=written, meaning=_(meaning), now=now, aggregation=aggregation))
                break


class ReviewPeriodMismatch(Rule):
    """A logged actual covers a period that does not fit the KPI's cadence or aggregation.

    ## Why it matters
    A monthly review logs a month (`period: 2026-11`), a quarterly review a
    quarter (`2026-Q3`), a year-to-date KPI a running total (`period:
    to-date`); a total or an average is made of period figures, never of
    running totals. A figure that covers another stretch of time is added up
    wrongly, and a period that had not ended on the review's day cannot have
    been measured (docs/domain.md, "Time: what a figure covers"; ISO 9001:2015
    9.1.1: when results are measured). Without `period`, an entry covers the
    last full cadence period ended on its date.

    ## Fails
    ```yaml
    kpis:
      - id: KPI-REVENUE
        review:
          log:
            - {date: 2027-03-31, actual: 4420000000, period: 2027-Q1}   # reviewed monthly
    ```

    ## Passes
    ```yaml
    kpis:
      - id: KPI-REVENUE
        review:
          log:
            - {date: 2027-03-31, actual: 4420000000, period: 2027-03}
    ```
    """

    id = "TR004"
    name = "tracking.review-period"
    severity = Severity.WARNING

    def check(self, ctx: Context, params):
        for kpi in ctx.kpis():
            if kpi.review is None:
                continue
            cadence = canonical_cadence(kpi.review.cadence)
            aggregation, _source = aggregation_of(kpi, ctx.catalog)
            expected = CADENCE_KIND.get(cadence or "")
            for entry in kpi.review.log:
                written = entry.period
                if written is None or entry.date is None:
                    continue
                kind = period_kind(written)
                where = entry.path + ("period",)
                if kind == TO_DATE:
                    if aggregation in ("total", "average"):
                        yield Violation(where, _("KPI {kpi} adds up as the {how}, but its review of {date} logs a running total "
                                                 "(`period: to-date`); log the figure of the {period} alone, or declare "
                                                 "`aggregation: ytd`").format(
                                                     kpi=kpi.id, how=_(AGGREGATION_WORDS[aggregation]), date=entry.date.isoformat(),
                                                     period=_(PERIOD_WORDS.get(expected or "period", expected or "period"))))
                    continue
                span = parse_period(written)
                if span is None:
                    continue
                if span.end > entry.date:
                    yield Violation(where, _("the review of KPI {kpi} on {date} logs period {period}, which had not ended by then "
                                             "(it ends {end})").format(kpi=kpi.id, date=entry.date.isoformat(), period=written,
                                                                       end=span.end.isoformat()))
                elif aggregation == "ytd":
                    yield Violation(where, _("KPI {kpi} logs a running total to date (`aggregation: ytd`), but its review of {date} "
                                             "says it covers {period} alone; write `period: to-date` or declare the aggregation "
                                             "the figures really have").format(kpi=kpi.id, date=entry.date.isoformat(), period=written))
                elif expected and kind != expected:
                    yield Violation(where, _("KPI {kpi} is reviewed {cadence}, so each review logs a {expected}, but the review of "
                                             "{date} logs {period} (a {kind})").format(
                                                 kpi=kpi.id, cadence=_(CADENCE_WORDS.get(cadence, cadence)),
                                                 expected=_(PERIOD_WORDS.get(expected, expected)), date=entry.date.isoformat(),
                                                 period=written, kind=_(PERIOD_WORDS.get(kind, kind))))


class BaselinePeriod(Rule):
    """Baseline period does not fit the target: not ended before the plan, or another length or season.

    ## Why it matters
    "+10% so với cùng kỳ năm trước" compares with the same period last year:
    a baseline window of the same length and season as the target's, ended
    before the plan starts (docs/domain.md, "Time: what a figure covers" and
    step 3). A quarter's revenue compared with a year's target, or Tết
    months with summer months, says nothing about growth. Length and season
    are judged for totals, year-to-date figures and averages; a latest value
    (a rate, a level) may come from any period before the plan. The baseline
    `period` is a year (2025), a quarter (2025-Q4), a half (2025-H1), a month
    (2025-11) or `{start, end}`; other texts are not judged.

    ## Fails
    ```yaml
    kpis:
      - id: KPI-REVENUE
        baseline: {value: 12000000000, period: 2026-Q4}   # one quarter against a year's target
    ```

    ## Passes
    ```yaml
    kpis:
      - id: KPI-REVENUE
        baseline: {value: 48000000000, period: 2026}
    ```
    """

    id = "TR005"
    name = "tracking.baseline-period"
    severity = Severity.WARNING

    def check(self, ctx: Context, params):
        plan_period = ctx.plan.metadata.period
        for kpi in ctx.kpis():
            if kpi.baseline is None or kpi.baseline.period is None:
                continue
            base = parse_period(kpi.baseline.period)
            window = target_window(kpi, plan_period)
            if base is None or window is None:
                continue
            where = kpi.path + ("baseline", "period")
            label = base.label()
            if base.end >= window.start:
                yield Violation(where, _("the baseline of KPI {kpi} covers {label}, which does not end before the target's "
                                         "window starts ({start}): a baseline is measured before the plan").format(
                                             kpi=kpi.id, label=label, start=window.start.isoformat()))
                continue
            aggregation, source = aggregation_of(kpi, ctx.catalog)
            worded = time_word(kpi.name) or time_word(kpi.description)
            if source == "catalog" and worded:
                aggregation = worded[1]  # the KPI's own words say otherwise (TR003 asks to declare it)
            if aggregation not in ("total", "ytd", "average"):
                continue
            if aggregation in ("total", "ytd") and abs(base.days - window.days) > 0.1 * window.days:
                yield Violation(where, _("the baseline of KPI {kpi} covers {label} ({length}), but its target covers {window} "
                                         "({window_length}): a {how} over another length of time cannot be compared; use the "
                                         "same period last year").format(
                                             kpi=kpi.id, label=label, length=_length(base), window=window.label(),
                                             window_length=_length(window), how=_(AGGREGATION_WORDS[aggregation])))
            elif abs(base.days - window.days) <= 0.1 * window.days and window.days < 360 and (
                    base.start.month, base.start.day) != (window.start.month, window.start.day):
                yield Violation(where, _("the baseline of KPI {kpi} covers {label}, but its target covers {window}: not the same "
                                         "season, so seasonal swings (Tết, mega sales) read as growth or decline; use the same "
                                         "period last year").format(kpi=kpi.id, label=label, window=window.label()))


def _length(span) -> str:
    months = span.months
    if isinstance(months, int):
        return ngettext("{n} month", "{n} months", months).format(n=months)
    return _("{n} days").format(n=span.days)

