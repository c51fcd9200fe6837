"""Machine-readable report: one JSON object with ``findings``, ``summary`` and ``files``."""

from __future__ import annotations

import json

from kpi_policies import __version__
from kpi_policies.result import RunResult, Severity


def render(result: RunResult, **options) -> str:
    """JSON text of the run.

    Shape::

        {"tool": {"name": "kpi-policies", "version": str},
         "as_of": "YYYY-MM-DD",
         "summary": {"files": int, "error": int, "warning": int, "info": int, "suppressed": int},
         "files": [{"file": str, "kind": str|null, "plan_id": str|null, "findings": int (active)}],
         "rules_run": [rule_id, ...],
         "findings": [{"rule_id", "rule_name", "severity", "message", "file",
                       "line", "column" (1-based), "plan_id", "object_id", "pointer",
                       "enforcement": "enforce"|"audit",
                       "suppression": null | {"kind", "rules", "reason", "until", "file", "line"}}]}

    Severity counts are of active findings; suppressed ones are listed with
    their justification and counted under ``suppressed``.

    A shard of a split run (``check --shard I/N``, option ``shard``) adds a
    ``shard`` object for ``kpi-policies merge`` (see :mod:`kpi_policies.shard`).
    """
    doc = {
        "tool": {"name": "kpi-policies", "version": __version__},
        "as_of": result.as_of,
        "summary": {"files": len(result.files), **{s.value: result.count(s) for s in Severity}, "suppressed": result.suppressed},
        "files": [{"file": fr.path, "kind": fr.kind, "plan_id": fr.doc_id, "findings": len(fr.active)} for fr in result.files],
        "rules_run": result.rules_run,
        "findings": [f.to_dict() for f in result.findings],
    }
    if options.get("shard"):
        doc["shard"] = options["shard"]
    return json.dumps(doc, ensure_ascii=False, indent=2) + "\n"
