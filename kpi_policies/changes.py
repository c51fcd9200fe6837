"""What changed in a plan between two versions, in the plan's terms, and how much it matters.

Objects are matched by id (plan, goal, objective, KPI, initiative; review-log
entries by their date), never by line, so moving a KPI up or down the file
changes nothing. Each change is classified (docs/domain.md, "Change and
approval"; ISO 9001:2015 6.3 and 7.5.3):

- ``breaking``: a target eased (moved against the KPI's direction) or removed,
  a KPI, objective or goal removed, a baseline value or period rewritten, a
  logged actual changed or removed (history rewritten), a due date moved
  later, the plan period shortened, a KPI's direction flipped, a change-log
  entry rewritten or removed;
- ``dangerous``: a target tightened once the plan period has started, a
  measurement tool or source changed (the series is no longer comparable), a
  cadence slowed, a metric or unit changed under the same KPI id, drivers or
  relations (objective, goal, initiative KPIs, strategy) changed, an
  initiative removed;
- ``safe``: a review appended, text edited, a KPI, objective, goal,
  initiative or change-log entry added.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from kpi_policies.i18n import _, language

#: What was removed, added or edited, per kind of item (English; each sentence whole, for translation).
def _removed(label: str) -> str:
    return {"goal": _("goal {id} was removed"), "objective": _("objective {id} was removed"), "KPI": _("KPI {id} was removed"),
            "initiative": _("initiative {id} was removed")}.get(label, label + " {id} was removed")


def _added(label: str) -> str:
    return {"goal": _("goal {id} was added"), "objective": _("objective {id} was added"), "KPI": _("KPI {id} was added"),
            "initiative": _("initiative {id} was added")}.get(label, label + " {id} was added")


def _edited(label: str) -> str:
    return {"goal": _("the {field} of goal {id} was edited"), "objective": _("the {field} of objective {id} was edited"),
            "KPI": _("the {field} of KPI {id} was edited"), "initiative": _("the {field} of initiative {id} was edited")
            }.get(label, "the {field} of " + label + " {id} was edited")

BREAKING, DANGEROUS, SAFE = "breaking", "dangerous", "safe"
CLASSES = (BREAKING, DANGEROUS, SAFE)

#: Review cadences from the most to the least frequent (days in one interval).
CADENCE_DAYS = {"weekly": 7, "biweekly": 14, "monthly": 31, "quarterly": 92, "semiannual": 183, "annual": 366}


@dataclass
class Change:
    """One change between the base and the new version of a document.

    Attributes:
        cls: ``breaking``, ``dangerous`` or ``safe``.
        kind: Stable name of the change, e.g. ``target-eased``.
        doc_id: Id of the plan or strategy.
        object_id: Id of the KPI, objective, goal or initiative changed (``None``: the document itself).
        path: Where the change stands in the new version (for a removal: its parent there).
        message: The change in one sentence, old and new values included.
        old, new: The values compared (JSON-friendly).
        owner: Owner of the KPI changed, if any (an approver must be someone else).
    """

    cls: str
    kind: str
    doc_id: str | None
    object_id: str | None
    path: tuple
    message: str
    old: Any = None
    new: Any = None
    owner: str | None = None
    line: int | None = None
    column: int | None = None

    def to_json(self) -> dict:
        return {"class": self.cls, "kind": self.kind, "plan_id": self.doc_id, "object_id": self.object_id,
                "pointer": "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in self.path), "line": self.line, "column": self.column,
                "message": self.message, "old": _plain(self.old), "new": _plain(self.new)}


@dataclass
class DocumentDiff:
    """The changes of one document (plan or strategy)."""

    doc_id: str | None
    kind: str | None
    file: str | None
    base_file: str | None
    status: str  # "changed", "added", "removed", "unchanged"
    changes: list[Change] = field(default_factory=list)


def _plain(value: Any) -> Any:
    if isinstance(value, (dt.date,)):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def number(value: Any) -> str:
    """A number as a person reads it: ``70,000,000,000``, ``2.2``."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = f"{value:,}" if isinstance(value, int) else str(value)
    if language() == "vi" and isinstance(value, (int, float)) and not isinstance(value, bool):  # 70.000.000.000, 2,2
        text = text.replace(",", "\0").replace(".", ",").replace("\0", ".")
    return text


def _by_id(items) -> dict:
    return {i.id: i for i in items if getattr(i, "id", None)}


class _Differ:
    def __init__(self, old, new, doc_id: str | None, today: dt.date | None):
        self.old, self.new, self.doc_id = old, new, doc_id
        self.today = today or dt.date.today()
        self.out: list[Change] = []

    def add(self, cls, kind, object_id, path, message, old=None, new=None, owner=None):
        self.out.append(Change(cls, kind, self.doc_id, object_id, tuple(path), message, _plain(old), _plain(new), owner))

    # --- the whole document ------------------------------------------------
    def run(self) -> list[Change]:
        old, new = self.old, self.new
        self.metadata(old.metadata, new.metadata)
        self.section("goals", "goal", old.goals, new.goals, self.goal)
        if hasattr(new, "objectives"):
            self.section("objectives", "objective", old.objectives, new.objectives, self.objective)
            self.section("kpis", "KPI", old.kpis, new.kpis, self.kpi)
            self.section("initiatives", "initiative", old.initiatives, new.initiatives, self.initiative)
            self.revisions(old.revisions, new.revisions)
            self.approval(old.approval, new.approval)
        return self.out

    def started(self) -> bool:
        period = getattr(self.new.metadata, "period", None)
        return bool(period and period.start and period.start <= self.today)

    def metadata(self, old, new):
        op, np_ = old.period, new.period
        if op and np_:
            shorter = (np_.start and op.start and np_.start > op.start) or (np_.end and op.end and np_.end < op.end)
            longer = (np_.start and op.start and np_.start < op.start) or (np_.end and op.end and np_.end > op.end)
            span = lambda p: f"{p.start} to {p.end}"
            if shorter:
                self.add(BREAKING, "period-shortened", None, ("metadata", "period"),
                         _("the plan period was shortened from {before} to {after}").format(before=span(op), after=span(np_)), span(op), span(np_))
            elif longer:
                self.add(DANGEROUS, "period-extended", None, ("metadata", "period"),
                         _("the plan period was extended from {before} to {after}: its targets now have longer").format(
                             before=span(op), after=span(np_)), span(op), span(np_))
        for name in ("title", "description", "owner", "department"):
            a, b = getattr(old, name, None), getattr(new, name, None)
            if a != b:
                self.add(SAFE, "text-edited", None, ("metadata", name) if b is not None else ("metadata",),
                         _("the plan's {field} was edited").format(field=name), a, b)
        if getattr(old, "strategy", None) != getattr(new, "strategy", None):
            self.add(DANGEROUS, "relation-changed", None, ("metadata", "strategy") if new.strategy else ("metadata",),
                     _("the plan now serves strategy {new} instead of {old}").format(new=new.strategy or _("(none)"), old=old.strategy or _("(none)")),
                     old.strategy, new.strategy)

    def section(self, key, label, old_items, new_items, compare):
        before, after = _by_id(old_items), _by_id(new_items)
        for ident, item in before.items():
            if ident not in after:
                owner = getattr(item, "owner", None)
                cls = DANGEROUS if key == "initiatives" else BREAKING
                self.add(cls, f"{label.lower()}-removed", ident, (key,), _removed(label).format(id=ident), ident, None, owner)
        for ident, item in after.items():
            if ident not in before:
                self.add(SAFE, f"{label.lower()}-added", ident, item.path, _added(label).format(id=ident), None, ident)
            else:
                compare(before[ident], item)

    def text(self, label, old, new, names):
        for name in names:
            a, b = getattr(old, name, None), getattr(new, name, None)
            if a != b:
                self.add(SAFE, "text-edited", new.id, new.path + ((name,) if b is not None else ()),
                         _edited(label).format(field=name, id=new.id), a, b, getattr(new, "owner", None))

    def goal(self, old, new):
        self.text("goal", old, new, ("title", "description"))
        if old.type != new.type:
            self.add(DANGEROUS, "relation-changed", new.id, new.path + (("type",) if new.type else ()),
                     _("goal {id} changed type from {old} to {new}").format(id=new.id, old=old.type, new=new.type), old.type, new.type)

    def objective(self, old, new):
        self.text("objective", old, new, ("title", "description"))
        if old.goal != new.goal:
            self.add(DANGEROUS, "relation-changed", new.id, new.path + (("goal",) if new.goal else ()),
                     _("objective {id} now serves goal {new} instead of {old}").format(id=new.id, new=new.goal, old=old.goal), old.goal, new.goal)

    def initiative(self, old, new):
        self.text("initiative", old, new, ("title", "description", "owner", "start", "end"))
        if set(old.kpis) != set(new.kpis):
            self.add(DANGEROUS, "relation-changed", new.id, new.path + ("kpis",),
                     _("initiative {id} now moves {new} instead of {old}").format(
                         id=new.id, new=", ".join(new.kpis) or _("no KPI"), old=", ".join(old.kpis) or _("no KPI")),
                     sorted(old.kpis), sorted(new.kpis))

    # --- one KPI -------------------------------------------------------------
    def kpi(self, old, new):
        k, owner, p = new.id, new.owner or old.owner, new.path
        add = lambda cls, kind, path, msg, a=None, b=None: self.add(cls, kind, k, path, msg, a, b, owner)
        unit = f" {new.unit}" if new.unit and new.unit not in ("count",) else ""
        self.text("KPI", old, new, ("name", "description", "owner"))
        if old.direction != new.direction:
            add(BREAKING, "direction-changed", p + (("direction",) if new.direction else ()),
                _("KPI {kpi} changed direction from {old} to {new}: the same numbers now read the other way").format(
                    kpi=k, old=old.direction, new=new.direction),
                old.direction, new.direction)
        ot, nt = old.target, new.target
        if ot is not None and ot.value is not None:
            if nt is None or nt.value is None:
                add(BREAKING, "target-removed", p + (("target",) if nt else ()), _("the target of KPI {kpi} ({value}) was removed").format(kpi=k, value=number(ot.value) + unit),
                    ot.value, None)
            elif nt.value != ot.value:
                self.target_value(k, owner, new.direction, ot.value, nt.value, p + ("target", "value"), unit, _last_review(new, unit))
        elif nt is not None and nt.value is not None:
            add(SAFE, "target-added", p + ("target", "value"), _("KPI {kpi} got a target of {value}").format(kpi=k, value=number(nt.value) + unit), None, nt.value)
        if ot and nt and ot.due and ot.due != nt.due:
            if nt.due is None:
                add(BREAKING, "due-removed", p + ("target",), _("the due date of KPI {kpi}'s target ({due}) was removed").format(kpi=k, due=ot.due), ot.due, None)
            elif nt.due > ot.due:
                add(BREAKING, "due-later", p + ("target", "due"), _("the due date of KPI {kpi}'s target moved later, from {old} to {new}").format(kpi=k, old=ot.due, new=nt.due),
                    ot.due, nt.due)
            else:
                add(DANGEROUS, "due-earlier", p + ("target", "due"), _("the due date of KPI {kpi}'s target moved earlier, from {old} to {new}").format(kpi=k, old=ot.due, new=nt.due),
                    ot.due, nt.due)
        if ot and nt and ot.justification != nt.justification:
            add(SAFE, "text-edited", p + ("target",), _("the justification of KPI {kpi}'s target was edited").format(kpi=k), ot.justification, nt.justification)
        ob, nb = old.baseline, new.baseline
        if ob is not None and (ob.value is not None or ob.period is not None):
            if nb is None:
                add(BREAKING, "baseline-rewritten", p, _("the baseline of KPI {kpi} ({value}, {period}) was removed").format(kpi=k, value=number(ob.value) + unit, period=ob.period),
                    ob.value, None)
            else:
                if ob.value != nb.value:
                    add(BREAKING, "baseline-rewritten", p + ("baseline", "value") if nb.value is not None else p + ("baseline",),
                        _("the baseline value of KPI {kpi} was rewritten from {old} to {new}").format(kpi=k, old=number(ob.value), new=number(nb.value) + unit),
                        ob.value, nb.value)
                if str(ob.period) != str(nb.period):
                    add(BREAKING, "baseline-rewritten", p + ("baseline", "period") if nb.period is not None else p + ("baseline",),
                        _("the baseline period of KPI {kpi} was rewritten from {old} to {new}").format(kpi=k, old=ob.period, new=nb.period),
                        ob.period, nb.period)
                if ob.source != nb.source:
                    add(SAFE, "text-edited", p + ("baseline",), _("the source named for KPI {kpi}'s baseline was edited").format(kpi=k), ob.source, nb.source)
        elif nb is not None and nb.value is not None:
            add(SAFE, "baseline-added", p + ("baseline",), _("KPI {kpi} got a baseline of {value}").format(kpi=k, value=number(nb.value) + unit), None, nb.value)
        for name, kind in (("metric", "metric-changed"), ("unit", "unit-changed")):
            a, b = getattr(old, name), getattr(new, name)
            if a != b and a is not None:
                add(DANGEROUS, kind, p + ((name,) if b is not None else ()),
                    (_("KPI {kpi} now measures metric {new} instead of {old} under the same id: earlier values are not comparable") if name == "metric"
                     else _("KPI {kpi} now measures unit {new} instead of {old} under the same id: earlier values are not comparable")).format(
                        kpi=k, new=b, old=a), a, b)
        if old.objective != new.objective:
            add(DANGEROUS, "relation-changed", p + (("objective",) if new.objective else ()),
                _("KPI {kpi} now serves objective {new} instead of {old}").format(kpi=k, new=new.objective, old=old.objective),
                old.objective, new.objective)
        if set(old.drivers) != set(new.drivers):
            add(DANGEROUS, "drivers-changed", p + (("drivers",) if new.drivers else ()),
                _("the drivers of KPI {kpi} changed from [{old}] to [{new}]").format(kpi=k, old=", ".join(old.drivers), new=", ".join(new.drivers)),
                sorted(old.drivers), sorted(new.drivers))
        om, nm = old.measurement, new.measurement
        for name in ("tool", "source"):
            a, b = getattr(om, name, None), getattr(nm, name, None)
            if a is not None and a != b:
                add(DANGEROUS, "measurement-changed", p + (("measurement", name) if b is not None else ("measurement",) if nm else ()),
                    (_("the measurement tool of KPI {kpi} changed from '{old}' to '{new}': the series is no longer comparable") if name == "tool"
                     else _("the measurement source of KPI {kpi} changed from '{old}' to '{new}': the series is no longer comparable")).format(
                        kpi=k, old=a, new=b), a, b)
        if om and nm and om.owner != nm.owner:
            add(SAFE, "text-edited", p + ("measurement",), _("who measures KPI {kpi} changed from {old} to {new}").format(kpi=k, old=om.owner, new=nm.owner), om.owner, nm.owner)
        self.review(k, owner, old.review, new.review, p, unit)

    def target_value(self, k, owner, direction, a, b, path, unit, last=""):
        values = {"kpi": k, "old": number(a), "new": number(b) + unit}
        if direction == "increase" and b < a or direction == "decrease" and b > a:
            cls, kind, why = BREAKING, "target-eased", _("the target of KPI {kpi} was eased from {old} to {new} (direction: {direction}{last})").format(
                direction=direction, last=last, **values)
        elif direction in ("increase", "decrease"):
            if self.started():
                cls, kind, why = DANGEROUS, "target-tightened", _("the target of KPI {kpi} was tightened mid-period from {old} to {new}").format(**values)
            else:
                cls, kind, why = SAFE, "target-tightened", _("the target of KPI {kpi} was tightened before the period started from {old} to {new}").format(
                    **values)
        elif direction == "maintain":
            cls, kind, why = DANGEROUS, "target-changed", _("the target of KPI {kpi} (direction: maintain) changed from {old} to {new}").format(**values)
        else:
            cls, kind, why = (BREAKING, "target-changed",
                              _("the target of KPI {kpi} changed from {old} to {new}, and the KPI states no direction, so nobody can tell "
                                "whether it was eased").format(**values))
        self.add(cls, kind, k, path, why, a, b, owner)

    def review(self, k, owner, old, new, p, unit):
        add = lambda cls, kind, path, msg, a=None, b=None: self.add(cls, kind, k, path, msg, a, b, owner)
        oc, nc = getattr(old, "cadence", None), getattr(new, "cadence", None)
        if oc in CADENCE_DAYS and oc != nc:
            if nc not in CADENCE_DAYS or CADENCE_DAYS[nc] > CADENCE_DAYS[oc]:
                add(DANGEROUS, "cadence-slowed", p + (("review", "cadence") if nc else ("review",) if new else ()),
                    (_("KPI {kpi} is now reviewed {new} instead of {old}") if nc else _("KPI {kpi} is now reviewed never instead of {old}")).format(
                        kpi=k, new=nc, old=oc), oc, nc)
            else:
                add(SAFE, "cadence-faster", p + ("review", "cadence"), _("KPI {kpi} is now reviewed {new} instead of {old}").format(kpi=k, new=nc, old=oc), oc, nc)
        if old and new and old.reviewer != new.reviewer:
            add(SAFE, "text-edited", p + ("review",), _("the reviewer of KPI {kpi} changed from {old} to {new}").format(kpi=k, old=old.reviewer, new=new.reviewer),
                old.reviewer, new.reviewer)
        before = _entries(old.log if old else [])
        after = _entries(new.log if new else [])
        log_path = p + ("review", "log") if new and new.log else p + ("review",) if new else p
        for key, entry in before.items():
            day = key[0]
            if key not in after:
                add(BREAKING, "actual-removed", log_path,
                    _("the actual of KPI {kpi} logged on {day} ({value}) was removed from the review log").format(
                        kpi=k, day=day, value=number(entry.actual) + unit), entry.actual, None)
                continue
            now = after[key]
            if entry.actual != now.actual:
                add(BREAKING, "actual-changed", now.path + ("actual",),
                    _("the actual of KPI {kpi} logged on {day} was rewritten from {old} to {new}").format(
                        kpi=k, day=day, old=number(entry.actual), new=number(now.actual) + unit),
                    entry.actual, now.actual)
            if entry.note != now.note:
                add(SAFE, "text-edited", now.path, _("the note of KPI {kpi}'s review of {day} was edited").format(kpi=k, day=day), entry.note, now.note)
        for key, entry in after.items():
            if key not in before:
                add(SAFE, "review-appended", entry.path, _("a review of KPI {kpi} on {day} was logged ({value})").format(kpi=k, day=key[0], value=number(entry.actual) + unit),
                    None, entry.actual)

    # --- the change log and the approval ------------------------------------
    def revisions(self, old, new):
        for i, entry in enumerate(old):
            now = new[i] if i < len(new) else None
            if now is None:
                self.add(BREAKING, "revision-removed", None, ("revisions",) if new else (),
                         _("change-log entry {n} ({date}, covering {covers}) was removed").format(n=i + 1, date=entry.date, covers=", ".join(entry.covers)),
                         _revision(entry), None)
            elif _revision(now) != _revision(entry):
                self.add(BREAKING, "revision-rewritten", None, now.path,
                         _("change-log entry {n} ({date}, covering {covers}) was rewritten").format(n=i + 1, date=entry.date, covers=", ".join(entry.covers)),
                         _revision(entry), _revision(now))
        for entry in new[len(old):]:
            self.add(SAFE, "revision-added", None, entry.path,
                     _("a change-log entry of {date} covering {covers} was added, approved by {who}").format(
                         date=entry.date, covers=", ".join(entry.covers), who=entry.approved_by),
                     None, _revision(entry))

    def approval(self, old, new):
        a = _approval(old)
        b = _approval(new)
        if a == b:
            return
        if a and not b:
            self.add(DANGEROUS, "approval-removed", None, (), _("the plan's approval record ({who}, {date}) was removed").format(who=a["approved_by"], date=a["approved_on"]), a, None)
        else:
            self.add(SAFE, "approval-recorded", None, new.path, _("the plan's approval was recorded: {who} on {date}").format(who=b["approved_by"], date=b["approved_on"]), a, b)


def _last_review(kpi, unit) -> str:
    """``; last review 2027-03-31: 4,420,000,000 VND``: what the KPI stood at when its target moved."""
    log = [e for e in (kpi.review.log if kpi.review else []) if e.date is not None and e.actual is not None]
    if not log:
        return ""
    last = max(log, key=lambda e: e.date)
    return _("; last review {date}: {value}").format(date=last.date, value=number(last.actual) + unit)


def _entries(log) -> dict:
    """Review-log entries keyed by (date, occurrence), so two reviews on one day stay apart."""
    out: dict = {}
    seen: dict = {}
    for entry in log:
        if entry.date is None:
            continue
        n = seen.get(entry.date, 0)
        seen[entry.date] = n + 1
        out[(entry.date, n)] = entry
    return out


def _revision(entry) -> dict:
    return {"date": _plain(entry.date), "covers": list(entry.covers), "reason": entry.reason,
            "approved_by": entry.approved_by, "reference": entry.reference}


def _approval(entry) -> dict | None:
    if entry is None:
        return None
    return {"approved_by": entry.approved_by, "approved_on": _plain(entry.approved_on), "reference": entry.reference}


def compare(old, new, doc_id: str | None = None, today: dt.date | None = None) -> list[Change]:
    """Changes from model ``old`` to model ``new`` (a KpiPlan or a Strategy), in document order of the new version.

    Args:
        old, new: The two versions' models.
        doc_id: The document's id, stamped on every change.
        today: The day "mid-period" is judged on (a target tightened after the plan started).
    """
    doc_id = doc_id or getattr(new.metadata, "id", None)
    return _Differ(old, new, doc_id, today).run()


def locate(changes: list[Change], document) -> list[Change]:
    """Give each change the line and column of its path in the new version's loaded document."""
    for change in changes:
        change.line, change.column = document.locate(change.path) if change.path else (1, 1)
    changes.sort(key=lambda c: (c.line or 0, c.column or 0, CLASSES.index(c.cls)))
    return changes


def summary(diffs: list[DocumentDiff]) -> dict:
    """Number of changes of each class over all documents."""
    counts = {c: 0 for c in CLASSES}
    for d in diffs:
        for change in d.changes:
            counts[change.cls] += 1
    return counts
