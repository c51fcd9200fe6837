"""KPI progress for the audit report: attainment, the phased target to date, the forecast and a status.

Every number comes from :func:`kpi_policies.timeline.pace`, the same
computation rules TR001 and TR002 judge with, so the report and the findings
agree. What a figure covers decides how it is read (docs/domain.md, "Time:
what a figure covers"): a year-to-date figure is compared with the cumulative
target to date, an average of the months with the average target, a rate with
the path from its baseline to its target. A target that contradicts the KPI's
direction is never shown as reached.
"""

from __future__ import annotations

import calendar
import datetime as dt

from kpi_policies.audit.numbers import _iso, _number
from kpi_policies.i18n import N_, _
from kpi_policies.timeline import (AGGREGATION_WORDS, PaceThresholds, contradicts_direction, cumulative_share, pace, parse_period,
                                   phased_target)

#: What the figures of a KPI without a declared aggregation are read as.
UNDECLARED = N_("not declared: the latest figure is read as the KPI's level")

#: Statuses, in the order the report counts them.
STATUSES = ("reached", "on_track", "at_risk", "off_track", "missed", "not_started", "no_data")


def kpi_progress(kpi, plan_period=None, *, as_of: dt.date | None = None, catalog=None,
                 thresholds: PaceThresholds | None = None) -> dict:
    """Baseline, reviews, target, attainment, forecast and status of one KPI, as plain data.

    Args:
        kpi: A :class:`kpi_policies.models.Kpi`.
        plan_period: The plan's :class:`~kpi_policies.models.Period` (or ``None``).
        as_of: The day judged (default: the latest review's day, or today).
        catalog: The metric catalog (default aggregation of the KPI's metric).
        thresholds: The pace thresholds of the policy (rules TR001, TR002).

    Returns:
        ``{"id", "name", "unit", "direction", "objective", "aggregation",
        "aggregation_source", "phasing", "window": {"start", "end"} | None,
        "baseline": {"value", "period"} | None, "target": {"value", "due"} |
        None, "reviews": [{"date", "actual", "note", "period"}], "latest",
        "actual_to_date", "actual_through", "target_to_date", "attainment",
        "attainment_to_date", "forecast", "forecast_ratio", "status",
        "status_text", "chart": {"kind", "actual", "planned"}}``. Ratios are
        fractions (``0.91`` = 91%) rounded to 4 decimals; for a ``decrease``
        KPI attainment is target ÷ actual.
    """
    as_of = as_of or dt.date.today()
    thresholds = thresholds or PaceThresholds()
    result = pace(kpi, plan_period, catalog, as_of, thresholds)
    baseline = kpi.baseline.value if kpi.baseline else None
    target = kpi.target.value if kpi.target else None
    due = kpi.target.due if kpi.target else None
    log = kpi.review.log if kpi.review else []
    reviews = sorted((r for r in log if r.date is not None and r.actual is not None), key=lambda r: r.date)
    latest = reviews[-1] if reviews else None
    window = result.window
    return {
        "id": kpi.id or f"kpis[{kpi.path[-1] if kpi.path else '?'}]",
        "name": kpi.name,
        "owner": getattr(kpi, "owner", None),
        "unit": kpi.unit,
        "direction": kpi.direction,
        "objective": kpi.objective,
        "aggregation": result.aggregation,
        "aggregation_source": result.aggregation_source,
        "aggregation_text": _(AGGREGATION_WORDS.get(result.aggregation or "", UNDECLARED)),
        "phasing": result.phasing,
        "window": {"start": window.start.isoformat(), "end": window.end.isoformat()} if window else None,
        "baseline": {"value": _number(baseline), "period": _period_text(kpi.baseline.period)} if baseline is not None else None,
        "target": {"value": _number(target), "due": _iso(due)} if target is not None else None,
        "reviews": [{"date": r.date.isoformat(), "actual": _number(r.actual), "note": r.note, "period": r.period} for r in reviews],
        "latest": {"date": latest.date.isoformat(), "actual": _number(latest.actual)} if latest else None,
        "actual_to_date": _round(result.actual),
        "actual_through": _iso(result.actual_through),
        "target_to_date": _round(result.target_to_date),
        "attainment": _share(result.attainment),
        "attainment_to_date": _share(result.attainment_to_date),
        "forecast": _round(result.forecast),
        "forecast_ratio": _share(result.forecast_ratio),
        "status": result.status,
        "status_text": result.status_text,
        "chart": _safe_chart(kpi, result),
    }


def _safe_chart(kpi, result) -> dict:
    """:func:`_chart`, or a chart of the actual figures alone when the dates lie beyond what can be computed."""
    try:
        return _chart(kpi, result)
    except (OverflowError, ValueError):
        return {"kind": "level", "actual": [{"date": f.span.end.isoformat(), "value": _number(f.value)} for f in result.figures],
                "planned": [], "forecast": None}


#: Longest target window whose month ends are plotted (longer ones, e.g. a 9999-12-31 "no deadline", get their two ends).
MAX_CHART_DAYS = 366 * 20


def _chart(kpi, result) -> dict:
    """What the chart plots: ``cumulative`` (running totals against the cumulative phased target)
    or ``level`` (each period's figure against the target's path), and the forecast at the due date."""
    window = result.window
    agg = result.aggregation
    kind = "cumulative" if agg in ("total", "ytd") else "level"
    actual = []
    if kind == "cumulative":
        running = 0.0
        for f in result.figures:
            running = f.value if f.to_date else running + f.value
            actual.append({"date": f.span.end.isoformat(), "value": _round(running)})
    else:
        actual = [{"date": f.span.end.isoformat(), "value": _number(f.value)} for f in result.figures]
    planned = []
    if window is not None and result.target is not None and not (result.status == "no_data" and contradicts_direction(kpi)):
        days = [window.start - dt.timedelta(days=1) if kind == "cumulative" else window.start]
        month = window.start if window.days <= MAX_CHART_DAYS else window.end + dt.timedelta(days=1)  # month ends only on a sane span
        while month <= window.end:
            end = month.replace(day=calendar.monthrange(month.year, month.month)[1])
            if window.start <= end < window.end:
                days.append(end)
            month = end + dt.timedelta(days=1)
        days.append(window.end)
        for day in days:
            if kind == "cumulative":
                value = result.target * cumulative_share(kpi, window, day)
            else:
                value = phased_target(kpi, agg, window, max(day, window.start))
            planned.append({"date": day.isoformat(), "value": _round(value)})
    forecast = ({"date": window.end.isoformat(), "value": _round(result.forecast)}
                if window is not None and result.forecast is not None and result.status not in ("reached", "missed") else None)
    return {"kind": kind, "actual": actual, "planned": planned, "forecast": forecast}


def status_counts(kpis) -> dict:
    """How many KPIs have each status (every status present, zeros included)."""
    out = {s: 0 for s in STATUSES}
    for k in kpis:
        out[k["status"] if k["status"] in out else "no_data"] += 1
    return out


def _period_text(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, dict):
        span = parse_period(value)
        return span.label() if span else str(value)
    return _iso(value)


def _round(value: float | None) -> float | int | None:
    """A computed figure as precise as a reader needs: whole numbers from 1,000 up, else 3 significant digits."""
    if value is None:
        return None
    return _number(float(f"{value:.3g}") if abs(value) < 1000 else float(round(value)))


def _share(value: float | None) -> float | None:
    return None if value is None else round(value, 4)
