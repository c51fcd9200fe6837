"""KPI progress: how far each KPI has come from its baseline towards its target."""

from __future__ import annotations

import datetime as dt

from kpi_policies.audit.numbers import _iso, _number
from kpi_policies.i18n import _


def progress_share(baseline: float | None, target: float | None, actual: float | None) -> float | None:
    """The share of the way from baseline to target that ``actual`` has come.

    ``(actual - baseline) / (target - baseline)``: 0 at the baseline, 1 at the
    target, above 1 beyond it, below 0 when the KPI moved away from its target.
    The same formula serves ``increase`` and ``decrease`` KPIs (for a decrease
    both differences are negative while the KPI improves).

    Args:
        baseline: Baseline value, in the KPI's unit.
        target: Target value, in the same unit.
        actual: The value reached (usually the latest review's actual).

    Returns:
        The share as a fraction (``0.5`` = half way), rounded to 4 decimals, or
        ``None`` when a value is missing or the target equals the baseline.
    """
    if baseline is None or target is None or actual is None or target == baseline:
        return None
    return round((actual - baseline) / (target - baseline), 4)


def kpi_progress(kpi, period_start: dt.date | None) -> dict:
    """Baseline, reviews, target and the progress made of one KPI, as plain data.

    Args:
        kpi: A :class:`kpi_policies.models.Kpi`.
        period_start: First day of the plan period (where the baseline stands on
            the time axis, and from when the expected share is counted).

    Returns:
        ``{"id", "name", "unit", "direction", "objective", "baseline": {"value",
        "period"} | None, "target": {"value", "due"} | None, "reviews": [{"date",
        "actual", "note"}] (dated, in date order), "latest": a review | None,
        "share": float | None (see :func:`progress_share`), "expected_share":
        float | None (the share of the time from period start to the target's
        due date that had passed at the latest review), "status": one of
        ``reached``, ``on_track``, ``behind``, ``moving_away``, ``maintain``,
        ``unknown``, "status_text": one sentence}``.
    """
    baseline = kpi.baseline.value if kpi.baseline else None
    target = kpi.target.value if kpi.target else None
    due = kpi.target.due if kpi.target else None
    log = kpi.review.log if kpi.review else []
    reviews = sorted((r for r in log if r.date is not None and r.actual is not None), key=lambda r: r.date)
    latest = reviews[-1] if reviews else None
    share = expected = None
    if kpi.direction == "maintain":
        status = "maintain"
        text = (_("to be kept at {target}; latest {latest} on {date}").format(target=_fmt(target), latest=_fmt(latest.actual),
                                                                              date=latest.date.isoformat())
                if latest and target is not None else _("to be kept at its level; no comparable review yet"))
    elif baseline is None or target is None:
        status, text = "unknown", (_("no baseline value, so progress cannot be measured") if baseline is None
                                   else _("no target value, so progress cannot be measured"))
    elif latest is None:
        status, text = "unknown", _("no review with an actual value is logged yet")
    elif target == baseline:
        status, text = "unknown", _("the target equals the baseline, so progress cannot be measured")
    else:
        share = progress_share(baseline, target, latest.actual)
        if period_start and due and due > period_start:
            elapsed = (latest.date - period_start).days / (due - period_start).days
            expected = round(min(1.0, max(0.0, elapsed)), 4)
        elapsed_text = _("{share} of the time to the due date had passed").format(share=_pct(expected)) if expected is not None else ""
        if share >= 1:
            status, text = "reached", _("the latest actual is at or beyond the target")
        elif share < 0:
            status, text = "moving_away", _("the latest actual is on the wrong side of the baseline")
        elif expected is not None and share < expected:
            status, text = "behind", _("behind a straight path to the target: {elapsed}").format(elapsed=elapsed_text)
        else:
            status, text = "on_track", (_("at or ahead of a straight path to the target: {elapsed}").format(elapsed=elapsed_text)
                                        if elapsed_text else _("between baseline and target"))
    return {
        "id": kpi.id or f"kpis[{kpi.path[-1] if kpi.path else '?'}]",
        "name": kpi.name,
        "unit": kpi.unit,
        "direction": kpi.direction,
        "objective": kpi.objective,
        "baseline": {"value": _number(baseline), "period": _iso(kpi.baseline.period)} if baseline is not None else None,
        "target": {"value": _number(target), "due": _iso(due)} if target is not None else None,
        "reviews": [{"date": r.date.isoformat(), "actual": _number(r.actual), "note": r.note} for r in reviews],
        "latest": {"date": latest.date.isoformat(), "actual": _number(latest.actual)} if latest else None,
        "share": share,
        "expected_share": expected,
        "status": status,
        "status_text": text,
    }


def _fmt(value: float | None) -> str:
    """A value for a sentence: ``5.6``, ``62,400,000,000``."""
    if value is None:
        return "?"
    value = _number(value)
    return f"{value:,}" if isinstance(value, int) else f"{value:,.6g}"


def _pct(share: float) -> str:
    """``0.4567`` -> ``"46%"``."""
    return f"{share * 100:.0f}%"
