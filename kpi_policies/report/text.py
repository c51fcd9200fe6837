"""Human-readable report: ``path:line:col: RULE_ID severity: message``, grouped by file."""

from __future__ import annotations

import re

from kpi_policies.i18n import _, format_date, language, ngettext
from kpi_policies.result import RunResult, Severity

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def printable(text: str) -> str:
    """One printable line: line breaks, escape sequences and other control characters shown escaped."""
    return _CONTROL.sub(lambda m: repr(m.group())[1:-1], text)


def render(result: RunResult, **_options) -> str:
    """Active findings file by file (a blank line between files), then a one-line summary.

    Files without active findings are not listed; the summary counts them and
    the suppressed findings. Findings of rules in audit mode end with ``[audit]``.
    """
    blocks = []
    for fr in result.files:
        if fr.active:
            blocks.append("\n".join(
                f"{printable(f.file)}:{f.line}:{f.column}: {f.rule_id} {f.severity.value}: {printable(f.message)}"
                + (" [audit]" if f.enforcement == "audit" else "") for f in fr.active
            ))
    counts = {s: result.count(s) for s in Severity}
    files = len(result.files)
    clean = sum(1 for fr in result.files if not fr.active)
    if language() == "en":
        parts = [f"{counts[s]} {s.value}{'' if counts[s] == 1 else 's'}" for s in Severity]
    else:
        parts = [ngettext("{n} error", "{n} errors", counts[Severity.ERROR]).format(n=counts[Severity.ERROR]),
                 ngettext("{n} warning", "{n} warnings", counts[Severity.WARNING]).format(n=counts[Severity.WARNING]),
                 _("{n} info").format(n=counts[Severity.INFO])]
    as_of = format_date(result.as_of)
    summary = (ngettext("{n} file checked as of {as_of}: {counts}; ", "{n} files checked as of {as_of}: {counts}; ", files).format(
                   n=files, as_of=as_of, counts=", ".join(parts))
               + ngettext("{n} file clean", "{n} files clean", clean).format(n=clean)
               + (_("; {n} suppressed").format(n=result.suppressed) if result.suppressed else ""))
    return "\n\n".join(blocks + [summary]) + "\n"
