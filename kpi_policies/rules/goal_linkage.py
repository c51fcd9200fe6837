"""GL, goal linkage: every KPI traces back to a business goal (docs/domain.md mistake 1).

References resolve (KPI to objective, objective to goal, drivers, initiative
KPIs, the named strategy), ids are unique, drivers form no cycle, every
objective is measured and every goal is served.
"""

from __future__ import annotations

from kpi_policies.i18n import _
from kpi_policies.result import Severity
from kpi_policies.rules.base import Context, Rule, Violation, is_blank, kpi_label
from kpi_policies.schema import did_you_mean


class UnknownObjective(Rule):
    """KPI is not linked to an objective of its plan.

    ## Why it matters
    A KPI measures a marketing objective, and the objective serves a business
    goal (docs/domain.md, "How a good plan is built", steps 1 and 2). A KPI whose
    `objective` is missing or names no objective of the plan measures nothing
    the business asked for: mistake 1 of docs/domain.md. ISO 9001:2015 6.2 asks
    that quality objectives be measurable; the link makes that traceable.

    ## Fails
    ```yaml
    kpis:
      - id: KPI-CONVERSION
        objective: OBJ-PROFIT      # the plan has no objective OBJ-PROFIT
    ```

    ## Passes
    ```yaml
    kpis:
      - id: KPI-CONVERSION
        objective: OBJ-REVENUE
    ```
    """

    id = "GL001"
    name = "goal-linkage.unknown-objective"
    severity = Severity.ERROR

    def check(self, ctx: Context, params):
        objectives = [o.id for o in ctx.plan.objectives if o.id]
        for kpi in ctx.kpis():
            if is_blank(kpi.objective):
                choice = (_("set `objective` to one of: {ids}").format(ids=", ".join(objectives)) if objectives
                          else _("the plan has no objectives: add `objectives:` and point the KPI at one"))
                yield Violation(kpi.path, _("KPI {kpi} names no objective; {choice}").format(kpi=kpi_label(kpi), choice=choice),
                                missing=kpi.path + ("objective",))
            elif kpi.objective not in objectives:
                yield Violation(kpi.path + ("objective",),
                                _("KPI {kpi} measures objective '{objective}', which this plan does not define").format(
                                    kpi=kpi_label(kpi), objective=kpi.objective) + did_you_mean(kpi.objective, objectives))


class UnknownGoal(Rule):
    """Objective does not serve a known business goal.

    ## Why it matters
    "Every marketing objective serves a business goal of the company. An
    objective with no business goal is noise" (docs/domain.md, step 1). The goal
    must be one of the plan's `goals` or of the Strategy named in
    `metadata.strategy`.

    ## Fails
    ```yaml
    objectives:
      - id: OBJ-REVENUE
        goal: G-MARGIN             # neither the plan nor a strategy defines it
    ```

    ## Passes
    ```yaml
    metadata:
      strategy: company-2027       # the company strategy defines G-RETENTION
    objectives:
      - id: OBJ-REVENUE
        goal: G-RETENTION
    ```
    """

    id = "GL002"
    name = "goal-linkage.unknown-goal"
    severity = Severity.ERROR

    def check(self, ctx: Context, params):
        goals = ctx.goals()
        strategy_missing = bool(ctx.plan.metadata.strategy) and ctx.strategy() is None
        for objective in ctx.plan.objectives:
            label = objective.id or _("at objectives[{index}]").format(index=objective.path[-1])
            if is_blank(objective.goal):
                choice = (_("set `goal` to one of: {ids}").format(ids=", ".join(goals)) if goals
                          else _("the plan has no goals: add `goals:` or name a strategy in `metadata.strategy`"))
                yield Violation(objective.path, _("objective {objective} serves no business goal; {choice}").format(objective=label, choice=choice),
                                missing=objective.path + ("goal",))
            elif objective.goal not in goals and not strategy_missing:
                where = (_("this plan's goals or strategy {strategy}").format(strategy=ctx.plan.metadata.strategy)
                         if ctx.plan.metadata.strategy else _("this plan's goals"))
                yield Violation(objective.path + ("goal",),
                                _("objective {objective} serves goal '{goal}', which is not among {where}").format(
                                    objective=label, goal=objective.goal, where=where) + did_you_mean(objective.goal, goals))


class UnknownStrategy(Rule):
    """Plan names a strategy that cannot be found.

    ## Why it matters
    A plan may serve goals set in a company Strategy document instead of
    listing its own (docs/domain.md, step 1). If `metadata.strategy` names no
    Strategy among the files checked or in the repository, none of the
    objectives that rely on it can be traced to a goal. The strategy is
    looked up among the files of the run first, then in the git repository
    that holds the plan; outside a repository, pass its file along.

    ## Fails
    ```yaml
    metadata:
      strategy: company-2030       # no Strategy file has this id
    ```

    ## Passes
    ```yaml
    metadata:
      strategy: company-2027
    ```
    """

    id = "GL003"
    name = "goal-linkage.unknown-strategy"
    severity = Severity.ERROR

    def check(self, ctx: Context, params):
        strategy_id = ctx.plan.metadata.strategy
        if strategy_id and ctx.strategy() is None:
            yield Violation(("metadata", "strategy"),
                            _("strategy '{strategy}' is not among the files checked nor in this repository: check the id, "
                              "or pass the strategy file along with the plan (kpi-policies check PLAN STRATEGY)").format(strategy=strategy_id))


class UnknownDriver(Rule):
    """Driver is not a KPI of the plan.

    ## Why it matters
    Drivers are the factors that move a KPI, and each must itself be a KPI so it
    is measured and reviewed (docs/domain.md, step 4; Balanced Scorecard: lagging
    outcome measures need leading driver measures).

    ## Fails
    ```yaml
    kpis:
      - id: KPI-REVENUE
        drivers: [KPI-CONVERSION, KPI-BASKET]   # KPI-BASKET is not defined
    ```

    ## Passes
    ```yaml
    kpis:
      - id: KPI-REVENUE
        drivers: [KPI-CONVERSION]
    ```
    """

    id = "GL004"
    name = "goal-linkage.unknown-driver"
    severity = Severity.ERROR

    def check(self, ctx: Context, params):
        kpi_ids = [k.id for k in ctx.kpis()]
        known = set(kpi_ids)  # linear in the plan's size
        for kpi in ctx.kpis():
            for i, driver in enumerate(kpi.drivers):
                if driver not in known:
                    yield Violation(kpi.path + ("drivers", i),
                                    _("KPI {kpi} names driver '{driver}', which is not a KPI of this plan").format(kpi=kpi.id, driver=driver)
                                    + did_you_mean(driver, kpi_ids))


class UnknownInitiativeKpi(Rule):
    """Initiative moves a KPI the plan does not define.

    ## Why it matters
    Initiatives are the execution plan: each moves named driver KPIs and has an
    owner and dates (docs/domain.md, step 5). An initiative pointing at an unknown
    KPI has no measurable effect.

    ## Fails
    ```yaml
    initiatives:
      - id: INIT-CHECKOUT
        kpis: [KPI-CHECKOUT-SPEED]  # not a KPI of this plan
    ```

    ## Passes
    ```yaml
    initiatives:
      - id: INIT-CHECKOUT
        kpis: [KPI-CONVERSION]
    ```
    """

    id = "GL005"
    name = "goal-linkage.unknown-initiative-kpi"
    severity = Severity.ERROR

    def check(self, ctx: Context, params):
        kpi_ids = [k.id for k in ctx.kpis()]
        known = set(kpi_ids)
        for initiative in ctx.plan.initiatives:
            for i, kpi_id in enumerate(initiative.kpis):
                if kpi_id not in known:
                    yield Violation(initiative.path + ("kpis", i),
                                    _("initiative {initiative} moves KPI '{kpi}', which this plan does not define").format(
                                        initiative=initiative.id, kpi=kpi_id) + did_you_mean(kpi_id, kpi_ids))


class DuplicateId(Rule):
    """Id is used twice within one plan.

    ## Why it matters
    Ids of goals, objectives, KPIs and initiatives are unique within their plan
    (docs/domain.md, "Ids and defaults"); a reference to a duplicated id is
    ambiguous, and reports would merge two different things.

    ## Fails
    ```yaml
    initiatives:
      - id: KPI-CONVERSION          # already the id of a KPI
        title: Faster checkout
        kpis: [KPI-CONVERSION]
        owner: web-team
        start: 2027-02-01
        end: 2027-06-30
    ```

    ## Passes
    ```yaml
    initiatives:
      - id: INIT-FAST-CHECKOUT
        title: Faster checkout
        kpis: [KPI-CONVERSION]
        owner: web-team
        start: 2027-02-01
        end: 2027-06-30
    ```
    """

    id = "GL006"
    name = "goal-linkage.duplicate-id"
    severity = Severity.ERROR
    kinds = ("KpiPlan", "Strategy")

    def check(self, ctx: Context, params):
        seen: dict[str, str] = {}
        words = {"goals": _("the goal on line {line}"), "objectives": _("the objective on line {line}"),
                 "kpis": _("the KPI on line {line}"), "initiatives": _("the initiative on line {line}")}
        for section in ("goals", "objectives", "kpis", "initiatives"):
            for obj in getattr(ctx.plan, section, []):
                if not obj.id:
                    continue
                if obj.id in seen:
                    yield Violation(obj.path + ("id",), _("id '{id}' is already used by {other}; ids are unique within a plan").format(
                        id=obj.id, other=seen[obj.id]))
                else:
                    seen[obj.id] = words[section].format(line=ctx.document.locate(obj.path + ('id',))[0])


class DuplicateDocumentId(Rule):
    """Two plans or strategies share one id.

    ## Why it matters
    Plan and strategy ids are unique across the repository (docs/domain.md, "Ids and
    defaults"): a plan's `metadata.strategy` and every report refer to them.

    ## Fails
    ```yaml
    metadata:
      id: company-2027             # the company strategy already has this id
    ```

    ## Passes
    ```yaml
    metadata:
      id: shop-marketing-2027
    ```
    """

    id = "GL007"
    name = "goal-linkage.duplicate-document-id"
    severity = Severity.ERROR
    kinds = ("KpiPlan", "Strategy")
    run_level = True

    def check(self, ctx: Context, params):
        return ()  # judged across the whole run: see check_run

    @classmethod
    def check_run(cls, documents, params):
        by_id: dict[str, list] = {}
        for i, doc in enumerate(documents):
            if doc.doc_id and doc.kind in cls.kinds:
                by_id.setdefault(doc.doc_id, []).append(i)
        for doc_id, indexes in by_id.items():
            if len(indexes) < 2:
                continue
            for i in indexes:
                others = [documents[j] for j in indexes if j != i]
                files = ", ".join(sorted({d.file for d in others}))
                yield i, Violation(("metadata", "id"), _("id '{id}' is also the id of {kind} in {files}; "
                                                          "plan and strategy ids are unique across the repository").format(
                                                            id=doc_id, kind=others[0].kind, files=files))


class DriverCycle(Rule):
    """Drivers form a cycle.

    ## Why it matters
    A driver is a leading measure that moves a lagging one (docs/domain.md, step 4;
    Balanced Scorecard). If A drives B and B drives A, neither is the cause,
    and the tree of goals, KPIs and drivers can no longer be read top-down.

    ## Fails
    ```yaml
    kpis:
      - id: KPI-CONVERSION
        drivers: [KPI-REVENUE]     # KPI-REVENUE is already driven by KPI-CONVERSION
    ```

    ## Passes
    ```yaml
    kpis:
      - id: KPI-CONVERSION
        drivers: []
    ```
    """

    id = "GL008"
    name = "goal-linkage.driver-cycle"
    severity = Severity.ERROR

    def check(self, ctx: Context, params):
        kpis = {k.id: k for k in ctx.kpis()}
        graph = {k: [d for d in kpi.drivers if d in kpis] for k, kpi in kpis.items()}
        for cycle in find_cycles(graph):
            closing = kpis[cycle[-1]]  # its driver entry closes the cycle
            yield Violation(closing.path + ("drivers", closing.drivers.index(cycle[0])),
                            _("drivers form a cycle: {cycle}").format(cycle=" -> ".join(cycle + [cycle[0]])))


def find_cycles(graph: dict[str, list[str]]) -> list[list[str]]:
    """One cycle per back edge of a depth-first search, in linear time.

    Args:
        graph: KPI id -> ids of its drivers (all keys of ``graph``).

    Returns:
        Each cycle as the list of KPI ids along it, starting where it closes.
    """
    state: dict[str, int] = {}  # 1 on the current path, 2 done
    cycles = []
    for root in graph:
        if root in state:
            continue
        state[root] = 1
        path, stack = [root], [iter(graph[root])]
        while stack:
            nxt = next(stack[-1], None)
            if nxt is None:
                state[path.pop()] = 2
                stack.pop()
            elif nxt not in state:
                state[nxt] = 1
                path.append(nxt)
                stack.append(iter(graph[nxt]))
            elif state[nxt] == 1:
                cycles.append(path[path.index(nxt):])
    return cycles


class ObjectiveWithoutKpi(Rule):
    """Objective has no KPI measuring it.

    ## Why it matters
    An objective is reached only if something measures it (docs/domain.md, step 2;
    ISO 9001:2015 6.2: quality objectives shall be measurable).

    ## Fails
    ```yaml
    objectives:
      - id: OBJ-LOYALTY
        title: More repeat buyers
        goal: G-SALES              # no KPI names OBJ-LOYALTY
    ```

    ## Passes
    ```yaml
    objectives:
      - id: OBJ-REVENUE
        title: Online revenue +10% on 2026
        goal: G-SALES
    ```
    """

    id = "GL009"
    name = "goal-linkage.objective-without-kpi"
    severity = Severity.ERROR

    def check(self, ctx: Context, params):
        measured = {k.objective for k in ctx.kpis()}
        for objective in ctx.plan.objectives:
            if objective.id and objective.id not in measured:
                yield Violation(objective.path + ("id",), _("objective {objective} has no KPI; add a KPI whose `objective` is {objective}").format(objective=objective.id))


class GoalWithoutObjective(Rule):
    """Business goal is served by no objective.

    ## Why it matters
    A goal listed in the plan but served by no objective will not be worked on
    (docs/domain.md, step 1). It may be intended (a goal owned by another
    department), hence a warning.

    ## Fails
    ```yaml
    goals:
      - {id: G-BRAND, title: Grow brand awareness, type: brand_awareness}
    ```

    ## Passes
    ```yaml
    goals:
      - {id: G-SALES, title: Grow online sales, type: sales_growth}
    ```
    """

    id = "GL010"
    name = "goal-linkage.goal-without-objective"
    severity = Severity.WARNING

    def check(self, ctx: Context, params):
        served = {o.goal for o in ctx.plan.objectives}
        for goal in ctx.plan.goals:
            if goal.id and goal.id not in served:
                yield Violation(goal.path + ("id",), _("goal {goal} is served by no objective of this plan").format(goal=goal.id))


class KpiWithoutOwner(Rule):
    """KPI names no owner accountable for it.

    ## Why it matters
    Every KPI of a head of marketing's plan has one person who answers for it
    (docs/domain.md, "Who writes plans"): ISO 9001:2015 6.2 plans objectives
    with "who", and SMART asks that a target be assignable (Doran, 1981). The
    person who measures (`measurement.owner`) and the reviewer are not the
    owner. A warning in `recommended`, an error in `strict`.

    ## Fails
    ```yaml
    kpis:
      - id: KPI-CONVERSION
        owner: ~                   # removed
    ```

    ## Passes
    ```yaml
    kpis:
      - id: KPI-CONVERSION
        owner: web-team-lead
    ```
    """

    id = "GL011"
    name = "goal-linkage.kpi-without-owner"
    severity = Severity.WARNING

    def check(self, ctx: Context, params):
        for kpi in ctx.kpis():
            if is_blank(kpi.owner):
                yield Violation(kpi.path, _("KPI {kpi} has no owner: add `owner:` with the person who answers for it").format(kpi=kpi_label(kpi)),
                                missing=kpi.path + ("owner",))


class UnknownGoalType(Rule):
    """Business goal's type is neither built in nor added by the policy.

    ## Why it matters
    The goal type decides which metrics fit the goal (rule KF004). The built-in
    types are the business goals of the method (docs/domain.md, step 1):
    `sales_growth`, `brand_awareness`, `cost_efficiency`, `customer_retention`,
    `lead_generation`, plus `market_share`, `profitability` and
    `customer_satisfaction`. A company adds its own under `goal_types:` in its
    policy pack.

    ## Fails
    ```yaml
    goals:
      - {id: G-SALES, title: Grow online sales, type: sales}
    ```

    ## Passes
    ```yaml
    goals:
      - {id: G-SALES, title: Grow online sales, type: sales_growth}
    ```
    """

    id = "GL012"
    name = "goal-linkage.unknown-goal-type"
    severity = Severity.ERROR
    kinds = ("KpiPlan", "Strategy")

    def check(self, ctx: Context, params):
        known = ctx.policy.known_goal_types()
        for goal in ctx.plan.goals:
            if not is_blank(goal.type) and goal.type not in known:
                yield Violation(goal.path + ("type",),
                                _("goal {goal} has type '{type}', which is not a goal type").format(goal=goal.id or "", type=goal.type)
                                + did_you_mean(goal.type, known)
                                + _("; use one of: {types} (a policy adds its own under `goal_types:`)").format(types=", ".join(known)))
