"""kpi-policies: policy-as-code validation of KPI plans kept as YAML.

The pipeline reads as the package layout: ``load`` (bytes to a position-aware
tree), ``schema`` (JSON Schema, family ``S``), ``models`` (pydantic objects),
``rules`` (the rule families GL, FE, MT, RC, KF) and ``report`` (output
formats). ``engine`` runs them in that order over many files.
"""

from kpi_policies.result import Finding, RunResult, Severity

__version__ = "0.1.0"

__all__ = ["Finding", "RunResult", "Severity", "__version__"]
