"""The audit report, short, as Markdown for a wiki page or a pull-request comment.

Evidence (version, policy digest, as-of date, every file's sha256 and last
commit), one line per file with its rule outcomes, the waivers (flagging
those about to expire), the active findings and every KPI's progress. The
pictures and the lines of YAML around each finding are in the HTML report.
Plan text is escaped for Markdown tables (no raw HTML, links or pipes get through).
"""

from __future__ import annotations

from kpi_policies.audit.register import EXPIRY_WARNING_DAYS
from kpi_policies.audit.html import STATUS_WORDS, num, pct
from kpi_policies.report.markdown import _cell, _code
from kpi_policies.audit.history import history_markdown

#: Most findings listed per file; the rest are counted.
MAX_FINDINGS = 30


def render_markdown(report: dict) -> str:
    """The Markdown text of a report built by :func:`kpi_policies.audit.collect.build_report`."""
    ev, sm = report["evidence"], report["summary"]
    out = [f"## KPI plan audit report: {sm['verdict']}", "",
           f"{sm['files']} file(s) ({sm['plans']} plan(s), {sm['kpis']} KPIs) checked as of **{ev['as_of']}** "
           f"with kpi-policies {ev['tool']['version']}: **{sm['findings']['error']} error(s)**, "
           f"{sm['findings']['warning']} warning(s), {sm['findings']['info']} info, "
           f"{sm['findings']['suppressed']} suppressed.", "",
           "KPIs: " + ", ".join(f"{n} {STATUS_WORDS[s]}" for s, n in sm["kpi_statuses"].items() if n) + "."
           if sm["kpis"] else "No KPI.", "",
           "### Evidence", "",
           f"- Policy: {_cell(ev['policy']['id'])}, digest `{ev['policy']['digest']}`; sources: "
           + ", ".join(f"{_code(s['path'])} (sha256 `{(s['sha256'] or 'unreadable')[:16]}…`)" for s in ev["policy"]["sources"]),
           f"- As of: {ev['as_of']}; generated: {ev['generated_at'] or 'left out (--reproducible)'}",
           f"- Commit checked out: `{ev['repository_head']}`" if ev["repository_head"] else "- Not in a git repository",
           f"- Change control base: {ev.get('change_base') or 'none'}",
           (f"- Baseline: {_code(ev['baseline']['path'])} (sha256 `{(ev['baseline']['sha256'] or 'unreadable')[:16]}…`)"
            if ev["baseline"] else "- Baseline: none"),
           "", "| file | kind | sha256 | last change | pass | fail | suppressed | n/a |", "|---|---|---|---|---:|---:|---:|---:|"]
    for f, doc in zip(ev["files"], report["documents"]):
        git = f["git"]
        change = (f"`{git['commit'][:12]}` {git['date'][:10]}" + (" (modified since)" if git["state"] == "modified" else "")
                  if git and git["commit"] else ("not committed" if git else "not in git"))
        c = doc["counts"]
        out.append(f"| {_code(f['path'])} | {f['kind'] or 'unreadable'} | `{(f['sha256'] or 'unreadable')[:16]}…` | {change} "
                   f"| {c['pass']} | {c['fail']} | {c['suppressed']} | {c['not_applicable']} |")
    out += ["", "### Suppressions", ""]
    if report["suppressions"]:
        out += ["| rules | where | reason | until | waived by | findings |", "|---|---|---|---|---|---:|"]
        for s in report["suppressions"]:
            until = s["until"] or "no expiry"
            if s["expiring_soon"]:
                until += f" **(expires in {s['expires_in_days']} day(s))**"
            who = (f"{_cell(s['waived_by']['name'])} ({(s['waived_by']['date'] or '')[:10]})" if s["waived_by"]
                   else _cell(s["waived_by_note"]))
            out.append(f"| {', '.join(_code(r) for r in s['rules'])} | {s['kind']} {_code(str(s['file']) + ':' + str(s['line']))} "
                       f"| {_cell(s['reason'] or '')} | {until} | {who} | {len(s['findings'])} |")
        soon = sum(1 for s in report["suppressions"] if s["expiring_soon"])
        if soon:
            out += ["", f"{soon} waiver(s) expire within {EXPIRY_WARNING_DAYS} days of {ev['as_of']}."]
    else:
        out.append("No finding is suppressed.")
    for doc in report["documents"]:
        active = [f for f in doc["findings"] if f["status"] == "active"]
        if not active and not doc["kpis"]:
            continue
        title = _code(doc["file"]) + (f" ({_cell(doc['title'] or doc['id'] or '')})" if doc["title"] or doc["id"] else "")
        out += ["", f"### {title}: {doc['verdict']}", ""]
        if active:
            out += ["| line | rule | severity | message |", "|---:|---|---|---|"]
            for f in active[:MAX_FINDINGS]:
                out.append(f"| {f['line']}:{f['column']} | `{f['rule_id']}` | {f['severity']} | {_cell(f['message'])} |")
            if len(active) > MAX_FINDINGS:
                out.append(f"| | | | {len(active) - MAX_FINDINGS} more in the HTML or JSON report |")
            out.append("")
        if doc["kpis"]:
            out += ["| KPI | figures | actual to date | target to date | target | attained | forecast | status |",
                    "|---|---|---:|---:|---:|---:|---:|---|"]
            for k in doc["kpis"]:
                out.append(f"| {_code(k['id'])} {_cell(k['name'] or '')} | {k['aggregation'] or 'not declared'} "
                           f"| {_cell(num(k['actual_to_date'], k['unit'])) if k['actual_to_date'] is not None else 'none'} "
                           f"| {_cell(num(k['target_to_date'], k['unit'])) if k['target_to_date'] is not None else 'none'} "
                           f"| {_cell(num(k['target']['value'], k['unit'])) if k['target'] else 'none'} "
                           f"| {pct(k['attainment'])} "
                           f"| {_cell(num(k['forecast'], k['unit'])) if k['forecast'] is not None else 'none'} "
                           f"| {STATUS_WORDS[k['status']]} |")
            if doc.get("weighted_completion"):
                out += ["", f"Weighted completion (KPI weights): {_cell(doc['weighted_completion']['text'])}"]
        out += history_markdown(doc)
    return "\n".join(out) + "\n"
