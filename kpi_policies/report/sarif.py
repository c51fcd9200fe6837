"""SARIF 2.1.0 for GitHub code scanning (OASIS SARIF 2.1.0, errata 01).

One run. ``tool.driver`` lists every rule evaluated with its documentation
(short description = summary, full description = rationale, help = the whole
``explain`` text). Each result has ``ruleId``, ``ruleIndex``, ``level``, a
message and a location whose ``artifactLocation.uri`` is relative to the
repository root (``%SRCROOT%``), percent-encoded with forward slashes, and a
region of at least line 1, column 1. ``partialFingerprints`` hash the rule,
file, plan and JSON pointer, not the line, so they stay stable when unrelated
lines move.

GitHub accepts at most 25,000 results per run and shows the first 5,000 by
severity; beyond :data:`MAX_RESULTS` the most severe are kept and a
notification in the run says how many were left out.
"""

from __future__ import annotations

import hashlib
import json

from kpi_policies import __version__
from kpi_policies.paths import uri_of, workspace_root
from kpi_policies.result import Finding, RunResult, Severity

SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
INFORMATION_URI = "https://github.com/kpi-policies/kpi-policies"
#: Results kept per run (GitHub displays at most 5,000, ordered by severity).
MAX_RESULTS = 5000
LEVELS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}


def fingerprint(finding: Finding, uri: str) -> str:
    """Stable identity of a finding: rule, file, plan id and JSON pointer (sha256, hex)."""
    key = "\x1f".join([finding.rule_id, uri, finding.plan_id or "", finding.pointer or f"@{finding.line}"])
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def _rule_descriptor(rule_id: str) -> dict:
    from kpi_policies.docs import explain_text
    from kpi_policies.rules.registry import get_rule

    rule = get_rule(rule_id)
    rationale = " ".join(rule.rationale().split()) or rule.summary()
    return {
        "id": rule.id,
        "name": rule.name,
        "shortDescription": {"text": rule.summary()},
        "fullDescription": {"text": rationale},
        "help": {"text": explain_text(rule), "markdown": explain_text(rule)},
        "defaultConfiguration": {"level": LEVELS[rule.severity]},
        "properties": {"tags": ["kpi", rule.family()]},
    }


def build(result: RunResult, root: str | None = None) -> dict:
    """The SARIF log as a dict (see module docs)."""
    root = root or workspace_root()
    rule_ids = list(dict.fromkeys(result.rules_run + [f.rule_id for f in result.findings]))
    index = {rule_id: i for i, rule_id in enumerate(rule_ids)}
    findings = result.findings
    notifications = []
    if len(findings) > MAX_RESULTS:
        ranked = sorted(range(len(findings)), key=lambda i: (-findings[i].severity.rank, i))
        keep = sorted(ranked[:MAX_RESULTS])
        dropped = len(findings) - MAX_RESULTS
        findings = [findings[i] for i in keep]
        notifications.append({
            "level": "warning",
            "message": {"text": f"{dropped} of {len(result.findings)} results were left out to stay within "
                                f"GitHub code scanning's limit of {MAX_RESULTS} per run; the most severe are kept. "
                                f"Run kpi-policies check locally for the full list."},
        })
    results = []
    for f in findings:
        uri = uri_of(f.file, root)
        results.append({
            "ruleId": f.rule_id,
            "ruleIndex": index[f.rule_id],
            "level": LEVELS[f.severity],
            "message": {"text": f.message},
            "locations": [{"physicalLocation": {
                "artifactLocation": {"uri": uri, "uriBaseId": "%SRCROOT%"},
                "region": {"startLine": max(1, f.line), "startColumn": max(1, f.column)},
            }}],
            "partialFingerprints": {"kpiPolicies/v1": fingerprint(f, uri)},
            "properties": {"planId": f.plan_id, "pointer": f.pointer, "enforcement": f.enforcement},
        })
        if f.suppression:
            until = f" (until {f.suppression.until})" if f.suppression.until else ""
            results[-1]["suppressions"] = [{
                "kind": "inSource" if f.suppression.kind == "inline" else "external",
                "status": "accepted",
                "justification": f"{f.suppression.reason}{until}",
            }]
    run = {
        "tool": {"driver": {
            "name": "kpi-policies",
            "version": __version__,
            "semanticVersion": __version__,
            "informationUri": INFORMATION_URI,
            "rules": [_rule_descriptor(r) for r in rule_ids],
        }},
        "invocations": [{"executionSuccessful": True, "toolExecutionNotifications": notifications,
                         "properties": {"asOf": result.as_of}}],
        "results": results,
        "columnKind": "unicodeCodePoints",
    }
    return {"$schema": SCHEMA_URI, "version": "2.1.0", "runs": [run]}


def render(result: RunResult, **options) -> str:
    """SARIF JSON text."""
    return json.dumps(build(result, options.get("root")), ensure_ascii=False, indent=2) + "\n"
