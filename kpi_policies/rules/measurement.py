"""MT, measurable tool assigned: every KPI has an approved tool able to measure it, a source and an owner.

docs/domain.md mistake 3: no tool or data source that can actually measure the KPI.
ISO 9001:2015 9.1.1 (what is measured, by which method) and ISO/IEC
27001:2022 9.1 (who measures; methods give comparable, reproducible results).
"""

from __future__ import annotations

import functools
import re

from kpi_policies.i18n import _
from kpi_policies.result import Severity
from kpi_policies.rules.base import Context, Rule, Violation, is_blank, kpi_label
from kpi_policies.schema import did_you_mean


class MissingTool(Rule):
    """KPI has no measurement tool.

    ## Why it matters
    Every KPI needs a tracking system: the measurement tool (GA4, a CRM, ad
    platforms, social analytics) it is read from (docs/domain.md, step 5). A KPI
    nobody can read is not measurable (mistake 3; ISO 9001:2015 9.1.1).

    ## Fails
    ```yaml
    kpis:
      - id: KPI-CONVERSION
        measurement: {tool: ~}
    ```

    ## Passes
    ```yaml
    kpis:
      - id: KPI-CONVERSION
        measurement: {tool: google-analytics-4}
    ```
    """

    id = "MT001"
    name = "measurement.missing-tool"
    severity = Severity.ERROR

    def check(self, ctx: Context, params):
        for kpi in ctx.kpis():
            hint = _tools_in_prose(kpi.description, ctx.policy.tools)
            if kpi.measurement is None:
                yield Violation(kpi.path, _("KPI {kpi} has no measurement tool; add `measurement: {{tool: ..., source: ..., owner: ...}}`").format(kpi=kpi_label(kpi)) + hint,
                                missing=kpi.path + ("measurement",))
            elif is_blank(kpi.measurement.tool):
                yield Violation(kpi.path + ("measurement",), _("KPI {kpi} names no measurement tool (`measurement.tool`, one of: {tools})").format(kpi=kpi.id, tools=", ".join(ctx.policy.tools)) + hint,
                                missing=kpi.path + ("measurement", "tool"))


#: Words in prose that name an approved tool of the built-in registry.
_PROSE_NAMES = {
    "google analytics": "google-analytics-4", "ga4": "google-analytics-4", "google ads": "google-ads",
    "adwords": "google-ads", "facebook ads": "meta-ads", "meta ads": "meta-ads", "youtube": "youtube-studio",
    "hubspot": "hubspot", "salesforce": "crm", "crm": "crm", "survey": "survey-tool", "erp": "finance-erp",
}


def _tools_in_prose(text: str | None, approved) -> str:
    """`` (its description names Google Analytics: google-analytics-4?)`` when prose names a tool."""
    if not text:
        return ""
    lowered = text.lower()
    named = [(word, tool) for word, tool in _PROSE_NAMES.items() if tool in approved and re.search(rf"\b{re.escape(word)}\b", lowered)]
    if not named:
        return ""
    word, tool = named[0]
    return _("; its description names {word} only in prose: did you mean `tool: {tool}`?").format(word=repr(word), tool=tool)


@functools.lru_cache(maxsize=None)
def _builtin_tools() -> dict[str, str]:
    """Tool id -> the built-in pack that approves it, for the packs beyond ``recommended``."""
    from kpi_policies.policy import BUILTIN_PACKS, load_policy

    out: dict[str, str] = {}
    for name in BUILTIN_PACKS:
        if name not in ("recommended", "strict"):
            for tool in load_policy(name).tools:
                out.setdefault(tool, name)
    return out


def _builtin_pack_with(tool: str) -> str | None:
    return _builtin_tools().get(tool)


class UnapprovedTool(Rule):
    """Measurement tool is not in the policy's registry of approved tools.

    ## Why it matters
    A plan must state which tool's definition it uses: a GA4 key event and a
    Google Ads conversion are counted differently (docs/domain.md, "Standard KPI
    facts"). Only tools in the policy's registry have an agreed definition and
    access; a private spreadsheet does not give comparable, reproducible
    results (ISO/IEC 27001:2022 9.1). To approve a tool, add it under `tools:`
    in your policy pack (`--policy`), with the metrics it measures.

    ## Fails
    ```yaml
    kpis:
      - id: KPI-CONVERSION
        measurement: {tool: my-spreadsheet}
    ```

    ## Passes
    ```yaml
    kpis:
      - id: KPI-CONVERSION
        measurement: {tool: google-analytics-4}
    ```
    """

    id = "MT002"
    name = "measurement.unapproved-tool"
    severity = Severity.ERROR

    def check(self, ctx: Context, params):
        approved = list(ctx.policy.tools)
        for kpi in ctx.kpis():
            tool = kpi.measurement.tool if kpi.measurement else None
            if not is_blank(tool) and tool not in approved:
                pack = _builtin_pack_with(tool)
                hint = _("; the built-in pack `{pack}` approves it (`--policy {pack}`, or `extends: {pack}` in your pack)").format(pack=pack) if pack else ""
                yield Violation(kpi.path + ("measurement", "tool"),
                                _("KPI {kpi} is measured with '{tool}', which is not an approved tool").format(kpi=kpi.id, tool=tool)
                                + did_you_mean(tool, approved) + _("; approved: {tools}").format(tools=", ".join(approved)) + hint)


class ToolCannotMeasure(Rule):
    """Measurement tool is not known to measure the KPI's metric.

    ## Why it matters
    The tool must be able to measure the metric: video views come from YouTube
    Studio or social analytics, not from the finance system (docs/domain.md,
    "Standard KPI facts"). The catalog lists the tools of each metric, and a
    policy may add metrics to a tool (`tools[].measures`). A warning, as a
    company may feed a tool from elsewhere.

    ## Fails
    ```yaml
    kpis:
      - id: KPI-CONVERSION
        measurement: {tool: finance-erp}
    ```

    ## Passes
    ```yaml
    kpis:
      - id: KPI-CONVERSION
        measurement: {tool: google-analytics-4}
    ```
    """

    id = "MT003"
    name = "measurement.tool-cannot-measure"
    severity = Severity.WARNING

    def check(self, ctx: Context, params):
        for kpi in ctx.kpis():
            tool = kpi.measurement.tool if kpi.measurement else None
            metric = ctx.catalog.get(kpi.metric)
            if metric is None or tool not in ctx.policy.tools:
                continue
            if tool not in metric.tools and metric.id not in ctx.policy.tools[tool].measures:
                yield Violation(kpi.path + ("measurement", "tool"),
                                _("{tool} is not known to measure {metric} (KPI {kpi}); tools that do: {tools}").format(
                                    tool=tool, metric=metric.name, kpi=kpi.id, tools=", ".join(metric.tools)))


class MissingSource(Rule):
    """KPI names no data source (report or query) within its tool.

    ## Why it matters
    The tracking system names the measurement tool and the report the figure
    comes from (docs/domain.md, step 5), so two people reading the KPI get the same
    number (ISO 9001:2015 9.1.1: by which method).

    ## Fails
    ```yaml
    kpis:
      - id: KPI-CONVERSION
        measurement: {source: ~}
    ```

    ## Passes
    ```yaml
    kpis:
      - id: KPI-CONVERSION
        measurement: {source: GA4 session key event rate, all web traffic}
    ```
    """

    id = "MT004"
    name = "measurement.missing-source"
    severity = Severity.ERROR

    def check(self, ctx: Context, params):
        for kpi in ctx.kpis():
            if kpi.measurement is not None and is_blank(kpi.measurement.source):
                yield Violation(kpi.path + ("measurement",), _("KPI {kpi} names no data source (`measurement.source`: the report or query the figure comes from)").format(kpi=kpi.id),
                                missing=kpi.path + ("measurement", "source"))


class MissingMeasurementOwner(Rule):
    """KPI names nobody who measures it.

    ## Why it matters
    ISO/IEC 27001:2022 9.1 asks who measures; without an owner the figure is
    nobody's job and reviews find no data (docs/domain.md, mistake 3).

    ## Fails
    ```yaml
    kpis:
      - id: KPI-CONVERSION
        measurement: {owner: ~}
    ```

    ## Passes
    ```yaml
    kpis:
      - id: KPI-CONVERSION
        measurement: {owner: web-analytics}
    ```
    """

    id = "MT005"
    name = "measurement.missing-owner"
    severity = Severity.ERROR

    def check(self, ctx: Context, params):
        for kpi in ctx.kpis():
            if kpi.measurement is not None and is_blank(kpi.measurement.owner):
                yield Violation(kpi.path + ("measurement",), _("KPI {kpi} names nobody who measures it (`measurement.owner`)").format(kpi=kpi.id),
                                missing=kpi.path + ("measurement", "owner"))
