"""Policy packs (``kind: Policy``): approved tools, rule severities and parameters.

The built-in pack is ``rules/default.yaml`` (id ``recommended``). A pack given
with ``--policy FILE`` is applied on top of it: its tools are added to the
registry (a tool with the same id replaces the built-in entry) and its rule
settings override the built-in ones key by key.

A broken pack is a configuration error: :class:`PolicyError` names the file,
line, column and problem, and the command line exits with 2.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any, Optional

from pydantic import BaseModel, Field

from kpi_policies.resources import data_dir
from kpi_policies.result import Severity


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


class RuleSetting(BaseModel):
    """Settings of one rule: severity override, on/off, parameters (validated by the rule)."""

    severity: Optional[Severity] = None
    enabled: bool = True
    params: dict[str, Any] = Field(default_factory=dict)


@dataclass
class Policy:
    """The effective policy of a run.

    Attributes:
        id: Id of the last pack applied.
        sources: Files the policy was read from, built-in first.
        tools: Approved measurement tools by id.
        rules: Rule settings by rule id.
        origins: ``("rules", id)`` or ``("tools", id)`` -> (file, document, path) that set it.
        digest: sha256 of the effective settings, hex (changes whenever the policy does).
    """

    id: str
    sources: list[str]
    tools: dict[str, Tool] = field(default_factory=dict)
    rules: dict[str, RuleSetting] = field(default_factory=dict)
    origins: dict[tuple, tuple] = field(default_factory=dict, repr=False)

    @property
    def digest(self) -> str:
        """sha256 of the effective settings (sorted JSON), as hex."""
        blob = json.dumps(
            {"tools": {k: v.model_dump() for k, v in sorted(self.tools.items())},
             "rules": {k: v.model_dump(mode="json") for k, v in sorted(self.rules.items())}},
            sort_keys=True,
        )
        return hashlib.sha256(blob.encode()).hexdigest()

    def where(self, section: str, key: str, *subpath) -> str:
        """``file:line:col`` of a rule's or tool's setting (of ``subpath`` inside it when present)."""
        origin = self.origins.get((section, key))
        if origin is None:
            return self.sources[-1]
        path, doc, at = origin
        line, col = doc.locate(at + tuple(subpath), on_key=True)
        return f"{path}:{line}:{col}"

    def setting(self, rule_id: str) -> RuleSetting:
        """The settings of one rule (defaults when the policy says nothing)."""
        return self.rules.get(rule_id) or RuleSetting()


def _read_pack(path: str):
    from kpi_policies.load import load_file
    from kpi_policies.schema import validate

    doc = load_file(path)
    if doc.problems and not doc.usable:
        p = doc.problems[0]
        raise PolicyError(f"{path}:{p.line}:{p.column}: {p.message}")
    kind, errors = validate(doc.data)
    if kind is not None and kind != "Policy":
        line, col = doc.locate(("kind",))
        raise PolicyError(f"{path}:{line}:{col}: expected a file of kind Policy, found {kind}")
    if errors:
        e = errors[0]
        line, col = doc.locate(e.path, on_key=e.on_key)
        raise PolicyError(f"{path}:{line}:{col}: {e.message}")
    return doc


def _apply(policy: Policy, path: str, doc) -> None:
    pack = doc.data
    for i, tool in enumerate(pack.get("tools", [])):
        policy.tools[tool["id"]] = Tool.model_validate(tool)
        policy.origins[("tools", tool["id"])] = (path, doc, ("tools", i))
    for rule_id, settings in (pack.get("rules") or {}).items():
        policy.origins[("rules", rule_id)] = (path, doc, ("rules", rule_id))
        current = policy.rules.get(rule_id, RuleSetting())
        merged = current.model_dump()
        merged["params"] = {**current.params, **settings.get("params", {})}
        for key in ("severity", "enabled"):
            if key in settings:
                merged[key] = settings[key]
        policy.rules[rule_id] = RuleSetting.model_validate(merged)
    policy.id = (pack.get("metadata") or {}).get("id", policy.id)


def load_policy(path: str | None = None) -> Policy:
    """The built-in policy, with the pack at ``path`` applied on top when given.

    Raises:
        PolicyError: when the pack cannot be read or does not fit ``schemas/policy.schema.json``.
    """
    builtin = str(data_dir("rules") / "default.yaml")
    policy = Policy(id="recommended", sources=[builtin])
    _apply(policy, builtin, _read_pack(builtin))
    if path:
        policy.sources.append(path)
        _apply(policy, path, _read_pack(path))
    return policy
