"""The audit report as one self-contained HTML page (jinja2, autoescaping on).

The page holds its CSS and its SVG pictures inline; it has no script and
fetches nothing (no font, no image, no stylesheet), so it reads the same
offline, in a mail attachment or printed to PDF. Plan text is untrusted: the
template environment escapes every value (``autoescape=True``), and the
pictures escape their text themselves (:mod:`kpi_policies.audit.svg`).
The template is ``kpi_policies/templates/audit.html.j2`` (with ``audit.css``).
"""

from __future__ import annotations

import functools
import re

import jinja2
from markupsafe import Markup, escape

from kpi_policies.audit import svg as audit_svg
from kpi_policies.audit.progress import status_counts
from kpi_policies.audit.register import EXPIRY_WARNING_DAYS

OUTCOME_WORDS = {"pass": "pass", "fail": "fail", "suppressed": "suppressed", "not_applicable": "n/a"}
STATUS_WORDS = {"reached": "target reached", "on_track": "on track", "at_risk": "at risk", "off_track": "off track",
                "missed": "missed", "not_started": "not started", "no_data": "not measurable"}
UNIT_SUFFIX = {"percent": "%", "count": "", "ratio": "\u00d7", "score": " points", "days": " days"}
_TICKS = re.compile(r"`([^`]+)`")


def ticks(text: str | None) -> Markup:
    """Escape ``text``, then show its ```code``` spans as ``<code>`` (rule messages and rationales use them)."""
    escaped = str(escape(text or ""))
    return Markup(_TICKS.sub(lambda m: f"<code>{m.group(1)}</code>", escaped))


def num(value, unit: str | None = None) -> str:
    """A value with thousands separators and its unit: ``62,400,000,000 VND``, ``5.6%``, ``4.2×``."""
    if value is None:
        return "none"
    text = f"{value:,}" if isinstance(value, int) else f"{value:,.6g}"
    if not unit:
        return text
    suffix = UNIT_SUFFIX.get(unit)
    return text + (suffix if suffix is not None else f" {unit}")


def pct(share: float | None) -> str:
    """A share as a percentage: ``0.6812`` -> ``68%``."""
    return "n/a" if share is None else f"{share * 100:.0f}%"


def bar_width(share: float) -> str:
    """Width of a progress bar, in percent of its track (0 to 100)."""
    return f"{max(0.0, min(1.0, share)) * 100:.1f}"


def kpi_findings(doc: dict, kpi_id: str) -> int:
    """Active findings of a document that are about the KPI ``kpi_id``."""
    return sum(1 for f in doc["findings"]
               if f["status"] == "active" and f["object_id"] == kpi_id and f["pointer"].startswith("/kpis/"))


def split_kpis(kpis: list[dict]) -> tuple[list[dict], list[dict]]:
    """``(KPIs with a baseline, target or review value to chart, the others)``, each in plan order."""
    charted = [k for k in kpis if k["baseline"] or k["target"] or k["reviews"]]
    return charted, [k for k in kpis if k not in charted]


def kpi_statuses(report: dict) -> dict:
    """How many KPIs of all plans have each status (the statuses of the KPI cards and of the JSON report)."""
    return status_counts(k for doc in report["documents"] for k in doc["kpis"])


@functools.lru_cache(maxsize=1)
def environment() -> jinja2.Environment:
    """The template environment: the package's templates, autoescaping on, undefined values an error."""
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("kpi_policies", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["ticks"] = ticks
    env.globals.update(
        goal_tree_svg=audit_svg.goal_tree_svg, progress_svg=audit_svg.progress_svg,
        compliance_svg=audit_svg.compliance_svg, outcome_style=audit_svg.OUTCOME_STYLE,
        outcome_words=OUTCOME_WORDS, status_words=STATUS_WORDS, num=num, pct=pct, bar_width=bar_width,
        kpi_findings=kpi_findings, kpi_statuses=kpi_statuses, split_kpis=split_kpis, expiry_days=EXPIRY_WARNING_DAYS,
    )
    return env


def render_html(report: dict) -> str:
    """The HTML page of a report built by :func:`kpi_policies.audit.collect.build_report`.

    Returns:
        The whole document (``<!DOCTYPE html>`` ... ``</html>``), ending in a newline.
    """
    text = environment().get_template("audit.html.j2").render(report=report)
    return text if text.endswith("\n") else text + "\n"
