"""Human-readable report: ``path:line:col: RULE_ID severity: message``, grouped by file."""

from __future__ import annotations

from kpi_policies.result import RunResult, Severity


def render(result: RunResult, **_options) -> str:
    """Findings file by file (a blank line between files), then a one-line summary.

    Files without findings are not listed; the summary counts them.
    """
    blocks = []
    for fr in result.files:
        if fr.findings:
            blocks.append("\n".join(
                f"{f.file}:{f.line}:{f.column}: {f.rule_id} {f.severity.value}: {f.message}" for f in fr.findings
            ))
    counts = {s: result.count(s) for s in Severity}
    files = len(result.files)
    clean = sum(1 for fr in result.files if not fr.findings)
    parts = [f"{counts[s]} {s.value}{'' if counts[s] == 1 else 's'}" for s in Severity]
    summary = (f"{files} file{'' if files == 1 else 's'} checked as of {result.as_of}: "
               f"{', '.join(parts)}; {clean} file{'' if clean == 1 else 's'} clean")
    return "\n\n".join(blocks + [summary]) + "\n"
