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
from kpi_policies.i18n import _, format_date as _date
from kpi_policies.report.markdown import _cell, _code
from kpi_policies.audit.history import history_markdown

#: Most findings listed per file; the rest are counted.
MAX_FINDINGS = 30


def render_markdown(report: dict) -> str:
    """The Markdown text of a report built by :func:`kpi_policies.audit.collect.build_report`."""
    ev, sm = report["evidence"], report["summary"]
    unreadable = _("unreadable")
    statuses = ", ".join(_("{n} {status}").format(n=n, status=_(STATUS_WORDS[s])) for s, n in sm["kpi_statuses"].items() if n)
    out = [_("## KPI plan audit report: {verdict}").format(verdict=_(sm["verdict"])), "",
           _("{files} file(s) ({plans} plan(s), {kpis} KPIs) checked as of **{as_of}** with kpi-policies {version}: "
             "**{errors} error(s)**, {warnings} warning(s), {infos} info, {suppressed} suppressed.").format(
               files=sm["files"], plans=sm["plans"], kpis=sm["kpis"], as_of=_date(ev["as_of"]), version=ev["tool"]["version"],
               errors=sm["findings"]["error"], warnings=sm["findings"]["warning"], infos=sm["findings"]["info"],
               suppressed=sm["findings"]["suppressed"]), "",
           _("KPIs: {statuses}.").format(statuses=statuses) if sm["kpis"] else _("No KPI."), "",
           _("### Evidence"), "",
           _("- Policy: {policy}, digest `{digest}`; sources: ").format(policy=_cell(ev["policy"]["id"]), digest=ev["policy"]["digest"])
           + ", ".join(f"{_code(s['path'])} (sha256 `{(s['sha256'] or unreadable)[:16]}…`)" for s in ev["policy"]["sources"]),
           _("- As of: {as_of}; generated: {generated}").format(as_of=_date(ev["as_of"]),
                                                               generated=ev["generated_at"] or _("left out (--reproducible)")),
           _("- Commit checked out: `{commit}`").format(commit=ev["repository_head"]) if ev["repository_head"] else _("- Not in a git repository"),
           _("- Change control base: {base}").format(base=ev.get("change_base") or _("none")),
           (_("- Baseline: {path} (sha256 `{sha}…`)").format(path=_code(ev["baseline"]["path"]), sha=(ev["baseline"]["sha256"] or unreadable)[:16])
            if ev["baseline"] else _("- Baseline: none")),
           "", _("| file | kind | sha256 | last change | pass | fail | suppressed | n/a |"), "|---|---|---|---|---:|---:|---:|---:|"]
    for f, doc in zip(ev["files"], report["documents"]):
        git = f["git"]
        change = (f"`{git['commit'][:12]}` {_date(git['date'][:10])}" + (_(" (modified since)") if git["state"] == "modified" else "")
                  if git and git["commit"] else (_("not committed") if git else _("not in git")))
        c = doc["counts"]
        out.append(f"| {_code(f['path'])} | {f['kind'] or unreadable} | `{(f['sha256'] or unreadable)[:16]}…` | {change} "
                   f"| {c['pass']} | {c['fail']} | {c['suppressed']} | {c['not_applicable']} |")
    out += ["", _("### Suppressions"), ""]
    if report["suppressions"]:
        out += [_("| rules | where | reason | until | waived by | findings |"), "|---|---|---|---|---|---:|"]
        for s in report["suppressions"]:
            until = _date(s["until"]) if s["until"] else _("no expiry")
            if s["expiring_soon"]:
                until += _(" **(expires in {n} day(s))**").format(n=s["expires_in_days"])
            who = (f"{_cell(s['waived_by']['name'])} ({_date((s['waived_by']['date'] or '')[:10])})" if s["waived_by"]
                   else _cell(s["waived_by_note"]))
            out.append(f"| {', '.join(_code(r) for r in s['rules'])} | {s['kind']} {_code(str(s['file']) + ':' + str(s['line']))} "
                       f"| {_cell(s['reason'] or '')} | {until} | {who} | {len(s['findings'])} |")
        soon = sum(1 for s in report["suppressions"] if s["expiring_soon"])
        if soon:
            out += ["", _("{n} waiver(s) expire within {days} days of {as_of}.").format(n=soon, days=EXPIRY_WARNING_DAYS, as_of=_date(ev["as_of"]))]
    else:
        out.append(_("No finding is suppressed."))
    for doc in report["documents"]:
        active = [f for f in doc["findings"] if f["status"] == "active"]
        if not active and not doc["kpis"]:
            continue
        title = _code(doc["file"]) + (f" ({_cell(doc['title'] or doc['id'] or '')})" if doc["title"] or doc["id"] else "")
        out += ["", f"### {title}: {_(doc['verdict'])}", ""]
        if active:
            out += [_("| line | rule | severity | message |"), "|---:|---|---|---|"]
            for f in active[:MAX_FINDINGS]:
                out.append(f"| {f['line']}:{f['column']} | `{f['rule_id']}` | {_(f['severity'])} | {_cell(f['message'])} |")
            if len(active) > MAX_FINDINGS:
                out.append("| | | | " + _("{n} more in the HTML or JSON report").format(n=len(active) - MAX_FINDINGS) + " |")
            out.append("")
        if doc["kpis"]:
            out += [_("| KPI | figures | actual to date | target to date | target | attained | forecast | status |"),
                    "|---|---|---:|---:|---:|---:|---:|---|"]
            none, undeclared = _("none"), _("not declared")
            for k in doc["kpis"]:
                figures = _(k["aggregation"]) if k["aggregation"] else undeclared
                out.append(f"| {_code(k['id'])} {_cell(k['name'] or '')} | {figures} "
                           f"| {_cell(num(k['actual_to_date'], k['unit'])) if k['actual_to_date'] is not None else none} "
                           f"| {_cell(num(k['target_to_date'], k['unit'])) if k['target_to_date'] is not None else none} "
                           f"| {_cell(num(k['target']['value'], k['unit'])) if k['target'] else none} "
                           f"| {pct(k['attainment'])} "
                           f"| {_cell(num(k['forecast'], k['unit'])) if k['forecast'] is not None else none} "
                           f"| {_(STATUS_WORDS[k['status']])} |")
            if doc.get("weighted_completion"):
                out += ["", _("Weighted completion (KPI weights): {text}").format(text=_cell(doc["weighted_completion"]["text"]))]
        out += history_markdown(doc)
    return "\n".join(out) + "\n"
