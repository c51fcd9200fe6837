"""Output formats: one module per format, each with a ``render(result) -> str``.

``FORMATS`` maps a ``--format`` name to its module, imported only when chosen.
"""

from __future__ import annotations

import importlib

FORMATS = {
    "text": "kpi_policies.report.text",
    "json": "kpi_policies.report.json_report",
    "github": "kpi_policies.report.github",
    "sarif": "kpi_policies.report.sarif",
    "junit": "kpi_policies.report.junit",
    "markdown": "kpi_policies.report.markdown",
}


def render(fmt: str, result, **options) -> str:
    """Render a :class:`~kpi_policies.result.RunResult` in format ``fmt``.

    Raises:
        KeyError: for an unknown format name.
    """
    return importlib.import_module(FORMATS[fmt]).render(result, **options)
