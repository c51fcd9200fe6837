"""Each plan's history from git, for auditors: what changed since approval, and each KPI's target over time.

ISO 9001:2015 6.3 and 7.5.3 (docs/domain.md, "Change and approval"): who
changed a target, a baseline or a due date, when, why and who approved it.
The versions are those of the commits that changed the plan's file
(following renames), plus the working tree when it differs from the last
commit. Consecutive versions are compared with :func:`kpi_policies.changes.compare`;
a change is *recorded* when an entry appended to the plan's ``revisions:`` in
the same commit covers it, approved by someone other than the KPI's and the
plan's owner.

Outside git, or for a file never committed, there is no history: the
functions say so (``None``) and the report is still written.
"""

from __future__ import annotations

import datetime as dt

from kpi_policies import changes as ch
from kpi_policies.i18n import N_, _

#: Classes of a change, as shown (``_`` where shown).
CHANGE_CLASS_WORDS = {"breaking": N_("breaking"), "dangerous": N_("dangerous"), "safe": N_("safe")}

#: Change kinds that move what a KPI promises: shown in its history.
_KPI_KINDS = {"target-eased", "target-tightened", "target-changed", "target-removed", "target-added", "due-later",
              "due-earlier", "due-removed", "baseline-rewritten", "baseline-added", "kpi-removed", "kpi-added",
              "direction-changed", "metric-changed", "unit-changed", "actual-changed", "actual-removed"}
_RANK = {ch.BREAKING: 0, ch.DANGEROUS: 1, ch.SAFE: 2}


def _values(kpi) -> dict:
    if kpi is None:
        return {"target": None, "due": None, "baseline": None, "baseline_period": None}
    return {"target": kpi.target.value if kpi.target else None,
            "due": kpi.target.due.isoformat() if kpi.target and kpi.target.due else None,
            "baseline": kpi.baseline.value if kpi.baseline else None,
            "baseline_period": str(kpi.baseline.period) if kpi.baseline and kpi.baseline.period is not None else None}


def _kpi(model, kpi_id):
    return next((k for k in model.kpis if k.id == kpi_id), None)


def _record(entries, change: ch.Change, plan_owner) -> dict | None:
    """The appended change-log entry covering ``change`` and approved by someone other than the owners."""
    wanted = change.object_id or change.doc_id
    for entry in entries:
        if wanted in entry.covers and entry.approved_by and entry.approved_by not in {change.owner, plan_owner}:
            return {"date": entry.date.isoformat() if entry.date else None, "reason": entry.reason,
                    "approved_by": entry.approved_by, "reference": entry.reference}
    return None


def _commit(info) -> dict:
    if info is None:
        return {"commit": None, "author": None, "date": None}
    return {"commit": info.commit, "author": info.author, "date": info.date}


def plan_history(path: str, model, max_commits: int = 500) -> dict | None:
    """The history part of a plan in the audit report, or ``None`` outside git / before the first commit.

    Returns:
        ``{"versions": int, "approval": {...} | None, "approved_in": commit | None,
        "changes_since_approval": [...], "kpis": [{"id", "events": [...]}]}``.
    """
    from kpi_policies.history import GitError, file_history

    try:
        hist = file_history(path, max_commits=max_commits)
    except GitError:
        return None
    versions = [(s.info, s.version.model) for s in hist.snapshots
                if s.version.model is not None and type(s.version.model) is type(model)]
    if not versions:
        return None
    if ch.compare(versions[-1][1], model):
        versions.append((None, model))  # the working tree differs from the last commit
    owner = model.metadata.owner
    steps = []  # (info, changes of that version, entries appended in it)
    for (_older_info, older), (info, newer) in zip(versions, versions[1:]):
        appended = newer.revisions[len(older.revisions):]
        steps.append((info, ch.compare(older, newer), appended, newer))

    # each KPI: its values at the first version, then at every version that changed them
    kpi_ids = list(dict.fromkeys([k.id for _, m in versions for k in m.kpis if k.id]))
    kpis = []
    for kpi_id in kpi_ids:
        events = []
        first_info, first = versions[0]
        if _kpi(first, kpi_id) is not None:
            events.append({**_commit(first_info), **_values(_kpi(first, kpi_id)), "class": None,
                           "changes": [_("first version")], "recorded": None, "unrecorded": False})
        for info, found, appended, newer in steps:
            mine = [c for c in found if c.object_id == kpi_id and c.kind in _KPI_KINDS]
            if not mine:
                continue
            worst = min((c.cls for c in mine), key=_RANK.get)
            record = next((r for r in (_record(appended, c, owner) for c in mine) if r), None)
            events.append({**_commit(info), **_values(_kpi(newer, kpi_id)), "class": worst,
                           "changes": [c.message for c in mine], "recorded": record,
                           "unrecorded": worst != ch.SAFE and record is None})
        kpis.append({"id": kpi_id, "events": events})

    # what changed since the version that carries today's approval record
    approval = model.approval
    approved_at = None
    if approval is not None:
        for i, (_info, m) in enumerate(versions):
            if m.approval is not None and (m.approval.approved_by, m.approval.approved_on) == (approval.approved_by, approval.approved_on):
                approved_at = i
                break
    since = []
    if approved_at is not None:
        approved_model = versions[approved_at][1]
        later = steps[approved_at:]
        appended_since = model.revisions[len(approved_model.revisions):]
        for change in ch.compare(approved_model, model):
            made = None
            for info, found, _a, _b in later:
                if any(c.kind == change.kind and c.object_id == change.object_id for c in found):
                    made = info
            record = _record(appended_since, change, owner)
            since.append({"class": change.cls, "kind": change.kind, "object_id": change.object_id,
                          "message": change.message, **_commit(made), "recorded": record,
                          "unrecorded": change.cls != ch.SAFE and record is None})
        since.sort(key=lambda c: _RANK[c["class"]])
    return {
        "versions": len(versions),
        "approval": ({"approved_by": approval.approved_by, "approved_on": approval.approved_on.isoformat() if approval.approved_on else None,
                      "reference": approval.reference} if approval is not None else None),
        "approved_in": _commit(versions[approved_at][0]) if approved_at is not None else None,
        "changes_since_approval": since,
        "kpis": kpis,
    }


def day(value: str | None) -> str:
    """The date part of an ISO timestamp, for tables."""
    return (value or "")[:10] or _("not committed")




def history_markdown(doc: dict) -> list[str]:
    """Markdown lines of a plan's changes since approval (for ``report --format markdown``)."""
    h = doc.get("history")
    if not h:
        return []
    if not h["approval"]:
        return ["", _("No approval is recorded in this plan (`approval:`).")]
    a = h["approval"]
    out = ["", _("Changes since approval by {who} on {date}: {n}, {unrecorded} without an approved record.").format(
        who=a["approved_by"], date=a["approved_on"], n=len(h["changes_since_approval"]),
        unrecorded=sum(1 for c in h["changes_since_approval"] if c["unrecorded"]))]
    if h["changes_since_approval"]:
        out += ["", _("| class | change | commit | author | date | recorded |"), "|---|---|---|---|---|---|"]
        for c in h["changes_since_approval"]:
            rec = (_("{reason} (approved by {who})").format(reason=c["recorded"]["reason"], who=c["recorded"]["approved_by"]) if c["recorded"]
                   else _("**no record**") if c["unrecorded"] else "")
            commit = (c["commit"] or _("not committed"))[:12]
            cls = _(CHANGE_CLASS_WORDS.get(c["class"], c["class"]))
            out.append(f"| {cls} | {c['message'].replace('|', '/')} | `{commit}` "
                       f"| {c['author'] or ''} | {day(c['date'])} | {rec.replace('|', '/')} |")
    return out
