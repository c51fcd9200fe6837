"""SARIF 2.1.0 for GitHub code scanning (OASIS SARIF 2.1.0, errata 01).

One run. ``tool.driver`` lists every rule evaluated with its documentation
(short description = summary, full description = rationale, help = the whole
``explain`` text, ``helpUri`` = the rule's section of docs/rules.md). Rule
information comes from the run result, so plugin rules are described too. Each result has ``ruleId``, ``ruleIndex``, ``level``, a
message and a location whose ``artifactLocation.uri`` is relative to the
repository root (``uriBaseId`` ``%SRCROOT%``, which ``originalUriBaseIds``
resolves to the root's ``file:`` URI), percent-encoded with forward slashes,
whatever folder kpi-policies was started from, and a
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
import os
from pathlib import Path

from kpi_policies import __version__
from kpi_policies.paths import uri_of, workspace_root
from kpi_policies.result import Finding, RuleInfo, RunResult, Severity

SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
INFORMATION_URI = "https://github.com/kpi-policies/kpi-policies"
#: Results kept per run (GitHub displays at most 5,000, ordered by severity).
MAX_RESULTS = 5000
#: The base every relative URI is resolved against: the repository root.
SRCROOT = "%SRCROOT%"
LEVELS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}


def fingerprint(finding: Finding, uri: str) -> str:
    """Stable identity of a finding: rule, file, plan id and JSON pointer (sha256, hex)."""
    key = "\x1f".join([finding.rule_id, uri, finding.plan_id or "", finding.pointer or f"@{finding.line}"])
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def _rule_descriptor(rule: RuleInfo) -> dict:
    """A ``reportingDescriptor`` from the rule information the run carries (plugin rules included)."""
    descriptor = {
        "id": rule.id,
        "name": rule.name or rule.id,
        "shortDescription": {"text": rule.summary or rule.name or rule.id},
        "fullDescription": {"text": rule.rationale or rule.summary or rule.name or rule.id},
        "help": {"text": rule.help or rule.summary or rule.id, "markdown": rule.help or rule.summary or rule.id},
        "defaultConfiguration": {"level": LEVELS[rule.severity]},
        "properties": {"tags": ["kpi", rule.family or rule.id.rstrip("0123456789")]},
    }
    if rule.help_uri:
        descriptor["helpUri"] = rule.help_uri
    return descriptor


def _artifact_location(path: str, root: str) -> dict:
    """``uri`` relative to the repository root with ``uriBaseId`` ``%SRCROOT%``; an absolute ``file:`` URI outside it."""
    uri = uri_of(path, root)
    if uri.startswith("file:"):
        return {"uri": uri}
    return {"uri": uri, "uriBaseId": SRCROOT}


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
        location = _artifact_location(f.file, root)
        uri = location["uri"]
        results.append({
            "ruleId": f.rule_id,
            "ruleIndex": index[f.rule_id],
            "level": LEVELS[f.severity],
            "message": {"text": f.message},
            "locations": [{"physicalLocation": {
                "artifactLocation": location,
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
            "rules": [_rule_descriptor(result.rule(r)) for r in rule_ids],
        }},
        "originalUriBaseIds": {SRCROOT: {"uri": Path(os.path.abspath(root)).as_uri().rstrip("/") + "/",
                                         "description": {"text": "The repository root."}}},
        "invocations": [{"executionSuccessful": True, "toolExecutionNotifications": notifications,
                         "properties": {"asOf": result.as_of}}],
        "results": results,
        "columnKind": "unicodeCodePoints",
    }
    return {"$schema": SCHEMA_URI, "version": "2.1.0", "runs": [run]}


def render(result: RunResult, **options) -> str:
    """SARIF JSON text."""
    return json.dumps(build(result, options.get("root")), ensure_ascii=False, indent=2) + "\n"
