"""Findings and run results: what the checks record and the reporters read."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field


class Severity(str, enum.Enum):
    """How serious a finding is; ``error`` makes ``check`` exit 1."""

    ERROR = "error"
    WARNING = "warning"
    INFO = "info"

    @property
    def rank(self) -> int:
        """2 for error, 1 for warning, 0 for info (higher is more severe)."""
        return {"error": 2, "warning": 1, "info": 0}[self.value]


#: The sections of a plan whose items have ids, and the kind of object each holds.
SECTIONS = {"goals": "goal", "objectives": "objective", "kpis": "kpi", "initiatives": "initiative"}


@dataclass(frozen=True)
class Location:
    """Where in a document a finding is: the path of the value, and its line and column.

    Attributes:
        path: Path tuple of the key or value, e.g. ``("kpis", 2, "target")`` (``()`` = the whole file).
        line: 1-based line.
        column: 1-based column, counted in characters.
    """

    path: tuple = ()
    line: int = 1
    column: int = 1

    @staticmethod
    def path_of(pointer: str) -> tuple:
        """The path a JSON pointer of :attr:`pointer` names (for findings read back from a JSON report)."""
        if not pointer:
            return ()
        parts = [p.replace("~1", "/").replace("~0", "~") for p in pointer.split("/")[1:]]
        return tuple(int(p) if p.isdigit() else p for p in parts)

    @property
    def pointer(self) -> str:
        """JSON pointer (RFC 6901) of the path: ``('kpis', 2, 'target')`` -> ``/kpis/2/target``."""
        return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in self.path)

    @property
    def object_kind(self) -> str | None:
        """``goal``, ``objective``, ``kpi`` or ``initiative`` when the path lies in one such item."""
        if len(self.path) >= 2 and self.path[0] in SECTIONS and isinstance(self.path[1], int):
            return SECTIONS[self.path[0]]
        return None

    @property
    def within(self) -> str:
        """The place inside its goal, objective, KPI or initiative (``target/value``), else the whole pointer's parts."""
        parts = self.path[2:] if self.object_kind else self.path
        return "/".join(str(p) for p in parts)

    def object_id(self, data) -> str | None:
        """Id of the goal, objective, KPI or initiative that the path lies in, if any."""
        if self.object_kind and isinstance(data, dict):
            items = data.get(self.path[0])
            if isinstance(items, list) and self.path[1] < len(items) and isinstance(items[self.path[1]], dict):
                ident = items[self.path[1]].get("id")
                return ident if isinstance(ident, str) else None
        return None


@dataclass(frozen=True)
class Waiver:
    """The waiver that suppresses a finding, as reports show it.

    Attributes:
        kind: ``inline`` (a comment in the plan), ``policy`` (the policy's ``suppressions``) or ``baseline``.
        rules: The rule selectors it names.
        reason: Why the finding is accepted.
        until: Last day it applies (ISO date), or ``None`` for no expiry.
        file: The file that holds it.
        line: 1-based line of the waiver in that file.
    """

    kind: str
    rules: tuple[str, ...]
    reason: str | None
    until: str | None
    file: str
    line: int

    def to_dict(self) -> dict:
        """The waiver as the ``json`` report shows it."""
        return {"kind": self.kind, "rules": list(self.rules), "reason": self.reason, "until": self.until,
                "file": self.file, "line": self.line}

    @classmethod
    def from_dict(cls, data: dict) -> "Waiver":
        """The inverse of :meth:`to_dict`."""
        return cls(data["kind"], tuple(data["rules"]), data["reason"], data["until"], data["file"], data["line"])


@dataclass(frozen=True, slots=True)  # (a large run keeps a hundred thousand of them: no __dict__ each)
class Finding:
    """One problem found in one file.

    Attributes:
        rule_id: The rule that found it, e.g. ``"GL001"`` (family prefix + number).
        severity: Effective severity after the policy is applied.
        message: One sentence in the domain's terms, naming the object concerned.
        file: Path of the file as given on the command line (or found in a folder).
        line: 1-based line of the key or value at fault (for a missing key: its parent).
        column: 1-based column, counted in characters.
        plan_id: ``metadata.id`` of the plan or strategy, when it could be read.
        pointer: JSON pointer of the object at fault inside the document (``""`` = root).
        rule_name: The rule's dotted name, e.g. ``"goal-linkage.unknown-objective"``.
        object_id: Id of the goal, objective, KPI or initiative the finding is in, if any.
        enforcement: ``"enforce"`` (counts for the exit code) or ``"audit"`` (reported, never blocks).
        suppression: The :class:`Waiver` that suppresses it, or ``None`` when it is active.
        path: The path tuple of :attr:`pointer` (not part of the ``json`` report).
    """

    rule_id: str
    severity: Severity
    message: str
    file: str
    line: int
    column: int
    plan_id: str | None = None
    pointer: str = ""
    rule_name: str = ""
    object_id: str | None = None
    enforcement: str = "enforce"
    suppression: Waiver | None = None
    path: tuple = field(default=(), compare=False)

    @property
    def active(self) -> bool:
        """True unless a suppression waives it."""
        return self.suppression is None

    @property
    def location(self) -> Location:
        """Where the finding is, as a :class:`Location`."""
        return Location(self.path, self.line, self.column)

    def sort_key(self) -> tuple:
        """Order findings by file, then position, then rule id."""
        return (self.file, self.line, self.column, self.rule_id, self.message)

    def to_dict(self) -> dict:
        """The finding as a JSON-ready dict (the ``json`` report's finding object)."""
        return {
            "rule_id": self.rule_id,
            "rule_name": self.rule_name,
            "severity": self.severity.value,
            "message": self.message,
            "file": self.file,
            "line": self.line,
            "column": self.column,
            "plan_id": self.plan_id,
            "object_id": self.object_id,
            "pointer": self.pointer,
            "enforcement": self.enforcement,
            "suppression": self.suppression.to_dict() if self.suppression else None,
        }


@dataclass
class FileResult:
    """What a run learned about one file.

    Attributes:
        path: The file as given or discovered.
        kind: ``KpiPlan``, ``Strategy``, ``Policy``... or ``None`` when unreadable.
        doc_id: ``metadata.id`` when present.
        findings: Findings on this file, sorted by position.
        rules_evaluated: Ids of the rules that judged this file (loading rules
            always; schema rules once it could be read; the other rules once its
            kind was known), so passes are visible as well as failures.
        sha256: sha256 (hex) of the bytes that were judged, ``None`` when the file could not be read.
        size: Their length in bytes.
    """

    path: str
    kind: str | None = None
    doc_id: str | None = None
    findings: list[Finding] = field(default_factory=list)
    rules_evaluated: list[str] = field(default_factory=list)
    sha256: str | None = None
    size: int | None = None

    @property
    def active(self) -> list[Finding]:
        """This file's findings that no suppression waives."""
        return [f for f in self.findings if f.active]


@dataclass(frozen=True)
class RuleInfo:
    """What reporters need to know about a rule, carried in the result (so plugin rules work too).

    Attributes:
        id: e.g. ``"FE004"``.
        name: Dotted name, e.g. ``"feasibility.target-direction"``.
        severity: The rule's default severity (a policy may change it per finding).
        summary: One line: what the rule reports.
        rationale: Why it matters (may be empty).
        help: The whole ``kpi-policies explain`` text.
        family: Id prefix, e.g. ``"FE"``.
        help_uri: Where the rule is documented on the web (docs/rules.md#fe004 for built-in rules).
    """

    id: str
    name: str = ""
    severity: Severity = Severity.ERROR
    summary: str = ""
    rationale: str = ""
    help: str = ""
    family: str = ""
    help_uri: str = ""

    def to_dict(self) -> dict:
        """JSON-ready form (``severity`` as its value)."""
        return {"id": self.id, "name": self.name, "severity": self.severity.value, "summary": self.summary,
                "rationale": self.rationale, "help": self.help, "family": self.family, "help_uri": self.help_uri}

    @classmethod
    def from_dict(cls, data: dict) -> "RuleInfo":
        """The inverse of :meth:`to_dict`."""
        return cls(**{**data, "severity": Severity(data.get("severity", "error"))})


@dataclass
class RunResult:
    """Everything one ``check`` produced, in file order.

    Attributes:
        files: One entry per file checked, in the order they were discovered.
        as_of: ISO date the time-dependent rules were judged on.
        rules_run: Ids of every rule that was evaluated in this run.
        rules: What reporters need to know of each rule the run knows, by id
            (the engine's rules, plugins included).
    """

    files: list[FileResult]
    as_of: str
    rules_run: list[str] = field(default_factory=list)
    rules: dict[str, RuleInfo] = field(default_factory=dict)

    def rule(self, rule_id: str) -> RuleInfo:
        """The rule's information; a bare one (id only) for a rule the run does not know."""
        return self.rules.get(rule_id) or RuleInfo(rule_id, name=next(
            (f.rule_name for f in self.findings if f.rule_id == rule_id and f.rule_name), ""))

    @property
    def findings(self) -> list[Finding]:
        """All findings of all files, suppressed ones included, file by file, each file's sorted by position."""
        return [f for fr in self.files for f in fr.findings]

    @property
    def active(self) -> list[Finding]:
        """The findings no suppression waives."""
        return [f for f in self.findings if f.active]

    def count(self, severity: Severity) -> int:
        """Number of active (not suppressed) findings of one severity."""
        return sum(1 for f in self.active if f.severity is severity)

    @property
    def suppressed(self) -> int:
        """Number of suppressed findings."""
        return sum(1 for f in self.findings if not f.active)

    def blocking(self, threshold: Severity = Severity.ERROR) -> list[Finding]:
        """Active, enforced findings at or above ``threshold``: these make ``check`` exit 1."""
        return [f for f in self.active if f.enforcement == "enforce" and f.severity.rank >= threshold.rank]

    @property
    def has_errors(self) -> bool:
        """True when an active, enforced finding is an error."""
        return bool(self.blocking(Severity.ERROR))
