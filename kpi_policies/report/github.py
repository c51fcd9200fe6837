"""GitHub Actions workflow commands: ``::error``/``::warning``/``::notice`` lines, most severe first.

GitHub shows each as an annotation on the file and line in the pull request,
but at most :data:`LIMITS` per step (10 errors, 10 warnings, 10 notices) and
drops the rest silently. So findings are ordered by severity (then file and
line), each severity is cut at its limit, and when anything was left out the
last notice says how many findings are only in the job summary and SARIF.
Escaping follows GitHub's toolkit (``@actions/core``, ``command.ts``): in the
message ``%`` -> ``%25``, CR -> ``%0D``, LF -> ``%0A``; in properties also
``:`` -> ``%3A`` and ``,`` -> ``%2C``.
"""

from __future__ import annotations

from kpi_policies.result import RunResult, Severity

COMMANDS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "notice"}


def escape_data(text: str) -> str:
    """Escape a workflow command's message."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """Escape a workflow command's property value (file, title)."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


#: Annotations GitHub shows per step and per kind; the rest are dropped without a word.
LIMITS = {"error": 10, "warning": 10, "notice": 10}


def _command(f) -> str:
    props = (f"file={escape_property(f.file)},line={f.line},endLine={f.line},col={f.column},"
             f"title={escape_property(f'{f.rule_id} {f.rule_name}'.strip())}")
    audit = " [audit: does not block]" if f.enforcement == "audit" else ""
    return f"::{COMMANDS[f.severity]} {props}::{escape_data(f.message + audit)}"


def render(result: RunResult, **_options) -> str:
    """Workflow commands for the active findings within GitHub's limits; empty when there is none.

    Errors first, then warnings, then notices, each in report order. When
    findings are left out, one more notice (within the notice limit) counts them.
    """
    active = result.active
    ranked = sorted(range(len(active)), key=lambda i: (-active[i].severity.rank, i))
    total = {kind: sum(1 for f in active if COMMANDS[f.severity] == kind) for kind in LIMITS}
    over = any(total[kind] > LIMITS[kind] for kind in LIMITS)
    room = dict(LIMITS, notice=LIMITS["notice"] - 1 if over else LIMITS["notice"])
    lines, shown = [], 0
    for i in ranked:
        kind = COMMANDS[active[i].severity]
        if room[kind] > 0:
            room[kind] -= 1
            shown += 1
            lines.append(_command(active[i]))
    if shown < len(active):
        left = len(active) - shown
        lines.append(f"::notice title={escape_property('kpi-policies: more findings')}::" + escape_data(
            f"{left} more finding(s) are not annotated here (GitHub shows at most {LIMITS['error']} errors, "
            f"{LIMITS['warning']} warnings and {LIMITS['notice']} notices per step); all {len(active)} are in "
            f"the job summary and the SARIF report."))
    return "".join(line + "\n" for line in lines)
