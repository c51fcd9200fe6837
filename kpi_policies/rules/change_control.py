"""CH, change control: a plan changed after approval says why and who approved it.

docs/domain.md, "Change and approval": ISO 9001:2015 6.3 (changes are made in
a planned way) and 7.5.3 (documented information is controlled: versions,
approval, who changed what); 6.2.1 g (objectives are updated as appropriate,
not quietly). A target eased after a bad review, a KPI deleted after bad
results, a baseline rewritten or a logged actual changed afterwards are the
changes an auditor looks for first.

CH001 to CH003 compare each plan with its earlier version (``check --base
REF``; the pre-commit hook and the GitHub Action give one) and judge nothing
without it. Their examples show a new version of the reference plan; the base
they are compared with is the reference plan itself.
"""

from __future__ import annotations

from kpi_policies import changes as ch
from kpi_policies.i18n import _
from kpi_policies.result import Severity
from kpi_policies.rules.base import Context, LoadRule, Rule, Violation, is_blank

#: Breaking changes that CH002 reports instead of CH001.
_LOG_KINDS = {"revision-removed", "revision-rewritten"}


def _changes(ctx: Context) -> list[ch.Change]:
    base = ctx.base
    if base is None or getattr(base, "model", None) is None or type(base.model) is not type(ctx.plan):
        return []
    cache = ctx.__dict__.setdefault("_changes", {})
    if "list" not in cache:
        cache["list"] = ch.compare(base.model, ctx.plan, today=ctx.as_of)
    return cache["list"]


def _owners(ctx: Context, change: ch.Change) -> set[str]:
    owners = {change.owner, getattr(ctx.plan.metadata, "owner", None)}
    return {o for o in owners if not is_blank(o)}


def _record(ctx: Context, change: ch.Change) -> tuple[object | None, str]:
    """The change-log entry that records ``change``, or ``(None, why no entry counts)``."""
    plan = ctx.plan
    base_entries = len(getattr(ctx.base.model, "revisions", []) or [])
    day = getattr(ctx.base, "day", None)
    owners = _owners(ctx, change)
    wanted = {change.object_id or plan.metadata.id, plan.metadata.id} if change.object_id is None else {change.object_id}
    why = ""
    for i, entry in enumerate(getattr(plan, "revisions", []) or []):
        if not wanted & set(entry.covers):
            continue
        if i < base_entries:
            why = _("the change-log entry of {date} was already there in {base} and records an earlier change").format(
                date=entry.date, base=ctx.base.label)
        elif is_blank(entry.approved_by):
            why = _("the change-log entry of {date} names no approver").format(date=entry.date)
        elif entry.approved_by in owners:
            why = (_("the change-log entry of {date} is approved by {who}, the KPI's owner; someone else must approve it")
                   if entry.approved_by == change.owner else
                   _("the change-log entry of {date} is approved by {who}, the plan's owner; someone else must approve it")).format(
                date=entry.date, who=entry.approved_by)
        elif day is not None and entry.date is not None and entry.date < day:
            why = _("the change-log entry of {date} is older than the change (made after {day}), so it cannot have approved it").format(
                date=entry.date, day=day)
        else:
            return entry, ""
    return None, why


def _violations(ctx: Context, classes: tuple[str, ...], severity_word: str):
    for change in _changes(ctx):
        if change.cls not in classes or change.kind in _LOG_KINDS:
            continue
        entry, why = _record(ctx, change)
        if entry is not None:
            continue
        ident = change.object_id or ctx.plan.metadata.id
        owners = ", ".join(sorted(_owners(ctx, change))) or _("the owner")
        hint = why + "; " if why else _("no change-log entry records it; ")
        text = (_("breaking change since {base}: {change}; {hint}add to `revisions:` an entry with date, covers: [{ident}], "
                  "reason and approved_by (someone other than {owners})") if severity_word == "breaking" else
                _("dangerous change since {base}: {change}; {hint}add to `revisions:` an entry with date, covers: [{ident}], "
                  "reason and approved_by (someone other than {owners})"))
        yield Violation(change.path, text.format(base=ctx.base.label, change=change.message, hint=hint, ident=ident, owners=owners))


class UnrecordedBreakingChange(Rule):
    """A target eased, a KPI removed or history rewritten since the base version, with no approved record.

    ## Why it matters
    ISO 9001:2015 6.3 asks that changes to plans are made in a planned way,
    and 7.5.3 that documented information is controlled: who changed what,
    and who approved it. A target eased after a review showed the KPI
    behind, a KPI deleted after bad results, a baseline or a logged actual
    rewritten are the changes an auditor looks for first (docs/domain.md,
    "Change and approval"). Each needs an entry in the plan's change log
    (`revisions:`) covering the changed id, dated no earlier than the change,
    with a reason and an approver who is neither the KPI's nor the plan's
    owner. Entries already in the base version record earlier changes and do
    not count. Judged only when the check compares with a base version
    (`check --base REF`).

    ## Fails
    ```yaml
    kpis:
      - id: KPI-REVENUE
        owner: head-of-marketing
        target: {value: 50000000000}       # was 52,800,000,000 and the KPI should increase
    ```

    ## Passes
    ```yaml
    kpis:
      - id: KPI-REVENUE
        owner: head-of-marketing
        target: {value: 50000000000}
    revisions:                             # the entry already there, then the new one
      - {date: 2027-01-25, covers: [INIT-CHECKOUT], reason: Checkout work starts in February, approved_by: ceo}
      - date: 2027-04-08
        covers: [KPI-REVENUE]
        reason: Flagship store closed for three months after the fire in March
        approved_by: ceo
        reference: Board minutes 2027-04-08
    ```
    """

    id = "CH001"
    name = "change-control.unrecorded-breaking-change"
    severity = Severity.ERROR

    def check(self, ctx: Context, params):
        yield from _violations(ctx, (ch.BREAKING,), "breaking")


class ChangeLogRewritten(Rule):
    """An entry of the plan's change log was removed or rewritten since the base version.

    ## Why it matters
    A change log is evidence only if it is kept: ISO 9001:2015 7.5.3 asks for
    documented information to be protected from unintended alteration and
    kept. Entries of `revisions:` are appended, never edited or deleted; a
    correction is a new entry. Judged only when the check compares with a
    base version (`check --base REF`).

    ## Fails
    ```yaml
    revisions:
      - date: 2027-04-08
        covers: [KPI-CONVERSION]
        reason: Rewritten afterwards
        approved_by: ceo
    ```

    ## Passes
    ```yaml
    kpis:
      - id: KPI-CONVERSION
        name: Web conversion rate (sessions with a purchase)
    ```
    """

    id = "CH002"
    name = "change-control.change-log-rewritten"
    severity = Severity.ERROR

    def check(self, ctx: Context, params):
        for change in _changes(ctx):
            if change.kind in _LOG_KINDS:
                yield Violation(change.path, _("{change} since {base}; the change log only grows: restore the entry and add a new "
                                               "one for the correction").format(change=change.message, base=ctx.base.label))


class UnrecordedDangerousChange(Rule):
    """A target tightened mid-period, a tool, metric or cadence changed since the base version, with no record.

    ## Why it matters
    Some changes do not ease a target but still break the comparison of a
    KPI over time: another measurement tool or source (the series is no
    longer comparable), a metric or unit changed under the same KPI id, a
    slower cadence, new drivers or relations, a target tightened after the
    period started (ISO 9001:2015 6.3; ISO/IEC 27001:2022 9.1: methods give
    comparable results). Record them in `revisions:` like a breaking change
    so the report can explain the break in the series. Judged only when the
    check compares with a base version (`check --base REF`).

    ## Fails
    ```yaml
    kpis:
      - id: KPI-CONVERSION
        measurement: {tool: google-ads, source: Google Ads conversion rate}
    ```

    ## Passes
    ```yaml
    kpis:
      - id: KPI-CONVERSION
        measurement: {tool: google-ads, source: Google Ads conversion rate}
    revisions:                             # the entry already there, then the new one
      - {date: 2027-01-25, covers: [INIT-CHECKOUT], reason: Checkout work starts in February, approved_by: ceo}
      - date: 2027-04-08
        covers: [KPI-CONVERSION]
        reason: GA4 lost consent-mode data; the Google Ads figure is used from April
        approved_by: ceo
    ```
    """

    id = "CH003"
    name = "change-control.unrecorded-dangerous-change"
    severity = Severity.WARNING

    def check(self, ctx: Context, params):
        yield from _violations(ctx, (ch.DANGEROUS,), "dangerous")


class MissingApproval(Rule):
    """A plan in force has no approval record.

    ## Why it matters
    ISO 9001:2015 7.5.3 asks that documented information is approved and
    that who approved which version is known; a plan used to steer the year
    should say who approved it, when, and where that is recorded
    (`approval: {approved_by, approved_on, reference}`). Changes after the
    approval go in `revisions:`. A warning by default, an error in the
    `strict` pack. A plan whose period has not started or has ended is not
    in force and is not judged.

    ## Fails
    ```yaml
    approval: ~                            # removed
    ```

    ## Passes
    ```yaml
    approval:
      approved_by: ceo
      approved_on: 2026-12-20
      reference: Board minutes 2026-12-20
    ```
    """

    id = "CH004"
    name = "change-control.missing-approval"
    severity = Severity.WARNING

    def check(self, ctx: Context, params):
        plan = ctx.plan
        period = plan.metadata.period
        if period is None or period.start is None or not period.contains(ctx.as_of):
            return
        approval = getattr(plan, "approval", None)
        if approval is None:
            yield Violation(("metadata",), _("plan {plan} is in force ({start} to {end}) but records no approval; add "
                                             "`approval: {{approved_by: ..., approved_on: YYYY-MM-DD, reference: ...}}`").format(
                                                 plan=plan.metadata.id, start=period.start, end=period.end), on_key=True)
        elif not is_blank(approval.approved_by) and approval.approved_by == plan.metadata.owner:
            yield Violation(("approval", "approved_by"), _("plan {plan} is approved by its own owner {owner}; someone else must "
                                                           "approve it").format(plan=plan.metadata.id, owner=approval.approved_by))


class PlanRemoved(LoadRule):
    """A plan in force was deleted since the base version.

    ## Why it matters
    Deleting the whole file is the largest way to ease a plan: every target,
    baseline and logged actual goes with it (ISO 9001:2015 6.3, 7.5.3). A
    plan whose period has ended may be archived freely; one still in force
    (its period holds the as-of day) is reported where it was, on the folder
    checked. There is no plan left to carry a change-log entry, so a deletion
    that was decided is waived with a policy suppression naming the plan, its
    reason and who approved it. Judged only when the check compares with a
    base version (`check --base REF`) and is given folders, as the GitHub
    Action is.

    ## Fails
    ```console
    $ git rm plans/shop-marketing-2027.yaml      # its period 2027-01-01 to 2027-12-31 holds --as-of
    $ kpi-policies check --as-of 2027-04-10 --base HEAD plans/
    plans/shop-marketing-2027.yaml:1:1: CH005 error: plan shop-marketing-2027 (2027-01-01 to 2027-12-31) ...
    ```

    ## Passes
    ```console
    $ git rm plans/shop-marketing-2025.yaml      # its period ended: archived
    $ kpi-policies check --as-of 2027-04-10 --base HEAD plans/
    ```
    """

    id = "CH005"
    name = "change-control.plan-removed"
    severity = Severity.ERROR
    raw_examples = True


RULES = [UnrecordedBreakingChange, ChangeLogRewritten, UnrecordedDangerousChange, MissingApproval, PlanRemoved]
