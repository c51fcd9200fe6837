"""Pydantic models of the v1 file kinds, built from schema-checked data.

The models mirror ``schemas/kpi-plan.schema.json`` and
``schemas/strategy.schema.json`` field for field (a test keeps them in step).
Every field is optional here: the schema has already reported what is missing
or malformed, :func:`kpi_policies.schema.prune` removed the rejected values,
and the rules judge the rest. Each object remembers its ``path`` in the
document so a rule can point at it.

Dates are ``datetime.date``; numbers are ``float`` or ``int`` in the KPI's own
unit (currency amounts, percent points, counts).
"""

from __future__ import annotations

import functools

import datetime as dt
from typing import Literal, Optional, Union

from pydantic import BaseModel, ConfigDict, Field, ValidationError

Direction = Literal["increase", "decrease", "maintain"]
Aggregation = Literal["total", "ytd", "average", "latest", "non_additive"]
GoalType = str  # built in: kpi_policies.catalog.BUILTIN_GOAL_TYPES; a policy adds its own


class _Model(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=False, defer_build=True)  # built on first use: a run builds only the models it reads

    path: tuple = Field(default=(), exclude=True, description="Where the object stands in its document.")


class Period(_Model):
    """A period, both dates inclusive."""

    start: Optional[dt.date] = None
    end: Optional[dt.date] = None

    def contains(self, day: dt.date) -> bool:
        """True when ``day`` lies inside the period (unknown ends are open)."""
        return (self.start is None or day >= self.start) and (self.end is None or day <= self.end)


class StrategyMetadata(_Model):
    """``metadata`` of a strategy: id, title, owner, period."""

    id: Optional[str] = None
    title: Optional[str] = None
    owner: Optional[str] = None
    description: Optional[str] = None
    period: Optional[Period] = None


class Metadata(StrategyMetadata):
    """``metadata`` of a plan: a strategy's fields plus department and the strategy served."""

    department: Optional[str] = None
    strategy: Optional[str] = None


class Measure(_Model):
    """How a strategy goal is measured across the plans serving it: metric, baseline, target, deadline."""

    metric: Optional[str] = None
    unit: Optional[str] = None
    baseline: Optional[float] = None
    target: Optional[float] = None
    due: Optional[dt.date] = None


class Goal(_Model):
    """A business goal (docs/domain.md, "How a good plan is built", step 1)."""

    id: Optional[str] = None
    title: Optional[str] = None
    type: Optional[GoalType] = None
    description: Optional[str] = None
    measure: Optional[Measure] = None


class Objective(_Model):
    """A marketing objective serving one business goal."""

    id: Optional[str] = None
    title: Optional[str] = None
    goal: Optional[str] = None
    description: Optional[str] = None


class Baseline(_Model):
    """The value a target is compared with, in the KPI's unit, and when it was measured."""

    value: Optional[float] = None
    period: Optional[Union[int, str, dict]] = None
    source: Optional[str] = None


class Milestone(_Model):
    """A target to date: the value due by a day (cumulative for totals, a level for averages and latest values)."""

    due: Optional[dt.date] = None
    value: Optional[float] = None


class Phasing(_Model):
    """How a target spreads over its window: milestones, or seasonal shares per month or quarter (default linear)."""

    milestones: list[Milestone] = Field(default_factory=list)
    profile: list[float] = Field(default_factory=list)


class Target(_Model):
    """The value to reach, in the KPI's unit, its deadline, window, phasing and an optional justification."""

    value: Optional[float] = None
    due: Optional[dt.date] = None
    justification: Optional[str] = None
    window: Optional[Union[int, str, dict]] = None
    phasing: Optional[Phasing] = None


class Measurement(_Model):
    """Tool, report and person that measure a KPI (ISO 9001:2015 9.1.1)."""

    tool: Optional[str] = None
    source: Optional[str] = None
    owner: Optional[str] = None


class ReviewEntry(_Model):
    """One review held: its date and the actual value seen, in the KPI's unit."""

    date: Optional[dt.date] = None
    actual: Optional[float] = None
    note: Optional[str] = None
    period: Optional[str] = None


class Review(_Model):
    """Review cadence, reviewer and the log of reviews held (ISO 9001:2015 9.3)."""

    cadence: Optional[str] = None
    reviewer: Optional[str] = None
    log: list[ReviewEntry] = Field(default_factory=list)


class ActiveWindow(_Model):
    """When a KPI is tracked (``from`` and ``to``, both inclusive)."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    from_: Optional[dt.date] = Field(None, alias="from")
    to: Optional[dt.date] = None


class Kpi(_Model):
    """A KPI: what is measured, from where to where, by whom and how often."""

    id: Optional[str] = None
    name: Optional[str] = None
    description: Optional[str] = None
    owner: Optional[str] = None
    objective: Optional[str] = None
    metric: Optional[str] = None
    unit: Optional[str] = None
    direction: Optional[Direction] = None
    aggregation: Optional[Aggregation] = None
    active: Optional[ActiveWindow] = None
    baseline: Optional[Baseline] = None
    target: Optional[Target] = None
    drivers: list[str] = Field(default_factory=list)
    formula: Optional[str] = None
    contributes_to: Optional[str] = None
    weight: Optional[float] = None
    measurement: Optional[Measurement] = None
    review: Optional[Review] = None


class Initiative(_Model):
    """Work that moves driver KPIs, with an owner and dates."""

    id: Optional[str] = None
    title: Optional[str] = None
    kpis: list[str] = Field(default_factory=list)
    owner: Optional[str] = None
    start: Optional[dt.date] = None
    end: Optional[dt.date] = None
    description: Optional[str] = None


class Approval(_Model):
    """Who approved the plan and when (ISO 9001:2015 7.5.3)."""

    approved_by: Optional[str] = None
    approved_on: Optional[dt.date] = None
    reference: Optional[str] = None


class Revision(_Model):
    """One entry of the change log: the day, the ids it covers, the reason and the approver (ISO 9001:2015 6.3)."""

    date: Optional[dt.date] = None
    covers: list[str] = Field(default_factory=list)
    reason: Optional[str] = None
    approved_by: Optional[str] = None
    reference: Optional[str] = None


class KpiPlan(_Model):
    """``kind: KpiPlan``: a department's KPI plan for a period."""

    metadata: Metadata = Field(default_factory=Metadata)
    goals: list[Goal] = Field(default_factory=list)
    objectives: list[Objective] = Field(default_factory=list)
    kpis: list[Kpi] = Field(default_factory=list)
    initiatives: list[Initiative] = Field(default_factory=list)
    approval: Optional[Approval] = None
    revisions: list[Revision] = Field(default_factory=list)


class Strategy(_Model):
    """``kind: Strategy``: company-level business goals that plans serve."""

    metadata: StrategyMetadata = Field(default_factory=StrategyMetadata)
    goals: list[Goal] = Field(default_factory=list)


MODELS: dict[str, type[_Model]] = {"KpiPlan": KpiPlan, "Strategy": Strategy}

#: Model field name -> schema property name, for the fields models add themselves.
INTERNAL_FIELDS = {"path"}


class ModelBuildError(Exception):
    """Schema-checked data did not fit the models (the schema and the models disagree)."""


def build(kind: str, data: dict, pruned: bool = True) -> KpiPlan | Strategy | None:
    """Build the model of a schema-checked, pruned document.

    List items that were pruned (``None``) are skipped (pass ``pruned=False``
    when nothing was, to save the walk); every object gets the path it
    stands at, so findings can point at it.

    Returns:
        The model, or ``None`` for kinds the rules do not judge (Policy, MetricCatalog).

    Raises:
        ModelBuildError: when the data does not fit the models.
    """
    model = MODELS.get(kind)
    if model is None:
        return None
    try:
        obj = model.model_validate(_strip_none_items(data) if pruned else data)
    except ValidationError as exc:
        first = exc.errors()[0]
        raise ModelBuildError(f"{'.'.join(str(p) for p in first['loc'])}: {first['msg']}") from None
    _stamp_paths(obj, data, ())
    return obj


def _strip_none_items(data):
    """Drop pruned list items but remember their original index via a marker key."""
    if isinstance(data, dict):
        return {k: _strip_none_items(v) for k, v in data.items()}
    if isinstance(data, list):
        return [_strip_none_items(v) for v in data if v is not None]
    return data


def _stamp_paths(obj: _Model, data, path: tuple) -> None:
    """Give every nested model its document path, counting pruned items too.

    The path is written straight into the model's ``__dict__`` (where pydantic
    keeps field values): it is not validated data, and pydantic's own
    attribute setter costs several times more for the tens of thousands of
    objects a large run builds.
    """
    fields = obj.__dict__
    fields["path"] = path
    if not isinstance(data, dict):
        return
    for name in _nested_fields(type(obj)):
        if name not in data:
            continue
        raw = data[name]
        value = fields.get(name)
        if isinstance(value, _Model):
            _stamp_paths(value, raw, path + (name,))
        elif isinstance(value, list) and isinstance(raw, list):
            kept = [i for i, item in enumerate(raw) if item is not None]
            for item, index in zip(value, kept):
                if isinstance(item, _Model):
                    _stamp_paths(item, raw[index], path + (name, index))


@functools.lru_cache(maxsize=None)
def _nested_fields(cls: type) -> tuple[str, ...]:
    """The fields of a model class that may hold models (or lists of them), found once per class."""
    out = []
    for name, info in cls.model_fields.items():
        if name in INTERNAL_FIELDS:
            continue
        if _may_hold_models(info.annotation):
            out.append(name)
    return tuple(out)


def _may_hold_models(annotation) -> bool:
    import typing

    if isinstance(annotation, type):
        return issubclass(annotation, _Model)
    return any(_may_hold_models(arg) for arg in typing.get_args(annotation))
