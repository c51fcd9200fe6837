"""The rule families; see :mod:`kpi_policies.rules.registry` for where each id lives."""
