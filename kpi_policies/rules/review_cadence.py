"""RC, review cadence: every KPI is reviewed at a fixed cadence, by someone, and on time.

docs/domain.md mistake 3: no periodic tracking (no cadence, no reviewer, reviews
overdue against the cadence). ISO 9001:2015 9.3 (reviews at planned
intervals) and 9.1.1 (when results are analysed).
"""

from __future__ import annotations

import datetime as dt
from typing import Literal, Union

from pydantic import BaseModel, ConfigDict, Field

from kpi_policies.i18n import N_, _
from kpi_policies.result import Severity
from kpi_policies.rules.base import Context, Rule, Violation, is_blank, kpi_label
from kpi_policies.schema import did_you_mean
from kpi_policies.timeline import (DEFAULT_CLOSE_LAG, canonical_cadence, default_covered, extend_by_non_working,
                                   next_period_end, parse_period, period_end_containing)

#: Cadence -> longest interval between two reviews, in days.
CADENCE_DAYS = {"weekly": 7, "biweekly": 14, "monthly": 31, "quarterly": 92, "semiannual": 183, "annual": 366}
#: Cadence -> how often, in words (English; pass through ``_`` when shown).
ADVERBS = {"weekly": N_("weekly"), "biweekly": N_("every two weeks"), "monthly": N_("monthly"), "quarterly": N_("quarterly"),
           "semiannual": N_("every six months"), "annual": N_("annually")}
_ALIASES = {"fortnightly": "biweekly", "half-yearly": "semiannual", "daily": None}

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
    `yearly`, the method's own word, is read as `annual`.

    ## Fails
    ```yaml
    kpis:
      - id: KPI-CONVERSION
        review: {cadence: fortnightly}
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
            if not is_blank(cadence) and canonical_cadence(cadence) is None:
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
            cadence = canonical_cadence(kpi.review.cadence if kpi.review else None)
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
    close_lag_days: dict[Cadence, int] = Field(
        default_factory=dict,
        description="Days after a period ends until its books close, per cadence (default: weekly 0, biweekly 0, "
                    "monthly 15, quarterly 25, semiannual 25, annual 45).")
    holidays: list[Literal["vietnam"]] = Field(
        default_factory=list, description="Holiday presets whose days extend the grace: vietnam (Tết, 30/4, 1/5, 2/9).")
    non_working_days: list[Union[dt.date, str]] = Field(
        default_factory=list, description="Further non-working days: dates (2026-02-16) or periods (2026-02, {start, end} as text).")

    def lag(self, cadence: str) -> int:
        """Close lag of ``cadence`` in days."""
        return self.close_lag_days.get(cadence, DEFAULT_CLOSE_LAG.get(cadence, 0))


class ReviewOverdue(Rule):
    """A review is missing from the KPI's review history.

    ## Why it matters
    Reviews are due at the planned interval, every interval of the KPI's
    active window, the last one included (ISO 9001:2015 9.3 and 9.1.3;
    docs/domain.md mistake 3 and "Time: what a figure covers"). Checked as of
    `--as-of` (default: today; the examples as of 2027-04-10):

    - every gap between two consecutive reviews: a review covers a period
      (its `period`, or by default the last full cadence period ended on its
      day), and the review of the next period is due once that period has
      ended and its books have closed (the close lag: monthly 15 days,
      quarterly 25 by default) plus the grace days;
    - the time since the latest review (or, with none, since the window
      started: the first period's review is due after its close);
    - once the window has ended and its books have closed: a review covering
      its last interval (the closing review).

    Reviews are due only inside the KPI's window: the plan period, narrowed by
    the KPI's `active: {from, to}`. Non-working days (the policy's `holidays`
    presets, e.g. `vietnam`: Tết, 30/4, 1/5, 2/9, and `non_working_days`)
    falling inside an interval extend its grace.

    ## Parameters
    - `grace_days` (days, default 7): days allowed past the interval.
    - `close_lag_days` (mapping cadence -> days; default monthly 15, quarterly 25, semiannual 25, annual 45, weekly and biweekly 0).
    - `holidays` (list of presets, default none): `vietnam`.
    - `non_working_days` (list of dates or periods, default none).

    ## Fails
    ```yaml
    kpis:
      - id: KPI-CONVERSION
        review:
          cadence: monthly
          log:
            - {date: 2027-01-31, actual: 2.0}     # 69 days before 2027-04-10
    ```

    ```yaml
    kpis:
      - id: KPI-CONVERSION
        review:
          cadence: monthly
          log:
            - {date: 2027-01-31, actual: 2.1}
            - {date: 2027-03-31, actual: 2.2}     # February was never reviewed
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

    ```yaml
    kpis:
      - id: KPI-CONVERSION
        active: {from: 2027-01-01, to: 2027-02-28}   # a Tết campaign KPI: no reviews due after February
        review:
          cadence: weekly
          log:
            - {date: 2027-02-28, actual: 2.3}
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
        extra = [d if isinstance(d, dt.date) else (parse_period(d) and d) for d in params.non_working_days]
        extra = [d for d in extra if d]

        def later(day: dt.date, since: dt.date) -> dt.date:
            return extend_by_non_working(day, since, params.holidays, extra)

        for kpi in ctx.kpis():
            review = kpi.review
            cadence = canonical_cadence(review.cadence if review else None)
            if cadence is None:
                continue
            start, end = period.start, period.end
            if kpi.active is not None:
                if kpi.active.from_ is not None and kpi.active.from_ > start:
                    start = kpi.active.from_
                if kpi.active.to is not None and (end is None or kpi.active.to < end):
                    end = kpi.active.to
            if ctx.as_of < start or (end is not None and end < start):
                continue
            try:
                yield from self._judge(ctx, kpi, cadence, start, end, params, later)
            except (OverflowError, ValueError):
                continue  # dates beyond the year 9999: nothing is overdue

    def _judge(self, ctx, kpi, cadence, start, end, params, later):
        interval = dt.timedelta(days=CADENCE_DAYS[cadence])
        grace = dt.timedelta(days=params.grace_days)
        lag = dt.timedelta(days=params.lag(cadence))
        held = sorted((e for e in kpi.review.log if e.date is not None and e.date <= ctx.as_of), key=lambda e: e.date)
        window_text = (_("while it is tracked ({start} to {end})").format(start=start.isoformat(), end=end.isoformat())
                       if kpi.active is not None and end else "")
        closing_due = later(end + lag + grace, end) if end is not None else None

        def covered_end(entry) -> dt.date:
            written = getattr(entry, "period", None)
            span = parse_period(written) if written not in (None, "to-date") else None
            return (span or default_covered(entry.date, cadence)).end

        def next_due(entry) -> dt.date:
            """The review of the period after the one ``entry`` covers is due once that period's books close."""
            return later(next_period_end(covered_end(entry), cadence) + lag + grace, entry.date)

        # every gap between consecutive reviews inside the window
        for before, after in zip(held, held[1:]):
            if before.date < start - interval or (end is not None and before.date >= end):
                continue
            due = next_due(before)
            if end is not None and due > end:
                due = max(due, closing_due)  # the closing review may wait for the books to close
            if after.date > due:
                yield Violation(after.path + ("date",),
                                _("KPI {kpi} is reviewed {how_often}, but no review was held between {before} and {after} "
                                  "({days} days): one was due by {due} ({grace} days' grace)").format(
                                    kpi=kpi.id, how_often=_(ADVERBS[cadence]), before=before.date.isoformat(),
                                    after=after.date.isoformat(), days=(after.date - before.date).days, due=due.isoformat(),
                                    grace=params.grace_days))
        last = held[-1] if held else None
        if last is not None and last.date >= start:
            due = next_due(last)
        else:
            due = later(period_end_containing(start, cadence) + lag + grace, start)
        if end is None or due <= end:
            if ctx.as_of > due:
                where = last.path + ("date",) if last else kpi.path + ("review", "cadence")
                if last and last.date >= start:
                    what = _("was last reviewed on {last}").format(last=last.date.isoformat())
                elif kpi.active is not None:
                    what = _("has no review since its tracking started on {start}").format(start=start.isoformat())
                else:
                    what = _("has no review since the plan started on {start}").format(start=start.isoformat())
                text = (_("KPI {kpi} is reviewed {how_often} {window} but {what}; a review was due by {due} ({grace} days' grace), as of {as_of}")
                        if window_text else
                        _("KPI {kpi} is reviewed {how_often} but {what}; a review was due by {due} ({grace} days' grace), as of {as_of}"))
                yield Violation(where, text.format(kpi=kpi.id, how_often=_(ADVERBS[cadence]), window=window_text, what=what,
                                                   due=due.isoformat(), grace=params.grace_days, as_of=ctx.as_of.isoformat()))
            return
        if ctx.as_of <= closing_due:
            return
        # the window has ended and its books have closed: its last interval needs a review
        reach = end - dt.timedelta(days=interval.days // 2)
        covered = [covered_end(entry) for entry in held]
        if any(c >= reach for c in covered):
            return
        where = last.path + ("date",) if last else kpi.path + ("review", "cadence")
        what = (_("the last review, on {last}, covers up to {covered}").format(last=last.date.isoformat(), covered=max(covered).isoformat())
                if last else _("no review was logged"))
        ended = (_("KPI {kpi} stopped being tracked on {end}").format(kpi=kpi.id, end=end.isoformat())
                 if kpi.active is not None and kpi.active.to == end else _("the plan ended on {end}").format(end=end.isoformat()))
        yield Violation(where, _("{ended}, but {what}: KPI {kpi} is reviewed {how_often}, so its last {days} days need a closing "
                                 "review, due by {due} (books close {lag} days after the period, plus {grace} days' grace)").format(
                                     ended=ended, what=what, kpi=kpi.id, how_often=_(ADVERBS[cadence]), days=interval.days,
                                     due=closing_due.isoformat(), lag=lag.days, grace=params.grace_days))


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
