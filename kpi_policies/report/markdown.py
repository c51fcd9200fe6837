"""Markdown summary for a pull-request comment or the GitHub job summary.

Counts by severity and by rule, then a table of findings per plan with links
to the lines: on GitHub (``GITHUB_SERVER_URL``, ``GITHUB_REPOSITORY`` and
``GITHUB_SHA`` set) to the file at the commit checked, elsewhere relative links.

GitHub drops a job summary above 1 MiB whole, so the text is kept under
:data:`MAX_BYTES`: once the findings would pass it, the rest are left out and a
last line says how many findings of how many files are only in the SARIF and
JSON reports. Plan text is escaped (``&``, ``|``, backticks, ``<``, line breaks)
so it shows as written.
"""

from __future__ import annotations

import os
import re
from collections import Counter

from kpi_policies.paths import repo_relative, uri_of, workspace_root
from kpi_policies.i18n import N_, _, format_date
from kpi_policies.result import RunResult, Severity

#: Size cap of the summary in UTF-8 bytes (GitHub's limit is 1 MiB per step).
MAX_BYTES = 512 * 1024
ICONS = {Severity.ERROR: N_("error"), Severity.WARNING: N_("warning"), Severity.INFO: N_("info")}


def _cell(text: str) -> str:
    """Text safe inside a table cell, shown as written: no pipes, line breaks, entities, raw HTML or @mentions (a plan's ``@team`` pings nobody)."""
    text = text.replace("&", "&amp;")
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
    verdict = _("failed") if counts[Severity.ERROR] else _("passed")
    as_of = format_date(result.as_of)
    out = [f"## kpi-policies: {verdict}", "",
           _("{files} file(s) checked as of {as_of}: **{errors} error(s)**, {warnings} warning(s), {infos} info.").format(
               files=len(result.files), as_of=as_of, errors=counts[Severity.ERROR], warnings=counts[Severity.WARNING],
               infos=counts[Severity.INFO]), ""]
    if result.suppressed:
        out += [_("{n} finding(s) suppressed with a reason (listed in the JSON and SARIF reports).").format(n=result.suppressed), ""]
    by_rule = Counter((f.rule_id, f.rule_name, f.severity) for f in result.active)
    if by_rule:
        out += [_("| rule | name | severity | findings |"), "|---|---|---|---:|"]
        for (rule_id, name, severity), n in sorted(by_rule.items(), key=lambda kv: (-kv[0][2].rank, kv[0][0])):
            out.append(f"| `{rule_id}` | {_cell(name)} | {_(ICONS[severity])} | {n} |")
        out.append("")
    clean = [fr for fr in result.files if not fr.active]
    passed = []
    if clean:
        passed = [_("{n} file(s) passed every rule: ").format(n=len(clean)) + ", ".join(_code(repo_relative(fr.path, root)) for fr in clean[:50])
                  + (" ..." if len(clean) > 50 else ""), ""]
    budget = Budget(MAX_BYTES - _size(out) - _size(passed) - 400)
    for fr in result.files:
        if not fr.active:
            continue
        title = _code(repo_relative(fr.path, root)) + (f" ({_cell(fr.doc_id)})" if fr.doc_id else "")
        head = [f"### {title}", "", _("| line | rule | severity | message |"), "|---:|---|---|---|"]
        rows = [f"| [{f.line}:{f.column}]({_link(f.file, f.line, root)}) | `{f.rule_id}` | {_(ICONS[f.severity])} | {_cell(f.message)} |"
                for f in fr.active]
        out += budget.take(head, rows)
    out += passed
    if budget.left_out:
        out += [_("**{n} finding(s) in {files} file(s) are not listed here** to keep this summary under GitHub's size limit; "
                  "every finding is in the SARIF and JSON reports (`kpi-policies check --format json`).").format(
                    n=budget.left_out, files=budget.files_left_out), ""]
    return "\n".join(out)


def _size(lines: list[str]) -> int:
    return sum(len(line.encode("utf-8")) + 1 for line in lines)


class Budget:
    """Bytes left for finding tables; counts what did not fit."""

    def __init__(self, size: int):
        self.size, self.left_out, self.files_left_out = size, 0, 0

    def take(self, head: list[str], rows: list[str]) -> list[str]:
        """``head`` and as many ``rows`` as fit (none at all when not one row fits), then a blank line."""
        kept: list[str] = []
        cost = _size(head) + 1
        for row in rows:
            if cost + _size([row]) > self.size:
                break
            kept.append(row)
            cost += _size([row])
        if len(kept) < len(rows):
            self.left_out += len(rows) - len(kept)
            self.files_left_out += 1
        if not kept:
            return []
        self.size -= cost
        return head + kept + [""]
