"""Time semantics of a KPI: what each figure covers, the phased target, attainment and pace.

One module computes every number the tool shows about progress, so the rules
(family TR, RC005) and the audit report agree (docs/domain.md, "Time: what a
figure covers"):

- :func:`aggregation_of`: how a KPI's figures add up over its window (``total``,
  ``ytd``, ``average``, ``latest``, ``non_additive``), declared by the KPI or
  taken from the metric catalog;
- :func:`parse_period`: ``2025``, ``2025-Q4``, ``2025-H1``, ``2025-11`` or
  ``{start, end}`` as a :class:`Span`;
- :func:`covered_span`: the period one review's figure covers (its ``period``,
  or by default the last full cadence period ended on the review's day);
- :func:`target_window` and :func:`phased_target`: the target's window and the
  target to date, phased linearly, by milestones or by a seasonal profile;
- :func:`pace`: actual to date, attainment, forecast at the due date (run rate
  for totals, drift of the recent reviews for averages and latest values,
  Hyndman and Athanasopoulos, *Forecasting: Principles and Practice*, 5.2) and
  a status: ``reached``, ``on_track``, ``at_risk``, ``off_track``, ``missed``,
  ``not_started``, ``no_data``;
- :func:`non_working_days`: public holidays (the ``vietnam`` preset: Tết,
  30/4, 1/5, 2/9) that extend review grace.
"""

from __future__ import annotations

import calendar
import datetime as dt
import functools
import re
from dataclasses import dataclass, field
from typing import Any, Iterable, Optional

from kpi_policies.i18n import N_, _, language

AGGREGATIONS = ("total", "ytd", "average", "latest", "non_additive")
AGGREGATION_WORDS = {
    "total": N_("total of the periods"),
    "ytd": N_("running total to date (year to date)"),
    "average": N_("average of the periods"),
    "latest": N_("latest value"),
    "non_additive": N_("value of the whole window (not summed or averaged)"),
}
STATUSES = ("reached", "on_track", "at_risk", "off_track", "missed", "not_started", "no_data")

#: Cadence -> longest interval between two reviews, in days.
CADENCE_DAYS = {"weekly": 7, "biweekly": 14, "monthly": 31, "quarterly": 92, "semiannual": 183, "annual": 366}
#: Cadence -> months in one period, for calendar cadences.
CADENCE_MONTHS = {"monthly": 1, "quarterly": 3, "semiannual": 6, "annual": 12}
#: Words the method uses for the same cadence.
CADENCE_SYNONYMS = {"yearly": "annual"}

#: Default days after a period ends before its books close and its review is due.
DEFAULT_CLOSE_LAG = {"weekly": 0, "biweekly": 0, "monthly": 15, "quarterly": 25, "semiannual": 25, "annual": 45}

#: First day of the lunar new year (mùng 1 Tết) by year.
TET = {
    2020: (1, 25), 2021: (2, 12), 2022: (2, 1), 2023: (1, 22), 2024: (2, 10), 2025: (1, 29), 2026: (2, 17),
    2027: (2, 6), 2028: (1, 26), 2029: (2, 13), 2030: (2, 3), 2031: (1, 23), 2032: (2, 11), 2033: (1, 31),
    2034: (2, 19), 2035: (2, 8),
}


@functools.lru_cache(maxsize=256)
def canonical_cadence(cadence: str | None) -> str | None:
    """``yearly`` -> ``annual``; known cadences unchanged; anything else ``None``."""
    if not isinstance(cadence, str):
        return None
    cadence = CADENCE_SYNONYMS.get(cadence.strip().lower(), cadence.strip().lower())
    return cadence if cadence in CADENCE_DAYS else None


# --- periods ---------------------------------------------------------------------

@dataclass(frozen=True)
class Span:
    """A stretch of days, both ends inclusive."""

    start: dt.date
    end: dt.date

    @property
    def days(self) -> int:
        """Number of days covered."""
        return (self.end - self.start).days + 1

    @property
    def months(self) -> float:
        """Length in months (whole months exact, otherwise days / 30.44)."""
        if self.start.day == 1 and self.end == _month_end(self.end):
            return (self.end.year - self.start.year) * 12 + self.end.month - self.start.month + 1
        return round(self.days / 30.44, 2)

    def label(self) -> str:
        """``2026``, ``2026-Q3``, ``2026-11`` or ``2026-01-15 to 2026-03-31``."""
        whole = self.start.day == 1 and self.end == _month_end(self.end)
        if whole and self.start.year == self.end.year:
            months = self.end.month - self.start.month + 1
            if months == 12:
                return str(self.start.year)
            if months == 1:
                return f"{self.start.year}-{self.start.month:02d}"
            if months == 3 and self.start.month in (1, 4, 7, 10):
                return f"{self.start.year}-Q{(self.start.month - 1) // 3 + 1}"
            if months == 6 and self.start.month in (1, 7):
                return f"{self.start.year}-H{1 if self.start.month == 1 else 2}"
        return f"{self.start.isoformat()} to {self.end.isoformat()}"


_YEAR = re.compile(r"^(?:FY)?(\d{4})$", re.I)
_QUARTER = re.compile(r"^(\d{4})-?Q([1-4])$", re.I)
_HALF = re.compile(r"^(\d{4})-?H([12])$", re.I)
_MONTH = re.compile(r"^(\d{4})-(\d{1,2})$")
TO_DATE = "to-date"


def _month_end(day: dt.date) -> dt.date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def _add_months(day: dt.date, months: int) -> dt.date:
    index = day.year * 12 + day.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def _months_span(year: int, month: int, count: int) -> Span:
    start = dt.date(year, month, 1)
    return Span(start, _add_months(start, count) - dt.timedelta(days=1))


def _as_date(value: Any) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError:
            return None
    return None


def parse_period(value: Any) -> Span | None:
    """A period as written in a plan, as a :class:`Span`; ``None`` when it cannot be read.

    Accepts a year (``2025`` or ``"2025"``), a quarter (``2025-Q4``), a half
    (``2025-H1``), a month (``2025-11``) and a mapping or object with
    ``start`` and ``end`` dates.
    """
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return _months_span(value, 1, 12) if 1900 <= value <= 9998 else None
    if isinstance(value, dict) or hasattr(value, "start"):
        start = _as_date(value.get("start") if isinstance(value, dict) else getattr(value, "start", None))
        end = _as_date(value.get("end") if isinstance(value, dict) else getattr(value, "end", None))
        return Span(start, end) if start and end and start <= end else None
    if not isinstance(value, str):
        return None
    text = value.strip()
    try:
        if m := _YEAR.match(text):
            return _months_span(int(m[1]), 1, 12)
        if m := _QUARTER.match(text):
            return _months_span(int(m[1]), (int(m[2]) - 1) * 3 + 1, 3)
        if m := _HALF.match(text):
            return _months_span(int(m[1]), 1 if m[2] == "1" else 7, 6)
        if (m := _MONTH.match(text)) and 1 <= int(m[2]) <= 12:
            return _months_span(int(m[1]), int(m[2]), 1)
    except ValueError:
        return None
    return None


def period_kind(value: Any) -> str | None:
    """``month``, ``quarter``, ``half``, ``year``, ``to-date`` or ``span`` for a review period."""
    if isinstance(value, str) and value.strip().lower() == TO_DATE:
        return TO_DATE
    span = parse_period(value)
    if span is None:
        return None
    months = span.months
    return {1: "month", 3: "quarter", 6: "half", 12: "year"}.get(months, "span") if isinstance(months, int) else "span"


#: The period kind each calendar cadence logs.
CADENCE_KIND = {"monthly": "month", "quarterly": "quarter", "semiannual": "half", "annual": "year"}


#: A review held this many days before its period's last day still covers that period.
END_SLACK_DAYS = 3


@functools.lru_cache(maxsize=8192)
def default_covered(day: dt.date, cadence: str | None) -> Span:
    """The period a review held on ``day`` covers by default: the last full cadence period ended by then.

    A monthly review on 2026-11-30 (or 2026-11-28) covers November; one on
    2026-12-03 covers November too. Weekly and biweekly reviews cover the 7 or 14 days ending on
    the review's day; without a cadence, the day itself.
    """
    cadence = canonical_cadence(cadence)
    months = CADENCE_MONTHS.get(cadence or "")
    if months is None:
        days = CADENCE_DAYS.get(cadence or "", 1)
        return Span(day - dt.timedelta(days=days - 1), day)
    # the period containing `day`, if `day` is one of its last three days; else the one before
    start_month = ((day.month - 1) // months) * months + 1
    span = _months_span(day.year, start_month, months)
    if day < span.end - dt.timedelta(days=END_SLACK_DAYS):
        prev = _add_months(span.start, -months)
        span = _months_span(prev.year, prev.month, months)
    return span


def period_end_containing(day: dt.date, cadence: str | None) -> dt.date:
    """Last day of the cadence period that contains ``day`` (calendar months, quarters, halves, years;
    for weekly and biweekly cadences, the period starting on ``day``)."""
    cadence = canonical_cadence(cadence)
    months = CADENCE_MONTHS.get(cadence or "")
    if months is None:
        return day + dt.timedelta(days=CADENCE_DAYS.get(cadence or "", 1) - 1)
    return _months_span(day.year, ((day.month - 1) // months) * months + 1, months).end


def next_period_end(covered_end: dt.date, cadence: str | None) -> dt.date:
    """Last day of the cadence period after the one ending on ``covered_end``."""
    return period_end_containing(covered_end + dt.timedelta(days=1), cadence)


# --- holidays ----------------------------------------------------------------------

def vietnam_holidays(year: int) -> set[dt.date]:
    """Vietnam's public holidays that stop book closing: Tết (from two days before mùng 1 to
    four days after), 1/1, 30/4, 1/5, 1/9 and 2/9 (Labour Code 2019, article 112)."""
    out = {dt.date(year, 1, 1), dt.date(year, 4, 30), dt.date(year, 5, 1), dt.date(year, 9, 1), dt.date(year, 9, 2)}
    if year in TET:
        first = dt.date(year, *TET[year])
        out |= {first + dt.timedelta(days=d) for d in range(-2, 5)}
    return out


HOLIDAY_PRESETS = {"vietnam": vietnam_holidays}


def non_working_days(start: dt.date, end: dt.date, presets: Iterable[str] = (), extra: Iterable[Any] = ()) -> int:
    """How many non-working days lie in ``start .. end`` (inclusive): preset holidays and extra dates or spans."""
    if end < start:
        return 0
    days: set[dt.date] = set()
    for name in presets:
        make = HOLIDAY_PRESETS.get(name)
        if make is not None:
            for year in range(start.year, end.year + 1):
                days |= make(year)
    for item in extra:
        day = _as_date(item)
        if day is not None:
            days.add(day)
            continue
        span = parse_period(item)
        if span is not None and span.days <= 400:
            days |= {span.start + dt.timedelta(days=i) for i in range(span.days)}
    return sum(1 for d in days if start <= d <= end)


def extend_by_non_working(day: dt.date, since: dt.date, presets: Iterable[str] = (), extra: Iterable[Any] = ()) -> dt.date:
    """``day`` moved later by the non-working days between ``since`` and it (and those the move itself crosses)."""
    presets, extra = list(presets), list(extra)
    if not presets and not extra:
        return day
    counted = 0
    current = day
    for _ in range(5):  # a few rounds settle it (holidays crossed by the extension count too)
        total = non_working_days(since + dt.timedelta(days=1), current, presets, extra)
        if total == counted:
            break
        current, counted = day + dt.timedelta(days=total), total
    return current


# --- aggregation, window, phasing -----------------------------------------------------

def aggregation_of(kpi, catalog=None) -> tuple[str | None, str | None]:
    """``(aggregation, source)``: the KPI's own ``aggregation`` (source ``declared``), or its
    metric's default in the catalog (source ``catalog``), or ``(None, None)``."""
    declared = getattr(kpi, "aggregation", None)
    if declared in AGGREGATIONS:
        return declared, "declared"
    metric = catalog.get(kpi.metric) if catalog is not None else None
    default = getattr(metric, "aggregation", None) if metric is not None else None
    if default in AGGREGATIONS:
        return default, "catalog"
    return None, None


def active_span(kpi) -> tuple[dt.date | None, dt.date | None]:
    """``(from, to)`` of the KPI's ``active`` window (either may be ``None``)."""
    active = getattr(kpi, "active", None)
    if active is None:
        return None, None
    return getattr(active, "from_", None), getattr(active, "to", None)


def target_window(kpi, plan_period=None) -> Span | None:
    """The window the target covers: ``target.window``, else from the KPI's active start (or
    the plan's start) to the target's due date (or the active end, or the plan's end)."""
    target = kpi.target
    if target is not None and getattr(target, "window", None) is not None:
        span = parse_period(target.window)
        if span is not None:
            return span
    act_from, act_to = active_span(kpi)
    start = act_from or (plan_period.start if plan_period is not None else None)
    end = (target.due if target is not None else None) or act_to or (plan_period.end if plan_period is not None else None)
    if start is None or end is None or end < start:
        return None
    return Span(start, end)


def _milestones(kpi) -> list[tuple[dt.date, float]]:
    phasing = getattr(kpi.target, "phasing", None) if kpi.target is not None else None
    items = getattr(phasing, "milestones", None) or []
    return sorted((m.due, m.value) for m in items if m.due is not None and m.value is not None)


def _profile(kpi) -> list[float]:
    phasing = getattr(kpi.target, "phasing", None) if kpi.target is not None else None
    shares = [s for s in (getattr(phasing, "profile", None) or []) if s is not None and s >= 0]
    return shares if sum(shares) > 0 else []


def phasing_of(kpi) -> str:
    """``milestones``, ``profile`` or ``linear``."""
    if _milestones(kpi):
        return "milestones"
    if _profile(kpi):
        return "profile"
    return "linear"


def _interpolate(points: list[tuple[dt.date, float]], day: dt.date) -> float:
    if day <= points[0][0]:
        return points[0][1]
    for (d0, v0), (d1, v1) in zip(points, points[1:]):
        if day <= d1:
            if d1 == d0:
                return v1
            return v0 + (v1 - v0) * (day - d0).days / (d1 - d0).days
    return points[-1][1]


def cumulative_share(kpi, window: Span, day: dt.date) -> float:
    """Share of a total (or year-to-date) target due by the end of ``day``: 0 before the window, 1 at its end."""
    if day < window.start:
        return 0.0
    if day >= window.end:
        return 1.0
    target = kpi.target.value
    milestones = _milestones(kpi)
    if milestones and target:
        start = window.start - dt.timedelta(days=1)
        points = [(start, 0.0)] + [(d, v / target) for d, v in milestones if start < d < window.end] + [(window.end, 1.0)]
        return max(0.0, _interpolate(points, day))
    shares = _profile(kpi)
    if shares:
        n = len(shares)
        months = window.months
        if isinstance(months, int) and months % n == 0:
            step = months // n
            bounds = [_add_months(window.start, i * step) for i in range(n)] + [window.end + dt.timedelta(days=1)]
        else:
            bounds = [window.start + dt.timedelta(days=round(i * window.days / n)) for i in range(n)] + [window.end + dt.timedelta(days=1)]
        total = sum(shares)
        done = 0.0
        for share, lo, hi in zip(shares, bounds, bounds[1:]):
            if day >= hi - dt.timedelta(days=1):
                done += share
            elif day >= lo:
                done += share * ((day - lo).days + 1) / (hi - lo).days
                break
            else:
                break
        return min(1.0, done / total)
    return ((day - window.start).days + 1) / window.days


def phased_target(kpi, aggregation: str | None, window: Span, day: dt.date) -> float | None:
    """The target due by the end of ``day``, in the KPI's unit and in the aggregation's terms.

    Totals and year-to-date: the target times the cumulative share due
    (:func:`cumulative_share`). Averages: the milestone in force, else the
    target. Latest and non-additive values: the path from the baseline to the
    target (through the milestones), else the target.
    """
    target = kpi.target.value if kpi.target is not None else None
    if target is None:
        return None
    if aggregation in ("total", "ytd"):
        return target * cumulative_share(kpi, window, day)
    milestones = _milestones(kpi)
    if aggregation == "average":
        passed = [v for d, v in milestones if d <= day]
        return passed[-1] if passed else (milestones[0][1] if milestones else target)
    baseline = kpi.baseline.value if kpi.baseline is not None else None
    start_value = baseline if baseline is not None else (milestones[0][1] if milestones else target)
    points = [(window.start, start_value)] + [(d, v) for d, v in milestones if window.start < d < window.end] + [(window.end, target)]
    return _interpolate(points, day)


# --- figures and pace --------------------------------------------------------------------

@dataclass
class Figure:
    """One logged actual and the period it covers."""

    date: dt.date
    value: float
    span: Span
    to_date: bool
    entry: Any = None


def figures(kpi, window: Span | None, aggregation: str | None, as_of: dt.date | None = None) -> list[Figure]:
    """The KPI's logged actuals up to ``as_of`` with the period each covers, in date order."""
    review = kpi.review
    if review is None:
        return []
    cadence = review.cadence
    out = []
    for entry in review.log:
        if entry.date is None or entry.actual is None or (as_of is not None and entry.date > as_of):
            continue
        written = getattr(entry, "period", None)
        to_date = False
        if isinstance(written, str) and written.strip().lower() == TO_DATE:
            to_date = True
            span = default_covered(entry.date, cadence)
            span = Span(window.start if window else span.start, span.end)
        else:
            span = parse_period(written) if written is not None else None
            if span is None:
                span = default_covered(entry.date, cadence)
                if aggregation == "ytd":
                    to_date = True
                    span = Span(window.start if window else span.start, span.end)
        out.append(Figure(entry.date, float(entry.actual), span, to_date, entry))
    out.sort(key=lambda f: (f.date, f.span.end))
    return out


def contradicts_direction(kpi) -> bool:
    """True when the target does not move the way the KPI's direction says (FE004)."""
    base = kpi.baseline.value if kpi.baseline is not None else None
    target = kpi.target.value if kpi.target is not None else None
    if base is None or target is None:
        return False
    return (kpi.direction == "increase" and target <= base) or (kpi.direction == "decrease" and target >= base)


def _ratio(actual: float | None, target: float | None, direction: str | None) -> float | None:
    """How close ``actual`` is to ``target`` in the good direction: 1 = at target, above 1 = beyond it."""
    if actual is None or target is None:
        return None
    if direction == "decrease":
        if actual <= 0:
            return None if target > 0 else 1.0
        return target / actual
    if direction == "maintain":
        if actual == 0 or target == 0:
            return 1.0 if actual == target else 0.0
        return min(actual / target, target / actual)
    if target == 0:
        return None
    if target < 0 or actual < 0:
        return None
    return actual / target


def _drift(points: list[tuple[dt.date, float]], recent: int) -> float:
    """Slope per day of the straight line from the first to the last of the recent points (drift method)."""
    pts = points[-recent:]
    if len(pts) < 2 or pts[-1][0] == pts[0][0]:
        return 0.0
    return (pts[-1][1] - pts[0][1]) / (pts[-1][0] - pts[0][0]).days


@dataclass
class Pace:
    """Attainment and pace of one KPI as of a day (see :func:`pace`)."""

    aggregation: str | None = None
    aggregation_source: str | None = None
    phasing: str = "linear"
    window: Span | None = None
    figures: list[Figure] = field(default_factory=list)
    actual: float | None = None
    actual_through: dt.date | None = None
    target: float | None = None
    target_to_date: float | None = None
    attainment: float | None = None
    attainment_to_date: float | None = None
    forecast: float | None = None
    forecast_ratio: float | None = None
    status: str = "no_data"
    status_text: str = ""


@dataclass(frozen=True)
class PaceThresholds:
    """Percent of the target the forecast must reach: ``on_track`` from, ``off_track`` below."""

    on_track: float = 98.0
    off_track: float = 95.0
    recent: int = 6


def pace(kpi, plan_period, catalog, as_of: dt.date, thresholds: PaceThresholds = PaceThresholds()) -> Pace:
    """Attainment and pace (see :func:`_pace`); dates or values beyond what can be computed give ``no_data``."""
    try:
        return _pace(kpi, plan_period, catalog, as_of, thresholds)
    except (OverflowError, ZeroDivisionError, ValueError):
        agg, source = aggregation_of(kpi, catalog)
        return Pace(aggregation=agg, aggregation_source=source,
                    status_text=_("its dates or values lie beyond what can be computed, so progress is not measured"))


def _pace(kpi, plan_period, catalog, as_of: dt.date, thresholds: PaceThresholds) -> Pace:
    """Actual to date, attainment, forecast and status of one KPI as of ``as_of``.

    - actual to date: the sum of the period figures (``total``), the latest
      running total (``ytd``), the mean of the period figures (``average``),
      or the latest figure (``latest``, ``non_additive``, or no aggregation);
    - attainment: actual to date ÷ the whole target; attainment to date:
      actual ÷ the phased target to the end of the last period covered (for a
      ``decrease`` KPI, target ÷ actual);
    - forecast at the due date: totals and year-to-date project the run rate
      against the phasing (actual × target ÷ target to date); averages add the
      remaining periods along the drift of the recent figures; latest values
      follow that drift to the due date;
    - status: ``not_started`` before the window, ``no_data`` without a
      comparable target or figure (a target against the KPI's direction is
      never judged), ``reached`` once the target is met (a running total
      before the due date; any aggregation at the end: a level or an average
      can still fall back), ``missed`` when
      the window ended short, else ``on_track`` / ``at_risk`` / ``off_track``
      as the forecast reaches ``thresholds.on_track`` percent of the target,
      or ``thresholds.off_track``, or less.
    """
    agg, source = aggregation_of(kpi, catalog)
    window = target_window(kpi, plan_period)
    out = Pace(aggregation=agg, aggregation_source=source, phasing=phasing_of(kpi), window=window)
    target = kpi.target.value if kpi.target is not None else None
    out.target = target
    if window is not None and as_of < window.start:
        out.status, out.status_text = "not_started", _("the KPI's window starts on {date}").format(date=window.start.isoformat())
        return out
    figs = [f for f in figures(kpi, window, agg, as_of) if window is None or (f.span.end >= window.start and f.span.start <= window.end)]
    out.figures = figs
    if target is None:
        out.status_text = _("no target value, so progress cannot be measured")
        return out
    if contradicts_direction(kpi):
        base = kpi.baseline.value
        if kpi.direction == "increase":
            text = (_("not judged: the target {target} is below the baseline {baseline} though the KPI should increase; "
                      "correct the target or the direction") if target < base else
                    _("not judged: the target {target} is not above the baseline {baseline} though the KPI should increase; "
                      "correct the target or the direction"))
        else:
            text = (_("not judged: the target {target} is above the baseline {baseline} though the KPI should decrease; "
                      "correct the target or the direction") if target > base else
                    _("not judged: the target {target} is not below the baseline {baseline} though the KPI should decrease; "
                      "correct the target or the direction"))
        out.status_text = text.format(target=_fmt(target), baseline=_fmt(base))
        return out
    if not figs:
        out.status_text = _("no review with an actual value is logged yet")
        return out
    last = figs[-1]
    out.actual_through = min(last.span.end, window.end) if window else last.span.end
    period_figs = [f for f in figs if not f.to_date]
    if agg == "total" and period_figs:
        out.actual = sum(f.value for f in period_figs)
    elif agg in ("total", "ytd"):
        out.actual = last.value
    elif agg == "average":
        out.actual = sum(f.value for f in period_figs or figs) / len(period_figs or figs)
    else:
        out.actual = last.value
    direction = kpi.direction
    if window is not None:
        out.target_to_date = phased_target(kpi, agg, window, out.actual_through)
    out.attainment = _ratio(out.actual, target, "increase" if direction == "maintain" else direction)
    if out.target_to_date:
        out.attainment_to_date = _ratio(out.actual, out.target_to_date, "increase" if direction == "maintain" else direction)
    # forecast at the end of the window
    remaining_days = (window.end - out.actual_through).days if window else 0
    gaps_text, partial = "", False
    if agg == "total" and period_figs and window is not None:
        # a sum is only as complete as the periods logged: compare it with the target of those periods
        seen, covered, covered_days = set(), 0.0, 0
        for f in period_figs:
            lo, hi = max(f.span.start, window.start), min(f.span.end, window.end)
            if (lo, hi) in seen or hi < lo:
                continue
            seen.add((lo, hi))
            covered_days += (hi - lo).days + 1
            covered += cumulative_share(kpi, window, hi) - cumulative_share(kpi, window, lo - dt.timedelta(days=1))
        elapsed_days = (out.actual_through - window.start).days + 1
        if covered_days < elapsed_days - 3 and covered > 0:
            partial = True
            out.target_to_date = target * covered
            out.attainment_to_date = _ratio(out.actual, out.target_to_date, direction)
            gaps_text = _("; the figures logged cover {covered} of the {elapsed} days to {date}, so the pace is judged on those").format(
                covered=covered_days, elapsed=elapsed_days, date=out.actual_through.isoformat())
    if agg in ("total", "ytd"):
        out.forecast = out.actual * target / out.target_to_date if out.target_to_date else None
    elif len(period_figs or figs) < 2:
        out.forecast = None  # one figure shows no trend: judged against the target to date below
    elif agg == "average":
        values = period_figs or figs
        slope = _drift([(f.span.end, f.value) for f in values], thresholds.recent)
        step = max(1, round(sum(f.span.days for f in values) / len(values)))
        remaining = max(0, round(remaining_days / step))
        projected = [values[-1].value + slope * step * (h + 1) for h in range(remaining)]
        out.forecast = (sum(f.value for f in values) + sum(projected)) / (len(values) + remaining)
    else:
        slope = _drift([(f.span.end, f.value) for f in figs], thresholds.recent)
        out.forecast = last.value + slope * remaining_days
    out.forecast_ratio = _ratio(out.forecast, target, direction)
    ratio_now = _ratio(out.actual, target, direction)
    ended = window is not None and as_of > window.end
    complete = window is not None and out.actual_through >= window.end and not partial
    unit = f" {kpi.unit}" if kpi.unit and kpi.unit not in ("count", "ratio") else ""
    unit = "%" if kpi.unit == "percent" else unit

    def money(v):
        return f"{_fmt(v)}{unit}" if unit != "%" else f"{_fmt(v)}%"
    if complete or ended:
        final = out.actual if complete or out.forecast is None else out.forecast
        ok = _ratio(final, target, direction)
        if ok is not None and ok >= 1 - 1e-9:
            out.status, out.status_text = "reached", _("the target {target} was reached: {final}").format(target=money(target), final=money(final))
        elif complete:
            out.status, out.status_text = "missed", _("the window ended at {final}, short of the target {target}").format(
                final=money(final), target=money(target))
        else:
            text = (_("the window ended; the last figure covers up to {date} and the forecast {final} falls short of the target {target}")
                    if final is out.forecast else
                    _("the window ended; the last figure covers up to {date} and it {final} falls short of the target {target}"))
            out.status, out.status_text = "missed", text.format(date=out.actual_through.isoformat(), final=money(final), target=money(target))
        if not complete:
            out.status_text += _(" (no figure covers the end of the window yet)")
        return out
    if agg in ("total", "ytd") and direction == "decrease":
        out.attainment = None  # a running total below its cap says nothing until the window ends
    if agg in ("total", "ytd") and ratio_now is not None and ratio_now >= 1 - 1e-9 and direction == "increase":
        out.status = "reached"
        out.status_text = _("the running total {actual} is at or beyond the target {target}").format(actual=money(out.actual), target=money(target))
        return out
    already = ""
    if agg not in ("total", "ytd", "average") and ratio_now is not None and ratio_now >= 1 - 1e-9 and direction != "maintain":
        # a level can fall back: it counts as reached only where it stands when the window ends
        already = _("the latest figure {actual} already meets the target {target}; ").format(actual=money(out.actual), target=money(target))
    if out.forecast_ratio is None:
        to_date = _ratio(out.actual, out.target_to_date, direction) if out.target_to_date else None
        if to_date is None:
            out.status_text = _("the forecast cannot be computed from these figures")
            return out
        pct = to_date * 100
        forecast_text = _("one review shows no trend yet: {actual} is {pct}% of the target to date {target}").format(
            actual=money(out.actual), pct=f"{pct:.0f}", target=money(out.target_to_date))
    else:
        pct = out.forecast_ratio * 100
        if direction == "decrease" and target and out.forecast and out.forecast > target:
            # a cost or a rate that should fall: "7% above the target" reads plainer than "93% of the target"
            forecast_text = (_("forecast {forecast} at {date}, {over}% above the target {target}") if window else
                             _("forecast {forecast} at the due date, {over}% above the target {target}")).format(
                forecast=money(out.forecast), date=window.end.isoformat() if window else "",
                over=f"{(out.forecast / target - 1) * 100:.0f}", target=money(target))
        else:
            forecast_text = (_("forecast {forecast} at {date}, {pct}% of the target {target}") if window else
                             _("forecast {forecast} at the due date, {pct}% of the target {target}")).format(
                forecast=money(out.forecast), date=window.end.isoformat() if window else "", pct=f"{pct:.0f}", target=money(target))
    if pct >= thresholds.on_track:
        out.status = "on_track"
    elif pct >= thresholds.off_track:
        out.status = "at_risk"
    else:
        out.status = "off_track"
    out.status_text = already + forecast_text + gaps_text
    return out


def _fmt(value: float | None) -> str:
    """A value for a sentence: ``5.6``, ``62,400,000,000``."""
    if value is None:
        return "?"
    if abs(value) >= 1000:
        text = f"{round(value):,}"
    elif float(value).is_integer():
        text = f"{int(value):,}"
    else:
        text = f"{value:,.3f}".rstrip("0").rstrip(".")
    if language() == "vi":  # 62.400.000.000, 5,6
        text = text.replace(",", "\0").replace(".", ",").replace("\0", ".")
    return text


def describe_number(value: Optional[float]) -> str:
    """Public alias of the sentence formatter."""
    return _fmt(value)
