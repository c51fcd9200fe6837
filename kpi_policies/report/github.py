"""GitHub Actions workflow commands: one ``::error``/``::warning``/``::notice`` line per finding.

GitHub shows each as an annotation on the file and line in the pull request.
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


def render(result: RunResult, **_options) -> str:
    """One workflow command per active finding, in report order; empty when there is none."""
    lines = []
    for f in result.active:
        props = (f"file={escape_property(f.file)},line={f.line},endLine={f.line},col={f.column},"
                 f"title={escape_property(f'{f.rule_id} {f.rule_name}'.strip())}")
        audit = " [audit: does not block]" if f.enforcement == "audit" else ""
        lines.append(f"::{COMMANDS[f.severity]} {props}::{escape_data(f.message + audit)}")
    return "".join(line + "\n" for line in lines)
