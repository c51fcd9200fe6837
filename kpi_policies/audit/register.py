"""The register of waivers: every suppression that waived a finding, who wrote it, when it expires."""

from __future__ import annotations

import datetime as dt
import os

from kpi_policies.audit import evidence_git as audit_git
from kpi_policies.i18n import _
from kpi_policies.result import RunResult

#: A waiver whose ``until`` is at most this many days after the as-of date is flagged as expiring.
EXPIRY_WARNING_DAYS = 30


def _waived_by(kind: str, file: str, line: int) -> tuple[dict | None, str]:
    """``(person, how we know)`` for a waiver, from git."""
    if not file or not os.path.isfile(file):
        return None, _("the file holding the waiver is not available")
    person = audit_git.last_author(file) if kind == "baseline" else audit_git.blame_line(file, line)
    if person is not None:
        return person, (_("{source} of {file}") if kind == "baseline" else _("{source} of {file} line {line}")).format(
            source=person["source"], file=os.path.basename(file), line=line)
    change = audit_git.last_change(file)
    if change is None:
        return None, _("not in a git repository: who wrote it is unknown")
    return None, _("not committed yet: who wrote it is unknown until it is")


def suppression_register(result: RunResult, as_of: dt.date, display=lambda p: p) -> list[dict]:
    """Every waiver that suppressed at least one finding, with the findings it waived.

    Args:
        result: The run.
        as_of: The as-of date expiries are counted from.
        display: Maps a file path to the form the report shows.

    Returns:
        ``[{"kind": "inline"|"policy"|"baseline", "rules", "reason", "until",
        "expires_in_days": int | None, "expiring_soon": bool (within
        :data:`EXPIRY_WARNING_DAYS` days of ``as_of``), "file", "line",
        "waived_by": {"name", "email", "date", "commit", "summary", "source"} | None,
        "waived_by_note", "findings": [{"file", "line", "rule_id", "plan_id",
        "object_id", "message"}]}]``, soonest expiry first, then by file and line.
    """
    groups: dict[tuple, dict] = {}
    for f in result.findings:
        s = f.suppression
        if not s:
            continue
        entry = groups.get(s)
        if entry is None:
            days = (dt.date.fromisoformat(s.until) - as_of).days if s.until else None
            person, note = _waived_by(s.kind, s.file, s.line or 1)
            entry = groups[s] = {
                "kind": s.kind, "rules": list(s.rules), "reason": s.reason, "until": s.until,
                "expires_in_days": days, "expiring_soon": days is not None and 0 <= days <= EXPIRY_WARNING_DAYS,
                "file": display(s.file or ""), "line": s.line,
                "waived_by": person, "waived_by_note": note, "findings": []}
        entry["findings"].append({"file": f.file, "line": f.line, "rule_id": f.rule_id, "plan_id": f.plan_id,
                                  "object_id": f.object_id, "message": f.message})
    return sorted(groups.values(), key=lambda e: (e["until"] is None, e["until"] or "", e["file"], e["line"] or 0))
