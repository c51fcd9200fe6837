"""S, schema: the document has the shape of its kind (``schemas/*.schema.json``).

These findings are made by :mod:`kpi_policies.schema` (JSON Schema Draft
2020-12, formats checked); the classes here carry their ids and
documentation. A value the schema rejects is left out and the rules judge
the rest of the plan.
"""

from __future__ import annotations

from kpi_policies.result import Severity
from kpi_policies.rules.base import LoadRule


class WrongValue(LoadRule):
    """Value has the wrong type or form for its key.

    ## Why it matters
    Targets and baselines must be numbers, dates real dates (2027-02-30 is
    not), ids plain identifiers and directions one of increase, decrease or
    maintain; otherwise no rule can compare them. Quoted and unquoted dates
    mean the same.

    ## Fails
    ```yaml
    kpis:
      - id: KPI-CONVERSION
        target: {value: "2,4%", due: 2027-02-30}
    ```

    ## Passes
    ```yaml
    kpis:
      - id: KPI-CONVERSION
        target: {value: 2.4, due: "2027-12-31"}
    ```
    """

    id = "S001"
    name = "schema.wrong-value"
    severity = Severity.ERROR


class NotAPlan(LoadRule):
    """File is not a kpi-policies document (apiVersion or kind missing or unknown).

    ## Why it matters
    Every file starts with `apiVersion: kpi-policies/v1` and a `kind`
    (KpiPlan, Strategy, Policy or MetricCatalog), so tools and editors know
    which schema applies. A YAML file in the plans folder without them is
    reported rather than silently skipped.

    ## Fails
    ```yaml
    apiVersion: kpi-policies/v2
    ```

    ## Passes
    ```yaml
    apiVersion: kpi-policies/v1
    kind: KpiPlan
    ```
    """

    id = "S002"
    name = "schema.not-a-plan"
    severity = Severity.ERROR


class UnknownKey(LoadRule):
    """Key is not part of the file format.

    ## Why it matters
    A misspelt key (`tagret:`) is silently ignored by most YAML tools, and the
    KPI then looks as if it had no target. Keys starting with `x-` are free
    for your own extensions.

    ## Fails
    ```yaml
    kpis:
      - id: KPI-CONVERSION
        tagret: {value: 2.4}
    ```

    ## Passes
    ```yaml
    kpis:
      - id: KPI-CONVERSION
        x-dashboard: https://analytics.example/conversion
    ```
    """

    id = "S003"
    name = "schema.unknown-key"
    severity = Severity.ERROR


class MissingKey(LoadRule):
    """Required key is missing.

    ## Why it matters
    Plans need an id, title, owner, department and period; goals an id, title
    and type; initiatives an owner and dates. (Baselines, targets, tools and
    cadences are judged by the FE, MT and RC rules, which name the mistake.)

    ## Fails
    ```yaml
    metadata:
      owner: ~
    ```

    ## Passes
    ```yaml
    metadata:
      owner: head-of-marketing
    ```
    """

    id = "S004"
    name = "schema.missing-key"
    severity = Severity.ERROR
