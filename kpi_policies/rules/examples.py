"""The reference plan that rule examples are written against.

A rule's ``## Fails`` and ``## Passes`` examples show only what differs from
:data:`REFERENCE_PLAN`, judged as of :data:`EXAMPLE_AS_OF`, together with
:data:`REFERENCE_STRATEGY`. :func:`apply_example` merges an example into the
plan: mappings merge key by key, list items with an ``id`` merge into the item
with the same id (or are appended), and a key set to ``~`` is removed.
``kpi-policies explain --reference`` prints the plan.
"""

from __future__ import annotations

import copy
import datetime as dt
from typing import Any

EXAMPLE_AS_OF = dt.date(2027, 4, 10)

REFERENCE_PLAN = """\
apiVersion: kpi-policies/v1
kind: KpiPlan
metadata:
  id: shop-marketing-2027
  title: Online shop marketing 2027
  owner: head-of-marketing
  department: marketing
  period: {start: 2027-01-01, end: 2027-12-31}
goals:
  - {id: G-SALES, title: Grow online sales, type: sales_growth}
objectives:
  - {id: OBJ-REVENUE, title: Online revenue +10% on 2026, goal: G-SALES}
kpis:
  - id: KPI-REVENUE
    name: Online revenue
    owner: head-of-marketing
    objective: OBJ-REVENUE
    metric: revenue
    unit: VND
    direction: increase
    baseline: {value: 48000000000, period: 2026}
    target: {value: 52800000000, due: 2027-12-31}
    drivers: [KPI-CONVERSION]
    measurement: {tool: crm, source: CRM monthly revenue report, owner: sales-ops}
    review:
      cadence: monthly
      reviewer: ceo
      log:
        - {date: 2027-03-31, actual: 4420000000}
  - id: KPI-CONVERSION
    name: Web conversion rate
    owner: web-team-lead
    objective: OBJ-REVENUE
    metric: conversion_rate
    unit: percent
    direction: increase
    baseline: {value: 2.1, period: 2026}
    target: {value: 2.4, due: 2027-12-31}
    measurement: {tool: google-analytics-4, source: GA4 session key event rate, owner: web-analytics}
    review:
      cadence: monthly
      reviewer: head-of-marketing
      log:
        - {date: 2027-03-31, actual: 2.2}
initiatives:
  - {id: INIT-CHECKOUT, title: Shorter checkout, kpis: [KPI-CONVERSION], owner: web-team, start: 2027-02-01, end: 2027-06-30}
approval: {approved_by: ceo, approved_on: 2026-12-20, reference: Board minutes 2026-12-20}
revisions:
  - {date: 2027-01-25, covers: [INIT-CHECKOUT], reason: Checkout work starts in February, approved_by: ceo}
"""

REFERENCE_STRATEGY = """\
apiVersion: kpi-policies/v1
kind: Strategy
metadata:
  id: company-2027
  title: Company strategy 2027
  owner: ceo
  period: {start: 2027-01-01, end: 2027-12-31}
goals:
  - {id: G-RETENTION, title: Keep existing customers, type: customer_retention}
"""


def reference_text() -> str:
    """The reference plan as ``explain --reference`` prints it: one document that passes a first check.

    The review logs (reviews held by :data:`EXAMPLE_AS_OF`) are shown as
    comments, so the plan checked before those dates has no review "in the
    future"; the strategy follows as comments, so the output is one YAML
    document. Uncommenting the logs gives exactly the plan the examples are
    judged against.
    """
    out, in_log = [], False
    for line in REFERENCE_PLAN.splitlines():
        if line.strip() == "log:":
            in_log = True
            out.append(line.replace("log:", "# log:") + f"     # reviews held, as the examples are judged on {EXAMPLE_AS_OF.isoformat()}")
            continue
        if in_log and line.lstrip().startswith("- {date:"):
            indent = len(line) - len(line.lstrip())
            out.append(" " * indent + "# " + line.lstrip())
            continue
        in_log = False
        out.append(line)
    header = ("# The plan that rule examples are written against (kpi-policies explain --reference).\n"
              f"# Examples are judged as of {EXAMPLE_AS_OF.isoformat()} with the review logs below uncommented:\n"
              f"#   kpi-policies check --as-of {EXAMPLE_AS_OF.isoformat()} reference.yaml\n")
    strategy = "".join(f"# {line}\n" if line else "#\n" for line in REFERENCE_STRATEGY.splitlines())
    return (header + "\n".join(out) + "\n\n# The strategy examples may refer to (metadata.strategy: company-2027),"
            " a file of its own:\n" + strategy)


def merge(base: Any, change: Any) -> Any:
    """Merge ``change`` into a copy of ``base`` (rules in the module docstring)."""
    if isinstance(base, dict) and isinstance(change, dict):
        out = copy.deepcopy(base)
        for key, value in change.items():
            if value is None:
                out.pop(key, None)
            elif key in out:
                out[key] = merge(out[key], value)
            else:
                out[key] = copy.deepcopy(value)
        return out
    if isinstance(base, list) and isinstance(change, list) and all(isinstance(i, dict) and "id" in i for i in change):
        out = copy.deepcopy(base)
        for item in change:
            for i, existing in enumerate(out):
                if isinstance(existing, dict) and existing.get("id") == item["id"]:
                    out[i] = merge(existing, item)
                    break
            else:
                out.append(copy.deepcopy(item))
        return out
    return copy.deepcopy(change)


def apply_example(example_yaml: str) -> str:
    """The reference plan with one example merged in, as YAML text.

    Raises:
        ValueError: if the example or the reference plan is not readable YAML.
    """
    import io

    from ruamel.yaml import YAML

    from kpi_policies.load import load_text

    base = load_text(REFERENCE_PLAN)
    change = load_text(example_yaml)
    if not base.usable or not change.usable:
        raise ValueError(f"unreadable example: {change.problems or base.problems}")
    merged = merge(base.data, change.data)
    out = io.StringIO()
    yaml = YAML(typ="safe", pure=True)
    yaml.default_flow_style = False
    yaml.dump(merged, out)
    return out.getvalue()
