"""The rule contract: a class per rule, its documentation in its docstring.

A rule declares ``id`` (family prefix + three digits, e.g. ``GL001``), a dotted
``name``, a default ``severity``, optional ``Params`` (a pydantic model,
validated when the policy loads) and a ``check`` generator that yields
:class:`Violation` records: a path into the document and a message. The engine
stamps the rule id, the effective severity, the file and the 1-based line and
column.

The docstring is the rule's only documentation (``kpi-policies explain``,
``kpi-policies rules``): its first line is the summary, then the sections
``## Why it matters``, ``## Parameters`` (optional), ``## Fails`` and
``## Passes``, each example a ```` ```yaml ```` block. Examples show only what
differs from the reference plan (:data:`kpi_policies.rules.examples.REFERENCE_PLAN`),
and a test runs every one of them against its rule.
"""

from __future__ import annotations

import datetime as dt
import inspect
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar, Iterable, Iterator

from pydantic import BaseModel, ConfigDict

from kpi_policies.result import Severity

if TYPE_CHECKING:
    from kpi_policies.catalog import Catalog
    from kpi_policies.index import Index
    from kpi_policies.load import Document
    from kpi_policies.models import KpiPlan, Kpi
    from kpi_policies.policy import Policy

RULE_ID = re.compile(r"^[A-Z]{1,4}[0-9]{3}$")


class NoParams(BaseModel):
    """A rule without parameters."""

    model_config = ConfigDict(extra="forbid")


@dataclass(frozen=True)
class Violation:
    """What a rule reports: where (a path in the document) and what, in one sentence.

    Attributes:
        path: Path tuple of the key or value at fault, e.g. ``("kpis", 2, "target", "value")``.
        message: The problem in the domain's terms, naming the objects concerned.
        on_key: Point at the key rather than the value (e.g. a missing child key).
        missing: For "X is missing" findings, the path of the absent value. When
            the schema rejected a value written there (a date like 31/12/2026),
            the schema finding already says so and this one is dropped.
        position: 1-based ``(line, column)`` in the file when the rule knows it
            more precisely than ``path`` (a column inside a formula).
    """

    path: tuple
    message: str
    on_key: bool = False
    missing: tuple | None = None
    position: tuple | None = None


@dataclass(frozen=True)
class DocumentSummary:
    """What a run keeps of each document once it has been judged.

    Attributes:
        file: Path of the file.
        kind: ``KpiPlan``, ``Strategy``... or ``None``.
        doc_id: ``metadata.id``, if any.
        id_position: 1-based (line, column) of ``metadata.id``.
        facts: What run-level rules asked to keep of the document (:func:`summary_facts`),
            by rule family; plain JSON-able data, so it survives the cache.
    """

    file: str
    kind: str | None
    doc_id: str | None
    id_position: tuple = (1, 1)
    facts: dict | None = None


def summary_facts(rules: Iterable[type["Rule"]], loaded) -> dict | None:
    """The facts run-level rules keep of one judged document: ``{family: rule.summarize(model, document)}``.

    A run-level rule that needs more than ids across files (a strategy's goals
    and the plans serving them) defines a classmethod ``summarize(model,
    document)`` returning small JSON-able data; a failing one keeps nothing.
    """
    model = getattr(loaded, "model", None)
    if model is None:
        return None
    out: dict = {}
    for rule in rules:
        summarize = getattr(rule, "summarize", None)
        if summarize is None or not rule.run_level or rule.family() in out:
            continue
        try:
            fact = summarize(model, getattr(loaded, "document", None))
        except Exception:  # a broken summary must not stop the run; its rule then sees nothing of this file
            fact = None
        if fact is not None:
            out[rule.family()] = fact
    return out or None


@dataclass
class Context:
    """What a rule may look at when it judges one document.

    Attributes:
        plan: The plan (or strategy) being judged, as models.
        document: The loaded file, for positions.
        index: Cross-file index: every plan and strategy of the run, and the repository's strategies.
        policy: The effective policy (approved tools, settings).
        catalog: The metric catalog.
        as_of: The day time-dependent rules judge on (``--as-of``, default today).
        base: The document's earlier version the run compares with (``check --base``):
            a :class:`kpi_policies.history.Base`, or ``None`` when there is none.
    """

    plan: "KpiPlan"
    document: "Document"
    index: "Index"
    policy: "Policy"
    catalog: "Catalog"
    as_of: dt.date
    base: object = None

    def kpis(self) -> Iterator["Kpi"]:
        """The plan's KPIs that could be read (those with an id)."""
        return (k for k in getattr(self.plan, "kpis", []) if k.id)

    def strategy(self):
        """The index entry of the Strategy named in ``metadata.strategy``, or ``None``."""
        strategy_id = getattr(self.plan.metadata, "strategy", None)
        return self.index.strategy(strategy_id, self.document.path) if strategy_id else None

    def goals(self) -> dict:
        """Goal id -> Goal: the plan's own goals, then those of its strategy."""
        out = {g.id: g for g in getattr(self.plan, "goals", []) if g.id}
        entry = self.strategy()
        if entry is not None:
            for goal in entry.model.goals:
                if goal.id:
                    out.setdefault(goal.id, goal)
        return out


class Rule:
    """Base class of every rule, built-in or plugin.

    Class attributes:
        id: Family prefix + three digits, e.g. ``"FE004"``.
        name: Dotted ``family.topic`` name, e.g. ``"feasibility.target-direction"``.
        severity: Default severity; a policy may override it.
        Params: Pydantic model of the rule's parameters (defaults = built-in policy).
        kinds: Document kinds the rule judges.
    """

    id: ClassVar[str] = ""
    name: ClassVar[str] = ""
    severity: ClassVar[Severity] = Severity.ERROR
    Params: ClassVar[type[BaseModel]] = NoParams
    kinds: ClassVar[tuple[str, ...]] = ("KpiPlan",)
    run_level: ClassVar[bool] = False

    def check(self, ctx: Context, params: BaseModel) -> Iterable[Violation]:  # pragma: no cover - abstract
        """Yield the violations found in ``ctx.plan``."""
        raise NotImplementedError

    @classmethod
    def check_run(cls, documents: list["DocumentSummary"], params: BaseModel) -> Iterable[tuple[int, Violation]]:
        """For ``run_level`` rules: yield ``(index into documents, violation)`` once every file is read.

        Only the summaries of the run's documents are kept in memory, so
        cross-file checks (duplicate ids) still work on thousands of plans.
        """
        return ()

    # --- documentation --------------------------------------------------
    @classmethod
    def doc(cls) -> str:
        """The rule's docstring, dedented."""
        return inspect.cleandoc(cls.__doc__ or "")

    @classmethod
    def summary(cls) -> str:
        """First line of the docstring: what the rule reports."""
        return cls.doc().split("\n", 1)[0].strip()

    @classmethod
    def sections(cls) -> dict[str, str]:
        """``## Heading`` -> section text, in order (``""`` holds the prose before the first heading)."""
        out: dict[str, str] = {}
        current = ""
        lines: list[str] = []
        for line in cls.doc().split("\n")[1:]:
            if line.startswith("## "):
                out[current] = "\n".join(lines).strip()
                current, lines = line[3:].strip(), []
            else:
                lines.append(line)
        out[current] = "\n".join(lines).strip()
        return out

    @classmethod
    def examples(cls, heading: str) -> list[str]:
        """The ```` ```yaml ```` blocks of section ``Fails`` or ``Passes``."""
        text = cls.sections().get(heading, "")
        return re.findall(r"```yaml\n(.*?)```", text, flags=re.S)

    @classmethod
    def rationale(cls) -> str:
        """The ``Why it matters`` section."""
        return cls.sections().get("Why it matters", "")

    @classmethod
    def family(cls) -> str:
        """The id's letter prefix, e.g. ``"GL"``."""
        return re.sub(r"[0-9]+$", "", cls.id)

    #: Web page documenting the rule; built-in rules default to their section of docs/rules.md.
    help_uri: ClassVar[str] = ""


class LoadRule(Rule):
    """A rule whose findings come from loading, schema validation or suppressions, not from ``check``.

    Class attributes:
        examples_are_files: The examples are file text checked as it is,
            not fragments merged into the reference plan.
    """

    kinds = ()
    examples_are_files: ClassVar[bool] = False

    def check(self, ctx: Context, params: BaseModel) -> Iterable[Violation]:
        """Findings of this rule are made by the loader or the schema step."""
        return ()


class FileTextRule(LoadRule):
    """A load-time rule whose examples are file text checked as it is (families Y and SU)."""

    examples_are_files = True


def is_blank(value: object) -> bool:
    """True for ``None`` and for text that is empty or only spaces."""
    return value is None or (isinstance(value, str) and not value.strip())


def kpi_label(kpi: "Kpi") -> str:
    """``KPI-REVENUE`` or, without an id, ``the KPI at kpis[3]``."""
    from kpi_policies.i18n import _

    return kpi.id or _("the KPI at kpis[{index}]").format(index=kpi.path[-1])
