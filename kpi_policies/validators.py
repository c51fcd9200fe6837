"""The compiled validators of the bundled JSON Schemas (Draft 2020-12): one per kind, built once per process.

jsonschema-rs answers "is this document valid?"; the Python ``jsonschema``
validator, imported only when a document is rejected, says what is wrong
(:mod:`kpi_policies.schema` turns its errors into findings). No schema is ever
fetched: a ``$ref`` to anything but the bundled schemas raises
:class:`SchemaRefusedError`.
"""

from __future__ import annotations

import functools
import os
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # imported when first needed: most documents never need the Python validator
    import jsonschema
    from referencing import Registry

from kpi_policies.resources import load_schema

#: kind -> bundled schema file
SCHEMA_FILES = {
    "KpiPlan": "kpi-plan.schema.json",
    "Strategy": "strategy.schema.json",
    "Policy": "policy.schema.json",
    "MetricCatalog": "metric-catalog.schema.json",
    "Config": "config.schema.json",
}


class SchemaRefusedError(Exception):
    """A schema referred to a resource outside the bundled schemas (nothing is fetched)."""


def _refuse(uri: str):
    raise SchemaRefusedError(
        f"schema reference '{uri}' is not one of the bundled schemas; kpi-policies never fetches schemas"
    )


@functools.lru_cache(maxsize=None)
def _registry() -> "Registry":
    from referencing import Registry, Resource

    resources = []
    for filename in SCHEMA_FILES.values():
        schema = load_schema(filename)
        resources.append((schema["$id"], Resource.from_contents(schema)))
    return Registry(retrieve=_refuse).with_resources(resources)


def build_validator(schema: dict) -> "jsonschema.protocols.Validator":
    """A Draft 2020-12 validator with format checks on and remote references refused.

    Raises:
        SchemaRefusedError: during validation, if the schema refers to a URL or
            file that is not a bundled schema.
    """
    import jsonschema

    cls = jsonschema.Draft202012Validator
    return cls(schema, registry=_registry(), format_checker=cls.FORMAT_CHECKER)


@functools.lru_cache(maxsize=None)
def validator_for(kind: str):
    """The compiled validator of a bundled kind (built once per process)."""
    return build_validator(load_schema(SCHEMA_FILES[kind]))


@functools.lru_cache(maxsize=None)
def fast_validator_for(kind: str):
    """A compiled Rust validator (jsonschema-rs) for the yes/no question, or ``None`` where it is not installed.

    It answers "valid?" several hundred times faster than the Python
    validator; only documents it rejects go to the Python validator, which
    stays the reference for every error message. Set
    ``KPI_POLICIES_NO_FAST_SCHEMA=1`` to always use the Python validator.
    """
    if os.environ.get("KPI_POLICIES_NO_FAST_SCHEMA"):
        return None
    try:
        import jsonschema_rs
    except ImportError:
        return None
    return jsonschema_rs.validator_for(load_schema(SCHEMA_FILES[kind]), validate_formats=True)
