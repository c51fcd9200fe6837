"""Markdown summary for a pull-request comment or the GitHub job summary.

Counts by severity and by rule, then a table of findings per plan with links
to the lines: on GitHub (``GITHUB_SERVER_URL``, ``GITHUB_REPOSITORY`` and
``GITHUB_SHA`` set) to the file at the commit checked, elsewhere relative links.
"""

from __future__ import annotations

import os
import re
from collections import Counter

from kpi_policies.paths import repo_relative, uri_of, workspace_root
from kpi_policies.result import RunResult, Severity

ICONS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "info"}


def _cell(text: str) -> str:
    """Text safe inside a table cell: no pipes, line breaks, raw HTML or @mentions (a plan's ``@team`` pings nobody)."""
    for ch in "\\|[]`*_":
        text = text.replace(ch, "\\" + ch)
    text = text.replace("\r", " ").replace("\n", " ").replace("<", "&lt;").replace(">", "&gt;")
    return re.sub(r"@(?=\w)", "@&#8203;", text)  # a zero-width space after @, as GitHub's own bots write mentions


def _code(text: str) -> str:
    """Text as an inline code span (a path or id): no backticks or line breaks; pipes escaped for tables."""
    return "`" + text.replace("`", "'").replace("\r", " ").replace("\n", " ").replace("|", "\\|") + "`"


def _link(path: str, line: int, root: str) -> str:
    server, repo, sha = (os.environ.get(k) for k in ("GITHUB_SERVER_URL", "GITHUB_REPOSITORY", "GITHUB_SHA"))
    uri = uri_of(path, root)
    if server and repo and sha and not uri.startswith("file:"):
        return f"{server}/{repo}/blob/{sha}/{uri}#L{line}"
    return f"{uri}#L{line}"


def render(result: RunResult, **options) -> str:
    """The Markdown text."""
    root = options.get("root") or workspace_root()
    counts = {s: result.count(s) for s in Severity}
    verdict = "failed" if counts[Severity.ERROR] else "passed"
    out = [f"## kpi-policies: {verdict}", "",
           f"{len(result.files)} file(s) checked as of {result.as_of}: "
           f"**{counts[Severity.ERROR]} error(s)**, {counts[Severity.WARNING]} warning(s), {counts[Severity.INFO]} info.", ""]
    if result.suppressed:
        out += [f"{result.suppressed} finding(s) suppressed with a reason (listed in the JSON and SARIF reports).", ""]
    by_rule = Counter((f.rule_id, f.rule_name, f.severity) for f in result.active)
    if by_rule:
        out += ["| rule | name | severity | findings |", "|---|---|---|---:|"]
        for (rule_id, name, severity), n in sorted(by_rule.items(), key=lambda kv: (-kv[0][2].rank, kv[0][0])):
            out.append(f"| `{rule_id}` | {_cell(name)} | {ICONS[severity]} | {n} |")
        out.append("")
    for fr in result.files:
        if not fr.active:
            continue
        title = _code(repo_relative(fr.path, root)) + (f" ({_cell(fr.doc_id)})" if fr.doc_id else "")
        out += [f"### {title}", "", "| line | rule | severity | message |", "|---:|---|---|---|"]
        for f in fr.active:
            out.append(f"| [{f.line}:{f.column}]({_link(f.file, f.line, root)}) | `{f.rule_id}` | {ICONS[f.severity]} | {_cell(f.message)} |")
        out.append("")
    clean = [fr for fr in result.files if not fr.active]
    if clean:
        out.append(f"{len(clean)} file(s) passed every rule: " + ", ".join(_code(repo_relative(fr.path, root)) for fr in clean[:50])
                   + (" ..." if len(clean) > 50 else ""))
        out.append("")
    return "\n".join(out)
