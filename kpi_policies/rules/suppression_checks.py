"""SU, suppressions and baselines: every waiver carries a reason, is current and is used.

Findings of this family are made by :mod:`kpi_policies.suppressions` and
:mod:`kpi_policies.baseline`; they cannot themselves be suppressed.
"""

from __future__ import annotations

from kpi_policies.result import Severity
from kpi_policies.rules.base import FileTextRule


class SuppressionWithoutReason(FileTextRule):
    """Suppression gives no reason.

    ## Why it matters
    Auditors read waivers a year later: each must say why the finding is
    accepted (ISO 9001:2015 9.1.1: keep evidence of results; Checkov and
    Kyverno likewise require a justification). A suppression without
    `reason="..."` suppresses nothing.

    ## Fails
    ```yaml
    kpis:
      - id: KPI-CONVERSION
        target: {value: 4.2, due: 2027-12-31}   # kpi-policies: ignore[FE005]
    ```

    ## Passes
    ```yaml
    kpis:
      - id: KPI-CONVERSION
        target: {value: 4.2, due: 2027-12-31}   # kpi-policies: ignore[FE005] reason="New checkout doubled conversion in the pilot"
    ```
    """

    id = "SU001"
    name = "suppression.missing-reason"
    severity = Severity.ERROR


class SuppressionExpired(FileTextRule):
    """Suppression has expired.

    ## Why it matters
    A waiver with `until=` is a promise to fix the finding by then. Once the
    day has passed (as of `--as-of`) it suppresses nothing and is reported, so
    exceptions do not quietly become permanent (Kyverno's expiring policy
    exceptions work the same way).

    ## Fails
    ```yaml
    kpis:
      - id: KPI-CONVERSION
        target: {value: 4.2, due: 2027-12-31}   # kpi-policies: ignore[FE005] reason="pilot" until=2027-01-31
    ```

    ## Passes
    ```yaml
    kpis:
      - id: KPI-CONVERSION
        target: {value: 4.2, due: 2027-12-31}   # kpi-policies: ignore[FE005] reason="pilot" until=2027-06-30
    ```
    """

    id = "SU002"
    name = "suppression.expired"
    severity = Severity.ERROR


class SuppressionUnused(FileTextRule):
    """Suppression suppresses nothing.

    ## Why it matters
    A waiver whose finding has been fixed (or never existed) hides nothing
    today but would hide a future, different problem on that line. Remove it.

    ## Fails
    ```yaml
    kpis:
      - id: KPI-CONVERSION
        target: {value: 2.4, due: 2027-12-31}   # kpi-policies: ignore[FE005] reason="no longer needed"
    ```

    ## Passes
    ```yaml
    kpis:
      - id: KPI-CONVERSION
        target: {value: 2.4, due: 2027-12-31}
    ```
    """

    id = "SU003"
    name = "suppression.unused"
    severity = Severity.WARNING


class SuppressionMalformed(FileTextRule):
    """Suppression cannot be read or names an unknown rule.

    ## Why it matters
    A comment that looks like a waiver but is not read as one (a typo in the
    rule id, a date that is not a date) would make the author believe a finding
    is waived. Write `# kpi-policies: ignore[RULE_ID,...] reason="..." until=YYYY-MM-DD`.

    ## Fails
    ```yaml
    kpis:
      - id: KPI-CONVERSION
        target: {value: 4.2, due: 2027-12-31}   # kpi-policies: ignore[FE05] reason="pilot"
    ```

    ## Passes
    ```yaml
    kpis:
      - id: KPI-CONVERSION
        target: {value: 4.2, due: 2027-12-31}   # kpi-policies: ignore[FE005] reason="pilot"
    ```
    """

    id = "SU004"
    name = "suppression.malformed"
    severity = Severity.ERROR


class StaleBaselineEntry(FileTextRule):
    """Baseline entry matches no finding any more.

    ## Why it matters
    A baseline records the findings a team accepted when it adopted a rule.
    An entry that no longer matches (the problem was fixed) should be dropped
    by writing the baseline again, so the baseline only shrinks.

    ## Fails
    ```text
    (a baseline entry for FE005 on KPI-CONVERSION after its target was fixed)
    ```

    ## Passes
    ```text
    (a baseline written again with --write-baseline after the fix)
    ```
    """

    id = "SU005"
    name = "baseline.stale-entry"
    severity = Severity.INFO
    raw_examples = True
