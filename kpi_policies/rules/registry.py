"""Which rules exist: the built-in families plus plugins of the ``kpi_policies.rules`` entry-point group.

A rule is found by id (``GL001``) and a family by prefix (``GL``). Each
family lives in the module named after its concern:

===== =====================================
``Y``  ``kpi_policies/rules/yaml_syntax.py``
``S``  ``kpi_policies/rules/schema_checks.py``
``GL`` ``kpi_policies/rules/goal_linkage.py``
``FE`` ``kpi_policies/rules/feasibility.py``
``MT`` ``kpi_policies/rules/measurement.py``
``RC`` ``kpi_policies/rules/review_cadence.py``
``KF`` ``kpi_policies/rules/kpi_fit.py``
``TR`` ``kpi_policies/rules/tracking.py``
``SU`` ``kpi_policies/rules/suppression_checks.py``
``CH`` ``kpi_policies/rules/change_control.py``
===== =====================================
"""

from __future__ import annotations

import functools
import importlib
import inspect
from importlib.metadata import entry_points

from kpi_policies.rules.base import RULE_ID, Rule

FAMILIES = {
    "Y": ("kpi_policies.rules.yaml_syntax", "YAML syntax and loading"),
    "S": ("kpi_policies.rules.schema_checks", "Schema"),
    "GL": ("kpi_policies.rules.goal_linkage", "Goal linkage"),
    "FE": ("kpi_policies.rules.feasibility", "Feasibility"),
    "MT": ("kpi_policies.rules.measurement", "Measurable tool assigned"),
    "RC": ("kpi_policies.rules.review_cadence", "Review cadence"),
    "KF": ("kpi_policies.rules.kpi_fit", "KPI fit"),
    "DR": ("kpi_policies.rules.drivers", "Driver arithmetic"),
    "TR": ("kpi_policies.rules.tracking", "Tracking: what figures cover, attainment and pace"),
    "SU": ("kpi_policies.rules.suppression_checks", "Suppressions and baselines"),
    "CH": ("kpi_policies.rules.change_control", "Change control"),
}

ENTRY_POINT_GROUP = "kpi_policies.rules"


class UnknownRuleError(KeyError):
    """No rule has the id asked for."""


class PluginError(Exception):
    """A plugin named by the policy cannot be loaded or breaks the rules of plugins.

    ``args``: (message, plugin name).
    """


def _rules_of(module) -> list[type[Rule]]:
    """Rule classes a plugin module offers: its ``RULES`` list, or every Rule subclass defined in it."""
    declared = getattr(module, "RULES", None)
    if declared is not None:
        return [r for r in declared if isinstance(r, type) and issubclass(r, Rule)]
    return [
        obj for _, obj in inspect.getmembers(module, inspect.isclass)
        if issubclass(obj, Rule) and obj.__module__ == module.__name__ and obj.id
    ]


def _builtin_modules() -> dict[str, str]:
    """Family prefix -> module of the built-in families (the table above, which the package's own entry points repeat).

    Installed entry points are scanned only when a policy names a plugin, so a plain check pays nothing for it.
    """
    return {family: module for family, (module, _) in FAMILIES.items()}


@functools.lru_cache(maxsize=None)
def all_rules(plugins: tuple[str, ...] = ()) -> tuple[type[Rule], ...]:
    """Every built-in rule, plus the rules of the plugins named (entry points of ``kpi_policies.rules``).

    Installed plugins are loaded only when named: a plan file can never make
    kpi-policies import code. Rules are sorted by family order, then id.

    Raises:
        PluginError: for a plugin that is not installed, fails to import, uses a
            built-in family's prefix or a malformed id, or repeats an id.
        ValueError: when two built-in rules share an id (a packaging error).
    """
    found: list[type[Rule]] = []
    for family, module_name in _builtin_modules().items():
        found.extend(_rules_of(importlib.import_module(module_name)))
    points = {ep.name: ep for ep in entry_points(group=ENTRY_POINT_GROUP)} if plugins else {}
    ids: dict[str, type[Rule]] = {r.id: r for r in found}
    for name in plugins:
        if name in FAMILIES:
            continue
        if name not in points:
            installed = ", ".join(sorted(n for n in points if n not in FAMILIES)) or "none"
            raise PluginError(f"plugin '{name}' is not installed (entry points of {ENTRY_POINT_GROUP}: {installed})", name)
        try:
            module = points[name].load()
        except Exception as exc:
            raise PluginError(f"plugin '{name}' failed to load: {type(exc).__name__}: {exc}", name) from None
        for rule in _rules_of(module):
            if not RULE_ID.match(rule.id or ""):
                raise PluginError(f"plugin '{name}': rule {rule.__name__} has a malformed id {rule.id!r} (letters then three digits)", name)
            if rule.family() in FAMILIES:
                raise PluginError(f"plugin '{name}': rule {rule.id} uses the built-in prefix {rule.family()}; plugins use a prefix of their own", name)
            if rule.id in ids and ids[rule.id] is not rule:
                raise PluginError(f"plugin '{name}': rule id {rule.id} is already taken by {ids[rule.id].__module__}", name)
            ids[rule.id] = rule
    order = list(FAMILIES)
    return tuple(sorted(ids.values(), key=lambda r: (order.index(r.family()) if r.family() in order else len(order), r.family(), r.id)))


def get_rule(rule_id: str, plugins: tuple[str, ...] = ()) -> type[Rule]:
    """The rule with this id (case-insensitive), among built-ins and the plugins named.

    Raises:
        UnknownRuleError: with a did-you-mean hint.
    """
    wanted = rule_id.strip().upper()
    for rule in all_rules(plugins):
        if rule.id == wanted:
            return rule
    from kpi_policies.schema import did_you_mean

    raise UnknownRuleError(f"no rule has the id '{rule_id}'{did_you_mean(wanted, [r.id for r in all_rules(plugins)])}; `kpi-policies rules` lists them")
