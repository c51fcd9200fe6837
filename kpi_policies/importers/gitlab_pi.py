"""Convert a GitLab performance-indicator file into a kpi-policies ``KpiPlan``.

Source format
-------------
GitLab kept the performance indicators of each department in its public
handbook repository as ``data/performance_indicators/<department>.yml``. Such
a file is a YAML list with one mapping per indicator::

    - name: Social Media Followers
      base_path: "/handbook/marketing/performance-indicators/"
      definition: Follower growth across social channels ...   # free text, may hold HTML
      target:                                                   # free text, often empty or missing
      org: Marketing
      is_key: true
      public: true
      health: {level: 3, reasons: [...]}      # 3 okay, 2 attention, 1 problem, -1 confidential
      sisense_data: {chart: 8146731, dashboard: 621921, embed: v2}   # optional
      urls: [https://...]                     # optional
      parent: "/handbook/...#anchor"          # optional
      dri: <a href="https://...">Owner 1</a>  # optional
      lessons: ...                            # optional

There is no schema; upstream CI only ran yamllint over these files.

Mapping
-------
The rule is: keep what the source says and invent nothing, so that
``kpi-policies check`` on the result shows the source's real gaps (no numeric
targets, no baselines, no review cadence, measurement tools named only in
prose).

- ``metadata.id``: the id given, else ``gitlab-<slug of the file stem>``.
- ``metadata.title``: ``<org> performance indicators (GitLab handbook)`` when
  every entry has the same ``org``, else ``GitLab performance indicators``;
  ``metadata.department``: that org in lower case (left out otherwise).
  No ``owner`` and no ``period`` are written: the source has none.
- No goals and no objectives.
- ``kpis``: one per entry, in source order:

  - ``id``: ``KPI-`` and the upper-case slug of the name (at most 60
    characters), made unique with ``-2``, ``-3`` ...;
  - ``name``: the name, whitespace folded;
  - ``description``: the definition without HTML tags (link text kept,
    entities unescaped, whitespace folded), left out when empty;
  - ``owner``: the text of ``dri`` without HTML (``Owner 1``), when present;
  - ``measurement.source``: ``Sisense dashboard <d>, chart <c>`` from
    ``sisense_data`` and/or the ``urls`` joined with ``", "``; no
    ``measurement`` at all when the entry has neither;
  - never ``tool``, ``metric``, ``unit``, ``direction``, ``baseline``,
    ``target``, ``review`` or ``objective``;
  - ``x-gitlab``: GitLab's own fields as written: ``target`` (the free text,
    only when not empty), ``health``, ``is_key``, ``public``, ``base_path``,
    ``parent``, ``lessons``, ``sisense_data``, ``urls``, ``org`` (only when
    the entries do not share one) and any other key the entry has.
"""

from __future__ import annotations

import html
import io
import os
import re
import unicodedata
from html.parser import HTMLParser
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq

from kpi_policies.load import Document, load_file, resolve_scalar

__all__ = ["ImportError_", "convert", "convert_file"]

#: Longest KPI id written (``KPI-`` included), before any ``-2`` suffix.
MAX_KPI_ID = 60
#: Longest plan id accepted by the schema.
MAX_PLAN_ID = 100

_ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")

# Entry keys turned into standard KpiPlan fields (everything else goes to x-gitlab).
_CONSUMED = ("name", "definition", "dri", "org")
# x-gitlab keys, in the order written; unknown keys follow in source order.
_X_ORDER = ("target", "health", "is_key", "public", "base_path", "parent", "lessons", "sisense_data", "urls")

# Tags whose start or end separates words (block-level elements, line breaks).
_INLINE_TAGS = {
    "a", "abbr", "b", "bdi", "bdo", "cite", "code", "data", "dfn", "em", "i", "kbd", "mark",
    "q", "s", "samp", "small", "span", "strong", "sub", "sup", "time", "u", "var",
}


class ImportError_(Exception):
    """The source file cannot be converted; the message is one line naming the place."""

    def __init__(self, message: str):
        super().__init__(" ".join(str(message).split()))


# --------------------------------------------------------------------------- text


class _TextExtractor(HTMLParser):
    """Collects the text of an HTML fragment (entities unescaped, tags dropped)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_data(self, data: str) -> None:
        self.parts.append(data)

    def handle_starttag(self, tag, attrs) -> None:
        if tag not in _INLINE_TAGS:
            self.parts.append(" ")

    def handle_endtag(self, tag) -> None:
        if tag not in _INLINE_TAGS:
            self.parts.append(" ")

    def handle_startendtag(self, tag, attrs) -> None:
        self.handle_starttag(tag, attrs)


def _fold(text: str) -> str:
    return " ".join(text.split())


def strip_html(text: str) -> str:
    """Plain text of a string that may hold HTML.

    Args:
        text: Free text, possibly with tags such as ``<a href="...">label</a>``
            and entities such as ``&amp;``.

    Returns:
        The text with tags removed (link text kept), entities unescaped and
        whitespace folded to single spaces.
    """
    if "<" not in text and "&" not in text:
        return _fold(text)
    parser = _TextExtractor()
    try:
        parser.feed(text)
        parser.close()
    except Exception:  # HTMLParser is lenient; keep the text rather than fail
        return _fold(html.unescape(re.sub(r"<[^<>]*>", " ", text)))  # [^<>]: linear, a run of < cannot backtrack
    return _fold("".join(parser.parts))


def _text(value: Any) -> str:
    """Plain one-line text of any loaded value (``""`` for None)."""
    if value is None:
        return ""
    if isinstance(value, str):
        return strip_html(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ", ".join(t for t in (_text(v) for v in value) if t)
    if isinstance(value, dict):
        return ", ".join(t for t in (_text(v) for v in value.values()) if t)
    return _fold(str(value))


def _slug(text: str) -> str:
    """Lower-case ASCII slug: runs of anything but a-z0-9 become ``-``, ends trimmed."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")


def _kpi_id(name: str, index: int, taken: set[str]) -> str:
    slug = _slug(name).upper()
    room = MAX_KPI_ID - len("KPI-")
    if len(slug) > room:
        cut = slug[:room]
        # end on a word boundary when one is near
        if "-" in cut[room // 2:] and slug[room] != "-":
            cut = cut[: cut.rfind("-")]
        slug = cut.strip("-")
    base = f"KPI-{slug}" if slug else f"KPI-{index + 1}"
    candidate, n = base, 1
    while candidate.lower() in taken:
        n += 1
        candidate = f"{base}-{n}"
    taken.add(candidate.lower())
    return candidate


# --------------------------------------------------------------------------- convert


def _measurement_source(entry: dict) -> str:
    parts = []
    sisense = entry.get("sisense_data")
    if isinstance(sisense, dict):
        dashboard, chart = _text(sisense.get("dashboard")), _text(sisense.get("chart"))
        if dashboard and chart:
            parts.append(f"Sisense dashboard {dashboard}, chart {chart}")
        elif dashboard:
            parts.append(f"Sisense dashboard {dashboard}")
        elif chart:
            parts.append(f"Sisense chart {chart}")
    urls = entry.get("urls")
    if isinstance(urls, (str, int, float)) and not isinstance(urls, bool):
        urls = [urls]
    if isinstance(urls, list):
        links = [_fold(str(u)) for u in urls if u is not None and not isinstance(u, (dict, list))]
        links = [u for u in links if u]
        if links:
            parts.append(", ".join(links))
    return "; ".join(parts)


def _target_text(value: Any, raw: str | None) -> str | None:
    """The free-text target as written, or None when empty."""
    if value is None:
        return None
    if isinstance(value, str):
        return value if value.strip() else None
    if isinstance(value, (dict, list)):
        return value or None  # kept as data; x- keys may hold anything
    return raw if raw else str(value)


def _lines_of(doc: Document) -> list[str]:
    """The document's lines, split once per document."""
    cached = getattr(doc, "_lines", None)
    if cached is None:
        cached = doc.text.splitlines()
        doc._lines = cached
    return cached


def _raw_scalar(doc: Document | None, path: tuple, expected: Any) -> str | None:
    """The text of a plain one-line scalar as written in the file (e.g. ``0.50``)."""
    if doc is None or path not in doc.positions:
        return None
    line, col = doc.positions[path]
    lines = _lines_of(doc)
    if not 0 < line <= len(lines):
        return None
    rest = lines[line - 1][col - 1:]
    rest = re.split(r"\s#", rest, maxsplit=1)[0].strip()
    if not rest:
        return None
    value, _ = resolve_scalar(rest, None, None)
    if value != expected or type(value) is not type(expected):
        return None  # not a plain scalar alone on its line (flow style, tag ...)
    return rest


def _entry_line(doc: Document | None, index: int) -> str:
    if doc is None:
        return ""
    line, _ = doc.locate((index,))
    return f" (line {line})"


def convert(entries: list, source_name: str, plan_id: str | None = None, *, _doc: Document | None = None) -> dict:
    """Convert loaded GitLab performance indicators into KpiPlan data.

    Args:
        entries: The source file's top-level list, as plain data.
        source_name: The source file's name or path; its stem gives the
            default plan id ``gitlab-<stem>``.
        plan_id: ``metadata.id`` to use instead of the default.
        _doc: The loaded document, used only to name lines in messages and to
            keep numeric targets exactly as written.

    Returns:
        A plain ``dict`` of one ``apiVersion: kpi-policies/v1``, ``kind: KpiPlan``
        document, with keys in the order they are written.

    Raises:
        ImportError_: When ``entries`` is not a list, an entry is not a
            mapping or has no name, or ``plan_id`` is not a plain identifier.
    """
    if not isinstance(entries, list):
        kind = "a mapping" if isinstance(entries, dict) else f"a {type(entries).__name__}"
        raise ImportError_(
            f"{source_name}: the top level is {kind}; a GitLab performance-indicator file is a list of indicators"
        )

    if plan_id is not None:
        plan_id = str(plan_id)
        if not _ID_PATTERN.match(plan_id) or len(plan_id) > MAX_PLAN_ID:
            raise ImportError_(
                f"--id {plan_id!r} is not a plain identifier (letters, digits, '.', '_' or '-', "
                f"starting with a letter or digit, at most {MAX_PLAN_ID} characters)"
            )
    else:
        stem = os.path.splitext(os.path.basename(str(source_name)))[0]
        plan_id = ("gitlab-" + _slug(stem)).strip("-")[:MAX_PLAN_ID].rstrip("-")

    names = []
    for index, entry in enumerate(entries):
        where = f"{source_name}: entry {index + 1}{_entry_line(_doc, index)}"
        if not isinstance(entry, dict):
            raise ImportError_(f"{where} is not a mapping; each indicator needs at least a name")
        raw_name = entry.get("name")
        if isinstance(raw_name, (dict, list)):
            raise ImportError_(f"{where}: the name is a {'mapping' if isinstance(raw_name, dict) else 'list'}, not text")
        name = "" if raw_name is None else _fold(str(raw_name))
        if not name:
            raise ImportError_(f"{where} has no name")
        names.append(name)

    orgs = {_fold(str(e.get("org"))) if e.get("org") is not None else "" for e in entries}
    shared_org = orgs.pop() if len(orgs) == 1 else ""

    metadata: dict[str, Any] = {"id": plan_id}
    if shared_org:
        metadata["title"] = f"{shared_org} performance indicators (GitLab handbook)"
        metadata["department"] = shared_org.lower()
    else:
        metadata["title"] = "GitLab performance indicators"

    kpis = []
    taken: set[str] = set()
    for index, (entry, name) in enumerate(zip(entries, names)):
        kpi: dict[str, Any] = {"id": _kpi_id(name, index, taken), "name": name}
        description = _text(entry.get("definition"))
        if description:
            kpi["description"] = description
        owner = _text(entry.get("dri"))
        if owner:
            kpi["owner"] = owner
        source = _measurement_source(entry)
        if source:
            kpi["measurement"] = {"source": source}

        extra: dict[str, Any] = {}
        for key in _X_ORDER:
            if key not in entry:
                continue
            if key == "target":
                target = _target_text(entry["target"], _raw_scalar(_doc, (index, "target"), entry["target"]))
                if target is not None:
                    extra["target"] = target
            elif entry[key] is not None:
                extra[key] = entry[key]
        if not shared_org and entry.get("org") is not None:
            extra["org"] = entry["org"]
        for key, value in entry.items():
            if key not in _CONSUMED and key not in _X_ORDER and key not in extra:
                extra[str(key)] = value
        if extra:
            kpi["x-gitlab"] = extra
        kpis.append(kpi)

    return {"apiVersion": "kpi-policies/v1", "kind": "KpiPlan", "metadata": metadata, "kpis": kpis}


# --------------------------------------------------------------------------- write


def _commented(value: Any) -> Any:
    """Plain data to ruamel round-trip containers (keeps key order, block style)."""
    if isinstance(value, dict):
        out = CommentedMap()
        for k, v in value.items():
            out[k] = _commented(v)
        return out
    if isinstance(value, list):
        return CommentedSeq(_commented(v) for v in value)
    return value


def dump(plan: dict, source_name: str) -> str:
    """Write plan data as YAML text with the converter's header comment.

    Args:
        plan: Data as returned by :func:`convert`.
        source_name: The source file; only its base name is written.

    Returns:
        The YAML text, ending with a newline.
    """
    doc = _commented(plan)
    doc.yaml_set_start_comment(
        f"Converted by kpi-policies import gitlab-pi from {os.path.basename(str(source_name))}.\n"
        "Fields the source does not have (period, owner, objectives, baselines, numeric targets, "
        "measurement tools, review cadence) were left out on purpose; GitLab's own fields are kept under x-gitlab."
    )
    yaml = YAML(typ="rt", pure=True)
    yaml.default_flow_style = False
    yaml.allow_unicode = True
    yaml.width = 4096
    yaml.indent(mapping=2, sequence=4, offset=2)
    stream = io.StringIO()
    yaml.dump(doc, stream)
    return stream.getvalue()


def convert_file(path: str, plan_id: str | None = None) -> str:
    """Read a GitLab performance-indicator file and return the KpiPlan as YAML text.

    Args:
        path: The ``data/performance_indicators/*.yml`` file.
        plan_id: ``metadata.id`` of the plan; default ``gitlab-<file stem>``.

    Returns:
        YAML text of one ``KpiPlan`` document, starting with a comment that
        names the source file.

    Raises:
        ImportError_: When the file cannot be read or is not valid YAML
            (``<path>:<line>:<col>: <problem>``), its top level is not a list,
            an entry is not a mapping or has no name, or ``plan_id`` is not a
            plain identifier.
    """
    doc = load_file(path)
    if doc.problems:
        problem = doc.problems[0]
        message = problem.message
        if problem.rule_id == "Y004":  # the loader's wording speaks of plan files
            message = "the file holds no YAML data; a GitLab performance-indicator file is a list of indicators"
        raise ImportError_(f"{path}:{problem.line}:{problem.column}: {message}")
    if not doc.usable:  # pragma: no cover - load_file always names a problem
        raise ImportError_(f"{path}: nothing could be read")
    try:
        plan = convert(doc.data, path, plan_id=plan_id, _doc=doc)
        return dump(plan, path)
    except ImportError_:
        raise
    except Exception as exc:  # never let anything else escape
        raise ImportError_(f"{path}: cannot convert: {type(exc).__name__}: {exc}") from exc
