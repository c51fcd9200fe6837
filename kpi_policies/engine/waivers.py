"""Waivers applied at the end of a run: inline comments, the policy's suppressions, then a baseline.

Findings about the waivers themselves (SU001 to SU005) are reported where the
waiver is written: on the plan for an inline comment, on the policy file for
a policy suppression, on the baseline file for a stale baseline entry.
"""

from __future__ import annotations

from kpi_policies import suppressions
from kpi_policies.engine.check_file import FileChecker
from kpi_policies.i18n import _
from kpi_policies.result import FileResult, Location


def apply_inline(checker: FileChecker, result: FileResult, waivers: list, ignore: bool) -> None:
    """Apply a file's inline waivers to its findings; report invalid and unused ones on the file."""
    if not waivers:
        return
    checker.mark_evaluated(result, "SU")
    result.findings = suppressions.apply(result.findings, waivers, ignore=ignore)
    for w in waivers:
        if w.problem:
            checker.add(result, w.problem[0], w.problem[1], Location((), w.line, w.column))
        elif not w.used and not ignore:
            checker.add(result, "SU003", _("suppression of {rules} suppresses nothing on line {line}; remove it").format(
                rules=", ".join(w.rule_ids), line=min(w.lines)), Location((), w.line, w.column))


def apply_policy(checker: FileChecker, results: list[FileResult], ignore: bool) -> list[FileResult]:
    """Apply the policy's waivers; findings about the waivers themselves go on the policy file.

    Returns:
        The policy files that have findings about their waivers.
    """
    policy = checker.resolved.policy
    if not policy.suppressions:
        return []
    checked = {r.doc_id for r in results if r.doc_id}
    waivers = []
    for s in policy.suppressions:
        until = suppressions.parse_date(s.until)
        w = suppressions.Suppression(tuple(s.rules), s.reason, until, s.file, s.line, s.column, "policy",
                                     plan_id=s.plan, object_id=s.kpi, pointer=s.pointer)
        waivers.append(suppressions.validate(w, checker.resolved.rules, checker.as_of, s.until))
    for result in results:
        result.findings = suppressions.apply(result.findings, waivers, ignore=ignore)
    out: dict[str, FileResult] = {}
    for w in waivers:
        if w.plan_id not in checked:
            continue  # its plan is not part of this run (e.g. pre-commit on other files)
        problem = w.problem or (None if w.used or ignore else
                                ("SU003", _("policy suppression of {rules} for plan {plan} suppresses nothing; remove it").format(
                                    rules=", ".join(w.rule_ids), plan=w.plan_id)))
        if problem:
            holder = out.setdefault(w.file, FileResult(path=w.file, kind="Policy"))
            checker.add(holder, problem[0], problem[1], Location((), w.line, w.column))
    return list(out.values())


def apply_baseline(checker: FileChecker, baseline, files: list[FileResult]) -> list[FileResult]:
    """Mark the findings a baseline records as waived; returns the baseline file's result when it has stale entries."""
    return baseline.apply(files, checker.resolved)
