"""Bytes to a position-aware data tree; every loading problem becomes a ``Y`` finding.

The file is decoded (UTF-8, a BOM allowed; UTF-16/32 with a BOM), parsed into
YAML events by ruamel.yaml, and composed here into plain Python data
(dict, list, str, int, float, bool, None) while recording a 1-based
``(line, column)`` for every value and every mapping key.

Scalars are resolved by the YAML 1.2 core schema (YAML 1.2.2 spec, section
10.3.2): ``yes``/``no``/``on`` stay strings, ``0o17`` and ``0x1F`` are integers,
and dates stay as the text written, so ``2027-01-31`` and ``"2027-01-31"`` mean
the same (the schema checks that they are real dates).

Nothing here raises on bad input: syntax errors, duplicate keys, undecodable
bytes, empty files, undefined or recursive aliases, alias-expansion bombs,
very deep nesting and NaN or infinity all become :class:`LoadProblem` records.
"""

from __future__ import annotations

import codecs
import contextlib
import functools
import math
import os
import re
import stat
from dataclasses import dataclass, field
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml import events as ev
from ruamel.yaml.error import MarkedYAMLError, YAMLError

from kpi_policies.i18n import _

#: Deepest nesting of mappings and sequences accepted (a plan needs about 6).
MAX_DEPTH = 64
#: Most data nodes one file may expand to, aliases counted at their full size.
MAX_NODES = 250_000

Path = tuple  # a path into the data: keys (str) and list indexes (int)


@dataclass(frozen=True)
class LoadProblem:
    """One problem met while reading a file.

    Attributes:
        rule_id: The ``Y`` rule it belongs to (see ``kpi_policies.rules.yaml_syntax``).
        line: 1-based line.
        column: 1-based column.
        message: What is wrong, in one sentence.
    """

    rule_id: str
    line: int
    column: int
    message: str


@dataclass
class Document:
    """A loaded file: its data and where every part of it stands.

    Attributes:
        path: The file path as given.
        text: The decoded text (``""`` when undecodable).
        data: The first YAML document as plain data; ``None`` when nothing usable was read.
        positions: Path tuple -> 1-based ``(line, column)`` of the value.
        key_positions: Path tuple -> 1-based ``(line, column)`` of the key naming it.
        problems: Loading problems, in the order met.
        scalar_spans: 1-based (line, column, end line, end column) of every quoted or
            block scalar, so text that looks like a comment inside one is not taken for one.
    """

    path: str
    text: str = ""
    data: Any = None
    positions: dict = field(default_factory=dict)
    key_positions: dict = field(default_factory=dict)
    problems: list = field(default_factory=list)
    scalar_spans: list = field(default_factory=list)

    @property
    def usable(self) -> bool:
        """True when the data can go on to schema validation."""
        return self.data is not None and not any(p.rule_id in _FATAL for p in self.problems)

    def locate(self, path: Path, on_key: bool = False) -> tuple[int, int]:
        """1-based ``(line, column)`` for ``path``, or for its nearest ancestor present.

        With ``on_key`` the position of the key that names the value is preferred
        (for "unknown key" findings, and for a missing key: the parent's key).
        """
        path = tuple(path)
        while True:
            if on_key and path in self.key_positions:
                return self.key_positions[path]
            if path in self.key_positions and path in self.positions:
                # a block mapping or sequence value starts on the next line;
                # pointing at its key reads better ("measurement:" rather than "tool:")
                value_pos = self.positions[path]
                key_pos = self.key_positions[path]
                if value_pos[0] != key_pos[0]:
                    return key_pos
                return value_pos
            if path in self.positions:
                return self.positions[path]
            if not path:
                return (1, 1)
            path = path[:-1]
            on_key = True


# Problems after which the data is not trusted at all.
_FATAL = {"Y001", "Y003", "Y004", "Y005", "Y006", "Y010"}

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)

# YAML 1.2 core schema, section 10.3.2 of the 1.2.2 specification.
_NULL = re.compile(r"^(?:~|null|Null|NULL|)$")
_BOOL = {"true": True, "True": True, "TRUE": True, "false": False, "False": False, "FALSE": False}
_INT10 = re.compile(r"^[-+]?[0-9]+$")
_INT8 = re.compile(r"^0o[0-7]+$")
_INT16 = re.compile(r"^0x[0-9a-fA-F]+$")
_FLOAT = re.compile(r"^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?$")
_INF = re.compile(r"^[-+]?\.(?:inf|Inf|INF)$")
_NAN = re.compile(r"^\.(?:nan|NaN|NAN)$")

_STR_TAG = "tag:yaml.org,2002:str"
_CORE_TAGS = {
    "tag:yaml.org,2002:null",
    "tag:yaml.org,2002:bool",
    "tag:yaml.org,2002:int",
    "tag:yaml.org,2002:float",
}


def decode(raw: bytes) -> tuple[str, LoadProblem | None]:
    """Decode file bytes: UTF-8 (BOM optional), or UTF-16/32 introduced by a BOM.

    Returns:
        The text (without BOM) and ``None``, or ``""`` and a ``Y003`` problem
        naming the line and column of the first undecodable byte.
    """
    encoding = "utf-8"
    for bom, name in _BOMS:
        if raw.startswith(bom):
            encoding = name
            break
    try:
        return raw.decode(encoding), None
    except UnicodeDecodeError as exc:
        # positions count characters, after the BOM, with YAML's line breaks (LF, CRLF, CR)
        before = exc.object[: exc.start].decode(encoding, errors="replace")
        line, column = line_and_column(before, len(before))
        return "", LoadProblem(
            "Y003", line, column,
            _("the file is not valid {encoding}: byte {byte} cannot be decoded; save the file as UTF-8").format(
                encoding=encoding.upper().replace('-SIG', ''), byte=f"0x{exc.object[exc.start]:02x}"),
        )


def line_and_column(text: str, offset: int) -> tuple[int, int]:
    """1-based (line, column) of character ``offset`` in ``text``, lines broken by LF, CRLF or CR."""
    head = text[:offset]
    lines = _LINE_BREAK.split(head)
    return len(lines), len(lines[-1]) + 1


_LINE_BREAK = re.compile(r"\r\n|\r|\n")
#: Characters YAML does not allow in a stream (YAML 1.2.2, section 5.1).
_NOT_PRINTABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff\ufffe\uffff]")
#: Line breaks of YAML 1.1 that YAML 1.2 reads as ordinary characters.
_OLD_LINE_BREAKS = re.compile("[\x85\u2028\u2029]")


def resolve_scalar(value: str, style: str | None, tag: str | None) -> tuple[Any, str | None]:
    """Turn a scalar's text into a Python value under the YAML 1.2 core schema.

    Args:
        value: The scalar's text.
        style: ``None`` for plain scalars, else the quote or block indicator.
        tag: The explicit tag, if any (``!!str`` arrives as ``tag:yaml.org,2002:str``).

    Returns:
        ``(value, problem)`` where ``problem`` is a message when the scalar is
        NaN or an infinity (not allowed in a KPI plan) or an explicit core tag
        does not fit its text; the value is then ``None``.
    """
    if style == "":
        style = None  # the C parser marks plain scalars with ""
    if style is None and tag is None and value and value[0].isalpha() and value[0] not in "nNtTfF":
        return value, None  # plain text (the common case): no core-schema form starts with these letters
    if tag == _STR_TAG or tag == "!" or (style is not None and tag not in _CORE_TAGS):
        return value, None
    if tag is not None and tag not in _CORE_TAGS:
        # a custom or non-core tag (e.g. !!timestamp): keep the text as written
        return value, None
    if _NULL.match(value):
        return None, None
    if value in _BOOL:
        return _BOOL[value], None
    if _INT10.match(value) or _INT8.match(value) or _INT16.match(value):
        if len(value) > 40:
            return None, _("the number {start}... has {n} digits; no KPI value is that large").format(start=value[:20], n=len(value))
        if _INT10.match(value):
            return int(value), None
        return int(value[2:], 8 if value[1] == "o" else 16), None
    if _FLOAT.match(value):
        number = float(value)
        if math.isinf(number):
            return None, _("the number {value} is too large to be a finite number").format(value=value)
        return number, None
    if _INF.match(value) or _NAN.match(value):
        return None, _("'{value}' (not a number or an infinity) is not allowed; write a finite number").format(value=value)
    if tag in _CORE_TAGS:
        return None, _("'{value}' does not fit its tag {tag}").format(value=value, tag=tag.rsplit(':', 1)[-1])
    return value, None


def _weight(text: str) -> int:
    """How many nodes an aliased scalar counts as: long texts count more, so aliases cannot multiply megabytes."""
    return 1 + len(text) // 64


class _Frame:
    """One open mapping or sequence while composing."""

    __slots__ = ("container", "path", "anchor", "size", "key", "key_pos", "skip_value", "merges")

    def __init__(self, container, path, anchor):
        self.container = container
        self.path = path
        self.anchor = anchor
        self.size = 1
        self.key = _NO_KEY  # pending mapping key
        self.key_pos = None
        self.skip_value = False
        self.merges = []


_NO_KEY = object()


class _Stop(Exception):
    """A limit was reached (``Y005`` too many nodes or a bad alias, ``Y006`` too deep): ``(rule id, mark, message)``."""


class _Composer:
    """Builds plain data from ruamel.yaml events, keeping positions (iterative, no recursion)."""

    def __init__(self, doc: Document):
        self.doc = doc
        self.anchors: dict[str, tuple[Any, int, bool]] = {}  # name -> (value, size, open)
        self.total = 0
        self.documents = 0

    def problem(self, rule_id: str, mark, message: str) -> None:
        line, col = (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)
        self.doc.problems.append(LoadProblem(rule_id, line, col, message))

    def run(self, events) -> None:
        """Compose the events into data and positions; a limit reached (Y005, Y006) stops with no data."""
        try:
            self._compose(events)
        except _Stop as stop:
            rule_id, mark, message = stop.args
            self.problem(rule_id, mark, message)
            self.doc.data = None

    def _compose(self, events) -> None:
        stack: list[_Frame] = []
        root_set = False
        scalar, mapping_start, sequence_start = ev.ScalarEvent, ev.MappingStartEvent, ev.SequenceStartEvent
        canonical = _CANONICAL
        positions, key_positions = self.doc.positions, self.doc.key_positions
        collection_end = (ev.MappingEndEvent, ev.SequenceEndEvent)
        spans = self.doc.scalar_spans
        for event in events:
            cls = type(event)
            cls = canonical.get(cls, cls)
            if self.documents > 1 and cls is not ev.DocumentStartEvent:
                continue
            if cls is scalar:
                style = event.style
                if style:  # quoted or block text: comment-like text inside it is data
                    if style in "|>":  # a block scalar's text starts on the line after its header; a comment may end the header
                        spans.append((event.start_mark.line + 2, 1, event.end_mark.line + 1, event.end_mark.column + 1))
                    else:
                        spans.append((event.start_mark.line + 1, event.start_mark.column + 1, event.end_mark.line + 1, event.end_mark.column + 1))
                if stack:
                    frame = stack[-1]
                    container = frame.container
                    if frame.key is _NO_KEY and type(container) is dict:
                        # a mapping key: its text is the key (the hot path; no scalar resolution needed)
                        self.total += 1
                        frame.size += 1
                        text = event.value
                        mark = event.start_mark
                        if event.anchor:
                            self.anchors[event.anchor] = (text, _weight(text), False)
                        pos = (mark.line + 1, mark.column + 1)
                        if frame.path is not None and text in container:
                            self._set_key(frame, text, pos, mark)  # a duplicate: reported, its value skipped
                        else:
                            frame.key, frame.key_pos = text, pos
                        if self.total > MAX_NODES:
                            raise _Stop("Y005", mark, _("this file has more than {n} nodes").format(n=f"{MAX_NODES:,}"))
                        continue
                    if not event.anchor and (type(container) is list or frame.key != "<<"):  # (a "<<" key may start a merge: slow path)
                        mark = event.start_mark
                        text, tag = event.value, event.ctag
                        if not style and tag is None and text and text[0].isalpha() and text[0] not in "nNtTfF":
                            value = text  # plain text (the common case): no core-schema form starts with these letters
                        else:
                            value, bad = resolve_scalar(text, style, None if tag is None else str(tag))
                            if bad:
                                self.problem("Y007", mark, bad)
                        frame.size += 1
                        self.total += 1
                        if type(container) is dict:
                            # the value of a mapping key (hot path)
                            key = frame.key
                            frame.key = _NO_KEY
                            if frame.skip_value:
                                frame.skip_value = False
                            else:
                                container[key] = value
                                if frame.path is not None:
                                    path = frame.path + (key,)
                                    positions[path] = (mark.line + 1, mark.column + 1)
                                    key_positions[path] = frame.key_pos
                            frame.key_pos = None
                        else:
                            if frame.path is not None:
                                positions[frame.path + (len(container),)] = (mark.line + 1, mark.column + 1)
                            container.append(value)
                        if self.total > MAX_NODES:
                            raise _Stop("Y005", mark, _("this file has more than {n} nodes").format(n=f"{MAX_NODES:,}"))
                        continue
            if cls in collection_end:
                frame = stack.pop()
                if frame.merges:
                    for merged in frame.merges:
                        for k, v in merged.items():
                            frame.container.setdefault(k, v)
                if frame.anchor:
                    self.anchors[frame.anchor] = (frame.container, frame.size, False)
                if stack:
                    stack[-1].size += frame.size
                    self._attach(stack[-1], frame.container, None, None, event)
                continue
            if cls is ev.DocumentStartEvent:
                self.documents += 1
                if self.documents == 2:
                    self.problem(
                        "Y008", event.start_mark,
                        _("a second YAML document starts here; a plan file holds one document, so only the first is checked"),
                    )
                continue
            if cls in (ev.StreamStartEvent, ev.StreamEndEvent, ev.DocumentEndEvent):
                continue

            path = self._child_path(stack)
            mark = event.start_mark
            pos = (mark.line + 1, mark.column + 1)
            if cls is scalar:
                value, bad = resolve_scalar(event.value, event.style, event.tag)
                if bad:
                    self.problem("Y007", mark, bad)
                self.total += 1
                if self.total > MAX_NODES:
                    raise _Stop("Y005", mark, _("this file has more than {n} nodes").format(n=f"{MAX_NODES:,}"))
                if event.anchor:
                    self.anchors[event.anchor] = (value, _weight(event.value), False)
                if stack:
                    stack[-1].size += 1
                    self._attach(stack[-1], value, path, pos, event)
                else:
                    self.doc.data, root_set = value, True
                    self.doc.positions[()] = pos
                continue

            if cls is mapping_start or cls is sequence_start:
                if len(stack) >= MAX_DEPTH:
                    raise _Stop("Y006", mark, _("nesting deeper than {n} levels is not accepted").format(n=MAX_DEPTH))
                container: Any = {} if cls is mapping_start else []
                self.total += 1
                if self.total > MAX_NODES:
                    raise _Stop("Y005", mark, _("this file has more than {n} nodes").format(n=f"{MAX_NODES:,}"))
                if event.anchor:
                    self.anchors[event.anchor] = (container, 1, True)
                if stack:
                    parent = stack[-1]
                    if type(parent.container) is dict and parent.key is _NO_KEY:
                        # a mapping or sequence used as a mapping key
                        parent.key_pos = pos
                        frame = _Frame(container, None, event.anchor)
                    else:
                        self._record_position(parent, path, pos)
                        frame = _Frame(container, path, event.anchor)
                else:
                    self.doc.data, root_set = container, True
                    self.doc.positions[()] = pos
                    frame = _Frame(container, (), event.anchor)
                stack.append(frame)
                continue

            if cls is ev.AliasEvent:
                if event.anchor not in self.anchors:
                    raise _Stop("Y005", mark, _("alias *{anchor} refers to no anchor defined before it").format(anchor=event.anchor))
                value, size, still_open = self.anchors[event.anchor]
                if still_open:
                    raise _Stop("Y005", mark, _("alias *{anchor} refers to a node that contains it (a cycle)").format(anchor=event.anchor))
                self.total += size
                if self.total > MAX_NODES:
                    raise _Stop("Y005", mark, _("aliases expand this file beyond {n} nodes (an alias-expansion bomb?)").format(n=f"{MAX_NODES:,}"))
                if stack:
                    stack[-1].size += size
                    self._attach(stack[-1], value, path, pos, event, is_alias=True)
                else:
                    self.doc.data, root_set = value, True
                    self.doc.positions[()] = pos
                continue
        if not root_set and self.documents <= 1:
            self.doc.data = None

    def _set_key(self, frame, key: str, pos, mark) -> None:
        """Record a mapping key; a duplicate is reported and its value skipped."""
        frame.key_pos = pos
        if frame.path is not None and key in frame.container:
            first = self.doc.key_positions.get(frame.path + (key,))
            text = (_("duplicate key '{key}' (first at line {line}); the first value is kept") if first
                    else _("duplicate key '{key}'; the first value is kept"))
            self.problem("Y002", mark, text.format(key=key, line=first[0] if first else ""))
            frame.skip_value = True
        frame.key = key

    def _child_path(self, stack):
        if not stack:
            return ()
        frame = stack[-1]
        if frame.path is None:
            return None
        if isinstance(frame.container, list):
            return frame.path + (len(frame.container),)
        if frame.key is _NO_KEY or frame.skip_value:
            return None
        return frame.path + (frame.key,)

    def _record_position(self, frame, path, pos):
        if path is None:
            return
        self.doc.positions[path] = pos
        if isinstance(frame.container, dict) and frame.key_pos is not None:
            self.doc.key_positions[path] = frame.key_pos

    def _attach(self, frame, value, path, pos, event, is_alias=False):
        """Put a finished value into its parent (as list item, mapping key or mapping value)."""
        container = frame.container
        if isinstance(container, list):
            container.append(value)
            if pos is not None:
                self._record_position(frame, path, pos)
            return
        if frame.key is _NO_KEY:
            # this value is a key
            mark = event.start_mark
            if isinstance(value, (dict, list)):
                line, col = frame.key_pos or (mark.line + 1, mark.column + 1)
                self.doc.problems.append(LoadProblem(
                    "Y009", line, col, _("a mapping or sequence used as a key is not supported in a plan file")))
                frame.key, frame.skip_value = "", True
                return
            self._set_key(frame, event.value if isinstance(event, ev.ScalarEvent) else str(value), pos, mark)
            return
        # this value is the value of the pending key
        key = frame.key
        skip = frame.skip_value
        frame.key, frame.skip_value = _NO_KEY, False
        if skip:
            frame.key_pos = None
            return
        if key == "<<" and isinstance(event, (ev.AliasEvent, ev.MappingEndEvent, ev.SequenceEndEvent)):
            items = value if isinstance(value, list) else [value]
            if all(isinstance(m, dict) for m in items):
                frame.merges.extend(items)
                frame.key_pos = None
                return
        container[key] = value
        if pos is not None:
            self._record_position(frame, path, pos)
        elif frame.path is not None:
            # container value finished: its start position was recorded at its start
            pass
        frame.key_pos = None


def _c_parser():
    """ruamel.yaml's C parser (libyaml, from ruamel.yaml.clib), or ``None`` where it is missing or disabled."""
    if os.environ.get("KPI_POLICIES_PURE_YAML"):
        return None
    try:
        from _ruamel_yaml import CParser
    except ImportError:
        return None
    return CParser


class _Scalar(ev.ScalarEvent):
    """ruamel.yaml's scalar event, set up in one call instead of three nested ones (see :func:`_one_step_events`)."""

    __slots__ = ()

    def __init__(self, anchor, tag, implicit, value, start_mark=None, end_mark=None, style=None, comment=None):
        self.anchor, self.ctag, self.implicit, self.value, self.style = anchor, tag, implicit, value, style
        self.start_mark, self.end_mark, self.comment = start_mark, end_mark, comment


class _MappingStart(ev.MappingStartEvent):
    """ruamel.yaml's mapping start event, set up in one call."""

    __slots__ = ()

    def __init__(self, anchor, tag, implicit, start_mark=None, end_mark=None, flow_style=None, comment=None, nr_items=None):
        self.anchor, self.ctag, self.implicit, self.flow_style, self.nr_items = anchor, tag, implicit, flow_style, nr_items
        self.start_mark, self.end_mark, self.comment = start_mark, end_mark, comment


class _SequenceStart(ev.SequenceStartEvent):
    """ruamel.yaml's sequence start event, set up in one call."""

    __slots__ = ()

    def __init__(self, anchor, tag, implicit, start_mark=None, end_mark=None, flow_style=None, comment=None, nr_items=None):
        self.anchor, self.ctag, self.implicit, self.flow_style, self.nr_items = anchor, tag, implicit, flow_style, nr_items
        self.start_mark, self.end_mark, self.comment = start_mark, end_mark, comment


def _end_init(self, start_mark=None, end_mark=None, comment=None):
    self.start_mark, self.end_mark, self.comment = start_mark, end_mark, comment


_MappingEnd = type("_MappingEnd", (ev.MappingEndEvent,), {"__slots__": (), "__init__": _end_init,
                                                         "__doc__": "ruamel.yaml's mapping end event, set up in one call."})
_SequenceEnd = type("_SequenceEnd", (ev.SequenceEndEvent,), {"__slots__": (), "__init__": _end_init,
                                                            "__doc__": "ruamel.yaml's sequence end event, set up in one call."})

#: The event classes libyaml's binding makes, by the name it looks them up under, and their one-step versions.
_ONE_STEP = {"ScalarEvent": _Scalar, "MappingStartEvent": _MappingStart, "SequenceStartEvent": _SequenceStart,
             "MappingEndEvent": _MappingEnd, "SequenceEndEvent": _SequenceEnd}
#: One-step class -> ruamel.yaml's class, so the composer tests one class whichever parser made the event.
_CANONICAL = {fast: fast.__mro__[1] for fast in _ONE_STEP.values()}
#: The constructor parameters the one-step classes copy (checked against the installed ruamel.yaml).
_SIGNATURES = {
    "ScalarEvent": ("self", "anchor", "tag", "implicit", "value", "start_mark", "end_mark", "style", "comment"),
    "MappingStartEvent": ("self", "anchor", "tag", "implicit", "start_mark", "end_mark", "flow_style", "comment", "nr_items"),
    "SequenceStartEvent": ("self", "anchor", "tag", "implicit", "start_mark", "end_mark", "flow_style", "comment", "nr_items"),
    "MappingEndEvent": ("self", "start_mark", "end_mark", "comment"),
    "SequenceEndEvent": ("self", "start_mark", "end_mark", "comment"),
}


@functools.lru_cache(maxsize=1)
def _one_step_fits() -> bool:
    """True when the installed ruamel.yaml's event classes take exactly the parameters the one-step classes copy."""
    import inspect

    try:
        return all(tuple(inspect.signature(getattr(ev, name).__init__).parameters) == params
                   for name, params in _SIGNATURES.items())
    except (AttributeError, TypeError, ValueError):
        return False


@contextlib.contextmanager
def _one_step_events(binding):
    """While reading, libyaml's binding makes its events with the one-step classes.

    The binding looks its event classes up among its module's globals for
    every event; ruamel.yaml's own classes set an event up through three nested
    ``__init__`` calls, a fifth of the time a plan takes to load. The one-step
    classes are subclasses with the same attributes, so anything else reading
    events meanwhile sees ruamel.yaml's types; they are used only when the
    installed ruamel.yaml's constructors take the parameters they copy, and the
    binding gets its own classes back afterwards.
    """
    if binding is None or not _one_step_fits() or any(not hasattr(binding, name) for name in _ONE_STEP):
        yield
        return
    saved = {name: getattr(binding, name) for name in _ONE_STEP}
    if any(saved[name] is not getattr(ev, name) for name in _ONE_STEP):  # someone else's classes: leave them
        yield
        return
    for name, cls in _ONE_STEP.items():
        setattr(binding, name, cls)
    try:
        yield
    finally:
        for name, cls in saved.items():
            setattr(binding, name, cls)


def parse_events(text: str, pure: bool = False):
    """YAML events of ``text``, with marks: from ruamel.yaml's C parser when installed
    (about 100 times faster), else (or with ``pure``) from its pure-Python parser.

    Set ``KPI_POLICIES_PURE_YAML=1`` to force the pure-Python parser. Both
    report errors as ruamel.yaml ``MarkedYAMLError`` subclasses.
    """
    cparser = None if pure else _c_parser()
    if cparser is None or _OLD_LINE_BREAKS.search(text):
        # libyaml counts NEL, LS and PS as line breaks (YAML 1.1); YAML 1.2 and editors do not
        yield from YAML(typ="safe", pure=True).parse(text)
        return
    import sys

    parser = cparser(text)
    try:
        with _one_step_events(sys.modules.get("_ruamel_yaml")):
            get_event, end = parser.get_event, ev.StreamEndEvent
            while True:
                event = get_event()
                yield event
                if type(event) is end:
                    return
    finally:
        parser.dispose()


def load_text(text: str, path: str = "<string>") -> Document:
    """Parse YAML text into a :class:`Document` (see module docs); never raises."""
    doc = Document(path=path, text=text)
    if not text.strip() or all(
        not line.strip() or line.lstrip().startswith("#") for line in text.splitlines()
    ):
        message = (_("the file is empty; a plan file needs apiVersion and kind") if not text.strip()
                   else _("the file is only comments; a plan file needs apiVersion and kind"))
        doc.problems.append(LoadProblem("Y004", 1, 1, message))
        return doc
    composer = _Composer(doc)
    try:
        try:
            composer.run(parse_events(text))
        except MarkedYAMLError as first:
            if _c_parser() is None or _OLD_LINE_BREAKS.search(text):
                raise
            # libyaml keeps YAML 1.1 rules in places (a '?' inside a flow scalar ends it): a file the
            # pure-Python parser (YAML 1.2) reads is not a syntax error; otherwise libyaml's error stands
            retry = Document(path=path, text=text)
            try:
                _Composer(retry).run(parse_events(text, pure=True))
            except Exception:
                raise first from None
            doc = retry
    except MarkedYAMLError as exc:
        doc.data = None
        message, at_opening = _syntax_message(exc, text)
        mark = (exc.context_mark if at_opening else None) or exc.problem_mark or exc.context_mark
        line, col = _inside(text, mark.line + 1, mark.column + 1) if mark else (1, 1)
        doc.problems.append(LoadProblem("Y001", line, col, message))
    except YAMLError as exc:  # reader errors: characters YAML does not allow
        doc.data = None
        bad = _NOT_PRINTABLE.search(text)
        line, col = line_and_column(text, bad.start()) if bad else (1, 1)
        message = re.sub(r'\s*in "<unicode string>", position \d+', "", _one_line(str(exc)))
        doc.problems.append(LoadProblem("Y003", line, col, message))
    except RecursionError:
        doc.data = None
        doc.problems.append(LoadProblem("Y006", 1, 1, _("the file nests too deeply to be read")))
    except Exception as exc:  # the parser's own assertions (e.g. on a %YAML 1.3 directive)
        doc.data = None
        doc.problems.append(LoadProblem("Y001", 1, 1, _("the YAML parser rejected the file: {detail}").format(detail=_one_line(str(exc)) or type(exc).__name__)))
    if doc.data is None and not doc.problems:
        doc.problems.append(LoadProblem("Y004", 1, 1, _("the document is empty; a plan file needs apiVersion and kind")))
    return doc


def load_bytes(raw: bytes, path: str = "<bytes>") -> Document:
    """Decode and parse file bytes into a :class:`Document`; never raises."""
    text, problem = decode(raw)
    if problem:
        return Document(path=path, problems=[problem])
    return load_text(text, path)


#: Largest file read, in bytes (a KPI plan is a few dozen KB).
MAX_FILE_BYTES = 20 * 1024 * 1024


def read_bytes(path: str) -> tuple[bytes | None, str | None]:
    """The bytes of a regular file of at most :data:`MAX_FILE_BYTES`, or ``(None, why not)``.

    Devices, FIFOs, sockets and folders are refused without being opened for
    reading, so ``/dev/zero`` or a named pipe can neither exhaust memory nor hang a run.
    """
    try:
        info = os.stat(path)
    except OSError as exc:
        return None, _("cannot read the file: {reason}").format(reason=exc.strerror or exc)
    if stat.S_ISDIR(info.st_mode):
        return None, _("cannot read the file: it is a folder (is its content readable?)")
    if not stat.S_ISREG(info.st_mode):
        return None, _("not a regular file (a device, pipe or socket); only plain files are checked")
    target = _linked_out_of_repository(path)
    if target is not None:
        return None, _("a link to {target}, outside the repository; kpi-policies does not follow it "
                       "(name the file itself on the command line to check it)").format(target=target)
    if info.st_size > MAX_FILE_BYTES:
        return None, _("the file is {size} MB; plan files larger than {limit} MB are not read").format(
            size=f"{info.st_size / 1048576:.0f}", limit=MAX_FILE_BYTES // 1048576)
    try:
        with open(path, "rb") as fh:
            raw = fh.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        return None, _("cannot read the file: {reason}").format(reason=exc.strerror or exc)
    if len(raw) > MAX_FILE_BYTES:
        return None, _("plan files larger than {limit} MB are not read").format(limit=MAX_FILE_BYTES // 1048576)
    return raw, None


def _linked_out_of_repository(path: str) -> str | None:
    """Where ``path`` really is, when a link (the file or a folder above it) leads out of the repository it sits in.

    The repository is the nearest folder above the path as written holding
    ``.git``; a path in no repository is never refused (the command line may
    name any file), so a pull request cannot make a run read a file elsewhere
    on the machine by committing a link.
    """
    written = os.path.abspath(path)
    folder = os.path.dirname(written)
    while not os.path.exists(os.path.join(folder, ".git")):
        parent = os.path.dirname(folder)
        if parent == folder:
            return None
        folder = parent
    real, root = os.path.realpath(written), os.path.realpath(folder)
    return None if os.path.commonpath([root, real]) == root else real


def load_file(path: str) -> Document:
    """Read and parse one file; an unreadable, oversized or special file becomes a ``Y010`` problem."""
    raw, problem = read_bytes(path)
    if raw is None:
        return Document(path=path, problems=[LoadProblem("Y010", 1, 1, problem)])
    return load_bytes(raw, path)


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _inside(text: str, line: int, column: int) -> tuple[int, int]:
    """A 1-based position held inside the file's lines.

    The C parser marks the end of a file without a final newline one line
    past it (and both parsers mark the end of a file with one on the empty
    line after it): such a mark moves to just after the last character.
    """
    lines = _LINE_BREAK.split(text)
    if len(lines) > 1 and lines[-1] == "":
        lines.pop()
    if line > len(lines):
        line, column = len(lines), len(lines[-1]) + 1
    return max(line, 1), max(1, min(column, len(lines[max(line, 1) - 1]) + 1))


def _char_at(text: str, mark) -> str:
    """The character at a parser mark (``""`` past the end)."""
    if mark is None:
        return ""
    lines = re.split(r"\r\n|\r|\n", text)
    if mark.line >= len(lines) or mark.column >= len(lines[mark.line]):
        return ""
    return lines[mark.line][mark.column]


def _syntax_message(exc: MarkedYAMLError, text: str = "") -> tuple[str, bool]:
    """The parser's complaint in plain words, with what usually causes it; the parser's own text follows.

    Returns:
        ``(message, at_opening)``: ``at_opening`` when the mistake is best shown
        where an unclosed bracket or quote was opened rather than where the
        parser gave up.
    """
    problem = _one_line(exc.problem or "invalid YAML")
    context = _one_line(exc.context or "")
    gave_up = _inside(text, exc.problem_mark.line + 1, 1)[0] if exc.problem_mark is not None else None
    raw = f"{context}: {problem}" if context else problem
    hint, at_opening = None, False
    if "'\\t'" in problem or ("cannot start any token" in problem and _char_at(text, exc.problem_mark) == "\t"):
        return (_("a tab character here: YAML indents with spaces only; replace the tab with spaces, "
                  "2 per level, so this line lines up with the keys of its level"), False)
    elif "flow sequence" in context or "flow mapping" in context:
        hint = (_("the list opened with '[' here is not closed: add ']' at its end, or quote a value that holds ',' or ':'")
                if "sequence" in context else
                _("the mapping opened with '{{' here is not closed: add '}}' at its end, or quote a value that holds ',' or ':'").format())
        at_opening = True
    elif "quoted scalar" in context:
        hint = _("the quoted text opened here is never closed: add the closing quote")
        at_opening = True
    elif "mapping values are not allowed" in problem:
        hint = _("unexpected ':' here: quote a value that contains ': ', or check the indentation of this line against the line above")
    elif "could not find expected ':'" in problem:
        hint = _("a line without 'key: value' inside a mapping: check its indentation, or add the missing ':'")
    elif "expected <block end>" in problem or "did not find expected key" in problem or "expected '-' indicator" in problem:
        hint = _("this line is indented differently from the keys around it: align it with its siblings")
    if not hint:
        return raw, False
    return _("{hint} (the parser gave up on line {line}: {detail})").format(hint=hint, line=gave_up, detail=raw), at_opening
