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
===== =====================================
"""

from __future__ import annotations

import functools
import importlib
import inspect
from importlib.metadata import entry_points

from kpi_policies.rules.base import RULE_ID, LoadRule, Rule

FAMILIES = {
    "Y": ("kpi_policies.rules.yaml_syntax", "YAML syntax and loading"),
    "S": ("kpi_policies.rules.schema_checks", "Schema"),
    "GL": ("kpi_policies.rules.goal_linkage", "Goal linkage"),
    "FE": ("kpi_policies.rules.feasibility", "Feasibility"),
    "MT": ("kpi_policies.rules.measurement", "Measurable tool assigned"),
    "RC": ("kpi_policies.rules.review_cadence", "Review cadence"),
    "KF": ("kpi_policies.rules.kpi_fit", "KPI fit"),
}

ENTRY_POINT_GROUP = "kpi_policies.rules"


class UnknownRuleError(KeyError):
    """No rule has the id asked for."""


def _rules_of(module) -> list[type[Rule]]:
    return [
        obj for _, obj in inspect.getmembers(module, inspect.isclass)
        if issubclass(obj, Rule) and obj.__module__ == module.__name__ and obj.id
    ]


@functools.lru_cache(maxsize=None)
def all_rules() -> tuple[type[Rule], ...]:
    """Every rule class, built-in and plugin, sorted by family order then id.

    Raises:
        ValueError: when two rules share an id or an id is malformed.
    """
    found: list[type[Rule]] = []
    for module_name, _ in FAMILIES.values():
        found.extend(_rules_of(importlib.import_module(module_name)))
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        if ep.name in FAMILIES:
            continue  # built-ins register too; already loaded above
        found.extend(_rules_of(ep.load()))
    ids: dict[str, type[Rule]] = {}
    for rule in found:
        if not RULE_ID.match(rule.id):
            raise ValueError(f"rule {rule.__name__} has a malformed id {rule.id!r}")
        if rule.id in ids and ids[rule.id] is not rule:
            raise ValueError(f"rule id {rule.id} is defined twice ({ids[rule.id].__module__}, {rule.__module__})")
        ids[rule.id] = rule
    order = list(FAMILIES)
    return tuple(sorted(ids.values(), key=lambda r: (order.index(r.family()) if r.family() in order else len(order), r.id)))


def get_rule(rule_id: str) -> type[Rule]:
    """The rule with this id (case-insensitive).

    Raises:
        UnknownRuleError: with a did-you-mean hint.
    """
    wanted = rule_id.strip().upper()
    for rule in all_rules():
        if rule.id == wanted:
            return rule
    from kpi_policies.schema import did_you_mean

    raise UnknownRuleError(f"no rule has the id '{rule_id}'{did_you_mean(wanted, [r.id for r in all_rules()])}; `kpi-policies rules` lists them")


def checking_rules() -> list[type[Rule]]:
    """The rules that judge models (everything but the Y and S families)."""
    return [r for r in all_rules() if not issubclass(r, LoadRule)]
