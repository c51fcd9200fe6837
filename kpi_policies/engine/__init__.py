"""The engine: a run over many files (load, schema, models, rules, waivers), with its cache and worker pool."""

from kpi_policies.engine.run import Engine

__all__ = ["Engine"]
