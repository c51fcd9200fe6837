"""An example kpi-policies plugin: rules with their own prefix (``EX``).

Registered in pyproject.toml under the ``kpi_policies.rules`` entry-point
group as ``example``; a policy loads it with ``plugins: [example]``.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from kpi_policies.result import Severity
from kpi_policies.rules.base import Context, Rule, Violation


class OwnerParams(BaseModel):
    """Parameters of EX001."""

    model_config = ConfigDict(extra="forbid")

    forbidden_owners: list[str] = Field(default_factory=lambda: ["tbd", "n/a"], description="Owner names that count as none.")


class KpiOwner(Rule):
    """KPI names no accountable owner.

    ## Why it matters
    Our company holds one person accountable for each KPI (ISO 9001:2015
    6.2: who will be responsible). `owner` must name someone, not a
    placeholder.

    ## Parameters
    - `forbidden_owners` (list of names, default tbd, n/a): placeholders that count as no owner.

    ## Fails
    ```yaml
    kpis:
      - id: KPI-CONVERSION
        owner: tbd
    ```

    ## Passes
    ```yaml
    kpis:
      - id: KPI-CONVERSION
        owner: web-analytics-lead
    ```
    """

    id = "EX001"
    name = "example.kpi-owner"
    severity = Severity.WARNING
    Params = OwnerParams

    def check(self, ctx: Context, params: OwnerParams):
        for kpi in ctx.kpis():
            owner = (kpi.owner or "").strip()
            if not owner or owner.lower() in params.forbidden_owners:
                yield Violation(kpi.path + ("owner",) if kpi.owner else kpi.path,
                                f"KPI {kpi.id} names no accountable owner (`owner`)")


RULES = [KpiOwner]
