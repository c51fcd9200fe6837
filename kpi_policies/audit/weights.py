"""The weighted completion rate (tỷ lệ hoàn thành có trọng số) of a plan whose KPIs carry weights.

Vietnamese KPI templates give each KPI a weight (trọng số, in percent, adding
up to 100) and score the plan as the sum of weight x the KPI's completion.
The per-KPI figure is the KPI's attainment as the progress data gives it
(``attainment``: actual to date over the KPI's whole target, as the report's KPI cards show it; docs/domain.md
"Time: what a figure covers"). The progress from baseline to target
(``share``) is not used: for a total such as revenue logged year to date it
compares a part of the year with the whole year's target and reads far below
zero. Completions are not capped: a KPI beyond its target counts beyond 100%.
When a weighted KPI has no attainment (no review logged yet, a figure whose
window is unknown), the rate is not computed and the KPIs missing are named:
the report asks rather than guesses. Rule FE009 checks that the weights add
up to 100.
"""

from __future__ import annotations

BASIS = "attainment"
BASIS_TEXT = "attainment (actual to date over the KPI's whole target)"


def weighted_completion(kpis, progress: list[dict]) -> dict | None:
    """The weighted completion rate of one plan, or ``None`` when none of its KPIs has a weight.

    Args:
        kpis: The plan's :class:`kpi_policies.models.Kpi` objects.
        progress: The report's per-KPI progress entries, in the same order
            (:func:`kpi_policies.audit.progress.kpi_progress`).

    Returns:
        ``{"value": fraction | None, "basis", "weights_total", "kpis": [{"id",
        "weight", "completion"}], "missing": [KPI ids], "text": one sentence}``.
    """
    weighted = [(k, p) for k, p in zip(kpis, progress) if k.weight is not None]
    if not weighted:
        return None
    basis = BASIS
    rows, missing = [], []
    for kpi, entry in weighted:
        completion = entry.get(basis)
        rows.append({"id": entry["id"], "weight": float(kpi.weight), "completion": completion})
        if completion is None:
            missing.append(entry["id"])
    total = sum(r["weight"] for r in rows)
    value = None
    if not missing and total > 0:
        value = round(sum(r["weight"] * r["completion"] for r in rows) / total, 4)
    if value is not None:
        text = (f"weighted completion {value * 100:.1f}%: the sum of weight x {BASIS_TEXT} over "
                f"{len(rows)} KPI(s), weights totalling {total:g}")
    elif missing:
        text = f"not computed: {', '.join(missing)} {'has' if len(missing) == 1 else 'have'} no {BASIS_TEXT} yet"
    else:
        text = "not computed: the weights total 0"
    if value is not None and abs(total - 100) > 0.01:
        text += f" (they should total 100: rule FE009)"
    return {"value": value, "basis": basis, "weights_total": total, "kpis": rows, "missing": missing, "text": text}
