"""RC, review cadence: every KPI is reviewed at a fixed cadence, by someone, and on time.

docs/domain.md mistake 3: no periodic tracking (no cadence, no reviewer, reviews
overdue against the cadence). ISO 9001:2015 9.3 (reviews at planned
intervals) and 9.1.1 (when results are analysed).
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from kpi_policies.i18n import N_, _
from kpi_policies.result import Severity
from kpi_policies.rules.base import Context, Rule, Violation, is_blank, kpi_label
from kpi_policies.schema import did_you_mean

#: Cadence -> longest interval between two reviews, in days.
CADENCE_DAYS = {"weekly": 7, "biweekly": 14, "monthly": 31, "quarterly": 92, "semiannual": 183, "annual": 366}
#: Cadence -> how often, in words (English; pass through ``_`` when shown).
ADVERBS = {"weekly": N_("weekly"), "biweekly": N_("every two weeks"), "monthly": N_("monthly"), "quarterly": N_("quarterly"),
           "semiannual": N_("every six months"), "annual": N_("annually")}
_ALIASES = {"yearly": "annual", "fortnightly": "biweekly", "half-yearly": "semiannual", "daily": None}

Cadence = Literal["weekly", "biweekly", "monthly", "quarterly", "semiannual", "annual"]


class MissingCadence(Rule):
    """KPI has no review cadence.

    ## Why it matters
    Step 5 of a good plan: reviews at a fixed cadence (weekly, monthly,
    quarterly, yearly) (docs/domain.md). Without one, nobody knows when the KPI is
    looked at and drift goes unseen (mistake 3; ISO 9001:2015 9.3).

    ## Fails
    ```yaml
    kpis:
      - id: KPI-CONVERSION
        review: {cadence: ~}
    ```

    ## Passes
    ```yaml
    kpis:
      - id: KPI-CONVERSION
        review: {cadence: monthly}
    ```
    """

    id = "RC001"
    name = "review-cadence.missing-cadence"
    severity = Severity.ERROR

    def check(self, ctx: Context, params):
        for kpi in ctx.kpis():
            if kpi.review is None:
                yield Violation(kpi.path, _("KPI {kpi} has no review; add `review: {{cadence: ..., reviewer: ...}}`").format(kpi=kpi_label(kpi)),
                                missing=kpi.path + ("review",))
            elif is_blank(kpi.review.cadence):
                yield Violation(kpi.path + ("review",), _("KPI {kpi} has no review cadence (`review.cadence`: one of {cadences})").format(kpi=kpi.id, cadences=", ".join(CADENCE_DAYS)),
                                missing=kpi.path + ("review", "cadence"))


class UnknownCadence(Rule):
    """Review cadence is not one of the known cadences.

    ## Why it matters
    Overdue reviews can only be judged against a known interval: weekly,
    biweekly, monthly, quarterly, semiannual or annual (docs/domain.md, step 5).

    ## Fails
    ```yaml
    kpis:
      - id: KPI-CONVERSION
        review: {cadence: yearly}
    ```

    ## Passes
    ```yaml
    kpis:
      - id: KPI-CONVERSION
        review: {cadence: annual}
    ```
    """

    id = "RC002"
    name = "review-cadence.unknown-cadence"
    severity = Severity.ERROR

    def check(self, ctx: Context, params):
        for kpi in ctx.kpis():
            cadence = kpi.review.cadence if kpi.review else None
            if not is_blank(cadence) and cadence not in CADENCE_DAYS:
                hint = _ALIASES.get(cadence.lower()) if cadence.lower() in _ALIASES else None
                suggestion = _(" (did you mean '{word}'?)").format(word=hint) if hint else did_you_mean(cadence, CADENCE_DAYS)
                yield Violation(kpi.path + ("review", "cadence"),
                                _("KPI {kpi} has review cadence '{cadence}', not one of {cadences}").format(
                                    kpi=kpi.id, cadence=cadence, cadences=", ".join(CADENCE_DAYS)) + suggestion)


class SlowestCadenceParams(BaseModel):
    """Parameters of RC003."""

    model_config = ConfigDict(extra="forbid")

    slowest_cadence: Cadence = Field("quarterly", description="The slowest review cadence allowed.")


class CadenceTooSlow(Rule):
    """Review cadence is slower than the policy allows.

    ## Why it matters
    A KPI reviewed once a year cannot be steered within the year. The built-in
    policy allows quarterly at the slowest (docs/domain.md, "Ids and defaults";
    ISO 9001:2015 9.3: reviews at planned intervals).

    ## Parameters
    - `slowest_cadence` (one of weekly, biweekly, monthly, quarterly, semiannual, annual; default quarterly).

    ## Fails
    ```yaml
    kpis:
      - id: KPI-CONVERSION
        review: {cadence: annual}
    ```

    ## Passes
    ```yaml
    kpis:
      - id: KPI-CONVERSION
        review: {cadence: quarterly}
    ```
    """

    id = "RC003"
    name = "review-cadence.cadence-too-slow"
    severity = Severity.ERROR
    Params = SlowestCadenceParams

    def check(self, ctx: Context, params: SlowestCadenceParams):
        limit = CADENCE_DAYS[params.slowest_cadence]
        for kpi in ctx.kpis():
            cadence = kpi.review.cadence if kpi.review else None
            if cadence in CADENCE_DAYS and CADENCE_DAYS[cadence] > limit:
                yield Violation(kpi.path + ("review", "cadence"),
                                _("KPI {kpi} is reviewed {how_often}, slower than the policy allows ({slowest} at the slowest)").format(
                                    kpi=kpi.id, how_often=_(ADVERBS[cadence]), slowest=params.slowest_cadence))


class MissingReviewer(Rule):
    """KPI names no reviewer.

    ## Why it matters
    ISO/IEC 27001:2022 9.1 asks who evaluates the results, and ISO 9001:2015
    6.2 asks who is responsible. A review without a reviewer does not happen.

    ## Fails
    ```yaml
    kpis:
      - id: KPI-CONVERSION
        review: {reviewer: ~}
    ```

    ## Passes
    ```yaml
    kpis:
      - id: KPI-CONVERSION
        review: {reviewer: head-of-marketing}
    ```
    """

    id = "RC004"
    name = "review-cadence.missing-reviewer"
    severity = Severity.ERROR

    def check(self, ctx: Context, params):
        for kpi in ctx.kpis():
            if kpi.review is not None and is_blank(kpi.review.reviewer):
                yield Violation(kpi.path + ("review",), _("KPI {kpi} names no reviewer (`review.reviewer`: who evaluates the results)").format(kpi=kpi.id),
                                missing=kpi.path + ("review", "reviewer"))


class GraceParams(BaseModel):
    """Parameters of RC005."""

    model_config = ConfigDict(extra="forbid")

    grace_days: int = Field(7, ge=0, le=366, description="Days allowed past the cadence interval before a review is overdue.")


class ReviewOverdue(Rule):
    """Latest review is overdue for the KPI's cadence.

    ## Why it matters
    Reviews are due at the planned interval (ISO 9001:2015 9.3; docs/domain.md
    mistake 3). While the plan period runs, a review is overdue once the
    cadence interval (weekly 7 days, biweekly 14, monthly 31, quarterly 92,
    semiannual 183, annual 366) plus the grace days has passed since the last
    review, or since the period started if there was none. Once the period
    has ended, the last review must fall within one interval of its end.
    Judged as of `--as-of` (default: today); the examples as of 2027-04-10.

    ## Parameters
    - `grace_days` (days, default 7): days allowed past the interval.

    ## Fails
    ```yaml
    kpis:
      - id: KPI-CONVERSION
        review:
          cadence: monthly
          log:
            - {date: 2027-01-31, actual: 2.0}     # 69 days before 2027-04-10
    ```

    ## Passes
    ```yaml
    kpis:
      - id: KPI-CONVERSION
        review:
          cadence: monthly
          log:
            - {date: 2027-03-31, actual: 2.2}
    ```
    """

    id = "RC005"
    name = "review-cadence.review-overdue"
    severity = Severity.ERROR
    Params = GraceParams

    def check(self, ctx: Context, params: GraceParams):
        period = ctx.plan.metadata.period
        if period is None or period.start is None:
            return
        for kpi in ctx.kpis():
            review = kpi.review
            if review is None or review.cadence not in CADENCE_DAYS:
                continue
            interval = dt.timedelta(days=CADENCE_DAYS[review.cadence])
            held = [e for e in review.log if e.date is not None and e.date <= ctx.as_of]
            last = max(held, key=lambda e: e.date) if held else None
            where = last.path + ("date",) if last else kpi.path + ("review", "cadence")
            if ctx.as_of < period.start:
                continue
            if period.end is None or ctx.as_of <= period.end:
                since = last.date if last else period.start
                try:
                    due = since + interval + dt.timedelta(days=params.grace_days)
                except OverflowError:
                    continue  # due after the year 9999: not overdue
                if ctx.as_of > due:
                    text = (_("KPI {kpi} is reviewed {how_often} but was last reviewed on {last}; "
                              "a review was due by {due} ({grace} days' grace), as of {as_of}") if last else
                            _("KPI {kpi} is reviewed {how_often} but has no review since the plan started on {start}; "
                              "a review was due by {due} ({grace} days' grace), as of {as_of}"))
                    yield Violation(where, text.format(kpi=kpi.id, how_often=_(ADVERBS[review.cadence]),
                                                       last=last.date.isoformat() if last else "", start=period.start.isoformat(),
                                                       due=due.isoformat(), grace=params.grace_days, as_of=ctx.as_of.isoformat()))
            else:
                try:
                    earliest = period.end - interval
                except OverflowError:
                    earliest = dt.date.min
                if last is None or last.date < earliest:
                    text = (_("the plan ended on {end}, but the last review was on {last}: KPI {kpi} is reviewed "
                              "{how_often}, so its last review belongs within {days} days of the end") if last else
                            _("the plan ended on {end}, but no review was logged: KPI {kpi} is reviewed "
                              "{how_often}, so its last review belongs within {days} days of the end"))
                    yield Violation(where, text.format(end=period.end.isoformat(), last=last.date.isoformat() if last else "",
                                                       kpi=kpi.id, how_often=_(ADVERBS[review.cadence]), days=interval.days))


class ReviewInFuture(Rule):
    """Review is dated after the day of the check.

    ## Why it matters
    The review log is evidence of reviews held (ISO 9001:2015 9.1.1: keep
    evidence of results). An entry dated in the future records a review that
    has not happened yet, usually a typo in the date.

    ## Fails
    ```yaml
    kpis:
      - id: KPI-CONVERSION
        review:
          log:
            - {date: 2027-05-31, actual: 2.3}     # after 2027-04-10
    ```

    ## Passes
    ```yaml
    kpis:
      - id: KPI-CONVERSION
        review:
          log:
            - {date: 2027-03-31, actual: 2.2}
    ```
    """

    id = "RC006"
    name = "review-cadence.review-in-future"
    severity = Severity.ERROR

    def check(self, ctx: Context, params):
        for kpi in ctx.kpis():
            if kpi.review is None:
                continue
            for entry in kpi.review.log:
                if entry.date is not None and entry.date > ctx.as_of:
                    yield Violation(entry.path + ("date",),
                                    _("KPI {kpi} has a review dated {date}, after {as_of} (the day checked)").format(
                                        kpi=kpi.id, date=entry.date.isoformat(), as_of=ctx.as_of.isoformat()))
