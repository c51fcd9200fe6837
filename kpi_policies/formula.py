"""Formulas that relate KPIs: a small arithmetic language, parsed by hand and never run as Python.

A formula is written over ids (KPI ids in a plan, metric ids in the catalog):
``KPI-ORDERS * KPI-AOV``, ``(KPI-NEW + KPI-REPEAT) / KPI-SESSIONS``, ``KPI-AD-COST ÷ KPI-ORDERS``.
It holds only

- ids as written (letters, digits, ``_`` and ``-``; a dot only between two
  letters or digits, e.g. ``shop.orders``),
- numbers (``1000``, ``0.3``),
- the operators ``+``, ``-`` (also ``−``), ``*`` (also ``×``), ``/`` (also ``÷``),
- parentheses.

Ids may contain hyphens, so ids are matched first: ``KPI-A-KPI-B`` is one id;
a minus between two ids needs spaces around it (``KPI-A - KPI-B``). Anything
else (a call, an attribute, a string, ``**``) is a :class:`FormulaError` at its
1-based column: nothing in a formula is ever evaluated as Python.

The parsed tree is evaluated by :func:`evaluate` over numbers given per id,
solved for one id by :func:`solve`, and its unit worked out by :func:`units`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable, Union

from kpi_policies.i18n import _

#: Longest formula accepted, in characters.
MAX_LENGTH = 1000
#: Deepest nesting of parentheses and leading minus signs accepted.
MAX_DEPTH = 50
#: Most tokens (ids, numbers, operators, parentheses) in one formula.
MAX_TOKENS = 400

_OPERATORS = {"+": "+", "-": "-", "\u2212": "-", "*": "*", "\u00d7": "*", "/": "/", "\u00f7": "/"}
_SHOWN = {"+": "+", "-": "\u2212", "*": "\u00d7", "/": "\u00f7"}


class FormulaError(ValueError):
    """A formula that cannot be read; ``column`` is 1-based within the formula text."""

    def __init__(self, message: str, column: int):
        super().__init__(message)
        self.message = message
        self.column = column


@dataclass(frozen=True)
class Num:
    """A number written in the formula."""

    value: float
    column: int


@dataclass(frozen=True)
class Ref:
    """An id: a KPI of the plan, or a metric of the catalog."""

    name: str
    column: int


@dataclass(frozen=True)
class Neg:
    """A leading minus: ``-KPI-X``."""

    operand: "Node"
    column: int


@dataclass(frozen=True)
class BinOp:
    """``left op right`` with op one of ``+ - * /``."""

    op: str
    left: "Node"
    right: "Node"
    column: int


Node = Union[Num, Ref, Neg, BinOp]


@dataclass(frozen=True)
class _Token:
    kind: str  # "num", "id", "op", "(", ")"
    text: str
    column: int


def _is_id_start(ch: str) -> bool:
    return ch.isascii() and ch.isalpha()


def _is_id_char(ch: str) -> bool:
    return ch.isascii() and (ch.isalnum() or ch in "_-")


def _word_at(text: str, i: int) -> str:
    """The run of characters starting at ``i`` that is not space, operator or parenthesis (for messages)."""
    j = i
    while j < len(text) and not text[j].isspace() and text[j] not in _OPERATORS and text[j] not in "()":
        j += 1
    return text[i:max(j, i + 1)][:40]


def tokenize(text: str) -> list[_Token]:
    """Split a formula into tokens.

    Raises:
        FormulaError: at the first character that is not part of the language.
    """
    if len(text) > MAX_LENGTH:
        raise FormulaError(_("the formula is {n} characters long; at most {limit} are read").format(n=len(text), limit=MAX_LENGTH), MAX_LENGTH + 1)
    tokens: list[_Token] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch.isspace():
            i += 1
        elif ch in _OPERATORS:
            if ch == "*" and i + 1 < n and text[i + 1] == "*":
                raise FormulaError(_("`**` (a power) is not allowed in a formula: only + − × ÷"), i + 1)
            tokens.append(_Token("op", _OPERATORS[ch], i + 1))
            i += 1
        elif ch in "()":
            tokens.append(_Token(ch, ch, i + 1))
            i += 1
        elif ch.isascii() and ch.isdigit():
            j = i
            while j < n and text[j].isascii() and text[j].isdigit():
                j += 1
            if j < n and text[j] == "." and j + 1 < n and text[j + 1].isascii() and text[j + 1].isdigit():
                j += 1
                while j < n and text[j].isascii() and text[j].isdigit():
                    j += 1
            if j < n and (_is_id_char(text[j]) and text[j] != "-" or text[j] in ".,"):
                raise FormulaError(_("`{word}` is not a number nor an id (ids start with a letter; "
                                     "write decimals with a point, e.g. 0.25)").format(word=_word_at(text, i)), i + 1)
            tokens.append(_Token("num", text[i:j], i + 1))
            i = j
        elif _is_id_start(ch):
            j = i + 1
            while j < n:
                if _is_id_char(text[j]):
                    j += 1
                elif text[j] == "." and j + 1 < n and text[j + 1].isascii() and text[j + 1].isalnum() and text[j - 1].isalnum():
                    j += 1
                else:
                    break
            name = text[i:j]
            if name.endswith("-"):  # `KPI-A- KPI-B`: the trailing hyphen is a minus
                j -= 1
                name = name[:-1]
            tokens.append(_Token("id", name, i + 1))
            i = j
        elif ch == ".":
            raise FormulaError(_("`.` is not allowed here: a formula cannot read attributes; "
                                 "use only KPI ids, numbers, + − × ÷ and parentheses"), i + 1)
        elif ch in "'\"":
            raise FormulaError(_("text in quotes is not allowed in a formula: use only KPI ids, numbers, + − × ÷ and parentheses"), i + 1)
        else:
            raise FormulaError(_("`{word}` is not allowed in a formula: use only KPI ids, numbers, "
                                 "+ − × ÷ and parentheses").format(word=_word_at(text, i)), i + 1)
    return tokens


class _Parser:
    """Recursive descent: expr := term (('+'|'-') term)*; term := unary (('*'|'/') unary)*;
    unary := '-' unary | primary; primary := number | id | '(' expr ')'."""

    def __init__(self, text: str):
        self.text = text
        self.tokens = tokenize(text)
        if len(self.tokens) > MAX_TOKENS:
            raise FormulaError(_("the formula has {n} parts; at most {limit} are read").format(n=len(self.tokens), limit=MAX_TOKENS),
                               self.tokens[MAX_TOKENS].column)
        self.pos = 0
        self.depth = 0

    def peek(self) -> _Token | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def end_column(self) -> int:
        return len(self.text.rstrip()) + 1

    def parse(self) -> Node:
        if not self.tokens:
            raise FormulaError(_("the formula is empty: write it over KPI ids, e.g. `KPI-ORDERS * KPI-AOV`"), 1)
        node = self.expr()
        tok = self.peek()
        if tok is not None:
            if tok.kind == "(":
                raise FormulaError(_("`(` right after a value: a formula cannot call anything; put an operator before it"), tok.column)
            raise FormulaError(_("`{token}` was not expected here: an operator (+ − × ÷) is missing before it").format(token=tok.text), tok.column)
        return node

    def expr(self) -> Node:
        node = self.term()
        while (tok := self.peek()) is not None and tok.kind == "op" and tok.text in "+-":
            self.pos += 1
            node = BinOp(tok.text, node, self.term(), tok.column)
        return node

    def term(self) -> Node:
        node = self.unary()
        while (tok := self.peek()) is not None and tok.kind == "op" and tok.text in "*/":
            self.pos += 1
            node = BinOp(tok.text, node, self.unary(), tok.column)
        return node

    def unary(self) -> Node:
        tok = self.peek()
        if tok is not None and tok.kind == "op" and tok.text == "-":
            self.pos += 1
            self.depth += 1
            if self.depth > MAX_DEPTH:
                raise FormulaError(_("more than {n} minus signs and parentheses nest here").format(n=MAX_DEPTH), tok.column)
            node = Neg(self.unary(), tok.column)
            self.depth -= 1
            return node
        return self.primary()

    def primary(self) -> Node:
        tok = self.peek()
        if tok is None:
            raise FormulaError(_("the formula ends too early: a KPI id, a number or `(` is missing"), self.end_column())
        self.pos += 1
        if tok.kind == "num":
            return Num(float(tok.text), tok.column)
        if tok.kind == "id":
            nxt = self.peek()
            if nxt is not None and nxt.kind == "(":
                raise FormulaError(_("`{token}(` is a call: a formula cannot call anything").format(token=tok.text), nxt.column)
            return Ref(tok.text, tok.column)
        if tok.kind == "(":
            self.depth += 1
            if self.depth > MAX_DEPTH:
                raise FormulaError(_("parentheses nest deeper than {n}").format(n=MAX_DEPTH), tok.column)
            node = self.expr()
            close = self.peek()
            if close is None or close.kind != ")":
                raise FormulaError(_("`(` is never closed"), tok.column)
            self.pos += 1
            self.depth -= 1
            return node
        raise FormulaError(_("`{token}` was not expected here: a KPI id, a number or `(` is missing").format(token=tok.text), tok.column)


def parse(text: str) -> Node:
    """Parse a formula.

    Raises:
        FormulaError: with the 1-based column of the first problem.
    """
    if not isinstance(text, str):
        raise FormulaError(_("the formula must be text"), 1)
    return _Parser(text).parse()


def refs(node: Node) -> list[Ref]:
    """The ids the formula names, in order of appearance (repeats kept)."""
    if isinstance(node, Ref):
        return [node]
    if isinstance(node, Neg):
        return refs(node.operand)
    if isinstance(node, BinOp):
        return refs(node.left) + refs(node.right)
    return []


def names(node: Node) -> list[str]:
    """The distinct ids the formula names, in order of first appearance."""
    out: list[str] = []
    for r in refs(node):
        if r.name not in out:
            out.append(r.name)
    return out


def show(node: Node, label: Callable[[str], str] = lambda s: s) -> str:
    """The formula as people read it: ``orders × average order value``."""
    def go(n: Node, parent: int) -> str:
        if isinstance(n, Num):
            return f"{n.value:g}"
        if isinstance(n, Ref):
            return label(n.name)
        if isinstance(n, Neg):
            return "\u2212" + go(n.operand, 3)
        level = 1 if n.op in "+-" else 2
        right_level = level + (1 if n.op in "-/" else 0)
        text = f"{go(n.left, level)} {_SHOWN[n.op]} {go(n.right, right_level)}"
        return f"({text})" if level < parent else text
    return go(node, 0)


def kind(node: Node) -> str:
    """``product``, ``ratio``, ``sum`` or ``formula`` (anything mixed)."""
    ops = set()

    def walk(n):
        if isinstance(n, BinOp):
            ops.add(n.op)
            walk(n.left)
            walk(n.right)
        elif isinstance(n, Neg):
            ops.add("-")
            walk(n.operand)
    walk(node)
    if ops and ops <= {"*"}:
        return "product"
    if ops and ops <= {"*", "/"}:
        return "ratio" if "/" in ops else "product"
    if ops and ops <= {"+", "-"}:
        return "sum"
    return "formula"


class Undefined(ArithmeticError):
    """A value is missing, or a division by zero would be needed; ``reason`` says which in plain words."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def evaluate(node: Node, values: dict[str, float | None]) -> float:
    """The formula's value for ``values`` (id -> number).

    Raises:
        Undefined: when an id has no value or a divisor is 0 (never ZeroDivisionError).
    """
    if isinstance(node, Num):
        return node.value
    if isinstance(node, Ref):
        value = values.get(node.name)
        if value is None:
            raise Undefined(f"{node.name} has no value")
        return float(value)
    if isinstance(node, Neg):
        return -evaluate(node.operand, values)
    left, right = evaluate(node.left, values), evaluate(node.right, values)
    if node.op == "+":
        return left + right
    if node.op == "-":
        return left - right
    if node.op == "*":
        return left * right
    if right == 0:
        zero = [r.name for r in refs(node.right) if values.get(r.name) == 0]
        raise Undefined(f"{zero[0] if zero else 'a divisor'} is 0, and nothing can be divided by 0")
    return left / right


def solve(node: Node, target: float, name: str, values: dict[str, float | None]) -> float | None:
    """The value of ``name`` that makes the formula equal ``target``, the other ids kept.

    Exact for formulas naming ``name`` once; ``None`` when ``name`` appears
    more than once, or no finite value reaches the target.
    """
    if sum(1 for r in refs(node) if r.name == name) != 1:
        return None
    try:
        return _solve(node, target, name, values)
    except (Undefined, OverflowError):
        return None


def _solve(node: Node, target: float, name: str, values: dict) -> float | None:
    if isinstance(node, Ref):
        return target
    if isinstance(node, Neg):
        return _solve(node.operand, -target, name, values)
    assert isinstance(node, BinOp)
    in_left = any(r.name == name for r in refs(node.left))
    other = evaluate(node.right if in_left else node.left, values)
    if node.op == "+":
        goal = target - other
    elif node.op == "-":
        goal = target + other if in_left else other - target
    elif node.op == "*":
        if other == 0:
            return None
        goal = target / other
    else:  # "/"
        if in_left:
            goal = target * other
        else:
            if target == 0:
                return None
            goal = other / target
    result = _solve(node.left if in_left else node.right, goal, name, values)
    return result if result is None or math.isfinite(result) else None


def sign(node: Node, name: str) -> int:
    """How the formula moves when ``name`` grows, all values taken as positive: +1, -1, or 0 (mixed or absent)."""
    def go(n: Node) -> int:
        if isinstance(n, Num):
            return 0
        if isinstance(n, Ref):
            return 1 if n.name == name else 0
        if isinstance(n, Neg):
            return -go(n.operand)
        left, right = go(n.left), go(n.right)
        if n.op == "-" or (n.op == "/"):
            right = -right
        if left and right and left != right:
            return 0
        return left or right
    return go(node)


def units(node: Node, dims: dict[str, dict[str, int] | None]) -> dict[str, int]:
    """The unit of the formula from its ids' units (unit -> exponent; ``{}`` is a pure number).

    Raises:
        Undefined: when two terms of a sum have different units (the reason names them),
            or an id's unit is unknown (``None``).
    """
    if isinstance(node, Num):
        return {}
    if isinstance(node, Ref):
        dim = dims.get(node.name)
        if dim is None:
            raise Undefined(f"the unit of {node.name} is unknown")
        return dict(dim)
    if isinstance(node, Neg):
        return units(node.operand, dims)
    left, right = units(node.left, dims), units(node.right, dims)
    if node.op in "+-":
        if left != right:
            raise Undefined(f"it adds {show_unit(left)} and {show_unit(right)}")
        return left
    out = dict(left)
    for key, power in right.items():
        out[key] = out.get(key, 0) + (power if node.op == "*" else -power)
    return {k: v for k, v in out.items() if v}


def show_unit(dim: dict[str, int]) -> str:
    """``{'VND': 1}`` -> ``VND``; ``{}`` -> ``a count or rate``; ``{'VND': 2}`` -> ``VND²``."""
    if not dim:
        return "a count or rate"
    parts = []
    for key, power in sorted(dim.items(), key=lambda kv: -kv[1]):
        parts.append(key if power == 1 else f"{key}^{power}")
    return " \u00b7 ".join(parts)
