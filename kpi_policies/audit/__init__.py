"""The audit report: evidence, rule outcomes, findings, waivers and KPI progress for auditors and managers.

:func:`kpi_policies.audit.collect.build_report` collects a run into plain,
JSON-ready data (the public shape ``schemas/audit-report.schema.json``);
:func:`render` writes that data as ``json``, ``html`` or ``markdown``. The
pieces each have a module: ``progress`` (KPI progress), ``goal_tree``,
``outcomes`` (rule outcomes), ``register`` (waivers), ``evidence`` and
``evidence_git`` (sha256 and git history), ``snippets``, ``html``, ``svg``
and ``markdown``.
"""

from __future__ import annotations


def render(report: dict, fmt: str) -> str:
    """The report in ``fmt``: ``json`` (the data itself), ``html`` or ``markdown``.

    Raises:
        ValueError: for another format name.
    """
    if fmt == "json":
        import json

        return json.dumps(report, ensure_ascii=False, indent=2) + "\n"
    if fmt == "html":
        from kpi_policies.audit.html import render_html

        return render_html(report)
    if fmt == "markdown":
        from kpi_policies.audit.markdown import render_markdown

        return render_markdown(report)
    raise ValueError(f"unknown audit report format {fmt!r}; use html, json or markdown")
