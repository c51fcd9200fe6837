"""The policy resolved against the rules a run knows: the rules, the catalog, each rule's settings per file.

:class:`ResolvedPolicy` finishes what :func:`kpi_policies.policy.load_policy`
starts: it loads the rule plugins the policy names, merges the policy's metrics
into the catalog, and checks everything that needs the rules to be known
(configured rules exist, parameters fit each rule, tools measure catalog
metrics, waivers name real rules). Parameters are merged in one place,
:meth:`kpi_policies.policy.Policy.view_layers`, and validated once per
combination of settings.
"""

from __future__ import annotations

import json

from pydantic import BaseModel, ValidationError

from kpi_policies import selectors
from kpi_policies.catalog import Catalog, Metric, builtin_catalog
from kpi_policies.policy import Policy, PolicyError, RuleView
from kpi_policies.result import Severity
from kpi_policies.rules.base import LoadRule, Rule
from kpi_policies.rules.registry import PluginError, all_rules
from kpi_policies.schema import did_you_mean


class ResolvedPolicy:
    """A policy checked against the rules of the run.

    Args:
        policy: The effective policy (selection, severities, parameters, tools, waivers).
        catalog: The metric catalog (default: the built-in one plus the policy's metrics).

    Attributes:
        policy: The policy.
        rules: Rule id -> rule class, built-in and plugin, in registry order.
        families: Family prefix -> rule ids.
        checking: The rules that judge models (not the loading rules).
        catalog: The metric catalog of the run.

    Raises:
        PolicyError: when the policy names an unknown rule or plugin, gives a
            rule parameters that do not fit it, or extends the catalog badly.
    """

    def __init__(self, policy: Policy, catalog: Catalog | None = None):
        self.policy = policy
        try:
            rules = all_rules(tuple(policy.plugins))
        except PluginError as exc:
            name = exc.args[1] if len(exc.args) > 1 else None
            raise PolicyError(f"{policy.where('plugins', name)}: {exc.args[0]}") from None
        self.rules: dict[str, type[Rule]] = {r.id: r for r in rules}
        self.families: dict[str, list[str]] = {}
        for rule in rules:
            self.families.setdefault(rule.family(), []).append(rule.id)
        self.checking = [r for r in rules if not issubclass(r, LoadRule)]
        self.catalog = catalog or self._catalog()
        self._views: dict[tuple, RuleView] = {}
        self._params: dict[tuple, BaseModel] = {}
        self._check()

    def _catalog(self) -> Catalog:
        base = builtin_catalog()
        if not self.policy.metrics:
            return base
        extra = {}
        for metric_id, data in self.policy.metrics.items():
            try:
                extra[metric_id] = Metric.model_validate(data)
            except ValidationError as exc:
                raise PolicyError(f"{self.policy.where('metrics', metric_id)}: metric {metric_id}: {exc.errors()[0]['msg']}") from None
        return Catalog(metrics={**base.metrics, **extra})

    def _check(self) -> None:
        policy = self.policy
        for layer in [policy.base, *policy.overrides]:
            for rule_id in layer.rules:
                if rule_id not in self.rules:
                    raise PolicyError(f"{policy.where('rules', rule_id)}: the policy configures rule '{rule_id}', which does not exist"
                                      f"{did_you_mean(rule_id.upper(), self.rules)}; `kpi-policies rules` lists them")
        for rule in self.rules.values():
            for layers in [[policy.base]] + [[policy.base, o] for o in policy.overrides]:
                self.params(rule, policy.view_layers(rule, layers).params)
        for tool_id, tool in policy.tools.items():
            for i, metric in enumerate(tool.measures):
                if metric not in self.catalog.metrics:
                    raise PolicyError(f"{policy.where('tools', tool_id, 'measures', i)}: tool {tool_id} measures '{metric}', "
                                      f"which is not a metric of the catalog{did_you_mean(metric, self.catalog.metrics)}")
        for s in policy.suppressions:
            unknown = selectors.unknown(s.rules, self.rules)
            if unknown:
                raise PolicyError(f"{s.file}:{s.line}:{s.column}: suppression names unknown rule {', '.join(unknown)}"
                                  f"{did_you_mean(unknown[0], self.rules)}")

    def params(self, rule: type[Rule], params: dict) -> BaseModel:
        """``params`` validated by the rule's ``Params`` model (once per distinct value).

        Raises:
            PolicyError: naming the parameter, where the policy sets it and what the rule accepts.
        """
        key = (rule.id, json.dumps(params, sort_keys=True, default=str))
        if key not in self._params:
            try:
                self._params[key] = rule.Params.model_validate(params)
            except ValidationError as exc:
                raise PolicyError(_param_error(self.policy, rule, exc)) from None
        return self._params[key]

    def view(self, rule_id: str, file: str | None = None) -> RuleView:
        """The effective settings of a rule for a file (cached per file when the policy has overrides)."""
        key = (rule_id, file if self.policy.overrides else None)
        if key not in self._views:
            rule = self.rules.get(rule_id)
            self._views[key] = self.policy.view(rule, file) if rule else RuleView(True, Severity.ERROR, "enforce", {})
        return self._views[key]

    def settings(self, rule: type[Rule], file: str | None = None) -> BaseModel:
        """The validated parameters of ``rule`` for ``file``."""
        return self.params(rule, self.view(rule.id, file).params)

    def enabled_rules(self) -> list[str]:
        """Ids of the rules the policy turns on (before per-file overrides)."""
        return [r for r in self.rules if self.view(r).enabled]


def _param_error(policy: Policy, rule, exc: ValidationError) -> str:
    """One line for the first bad parameter: where it is, what is wrong, what the rule accepts."""
    first = exc.errors()[0]
    name = ".".join(str(p) for p in first["loc"]) or "params"
    known = ", ".join(rule.Params.model_fields) or "none"
    where = policy.where("rules", rule.id, "params", *first["loc"])
    if first["type"] == "extra_forbidden":
        return f"{where}: rule {rule.id} has no parameter '{name}' (its parameters: {known})"
    return f"{where}: rule {rule.id} parameter '{name}': {first['msg'][0].lower() + first['msg'][1:]}, not {first.get('input')!r}"
