"""Every rule's outcome on every file: pass, fail, suppressed or not applicable, and why."""

from __future__ import annotations

from kpi_policies.docs import rationale
from kpi_policies.i18n import _
from kpi_policies.result import FileResult, Finding

OUTCOMES = ("pass", "fail", "suppressed", "not_applicable")


def _rule_docs(engine) -> dict[str, dict]:
    """Rule id -> ``{"id", "name", "family", "severity", "summary", "rationale"}`` for every rule the engine knows."""
    out = {}
    for rule_id, rule in engine.rules.items():
        out[rule_id] = {"id": rule_id, "name": rule.name, "family": rule.family(), "severity": rule.severity.value,
                        "summary": _(rule.summary()), "rationale": rationale(rule)}
    return out


def _not_applicable_note(rule_id: str, fr: FileResult, engine, has_model: bool) -> str:
    """Why a rule did not judge a file, in a few words."""
    rule = engine.rules.get(rule_id)
    if not engine.view(rule_id, fr.path).enabled:
        return _("turned off for this file by the policy")
    if rule is None:
        return _("not a rule of this run")
    family = rule.family()
    if fr.kind in ("Policy", "Baseline"):
        return (_("the policy file is only judged for its waivers") if fr.kind == "Policy"
                else _("the baseline file is only judged for its waivers"))
    if rule_id == "SU005":
        return _("judges the baseline file, when one is given")
    if family == "SU":
        return _("the file has no suppression comment")
    if fr.kind is None:
        return _("the file could not be read far enough") if family in ("S", "GL", "FE", "MT", "RC", "KF") else _("not run")
    if rule.kinds and fr.kind not in rule.kinds:
        return _("judges {kinds} files, not {kind}").format(kinds=_(" and ").join(rule.kinds), kind=fr.kind)
    if not has_model:
        return _("the file could not be read into its model")
    return _("not run on this file")


def rule_outcomes(fr: FileResult, rule_ids: list[str], engine, has_model: bool = True) -> list[dict]:
    """Every rule's outcome on one file.

    A rule ``fail``s with an active finding, is ``suppressed`` when all its
    findings are waived, ``pass``es when it judged the file and found nothing,
    and is ``not_applicable`` when it did not judge the file (another kind of
    file, turned off by an override, or the file could not be read that far).

    Args:
        fr: The file's result.
        rule_ids: The rules to report, in order (the run's rules plus any with findings).
        engine: The engine of the run (for rule names and per-file settings).
        has_model: False when the document could not be read into its model.

    Returns:
        ``[{"id", "name", "outcome", "severity" (effective, for this file),
        "enforcement", "findings" (active), "suppressed", "note"}]``.
    """
    by_rule: dict[str, list[Finding]] = {}
    for f in fr.findings:
        by_rule.setdefault(f.rule_id, []).append(f)
    evaluated = set(fr.rules_evaluated)
    out = []
    for rule_id in rule_ids:
        found = by_rule.get(rule_id, [])
        active = [f for f in found if f.active]
        if active:
            outcome, note = "fail", ""
        elif found:
            outcome, note = "suppressed", _("every finding is waived")
        elif rule_id in evaluated:
            outcome, note = "pass", ""
        else:
            outcome, note = "not_applicable", _not_applicable_note(rule_id, fr, engine, has_model)
        view = engine.view(rule_id, fr.path)
        rule = engine.rules.get(rule_id)
        out.append({"id": rule_id, "name": rule.name if rule else (found[0].rule_name if found else ""),
                    "outcome": outcome, "severity": (found[0].severity if found else view.severity).value,
                    "enforcement": found[0].enforcement if found else view.enforcement,
                    "findings": len(active), "suppressed": len(found) - len(active), "note": note})
    return out
