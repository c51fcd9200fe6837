"""Suppressions: waivers with a reason and an optional expiry, inline or in the policy.

Inline, in a YAML comment on the offending line or on a comment line just
above it::

    target: {value: 9.9, due: 2027-12-31}  # kpi-policies: ignore[FE005] reason="New market" until=2027-06-30

    # kpi-policies: ignore[FE005,FE004] reason="Agreed with finance, see ticket FIN-12"
    target: {value: 9.9, due: 2027-12-31}

From the policy (``suppressions:`` in a ``kind: Policy`` pack), so a reviewer
can waive without editing the plan: by plan id, and by KPI (or other object)
id or JSON pointer.

A suppression without a reason, or expired as of ``--as-of``, suppresses
nothing and is itself an error (SU001, SU002); one that suppresses nothing is
a warning (SU003); a malformed one or one naming an unknown rule is an error
(SU004). Suppressed findings stay in the JSON and SARIF reports with their
justification and are counted apart.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from kpi_policies import selectors
from kpi_policies.result import Waiver
from kpi_policies.selectors import RuleSelector, any_matches

_MARK = "kpi-policies:"
_COMMENT = re.compile(r"(?:^|\s)#\s*kpi-policies:\s*(?P<body>.*)$")
_IGNORE = re.compile(r"^ignore\[(?P<ids>[^\]]*)\](?P<rest>.*)$")
_ATTR = re.compile(r"""(?P<key>[A-Za-z_]+)\s*=\s*(?:"(?P<dq>[^"]*)"|'(?P<sq>[^']*)'|(?P<bare>\S+))""")
_LINE_BREAK = re.compile(r"\r\n|\r|\n")


@dataclass
class Suppression:
    """One waiver.

    Attributes:
        rule_ids: Rule ids (or family prefixes such as ``FE``) it waives.
        reason: Why; required.
        until: Last day it applies (inclusive), or ``None`` for no expiry.
        file: Where it is written (the plan, or the policy pack).
        line: 1-based line of the comment or policy entry.
        column: 1-based column.
        source: ``"inline"`` or ``"policy"``.
        lines: For inline ones, the plan lines it covers.
        plan_id: For policy ones, the plan it applies to.
        object_id: For policy ones, the KPI (or goal, objective, initiative) id, if any.
        pointer: For policy ones, a JSON pointer prefix, if any.
        problem: Why it is invalid (then it suppresses nothing), else ``None``.
        used: Set when it suppressed at least one finding.
    """

    rule_ids: tuple[str, ...]
    reason: str | None
    until: dt.date | None
    file: str
    line: int
    column: int
    source: str
    lines: frozenset = frozenset()
    plan_id: str | None = None
    object_id: str | None = None
    pointer: str | None = None
    problem: tuple[str, str] | None = None  # (rule id, message)
    used: bool = field(default=False, compare=False)

    def covers_rule(self, rule_id: str) -> bool:
        """True when ``rule_id`` is named, or starts with a named family prefix."""
        return any_matches(self.rule_ids, rule_id)

    def as_waiver(self) -> Waiver:
        """The waiver as findings carry it and reports show it."""
        return Waiver(self.source, tuple(self.rule_ids), self.reason, self.until.isoformat() if self.until else None,
                      self.file, self.line)


def _attributes(text: str) -> dict[str, str]:
    return {m.group("key").lower(): next(v for v in (m.group("dq"), m.group("sq"), m.group("bare")) if v is not None)
            for m in _ATTR.finditer(text)}


def validate(s: Suppression, known_rules, as_of: dt.date, until_text: str | None) -> Suppression:
    """Set ``s.problem`` when the suppression cannot be honoured."""
    unknown = selectors.unknown(s.rule_ids, known_rules)
    loading = [r for r in s.rule_ids if RuleSelector(r).is_loading()]
    if not s.rule_ids:
        s.problem = ("SU004", "suppression names no rule id: write ignore[RULE_ID] (several separated by commas)")
    elif unknown:
        s.problem = ("SU004", f"suppression names unknown rule {', '.join(unknown)}; `kpi-policies rules` lists them")
    elif loading and s.source == "inline":
        s.problem = ("SU004", f"{', '.join(loading)} (YAML syntax and loading) cannot be waived inline: fix the file")
    elif until_text is not None and s.until is None:
        s.problem = ("SU004", f"suppression has until={until_text!r}, not a date in the form YYYY-MM-DD")
    elif not s.reason or not s.reason.strip():
        s.problem = ("SU001", f"suppression of {', '.join(s.rule_ids)} gives no reason; add reason=\"...\" (it suppresses nothing until then)")
    elif s.until is not None and s.until < as_of:
        s.problem = ("SU002", f"suppression of {', '.join(s.rule_ids)} expired on {s.until.isoformat()} "
                              f"(as of {as_of.isoformat()}); renew it with a new until= or fix the finding")
    return s


def parse_date(text: str | None) -> dt.date | None:
    """A ``YYYY-MM-DD`` date, or ``None`` for anything else."""
    if text is None or len(text) != 10:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        return None


def _inside(spans, line: int, column: int) -> bool:
    """True when (line, column) lies inside one of the quoted or block scalars' spans."""
    for start_line, start_col, end_line, end_col in spans:
        if (start_line, start_col) <= (line, column) < (end_line, end_col):
            return True
    return False


def inline(text: str, file: str, known_rules, as_of: dt.date, spans=()) -> list[Suppression]:
    """The ``# kpi-policies: ignore[...]`` comments of a plan's text.

    A comment after content covers its own line; a comment alone on its line
    covers the next line that is neither blank nor a comment. Text inside a
    quoted or block scalar (``spans``) is data, not a comment. Findings of the
    Y family cannot be waived inline: a file that could not be read cannot be
    trusted to say what it waives.
    """
    if _MARK not in text:
        return []
    lines = _LINE_BREAK.split(text)
    next_content: list[int] = [0] * (len(lines) + 2)  # line -> the next content line after it
    upcoming = 0
    for number in range(len(lines), 0, -1):
        next_content[number] = upcoming
        stripped = lines[number - 1].strip()
        if stripped and not stripped.startswith("#"):
            upcoming = number
    out = []
    for number, line in enumerate(lines, start=1):
        if _MARK not in line:
            continue
        match = _COMMENT.search(line)
        if not match:
            continue
        column = line.index("#", match.start()) + 1
        if spans and _inside(spans, number, column):
            continue
        body = match.group("body").strip()
        ignore = _IGNORE.match(body)
        if not ignore:
            out.append(Suppression((), None, None, file, number, column, "inline", frozenset(),
                                   problem=("SU004", f"cannot read this kpi-policies comment: expected "
                                                     f"ignore[RULE_ID] reason=\"...\" until=YYYY-MM-DD, found {body[:60]!r}")))
            continue
        ids = tuple(i.strip().upper() for i in ignore.group("ids").split(",") if i.strip())
        attrs = _attributes(ignore.group("rest"))
        covered = {number}
        if not line[: column - 1].strip() and next_content[number]:  # a comment line: covers the next content line
            covered = {next_content[number]}
        s = Suppression(ids, attrs.get("reason"), parse_date(attrs.get("until")), file, number, column, "inline", frozenset(covered))
        out.append(validate(s, known_rules, as_of, attrs.get("until")))
    return out


def apply(findings: list, suppressions: list[Suppression], ignore: bool = False) -> list:
    """Findings with ``suppression`` set where a valid suppression covers them.

    With ``ignore`` (``--ignore-suppressions``) nothing is suppressed, though
    the suppressions are still validated.
    """
    import dataclasses

    valid = [s for s in suppressions if s.problem is None]
    out = []
    for finding in findings:
        match = None
        if not ignore and not finding.rule_id.startswith(("SU", "Y")):
            for s in valid:
                if not s.covers_rule(finding.rule_id):
                    continue
                if s.source == "inline" and finding.line in s.lines and finding.file == s.file:
                    match = s
                elif s.source == "policy" and s.plan_id == finding.plan_id and (
                        (s.object_id is None and s.pointer is None)
                        or (s.object_id is not None and s.object_id == finding.object_id)
                        or (s.pointer is not None and (finding.pointer + "/").startswith(s.pointer.rstrip("/") + "/"))):
                    match = s
                if match:
                    break
        if match:
            match.used = True
            finding = dataclasses.replace(finding, suppression=match.as_waiver())
        out.append(finding)
    return out
