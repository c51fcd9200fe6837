"""Policy packs (``kind: Policy``): which rules run, how strictly, with which parameters.

A pack may ``extends:`` other packs, by path (relative to the pack) or by the
name of a built-in pack (``recommended``: ``rules/default.yaml``, ``strict``:
``rules/strict.yaml``, ``vietnam``: ``rules/vietnam.yaml``, the channels
Vietnamese teams measure on). Parents apply first, then the pack itself:

- ``tools`` and ``metrics`` add to the registry of approved tools and to the
  metric catalog (an entry with the same id replaces the inherited one);
- ``goal_types`` add business goal types to the built-in ones (market share,
  profitability, customer satisfaction and the five of the method);
- ``select`` (rule ids or family prefixes; replaces the parent's) and
  ``ignore`` (adds to the parent's) choose the rules, as in Ruff;
- ``rules`` set per rule ``severity``, ``enabled``, ``enforcement``
  (``enforce``: errors block; ``audit``: reported, never blocks) and
  ``params`` (validated by the rule when the policy loads);
- ``overrides`` apply the same settings to files matching globs, in order
  (e.g. ``plans/sales/**`` gets another growth limit);
- ``suppressions`` waive findings by plan id and KPI id or JSON pointer, with
  a reason and an optional expiry;
- ``plugins`` name the entry points of the ``kpi_policies.rules`` group to
  load: installed plugin code runs only when a policy asks for it.

The pack given with ``--policy`` (or named in the project configuration)
extends ``recommended`` unless it says ``extends:`` itself. A broken pack is a
configuration error: :class:`PolicyError` names the file, line and column, and
the command line exits with 2.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field
from typing import Any, Literal, Optional

from pydantic import BaseModel, Field

from kpi_policies.resources import data_dir
from kpi_policies.selectors import any_matches
from kpi_policies.result import Severity

BUILTIN_PACKS = {"recommended": "default.yaml", "strict": "strict.yaml", "vietnam": "vietnam.yaml"}


class PolicyError(Exception):
    """The policy cannot be used; the message is one line, ``file:line:col: problem``."""


class Tool(BaseModel):
    """An approved measurement tool.

    Attributes:
        id: Id used in ``kpis[].measurement.tool``.
        name: Display name.
        measures: Metric ids this tool can measure beyond those the catalog lists for it.
    """

    id: str
    name: str
    measures: list[str] = Field(default_factory=list)


class GoalType(BaseModel):
    """A business goal type a policy adds (``goal_types:``).

    Attributes:
        id: Id used in ``goals[].type`` and in metrics' ``goal_types``.
        name: Display name.
        name_vi: Vietnamese name.
    """

    id: str
    name: str
    name_vi: Optional[str] = None


class RuleSetting(BaseModel):
    """Settings of one rule in one layer: severity, on/off, enforcement, parameters."""

    severity: Optional[Severity] = None
    enabled: Optional[bool] = None
    enforcement: Optional[Literal["enforce", "audit"]] = None
    params: dict[str, Any] = Field(default_factory=dict)


@dataclass
class Layer:
    """One layer of rule selection and settings: a pack's top level or one override.

    Attributes:
        select: Rule ids or prefixes to run (empty: keep what is selected).
        ignore: Rule ids or prefixes not to run.
        rules: Per-rule settings.
        files: For an override, the globs of the files it applies to.
        origin: ``(file, document, path)`` of the layer, for error positions.
    """

    select: list[str] = field(default_factory=list)
    ignore: list[str] = field(default_factory=list)
    rules: dict[str, RuleSetting] = field(default_factory=dict)
    files: list[str] = field(default_factory=list)
    origin: tuple | None = None


@dataclass
class PolicySuppression:
    """A waiver written in the policy (see :mod:`kpi_policies.suppressions`)."""

    plan: str
    rules: list[str]
    reason: str
    until: str | None
    kpi: str | None
    pointer: str | None
    file: str
    line: int
    column: int


@dataclass(frozen=True)
class RuleView:
    """The effective settings of one rule for one file."""

    enabled: bool
    severity: Severity
    enforcement: str
    params: dict


@dataclass
class Policy:
    """The effective policy of a run, after ``extends`` are resolved.

    Attributes:
        id: Id of the pack applied last.
        sources: Pack files read, parents first.
        tools: Approved measurement tools by id.
        goal_types: Business goal types the policy adds to the built-in ones, by id.
        metrics: Metrics added to the catalog, as plain data (validated by the catalog).
        relations: Relations added to the catalog's, as plain data (rule family DR).
        base: The top-level layer (selection and rule settings).
        overrides: Path-glob layers, in order.
        suppressions: Waivers written in the policy.
        plugins: Entry-point names of rule plugins to load.
        origins: ``(section, key)`` -> (file, document, path) that set it, for error positions.
        request: What :func:`load_policy` was asked for (to load it again in a worker process).
    """

    id: str
    sources: list[str] = field(default_factory=list)
    tools: dict[str, Tool] = field(default_factory=dict)
    metrics: dict[str, dict] = field(default_factory=dict)
    relations: list[dict] = field(default_factory=list)
    goal_types: dict[str, GoalType] = field(default_factory=dict)
    base: Layer = field(default_factory=Layer)
    overrides: list[Layer] = field(default_factory=list)
    suppressions: list[PolicySuppression] = field(default_factory=list)
    plugins: list[str] = field(default_factory=list)
    origins: dict[tuple, tuple] = field(default_factory=dict, repr=False)
    request: str | None = None

    @property
    def rules(self) -> dict[str, RuleSetting]:
        """Top-level rule settings by rule id."""
        return self.base.rules

    def known_goal_types(self) -> dict[str, tuple[str, str | None]]:
        """Goal type id -> (name, Vietnamese name): the built-in types, then the policy's."""
        from kpi_policies.catalog import BUILTIN_GOAL_TYPES

        out: dict[str, tuple[str, str | None]] = dict(BUILTIN_GOAL_TYPES)
        out.update({k: (v.name, v.name_vi) for k, v in self.goal_types.items()})
        return out

    @property
    def digest(self) -> str:
        """sha256 (hex) of the effective settings: changes whenever the policy does."""
        blob = json.dumps({
            "tools": {k: v.model_dump() for k, v in sorted(self.tools.items())},
            "metrics": self.metrics,
            "relations": self.relations,
            **({"goal_types": {k: v.model_dump() for k, v in sorted(self.goal_types.items())}} if self.goal_types else {}),
            "layers": [_layer_dump(layer) for layer in [self.base, *self.overrides]],
            "suppressions": [s.__dict__ for s in self.suppressions],
            "plugins": sorted(self.plugins),
        }, sort_keys=True, default=str)
        return hashlib.sha256(blob.encode()).hexdigest()

    def where(self, section: str, key: Any, *subpath) -> str:
        """``file:line:col`` of a setting (of ``subpath`` inside it when present)."""
        origin = self.origins.get((section, key))
        if origin is None:
            return self.sources[-1] if self.sources else "<policy>"
        path, doc, at = origin
        line, col = doc.locate(tuple(at) + tuple(subpath), on_key=True)
        return f"{path}:{line}:{col}"

    def setting(self, rule_id: str) -> RuleSetting:
        """The top-level settings of one rule (defaults when the policy says nothing)."""
        return self.base.rules.get(rule_id) or RuleSetting()

    def layers_for(self, file: str | None) -> list[Layer]:
        """The base layer, then every override whose globs match ``file``."""
        if file is None or not self.overrides:
            return [self.base]
        from kpi_policies.globs import match_any  # (pathspec is imported only by a policy with path overrides)

        candidates = _match_forms(file)
        return [self.base] + [o for o in self.overrides if any(match_any(o.files, c) for c in candidates)]

    def view(self, rule, file: str | None = None) -> RuleView:
        """The effective settings of ``rule`` (a Rule class) for ``file``."""
        return self.view_layers(rule, self.layers_for(file))

    def view_layers(self, rule, layers: list[Layer]) -> RuleView:
        """The settings of ``rule`` that ``layers`` give, applied in order (the one place settings are merged)."""
        enabled = True
        severity = rule.severity
        enforcement = "enforce"
        params: dict = {}
        for layer in layers:
            if layer is self.base and layer.select:
                enabled = _matches(rule.id, layer.select)
            elif _matches(rule.id, layer.select):
                enabled = True
            if _matches(rule.id, layer.ignore):
                enabled = False
            setting = layer.rules.get(rule.id)
            if setting is not None:
                if setting.enabled is not None:
                    enabled = setting.enabled
                severity = setting.severity or severity
                enforcement = setting.enforcement or enforcement
                params = {**params, **setting.params}
        return RuleView(enabled, severity, enforcement, params)


def _layer_dump(layer: Layer) -> dict:
    return {"select": layer.select, "ignore": layer.ignore, "files": layer.files,
            "rules": {k: v.model_dump(mode="json") for k, v in sorted(layer.rules.items())}}


def _matches(rule_id: str, patterns: list[str]) -> bool:
    """True when a pattern is ``ALL``, the rule id, its family (``FE``) or a partial id (``FE00``)."""
    return any_matches(patterns, rule_id)


def _match_forms(file: str) -> list[str]:
    """The forms a file path is matched in: as given, and relative to its repository root."""
    from kpi_policies.index import repository_root

    given = os.path.normpath(file).replace(os.sep, "/")
    absolute = os.path.abspath(file)
    root = repository_root(absolute)
    rel = os.path.relpath(absolute, root).replace(os.sep, "/")
    return list(dict.fromkeys([given.lstrip("./") if given.startswith("./") else given, rel]))


def _read_pack(path: str):
    from kpi_policies.schema import DocumentError, read_document

    if not os.path.isfile(path):
        raise PolicyError(f"{path}: no such policy file")
    try:
        return read_document(path, "Policy")
    except DocumentError as exc:
        raise PolicyError(str(exc)) from None


def _layer(data: dict, path: str, doc, at: tuple, policy: Policy, files=()) -> Layer:
    layer = Layer(select=list(data.get("select", [])), ignore=list(data.get("ignore", [])), files=list(files), origin=(path, doc, at))
    for rule_id, settings in (data.get("rules") or {}).items():
        layer.rules[rule_id] = RuleSetting.model_validate(settings)
        policy.origins[("rules", rule_id)] = (path, doc, at + ("rules", rule_id))
    return layer


def _merge_layer(into: Layer, layer: Layer) -> None:
    if layer.select:
        into.select = layer.select
    into.ignore = into.ignore + layer.ignore
    for rule_id, setting in layer.rules.items():
        current = into.rules.get(rule_id, RuleSetting())
        merged = current.model_dump()
        merged["params"] = {**current.params, **setting.params}
        for key in ("severity", "enabled", "enforcement"):
            if getattr(setting, key) is not None:
                merged[key] = getattr(setting, key)
        into.rules[rule_id] = RuleSetting.model_validate(merged)
    into.origin = layer.origin


def _resolve(name: str, base_dir: str | None) -> str:
    if name in BUILTIN_PACKS:
        return str(data_dir("rules") / BUILTIN_PACKS[name])
    return os.path.normpath(os.path.join(base_dir or os.getcwd(), name))


def _outside_repository(target: str, pack: str) -> bool:
    """True when ``pack`` lies in a git repository and ``target`` (links followed) does not: a pull request's
    pack cannot make a run read a file elsewhere on the machine."""
    from kpi_policies.index import repository_root

    root = os.path.realpath(repository_root(pack))
    if not os.path.exists(os.path.join(root, ".git")):
        return False
    return os.path.commonpath([root, os.path.realpath(target)]) != root


def _apply_pack(policy: Policy, path: str, chain: tuple[str, ...], default_extends: list[str]) -> None:
    real = os.path.realpath(path)
    if real in chain:
        raise PolicyError(f"{path}: `extends` forms a cycle: {' -> '.join(os.path.basename(c) for c in chain + (real,))}")
    doc = _read_pack(path)
    pack = doc.data
    parents = pack.get("extends", default_extends)
    if isinstance(parents, str):
        parents = [parents]
    for i, parent in enumerate(parents):
        target = _resolve(parent, os.path.dirname(path))
        if parent not in BUILTIN_PACKS and not os.path.isfile(target):
            line, col = doc.locate(("extends", i) if isinstance(pack.get("extends"), list) else ("extends",))
            known = ", ".join(BUILTIN_PACKS)
            raise PolicyError(f"{path}:{line}:{col}: extends '{parent}', which is neither a file nor a built-in pack ({known})")
        if parent not in BUILTIN_PACKS and _outside_repository(target, real):
            line, col = doc.locate(("extends", i) if isinstance(pack.get("extends"), list) else ("extends",))
            raise PolicyError(f"{path}:{line}:{col}: extends '{parent}', which is outside the repository of this pack; "
                              f"a pack may extend only files of its repository or a built-in pack")
        _apply_pack(policy, target, chain + (real,), [])
    policy.sources.append(path)
    for i, tool in enumerate(pack.get("tools", [])):
        policy.tools[tool["id"]] = Tool.model_validate(tool)
        policy.origins[("tools", tool["id"])] = (path, doc, ("tools", i))
    for i, goal_type in enumerate(pack.get("goal_types", [])):
        policy.goal_types[goal_type["id"]] = GoalType.model_validate(goal_type)
        policy.origins[("goal_types", goal_type["id"])] = (path, doc, ("goal_types", i))
    for i, metric in enumerate(pack.get("metrics", [])):
        policy.metrics[metric["id"]] = metric
        policy.origins[("metrics", metric["id"])] = (path, doc, ("metrics", i))
    for i, relation in enumerate(pack.get("relations", [])):
        policy.relations = [r for r in policy.relations if r["id"] != relation["id"]] + [relation]
        policy.origins[("relations", relation["id"])] = (path, doc, ("relations", i))
    _merge_layer(policy.base, _layer(pack, path, doc, (), policy))
    for i, override in enumerate(pack.get("overrides", [])):
        from kpi_policies.globs import GlobError, check as check_globs

        try:
            check_globs(override["files"])
        except GlobError as exc:
            line, col = doc.locate(("overrides", i, "files"))
            raise PolicyError(f"{path}:{line}:{col}: {exc}") from None
        policy.overrides.append(_layer(override, path, doc, ("overrides", i), policy, files=override["files"]))
    for i, s in enumerate(pack.get("suppressions", [])):
        line, col = doc.locate(("suppressions", i))
        policy.suppressions.append(PolicySuppression(
            plan=s["plan"], rules=[r.upper() for r in s["rules"]], reason=s["reason"], until=s.get("until"),
            kpi=s.get("kpi"), pointer=s.get("pointer"), file=path, line=line, column=col))
    for name in pack.get("plugins", []):
        if name not in policy.plugins:
            policy.plugins.append(name)
            policy.origins[("plugins", name)] = (path, doc, ("plugins", pack["plugins"].index(name)))
    policy.id = (pack.get("metadata") or {}).get("id", policy.id)


def load_policy(path: str | None = None) -> Policy:
    """The built-in ``recommended`` pack, or the pack ``path`` (a file or a built-in name) with everything it extends.

    A pack file that does not say ``extends:`` extends ``recommended``. A
    bare built-in name (``strict``) is always the built-in pack, whatever
    files the working folder holds: a file or folder of that name needs a path
    (``./strict``), so a pull request cannot replace a built-in pack.

    Raises:
        PolicyError: when a pack cannot be read, does not fit
            ``schemas/policy.schema.json``, or extends in a cycle.
    """
    policy = Policy(id="recommended", request=path)
    builtin = str(data_dir("rules") / BUILTIN_PACKS["recommended"])
    if path is None:
        _apply_pack(policy, builtin, (), [])
    elif path in BUILTIN_PACKS:  # a bare name is always the built-in pack: a file named `strict` needs ./strict
        _apply_pack(policy, _resolve(path, None), (), [])
    else:
        _apply_pack(policy, path, (), ["recommended"])
    _check_relations(policy)
    return policy


def _check_relations(policy: Policy) -> None:
    """Refuse a relation whose formula cannot be read or names no metric (it is never run as code)."""
    if not policy.relations:
        return
    from kpi_policies.catalog import builtin_catalog
    from kpi_policies.formula import FormulaError, names, parse

    metrics = set(builtin_catalog().metrics) | set(policy.metrics)
    for relation in policy.relations:
        where = policy.where("relations", relation["id"], "formula")
        try:
            tree = parse(relation["formula"])
        except FormulaError as exc:
            raise PolicyError(f"{where}: relation {relation['id']}: column {exc.column} of the formula: {exc.message}") from None
        for name in [relation["metric"], *names(tree)]:
            if name not in metrics:
                raise PolicyError(f"{where}: relation {relation['id']} names '{name}', which is not a metric of the catalog")
