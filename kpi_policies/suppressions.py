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

from kpi_policies.i18n import _
from kpi_policies import selectors
from kpi_policies.result import Waiver
from kpi_policies.selectors import RuleSelector, any_matches

_MARK = "kpi-policies:"
_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")
#: Opening quote -> closing quote of an attribute value; typographic quotes work as well as straight ones.
_QUOTES = {'"': '"', "'": "'", "\u201c": "\u201d", "\u2018": "\u2019", "\u00ab": "\u00bb", "\u201e": "\u201c"}
_ATTRIBUTES = ("reason", "until")
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


def validate(s: Suppression, known_rules, as_of: dt.date, until_text: str | None) -> Suppression:
    """Set ``s.problem`` when the suppression cannot be honoured."""
    unknown = selectors.unknown(s.rule_ids, known_rules)
    loading = [r for r in s.rule_ids if RuleSelector(r).is_loading()]
    if not s.rule_ids:
        s.problem = ("SU004", _("suppression names no rule id: write ignore[RULE_ID] (several separated by commas)"))
    elif unknown:
        s.problem = ("SU004", _("suppression names unknown rule {rules}; `kpi-policies rules` lists them").format(rules=", ".join(unknown)))
    elif loading and s.source == "inline":
        s.problem = ("SU004", _("{rules} (YAML syntax and loading) cannot be waived inline: fix the file").format(rules=", ".join(loading)))
    elif until_text is not None and s.until is None:
        s.problem = ("SU004", _("suppression has until={until}, not a date in the form YYYY-MM-DD").format(until=repr(until_text)))
    elif not s.reason or not s.reason.strip():
        s.problem = ("SU001", _("suppression of {rules} gives no reason; add reason=\"...\" (it suppresses nothing until then)").format(
            rules=", ".join(s.rule_ids)))
    elif s.until is not None and s.until < as_of:
        s.problem = ("SU002", _("suppression of {rules} expired on {until} (as of {as_of}); renew it with a new until= or fix the finding").format(
            rules=", ".join(s.rule_ids), until=s.until.isoformat(), as_of=as_of.isoformat()))
    return s


def parse_date(text: str | None) -> dt.date | None:
    """A ``YYYY-MM-DD`` date, or ``None`` for anything else."""
    if text is None or len(text) != 10:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        return None


class _Malformed(Exception):
    """A kpi-policies comment that does not follow the grammar; ``args``: (column, message)."""


def _quoted(text: str, i: int) -> tuple[str, int]:
    """The value of the quoted text opening at ``text[i]`` and the index after its closing quote.

    ``"..."`` takes ``\\"`` and ``\\\\`` escapes; ``'...'`` takes ``''`` for one quote (as YAML);
    typographic quotes close with their partner. Every other character, quotes of other kinds
    included, is part of the value.
    """
    opening = text[i]
    closing = _QUOTES[opening]
    out: list[str] = []
    j = i + 1
    while j < len(text):
        ch = text[j]
        if opening == '"' and ch == "\\" and j + 1 < len(text) and text[j + 1] in '"\\':
            out.append(text[j + 1])
            j += 2
            continue
        if ch == closing:
            if opening == "'" and text.startswith("''", j):
                out.append("'")
                j += 2
                continue
            return "".join(out), j + 1
        out.append(ch)
        j += 1
    raise _Malformed(i + 1, f"the value opened with {opening} is never closed with {closing}")


def _directives(comment: str, offset: int) -> list[tuple[int, list[str] | None, dict, str | None]]:
    """Parse the text after ``kpi-policies:`` (``comment`` starts there; ``offset`` is its 0-based column).

    Grammar (``ws`` is spaces or tabs)::

        directives := directive (ws directive)* [ws "#" anything]
        directive  := "ignore[" ids "]" (ws attribute)*
        attribute  := key ws* "=" ws* (quoted | bare)
        quoted     := '"' ... '"' | "'" ... "'" | typographic quotes
        bare       := one or more characters other than ws

    Returns:
        ``(column, ids, attributes, problem)`` per directive; ``problem`` is
        set (and the rest of the comment ignored) when the text breaks the grammar.
    """
    out: list = []
    i, n = 0, len(comment)
    current = None
    try:
        while True:
            while i < n and comment[i] in " \t":
                i += 1
            if i >= n or comment[i] == "#":
                break
            if comment.startswith("ignore[", i):
                close = comment.find("]", i)
                if close < 0:
                    raise _Malformed(offset + i + 1, "ignore[ is never closed with ]")
                ids = [x.strip().upper() for x in comment[i + 7:close].split(",") if x.strip()]
                current = (offset + i + 1, ids, {}, None)
                out.append(current)
                i = close + 1
                continue
            key = _KEY.match(comment, i)
            if key is None or current is None:
                raise _Malformed(offset + i + 1, "expected ignore[RULE_ID] reason=\"...\" until=YYYY-MM-DD")
            j = key.end()
            while j < n and comment[j] in " \t":
                j += 1
            if j >= n or comment[j] != "=":
                raise _Malformed(offset + i + 1, f"expected {key.group()}=VALUE")
            j += 1
            while j < n and comment[j] in " \t":
                j += 1
            name = key.group().lower()
            if name not in _ATTRIBUTES:
                raise _Malformed(offset + i + 1, f"unknown attribute {key.group()!r}: a waiver takes reason= and until=")
            if name in current[2]:
                raise _Malformed(offset + i + 1, f"{name}= is given twice")
            if j < n and comment[j] in _QUOTES:
                try:
                    value, j = _quoted(comment, j)
                except _Malformed as exc:
                    raise _Malformed(offset + exc.args[0], exc.args[1]) from None
            else:
                start = j
                while j < n and comment[j] not in " \t":
                    j += 1
                value = comment[start:j]
            current[2][name] = value
            i = j
        if not out:
            raise _Malformed(offset + 1, "expected ignore[RULE_ID] reason=\"...\" until=YYYY-MM-DD")
    except _Malformed as exc:
        column, message = exc.args
        if current is not None and out and out[-1] is current:
            out.pop()  # the directive being read is malformed as a whole
            column = current[0]
        out.append((column, None, {}, f"{message}, found {comment.strip()[:60]!r}"))
    return out


class _Spans:
    """Quoted and block scalars' spans, to ask in O(log n) whether a position lies inside one."""

    def __init__(self, spans):
        import bisect

        self._bisect = bisect.bisect_right
        self.spans = sorted(spans)
        self.starts = [(s[0], s[1]) for s in self.spans]

    def inside(self, line: int, column: int) -> bool:
        k = self._bisect(self.starts, (line, column)) - 1
        if k < 0:
            return False
        _, _, end_line, end_col = self.spans[k]
        return (line, column) < (end_line, end_col)  # scalars never overlap: the last one starting before decides


def _comment_start(line: str, number: int, spans: _Spans | None) -> int | None:
    """Index of the ``#`` that starts the YAML comment of ``line`` (outside quoted and block text), or ``None``."""
    i = line.find("#")
    while i >= 0:
        if (i == 0 or line[i - 1] in " \t") and not (spans and spans.inside(number, i + 1)):
            return i
        i = line.find("#", i + 1)
    return None


def _marks(line: str, start: int):
    """``(index of '#', index after 'kpi-policies:')`` of every ``# kpi-policies:`` in the comment from ``start`` on.

    Text of a directive is skipped by the caller; here every ``#`` preceded by a
    space (or the comment's own) that is followed by the mark counts.
    """
    i = start
    while i >= 0:
        j = i + 1
        while j < len(line) and line[j] in " \t":
            j += 1
        if line.startswith(_MARK, j):
            yield i, j + len(_MARK)
        i = line.find("#", i + 1)
        while i > 0 and line[i - 1] not in " \t":
            i = line.find("#", i + 1)


def inline(text: str, file: str, known_rules, as_of: dt.date, spans=()) -> list[Suppression]:
    """The ``# kpi-policies: ignore[...]`` comments of a plan's text.

    A comment after content covers its own line; a comment alone on its line
    covers the next line that is neither blank nor a comment. Text inside a
    quoted or block scalar (``spans``) is data, not a comment; the header line
    of a block scalar (``text: |  # kpi-policies: ...``) is a real comment and
    covers its line, where findings on the text are reported. One comment may
    hold several directives (``ignore[FE005] reason="a" ignore[MT002]
    reason="b"``), or several ``# kpi-policies:`` marks: every one is honoured,
    and one that breaks the grammar is an SU004 error. Findings of the Y family
    cannot be waived inline: a file that could not be read cannot be trusted to
    say what it waives.
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
    index = _Spans(spans) if spans else None
    out = []
    for number, line in enumerate(lines, start=1):
        if _MARK not in line:
            continue
        start = _comment_start(line, number, index)
        if start is None:
            continue
        covered = {number}
        if not line[:start].strip() and next_content[number]:  # a comment line: covers the next content line
            covered = {next_content[number]}
        consumed = -1
        for hash_at, body_at in _marks(line, start):
            if hash_at < consumed:
                continue  # inside the text of a directive already read
            parsed = _directives(line[body_at:], body_at)
            first = True
            for column, ids, attrs, problem in parsed:
                column = hash_at + 1 if first else column
                first = False
                if problem is not None:
                    out.append(Suppression((), None, None, file, number, column, "inline", frozenset(),
                                           problem=("SU004", _("cannot read this kpi-policies comment: {problem}").format(problem=problem))))
                    continue
                s = Suppression(tuple(ids), attrs.get("reason"), parse_date(attrs.get("until")), file, number, column,
                                "inline", frozenset(covered))
                out.append(validate(s, known_rules, as_of, attrs.get("until")))
            consumed = _consumed(line, body_at)
    return out


def _consumed(line: str, body_at: int) -> int:
    """Index where the directives starting at ``body_at`` stop (a ``#`` outside quotes after a space, or the end)."""
    i, n = body_at, len(line)
    while i < n:
        ch = line[i]
        if ch in _QUOTES and i > 0 and line[i - 1] in "= \t":
            try:
                _, i = _quoted(line, i)
            except _Malformed:
                return n
            continue
        if ch == "#" and line[i - 1] in " \t":
            return i
        i += 1
    return n


def apply(findings: list, suppressions: list[Suppression], ignore: bool = False) -> list:
    """Findings with ``suppression`` set where a valid suppression covers them.

    With ``ignore`` (``--ignore-suppressions``) nothing is suppressed, though
    the suppressions are still validated.
    """
    import dataclasses

    valid = [s for s in suppressions if s.problem is None]
    # inline waivers by the lines they cover, so a plan with thousands of them stays linear; policy waivers are few
    by_line: dict[tuple[str, int], list[Suppression]] = {}
    for s in valid:
        if s.source == "inline":
            for line in s.lines:
                by_line.setdefault((s.file, line), []).append(s)
    policy = [s for s in valid if s.source == "policy"]
    out = []
    for finding in findings:
        match = None
        if not ignore and not finding.rule_id.startswith(("SU", "Y")):
            # the first waiver that covers the finding wins (inline ones, then the policy's, each in written order)
            for s in by_line.get((finding.file, finding.line), []) + policy:
                if not s.covers_rule(finding.rule_id):
                    continue
                if s.source == "inline" or (s.plan_id == finding.plan_id and (
                        (s.object_id is None and s.pointer is None)
                        or (s.object_id is not None and s.object_id == finding.object_id)
                        or (s.pointer is not None and (finding.pointer + "/").startswith(s.pointer.rstrip("/") + "/")))):
                    match = s
                    break
        if match:
            match.used = True
            finding = dataclasses.replace(finding, suppression=match.as_waiver())
        out.append(finding)
    return out
