"""The built-in metric catalog (``rules/metrics.yaml``): standard marketing metrics.

Each metric has a formula, a unit kind (currency, count, percent, ratio, score,
days), a better direction, the goal types it serves, the tools that measure it
and the source of its definition (docs/domain.md "Standard KPI facts", GA4 and
Google Ads help).

The catalog's ``relations:`` say how metrics combine (docs/domain.md, "Drivers:
how KPIs combine"): ``revenue = orders * average_order_value``, sums and
ratios, each a formula over metric ids in the language of
:mod:`kpi_policies.formula`. Percent metrics enter a relation as ratios
(2.1 percent is 0.021).
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
    range: Range = Field(default_factory=Range)
    goal_types: list[str]
    tools: list[str]
    source: str


class Relation(BaseModel):
    """How one metric is computed from others: ``metric = formula`` (formula over metric ids)."""

    id: str
    metric: str
    formula: str
    source: str = ""

    def tree(self):
        """The parsed formula (:mod:`kpi_policies.formula`); raises ``FormulaError`` when it cannot be read."""
        return _parsed(self.formula)


@functools.lru_cache(maxsize=1024)
def _parsed(text: str):
    from kpi_policies.formula import parse

    return parse(text)


class Catalog(BaseModel):
    """Metrics by id, and the relations between them."""

    metrics: dict[str, Metric]
    relations: list[Relation] = Field(default_factory=list)

    def get(self, metric_id: str | None) -> Metric | None:
        """The metric with this id, or ``None``."""
        return self.metrics.get(metric_id) if metric_id else None

    def relations_of(self, metric_id: str | None) -> list[Relation]:
        """The relations that compute ``metric_id``, in catalog order."""
        return [r for r in self.relations if r.metric == metric_id] if metric_id else []


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
    catalog = Catalog(metrics={m["id"]: Metric.model_validate(m) for m in doc.data["metrics"]},
                      relations=[Relation.model_validate(r) for r in doc.data.get("relations", [])])
    problem = check_relations(catalog.relations, catalog.metrics)
    if problem:
        raise RuntimeError(f"the bundled metric catalog is broken: {problem}")
    return catalog


def check_relations(relations: list[Relation], metrics: dict) -> str | None:
    """The first problem of a list of relations (unreadable formula, unknown metric), or ``None``."""
    from kpi_policies.formula import FormulaError, names

    for relation in relations:
        if relation.metric not in metrics:
            return f"relation {relation.id} computes '{relation.metric}', which is not a metric of the catalog"
        try:
            tree = relation.tree()
        except FormulaError as exc:
            return f"relation {relation.id}: column {exc.column} of `{relation.formula}`: {exc.message}"
        unknown = [n for n in names(tree) if n not in metrics]
        if unknown:
            return f"relation {relation.id} uses '{unknown[0]}', which is not a metric of the catalog"
    return None
