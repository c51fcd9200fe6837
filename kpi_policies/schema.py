"""JSON Schema validation (Draft 2020-12) of loaded documents: family ``S``.

Each document is validated against the bundled schema of its ``kind``
(``schemas/*.schema.json``). Every error is reported at once, mapped from its
JSON path to a line and column, with a message written for people rather than
a dump of the schema. :func:`prune` then removes the offending parts so the
rules can still judge the rest of the plan.

No schema is ever fetched: a ``$ref`` to anything but the bundled schemas
raises :class:`SchemaRefusedError`. The validators themselves are built in
:mod:`kpi_policies.validators`.
"""

from __future__ import annotations

import copy
import difflib
from dataclasses import dataclass
from typing import Any

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # imported when first needed: most documents never need the Python validator
    import jsonschema

from kpi_policies.i18n import N_, _, language
from kpi_policies.resources import load_schema
from kpi_policies.validators import (  # noqa: F401  (validators are also reached from here)
    SCHEMA_FILES, SchemaRefusedError, build_validator, fast_validator_for, validator_for)

API_VERSION = "kpi-policies/v1"


@dataclass(frozen=True)
class SchemaError:
    """One schema violation.

    Attributes:
        path: Path tuple into the document of the value at fault.
        message: Readable message.
        on_key: True when the finding belongs on a key (unknown or missing key).
        rule_id: ``S001`` wrong value, ``S002`` not a kpi-policies document,
            ``S003`` unknown key, ``S004`` missing required key.
    """

    path: tuple
    message: str
    on_key: bool = False
    rule_id: str = "S001"


def validate(data: Any) -> tuple[str | None, list[SchemaError]]:
    """Validate one document against the schema of its kind.

    Returns:
        ``(kind, errors)``; ``kind`` is ``None`` when the document names no
        known kind (then a single error says what is wrong at the top).
    """
    if not isinstance(data, dict):
        found = type(data).__name__ if data is not None else "nothing"
        found = {"list": _("a list"), "str": _("a plain text"), "int": _("a number"), "float": _("a number"), "bool": _("a boolean"),
                 "nothing": _("nothing")}.get(found, found)
        return None, [SchemaError((), _("a kpi-policies file is a mapping with apiVersion and kind, but this document is {found}").format(found=found),
                                  rule_id="S002")]
    errors: list[SchemaError] = []
    api = data.get("apiVersion")
    if api != API_VERSION:
        if "apiVersion" not in data:
            errors.append(SchemaError((), _("missing apiVersion: a kpi-policies file starts with 'apiVersion: {api}'").format(api=API_VERSION), rule_id="S002"))
        else:
            errors.append(SchemaError(("apiVersion",), _("apiVersion {found} is not supported; use '{api}'").format(found=repr(api), api=API_VERSION), rule_id="S002"))
    kind = data.get("kind")
    if not isinstance(kind, str) or kind not in SCHEMA_FILES:
        known = ", ".join(SCHEMA_FILES)
        if "kind" not in data:
            errors.append(SchemaError((), _("missing kind: one of {kinds}").format(kinds=known), rule_id="S002"))
        else:
            errors.append(SchemaError(("kind",), _("unknown kind {found}: expected one of {kinds}").format(found=_show(kind), kinds=known) + did_you_mean(kind, SCHEMA_FILES),
                                      rule_id="S002"))
        return None, errors
    if errors:  # an unsupported apiVersion is said once; every other error and the rules still show
        data = {**data, "apiVersion": API_VERSION}
    fast = fast_validator_for(kind)
    if fast is not None and fast.is_valid(data):
        return kind, errors
    seen: set[SchemaError] = set()
    for error in sorted(iter_errors(validator_for(kind), data), key=lambda e: [str(p) for p in e.absolute_path]):
        for explained in _explain(error, data):
            if explained not in seen:  # "required" reports each missing key once per error
                seen.add(explained)
                errors.append(explained)
    return kind, errors


def iter_errors(validator, data: Any) -> "list[jsonschema.ValidationError]":
    """All validation errors of ``data``.

    Raises:
        SchemaRefusedError: when the schema refers to a resource that is not bundled.
    """
    try:
        return list(validator.iter_errors(data))
    except Exception as exc:  # referencing wraps the refusal in its own errors
        cause: BaseException | None = exc
        while cause is not None and not isinstance(cause, SchemaRefusedError):
            cause = cause.__cause__ or cause.__context__
        if cause is not None:
            raise SchemaRefusedError(str(cause)) from None
        raise


class DocumentError(Exception):
    """A configuration document (policy, project configuration) is unusable; one line, ``file:line:col: problem``."""


def read_document(path: str, kind: str):
    """Load and validate a configuration file that must be of ``kind``.

    Returns:
        The :class:`kpi_policies.load.Document`, schema-valid.

    Raises:
        DocumentError: at the first loading problem, a wrong kind, or the first schema error.
    """
    from kpi_policies.load import load_file

    doc = load_file(path)
    if doc.problems:  # a configuration file has no tolerable YAML problem (duplicate keys included)
        p = doc.problems[0]
        raise DocumentError(f"{path}:{p.line}:{p.column}: {p.message}")
    found, errors = validate(doc.data)
    if found is not None and found != kind:
        line, col = doc.locate(("kind",))
        raise DocumentError(f"{path}:{line}:{col}: expected a file of kind {kind}, found {found}")
    if errors:
        e = errors[0]
        line, col = doc.locate(e.path, on_key=e.on_key)
        raise DocumentError(f"{path}:{line}:{col}: {e.message}")
    return doc


def prune(data: Any, errors: list[SchemaError]) -> Any:
    """A copy of ``data`` without the values the schema rejected.

    Mapping entries at fault are removed; list items at fault are replaced by
    ``None`` so the other items keep their index (and so their positions).
    Missing keys stay missing; the models treat every field as optional.
    Without errors, ``data`` itself is returned (nothing downstream changes it).
    """
    if not any(e.path for e in errors):
        return data
    data = copy.deepcopy(data)
    for error in sorted(errors, key=lambda e: len(e.path), reverse=True):
        if not error.path:
            continue
        parent = data
        try:
            for step in error.path[:-1]:
                parent = parent[step]
            last = error.path[-1]
            if isinstance(parent, dict):
                if error.rule_id == "S003" and isinstance(last, str) and last.strip().isdigit():
                    # {value: 2,5}: the number before the comma is only part of the number written
                    before = _key_before(parent, last)
                    if before is not None and isinstance(parent[before], int) and not isinstance(parent[before], bool):
                        parent.pop(before, None)
                parent.pop(last, None)
            elif isinstance(parent, list) and isinstance(last, int) and last < len(parent):
                parent[last] = None
        except (KeyError, IndexError, TypeError):
            continue
    return data


#: Section -> (item named by its id, item named by its position); English, translated when shown.
_SECTION_WORDS = {"goals": (N_("goal {id}"), N_("the {n} goal")), "objectives": (N_("objective {id}"), N_("the {n} objective")),
                  "kpis": (N_("KPI {id}"), N_("the {n} KPI")), "initiatives": (N_("initiative {id}"), N_("the {n} initiative")),
                  "tools": (N_("tool {id}"), N_("the {n} tool")), "metrics": (N_("metric {id}"), N_("the {n} metric"))}


def dotted(path: tuple, data: Any = None) -> str:
    """A path as people read it.

    ``('kpis', 2, 'target', 'due')`` -> ``KPI KPI-CPA: target.due`` when the
    third KPI has that id (``the 3rd KPI: target.due`` otherwise); other list
    positions count from 1 (``review.log #2.date``); ``the document`` for the
    empty path.
    """
    out = ""
    rest = list(path)
    if len(rest) >= 2 and rest[0] in _SECTION_WORDS and isinstance(rest[1], int):
        item = None
        if isinstance(data, dict) and isinstance(data.get(rest[0]), list) and rest[1] < len(data[rest[0]]):
            item = data[rest[0]][rest[1]]
        ident = item.get("id") if isinstance(item, dict) else None
        by_id, by_position = _SECTION_WORDS[rest[0]]
        out = _(by_id).format(id=ident) if isinstance(ident, str) and ident else _(by_position).format(n=_ordinal(rest[1] + 1))
        rest = rest[2:]
        if rest:
            out += ": "
    tail = ""
    for step in rest:
        tail += f" #{step + 1}" if isinstance(step, int) else (f".{step}" if tail else str(step))
    out += tail
    return out or _("the document")


def _ordinal(n: int) -> str:
    if language() == "vi":
        return f"thứ {n}"
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def did_you_mean(word: Any, choices) -> str:
    """`` (did you mean 'x'?)`` for the closest of ``choices`` to ``word``, or ``""``."""
    if not isinstance(word, str) or len(word) > 100:
        return ""
    close = difflib.get_close_matches(word, [str(c) for c in choices], n=1, cutoff=0.6)
    return _(" (did you mean '{word}'?)").format(word=close[0]) if close else ""


def _show(value: Any) -> str:
    """A short repr of a value for a message (long texts and containers are cut before formatting)."""
    if isinstance(value, str) and len(value) > 60:
        return repr(value[:57]) + "..."
    if isinstance(value, (list, dict)):
        return (_("a list of {n} items") if isinstance(value, list) else _("a mapping of {n} keys")).format(n=len(value))
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _at(root: Any, path: tuple) -> Any:
    """The value at ``path`` in ``root``, or ``None``."""
    node = root
    for part in path:
        try:
            node = node[part]
        except (KeyError, IndexError, TypeError):
            return None
    return node


def _resolve(schema: dict, root: Any) -> dict:
    """Follow a local ``$ref`` of the document kind's bundled schema."""
    ref = schema.get("$ref") if isinstance(schema, dict) else None
    kind = root.get("kind") if isinstance(root, dict) else None
    if not isinstance(ref, str) or not ref.startswith("#/") or kind not in SCHEMA_FILES:
        return schema if isinstance(schema, dict) else {}
    node: Any = load_schema(SCHEMA_FILES[kind])
    for part in ref[2:].split("/"):
        node = node.get(part, {}) if isinstance(node, dict) else {}
    return node if isinstance(node, dict) else {}


def _empty_owner(schema: dict, value: dict, key: str, root: Any) -> str | None:
    """The empty sibling of ``key`` that ``key`` belongs under (an indentation slip), or ``None``."""
    for name, sub in schema.get("properties", {}).items():
        if name in value and value[name] is None and key in _resolve(sub, root).get("properties", {}):
            return name
    return None


def _split_hint(key: str, mapping: Any = None) -> str:
    """A hint for keys that come from a value split at a comma inside ``{...}``.

    ``{value: 2,5}`` reads as ``value: 2`` and a key ``5``: a decimal comma,
    meant as 2.5. ``{value: 585,000}`` may be a thousands separator (585000)
    or a Vietnamese decimal comma (585.0), so both readings are shown.
    """
    digits = key.strip()
    if digits.isdigit():
        before = _value_before(mapping, key)
        whole = str(before) if isinstance(before, int) and not isinstance(before, bool) else None
        if whole is None:
            return _(" (a number written with a comma is split at the comma inside {...}: write it without separators, with a dot for decimals)")
        decimal = f"{whole}.{digits}".rstrip("0").rstrip(".") if len(digits) == 3 else f"{whole}.{digits}"
        if len(digits) == 3:
            return _(" (the number {whole},{digits} is split at the comma: write {whole}{digits} if the comma separates "
                     "thousands, or {decimal} if it is a decimal comma)").format(whole=whole, digits=digits, decimal=decimal)
        return _(" (the number {whole},{digits} is split at the comma: a decimal comma, so write {decimal}; YAML uses a dot for decimals)").format(
            whole=whole, digits=digits, decimal=decimal)
    if " " in digits:
        return _(" (a comma inside an unquoted value in {...} splits it: quote the value)")
    return ""


def _key_before(mapping: dict, key: str) -> Any:
    """The key written just before ``key`` in ``mapping``, or ``None``."""
    keys = list(mapping)
    i = keys.index(key) if key in keys else -1
    return keys[i - 1] if i > 0 else None


def _value_before(mapping: Any, key: str) -> Any:
    """The value of the key written just before ``key`` in ``mapping`` (the whole part of a split number)."""
    if not isinstance(mapping, dict):
        return None
    keys = list(mapping)
    i = keys.index(key) if key in keys else -1
    return mapping[keys[i - 1]] if i > 0 else None


#: The form of the mappings plan writers most often write as a single value, shown as an example to copy.
MAPPING_FORMS = {
    "target": "{value: 52800000000, due: 2027-12-31}",
    "baseline": "{value: 48000000000, period: 2026}",
    "measurement": "{tool: crm, source: CRM monthly revenue report, owner: sales-ops}",
    "review": "{cadence: monthly, reviewer: head-of-marketing}",
    "period": "{start: 2027-01-01, end: 2027-12-31}",
}
_TYPE_NAMES = {"object": N_("a mapping"), "array": N_("a list"), "string": N_("a text"), "number": N_("a number"),
               "integer": N_("a whole number"), "boolean": N_("true or false"), "null": N_("empty")}


def _explain(error: "jsonschema.ValidationError", root: Any = None) -> list[SchemaError]:
    """Turn one jsonschema error into readable :class:`SchemaError` records."""
    path = tuple(error.absolute_path)
    where = dotted(path, root)
    kind = error.validator
    value = error.instance
    if kind == "required":
        missing = [name for name in error.validator_value if isinstance(value, dict) and name not in value]
        return [SchemaError(path, _("{where} is missing required key '{name}'").format(where=where, name=name), on_key=True, rule_id="S004") for name in missing]
    if kind == "additionalProperties":
        allowed = list(error.schema.get("properties", {}))
        extras = [k for k in value if k not in allowed and not k.startswith("x-")] if isinstance(value, dict) else []
        out = []
        for k in extras:
            owner = _empty_owner(error.schema, value, k, root)
            if owner:
                out.append(SchemaError(path + (k,), _("'{key}' in {where} belongs under `{owner}:`, which is empty: "
                                                      "indent this line under `{owner}:` (2 more spaces than `{owner}:`)").format(
                                                          key=k, where=where, owner=owner),
                                       on_key=True, rule_id="S003"))
            else:
                out.append(SchemaError(path + (k,), _("unknown key '{key}' in {where}").format(key=k, where=where) + did_you_mean(k, allowed)
                                       + _("; allowed: {keys}").format(keys=", ".join(allowed)) + _split_hint(k, value),
                                       on_key=True, rule_id="S003"))
        return out
    if kind == "type":
        wanted = error.validator_value if isinstance(error.validator_value, list) else [error.validator_value]
        names = _(" or ").join(_(_TYPE_NAMES.get(t, t)) for t in wanted)
        if value is None and "array" in wanted and "object" not in wanted and path and isinstance(path[-1], str):
            return [SchemaError(path, _("{where} is empty: write its items on the lines below `{key}:`, indented under it, "
                                        "each starting with '- ' (or `{key}: []` for none yet)").format(where=where, key=path[-1]))]
        if value is None and "object" in wanted and path and isinstance(path[-1], str):
            from kpi_policies.authoring import empty_parent

            beside = empty_parent(_at(root, path[:-1]), path[-1], set(error.schema.get("properties", {})))
            lines = ""
            if beside:
                lines = (_(" ({keys} is written beside it)") if len(beside) == 1 else _(" ({keys} are written beside it)")).format(keys=", ".join(beside))
            return [SchemaError(path, _("{where} is empty: the lines below `{key}:` must be indented under it{lines}, "
                                        "2 more spaces than `{key}:`").format(where=where, key=path[-1], lines=lines))]
        hint = ""
        if "number" in wanted or "integer" in wanted:
            from kpi_policies.authoring import number_hint

            hint = number_hint(value, path, root)
        elif "object" in wanted and path and path[-1] in MAPPING_FORMS:
            from kpi_policies.authoring import number_hint

            # `target: tăng 10%` or `target: 52800000000`: show the form, and what the number should be when it can tell
            said = number_hint(value, path + ("value",), root) if path[-1] in ("target", "baseline") else ""
            hint = _(": write `{key}: {form}`").format(key=path[-1], form=MAPPING_FORMS[path[-1]]) + (f" ({said.lstrip(': ')})" if said else "")
        return [SchemaError(path, _("{where} must be {names}, not {found}").format(where=where, names=names, found=_show(value)) + hint)]
    if kind == "enum":
        options = ", ".join(str(o) for o in error.validator_value)
        return [SchemaError(path, _("{where} is {found}, not one of: {options}").format(where=where, found=_show(value), options=options)
                            + did_you_mean(value, error.validator_value))]
    if kind == "const":
        return [SchemaError(path, _("{where} must be {wanted}, not {found}").format(where=where, wanted=repr(error.validator_value), found=_show(value)))]
    if kind == "format" and error.validator_value == "date":
        from kpi_policies.authoring import date_hint

        return [SchemaError(path, _("{where} is {found}, not a real date in the form YYYY-MM-DD").format(where=where, found=_show(value)) + date_hint(value))]
    if kind == "pattern":
        hint = ""
        if path and path[-1] == "metric":
            from kpi_policies.authoring import metric_hint

            hint = metric_hint(value)
        return [SchemaError(path, _("{where} {found} is not a valid id: use letters, digits, '.', '_' or '-', starting with a letter or digit").format(
            where=where, found=_show(value)) + hint)]
    if kind == "minLength":
        return [SchemaError(path, _("{where} must not be empty").format(where=where))]
    if kind == "maxLength":
        return [SchemaError(path, _("{where} is longer than {n} characters").format(where=where, n=error.validator_value))]
    if kind == "minItems":
        return [SchemaError(path, _("{where} needs at least {n} item(s)").format(where=where, n=error.validator_value))]
    if kind == "uniqueItems":
        return [SchemaError(path, _("{where} lists the same item more than once").format(where=where))]
    if kind == "propertyNames":
        return [SchemaError(path, _("{where} has a key that is not allowed here: {detail}").format(where=where, detail=error.message))]
    return [SchemaError(path, f"{where}: {error.message}")]
