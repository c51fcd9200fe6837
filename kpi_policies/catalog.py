"""The built-in metric catalog (``rules/metrics.yaml``): standard marketing metrics.

Each metric has a formula, a unit kind (currency, count, percent, ratio, score,
days), a better direction, the goal types it serves, the tools that measure it
and the source of its definition (docs/domain.md "Standard KPI facts", GA4 and
Google Ads help). It also says whether the metric is an outcome, a driver or a
diagnostic (``role``), its Vietnamese name (``name_vi``), the other names people
use for it (``synonyms``, Vietnamese too: :func:`suggest_metric` weighs them),
and the dates its platform changed how it is counted (``definition_changes``).

The catalog's ``relations:`` say how metrics combine (docs/domain.md, "Drivers:
how KPIs combine"): ``revenue = orders * average_order_value``, sums and
ratios, each a formula over metric ids in the language of
:mod:`kpi_policies.formula`. Percent metrics enter a relation as ratios
(2.1 percent is 0.021).
"""

from __future__ import annotations

import difflib
import functools
import re
import unicodedata
from typing import Literal, Optional

from pydantic import BaseModel, Field

from kpi_policies.resources import data_dir

UnitKind = Literal["currency", "count", "percent", "ratio", "score", "days"]
Role = Literal["outcome", "driver", "diagnostic"]

#: Built-in business goal types (docs/domain.md step 1): id -> (English, Vietnamese).
#: A policy adds its own under ``goal_types:``.
BUILTIN_GOAL_TYPES: dict[str, tuple[str, str]] = {
    "sales_growth": ("Sales growth", "Tăng trưởng doanh số"),
    "brand_awareness": ("Brand awareness", "Tăng nhận biết thương hiệu"),
    "cost_efficiency": ("Ad-cost efficiency", "Tối ưu chi phí quảng cáo"),
    "customer_retention": ("Customer retention", "Giữ chân khách hàng"),
    "lead_generation": ("Lead generation", "Tạo khách hàng tiềm năng"),
    "market_share": ("Market share", "Tăng thị phần"),
    "profitability": ("Profitability", "Tăng lợi nhuận"),
    "customer_satisfaction": ("Customer satisfaction", "Tăng sự hài lòng của khách hàng"),
}

#: What each role means, for listings and explanations.
ROLES = {
    "outcome": "an outcome the business wants (lagging)",
    "driver": "a driver that moves an outcome (leading)",
    "diagnostic": "a diagnostic that explains a driver; rarely a KPI on its own",
}


class Range(BaseModel):
    """Bounds of a metric's values, in its unit (e.g. 0..100 percent); ``None`` = open."""

    min: Optional[float] = None
    max: Optional[float] = None


class DefinitionChange(BaseModel):
    """A date from which a platform counts the metric differently."""

    date: str
    change: str
    comparable: bool = False


class Metric(BaseModel):
    """One catalog metric."""

    id: str
    name: str
    name_vi: Optional[str] = None
    formula: str
    unit: UnitKind
    better: Literal["higher", "lower"]
    aggregation: Optional[Literal["total", "ytd", "average", "latest", "non_additive"]] = None
    range: Range = Field(default_factory=Range)
    goal_types: list[str]
    tools: list[str]
    source: str
    role: Optional[Role] = None
    synonyms: list[str] = Field(default_factory=list)
    definition_changes: list[DefinitionChange] = Field(default_factory=list)
    notes: Optional[str] = None

    def labels(self) -> list[str]:
        """Every name the metric goes by: id, names in both languages, synonyms."""
        return [self.id, self.name, *([self.name_vi] if self.name_vi else []), *self.synonyms]


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

    def suggest(self, word: str | None) -> str | None:
        """The id of the metric ``word`` most likely means, or ``None`` (see :func:`suggest_metric`)."""
        return suggest_metric(word, self)

    def search(self, text: str) -> list[Metric]:
        """Metrics whose id, names, synonyms, formula or tools contain ``text`` (accents ignored)."""
        needle = fold(text)
        return [m for m in self.metrics.values()
                if any(needle in fold(label) for label in [*m.labels(), m.formula, *m.tools, *m.goal_types, m.role or ""])]


def fold(text: str) -> str:
    """Text for matching: lower case, accents and đ folded, ``_`` and ``-`` as spaces, spaces collapsed."""
    text = text.lower().replace("đ", "d").replace("_", " ").replace("-", " ")
    text = "".join(c for c in unicodedata.normalize("NFD", text) if unicodedata.category(c) != "Mn")
    return " ".join(re.sub(r"[^\w%]+", " ", text).split())


#: Words that do not tell metrics apart.
_STOP = {"per", "of", "the", "a", "an", "moi", "tren", "cua", "so", "ty", "le", "ti", "rate", "total", "tong"}


def _token_match(a: str, b: str) -> bool:
    return a == b or (len(a) > 3 and len(b) > 3 and difflib.SequenceMatcher(None, a, b).ratio() >= 0.8)


def _score(query: str, label: str) -> float:
    """How well ``query`` names ``label`` (both folded), 0..1; 0 when a distinguishing word differs.

    Every content word of the query must match a word of the label (a typo
    allowed in words over three letters): so ``cost per lead`` never matches
    ``cost per mille``, nor ``chi phí mỗi khách hàng tiềm năng`` (cost per
    lead) the lead count ``khách hàng tiềm năng``.
    """
    if query == label:
        return 1.0
    q, lab = query.split(), label.split()
    q_content = [w for w in q if w not in _STOP] or q
    l_content = [w for w in lab if w not in _STOP] or lab
    if not all(any(_token_match(w, x) for x in lab) for w in q_content):
        return 0.0
    if len(q_content) < len(l_content) and len(q_content) == 1 and len(q_content[0]) <= 3:
        return 0.0  # "sql" is not a word of "sales qualified leads"; abbreviations come as synonyms
    ratio = difflib.SequenceMatcher(None, query, label).ratio()
    return 0.5 + ratio / 2


def suggest_metric(word: str | None, catalog: "Catalog") -> str | None:
    """The catalog id that ``word`` (an id, a name or a synonym, in English or Vietnamese) most likely means.

    Names and synonyms weigh as much as the id, so ``doanh thu`` gives
    ``revenue`` and ``chi phí mỗi khách hàng tiềm năng`` gives ``cost_per_lead``;
    spelling alone is not enough: a metric is offered only when every
    distinguishing word matches.
    """
    if not isinstance(word, str) or not word.strip() or len(word) > 200:
        return None
    query = fold(word)
    best, best_score = None, 0.0
    for metric in catalog.metrics.values():
        for label in metric.labels():
            score = _score(query, fold(label))
            if score > best_score:
                best, best_score = metric.id, score
    return best if best_score >= 0.75 else None


@functools.lru_cache(maxsize=None)
def builtin_catalog() -> Catalog:
    """Load and validate the bundled catalog once per process.

    Raises:
        RuntimeError: if the bundled file is broken (a packaging error).
    """
    from kpi_policies.load import load_file
    from kpi_policies.validators import fast_validator_for, validator_for

    doc = load_file(str(data_dir("rules") / "metrics.yaml"))
    fast = fast_validator_for("MetricCatalog") if doc.usable else None
    if fast is not None and fast.is_valid(doc.data):
        errors = []  # the common case: the Python validator (and its import) is needed only to say what is wrong
    else:
        errors = list(validator_for("MetricCatalog").iter_errors(doc.data))[:1] if doc.usable else doc.problems
    if errors:
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
