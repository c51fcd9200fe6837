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
import unicodedata

import jinja2
from markupsafe import Markup, escape

from kpi_policies import i18n
from kpi_policies.audit import svg as audit_svg
from kpi_policies.audit.progress import status_counts
from kpi_policies.audit.register import EXPIRY_WARNING_DAYS
from kpi_policies.i18n import N_

# Words of the page (English; the template shows them through ``_``).
OUTCOME_WORDS = {"pass": N_("pass"), "fail": N_("fail"), "suppressed": N_("suppressed"), "not_applicable": N_("n/a")}
STATUS_WORDS = {"reached": N_("target reached"), "on_track": N_("on track"), "at_risk": N_("at risk"), "off_track": N_("off track"),
                "missed": N_("missed"), "not_started": N_("not started"), "no_data": N_("no data yet")}
DIRECTION_WORDS = {"increase": N_("increase"), "decrease": N_("decrease"), "maintain": N_("maintain")}
UNIT_SUFFIX = {"percent": "%", "count": "", "ratio": "\u00d7", "score": N_(" points"), "days": N_(" days")}
_TICKS = re.compile(r"`([^`]+)`")


def ticks(text: str | None) -> Markup:
    """Escape ``text``, then show its ```code``` spans as ``<code>`` (rule messages and rationales use them)."""
    escaped = str(escape(text or ""))
    return Markup(_TICKS.sub(lambda m: f"<code>{m.group(1)}</code>", escaped))


def num(value, unit: str | None = None) -> str:
    """A value with thousands separators and its unit: ``62,400,000,000 VND``, ``5.6%``, ``4.2×``.

    In Vietnamese: ``62,4 tỷ ₫``, ``1.234.567 ₫``, ``5,6%`` (Vietnamese separators, VND amounts in tỷ).
    """
    if value is None:
        return i18n._("none")
    if i18n.language() != i18n.DEFAULT:
        if unit == "VND":
            return i18n.format_amount(value, unit)
        text = i18n.format_number(float(f"{value:.6g}") if isinstance(value, float) else value)
        if not unit:
            return text
        suffix = UNIT_SUFFIX.get(unit)
        return text + (i18n._(suffix) if suffix is not None else f" {unit}")
    text = f"{value:,}" if isinstance(value, int) else f"{value:,.6g}"
    if not unit:
        return text
    suffix = UNIT_SUFFIX.get(unit)
    return text + (suffix if suffix is not None else f" {unit}")


def pct(share: float | None) -> str:
    """A share as a percentage: ``0.6812`` -> ``68%``."""
    return i18n._("n/a") if share is None else f"{share * 100:.0f}%"


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


def _translate(message: str, **values) -> Markup:
    """``_`` of the template: the page's own text (trusted) in the active language, values escaped."""
    text = Markup(i18n._(message))
    return text.format(**values) if values else text


def _ntranslate(singular: str, plural: str, n: int, **values) -> Markup:
    """``ngettext`` of the template: ``{n}`` and the other values escaped."""
    return Markup(i18n.ngettext(singular, plural, n)).format(n=n, **values)


def render_html(report: dict) -> str:
    """The HTML page of a report built by :func:`kpi_policies.audit.collect.build_report`.

    Returns:
        The whole document (``<!DOCTYPE html>`` ... ``</html>``), ending in a newline.
    """
    text = environment().get_template("audit.html.j2").render(
        report=report, lang=i18n.language(), _=_translate, tr=i18n._, ngettext=_ntranslate, date=i18n.format_date,
        direction_words=DIRECTION_WORDS, nfc=functools.partial(unicodedata.normalize, "NFC"))
    return text if text.endswith("\n") else text + "\n"
