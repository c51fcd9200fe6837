"""The built-in metric catalog (``rules/metrics.yaml``): standard marketing metrics.

Each metric has a formula, a unit kind (currency, count, percent, ratio, score,
days), a better direction, the goal types it serves, the tools that measure it
and the source of its definition (docs/domain.md "Standard KPI facts", GA4 and
Google Ads help).
"""

from __future__ import annotations

import functools
from typing import Literal, Optional

from pydantic import BaseModel, Field

from kpi_policies.resources import data_dir

UnitKind = Literal["currency", "count", "percent", "ratio", "score", "days"]


class Range(BaseModel):
    """Bounds of a metric's values, in its unit (e.g. 0..100 percent); ``None`` = open."""

    min: Optional[float] = None
    max: Optional[float] = None


class Metric(BaseModel):
    """One catalog metric."""

    id: str
    name: str
    formula: str
    unit: UnitKind
    better: Literal["higher", "lower"]
    aggregation: Optional[Literal["total", "ytd", "average", "latest", "non_additive"]] = None
    range: Range = Field(default_factory=Range)
    goal_types: list[str]
    tools: list[str]
    source: str


class Catalog(BaseModel):
    """Metrics by id."""

    metrics: dict[str, Metric]

    def get(self, metric_id: str | None) -> Metric | None:
        """The metric with this id, or ``None``."""
        return self.metrics.get(metric_id) if metric_id else None


@functools.lru_cache(maxsize=None)
def builtin_catalog() -> Catalog:
    """Load and validate the bundled catalog once per process.

    Raises:
        RuntimeError: if the bundled file is broken (a packaging error).
    """
    from kpi_policies.load import load_file
    from kpi_policies.schema import validate

    doc = load_file(str(data_dir("rules") / "metrics.yaml"))
    kind, errors = validate(doc.data) if doc.usable else (None, doc.problems)
    if kind != "MetricCatalog" or errors:
        raise RuntimeError(f"the bundled metric catalog is broken: {errors[:1]}")
    return Catalog(metrics={m["id"]: Metric.model_validate(m) for m in doc.data["metrics"]})
