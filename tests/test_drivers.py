"""Driver arithmetic (rule family DR): relations between KPIs add up, and plans reach their strategy's goals."""

from __future__ import annotations

import os
import textwrap
import time

import pytest

from kpi_policies import formula as fx
from kpi_policies.catalog import builtin_catalog
from kpi_policies.policy import load_policy
from kpi_policies.rules.examples import REFERENCE_PLAN, apply_example

from conftest import ROOT, check_json, check_texts, run_cli

ORDERS_AOV = """
kpis:
  - id: KPI-REVENUE
    drivers: [KPI-ORDERS, KPI-AOV]
  - {id: KPI-ORDERS, name: Orders, objective: OBJ-REVENUE, metric: orders, unit: count, direction: increase,
     baseline: {value: 80000, period: 2026}, target: {value: ORDERS_T, due: 2027-12-31}}
  - {id: KPI-AOV, name: Average order value, objective: OBJ-REVENUE, metric: average_order_value, unit: VND,
     direction: increase, baseline: {value: AOV_B, period: 2026}, target: {value: AOV_T, due: 2027-12-31}}
"""


def _plan(orders_t=84000, aov_b=600000, aov_t=628600, extra: str = "") -> str:
    example = ORDERS_AOV.replace("ORDERS_T", str(orders_t)).replace("AOV_B", str(aov_b)).replace("AOV_T", str(aov_t))
    return apply_example(example + textwrap.dedent(extra))


def _findings(text: str, rule: str | None = None, policy=None, name: str = "plan.yaml"):
    result = check_texts({name: text}, policy=policy)
    return [f for f in result.findings if rule is None or f.rule_id == rule]


# --- the formula language ---------------------------------------------------

def test_formula_parses_ids_with_hyphens_numbers_and_all_operator_spellings():
    tree = fx.parse("(KPI-NEW-ORDERS + KPI-REPEAT) × KPI-AOV ÷ 1000 - KPI-REFUNDS * 2 / KPI-X")
    assert fx.names(tree) == ["KPI-NEW-ORDERS", "KPI-REPEAT", "KPI-AOV", "KPI-REFUNDS", "KPI-X"]
    values = {"KPI-NEW-ORDERS": 30, "KPI-REPEAT": 70, "KPI-AOV": 2000, "KPI-REFUNDS": 10, "KPI-X": 4}
    assert fx.evaluate(tree, values) == pytest.approx(100 * 2000 / 1000 - 10 * 2 / 4)


def test_a_minus_without_spaces_belongs_to_the_id():
    assert fx.names(fx.parse("KPI-A-KPI-B")) == ["KPI-A-KPI-B"]
    assert fx.names(fx.parse("KPI-A - KPI-B")) == ["KPI-A", "KPI-B"]
    assert fx.evaluate(fx.parse("KPI-A - KPI-B"), {"KPI-A": 5, "KPI-B": 3}) == 2


@pytest.mark.parametrize("text,column", [
    ("__import__('os').system('x')", 1),
    ("revenue.__class__", 8),
    ("KPI-A(1)", 6),
    ("KPI-A ** 2", 7),
    ("KPI-A + 'x'", 9),
    ("(KPI-A + KPI-B", 1),
    ("KPI-A +", 8),
    ("KPI-A KPI-B", 7),
    ("", 1),
    ("lambda: 1", 7),
    ("-" * 999 + "1", 401),
    ("(" * 60 + "1" + ")" * 60, 51),
    ("-" * 60 + "1", 51),
])
def test_anything_but_arithmetic_is_an_error_at_its_column(text, column):
    with pytest.raises(fx.FormulaError) as info:
        fx.parse(text)
    assert info.value.column == column


def test_formula_injection_is_a_finding_at_its_column_and_runs_nothing(tmp_path, monkeypatch):
    import ast
    import os

    called = []
    monkeypatch.setattr(os, "system", lambda *a: called.append(a))
    source = ast.parse((ROOT / "kpi_policies" / "formula.py").read_text())
    used = {n.func.id for n in ast.walk(source) if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)}
    assert not used & {"eval", "exec", "compile", "__import__", "getattr"}
    for formula, column in (("__import__('os').system('x')", 1), ("revenue.__class__", 8)):
        text = REFERENCE_PLAN.replace("    drivers: [KPI-CONVERSION]\n", f'    drivers: [KPI-CONVERSION]\n    formula: "{formula}"\n')
        found = _findings(text, "DR001")
        assert len(found) == 1, found
        line = text.splitlines().index(f'    formula: "{formula}"') + 1
        assert (found[0].line, found[0].column) == (line, len('    formula: "') + column)
        assert f"column {column}" in found[0].message
    assert called == []


def test_formula_naming_an_unknown_kpi_points_at_it():
    text = REFERENCE_PLAN.replace("    drivers: [KPI-CONVERSION]\n", "    drivers: [KPI-CONVERSION]\n    formula: KPI-CONVERSION * KPI-TRAFIC\n")
    found = _findings(text, "DR001")
    assert len(found) == 1 and "'KPI-TRAFIC' (column 18)" in found[0].message
    assert found[0].column == len("    formula: ") + 18


def test_the_catalog_relations_are_readable_and_name_catalog_metrics():
    catalog = builtin_catalog()
    kinds = {r.id: fx.kind(r.tree()) for r in catalog.relations}
    assert kinds["revenue-from-orders"] == "product"
    assert kinds["orders-new-and-repeat"] == "sum"
    assert kinds["roas"] == "ratio"
    for relation in catalog.relations:
        assert set(fx.names(relation.tree())) <= set(catalog.metrics)


# --- identities: product, sum, ratio ----------------------------------------

def test_product_target_identity_gives_implied_value_and_back_solves_each_driver():
    found = _findings(_plan(aov_t=618000), "DR003")
    assert len(found) == 1
    message = found[0].message
    assert "imply 51.9 bn VND, 1.7% short of the 52.8 bn target" in message
    assert "raise the average order value target to +4.8% over its baseline, or the orders target to +6.8%" in message
    assert found[0].severity.value == "error"


def test_consistent_product_passes_every_driver_rule():
    assert [f for f in _findings(_plan()) if f.rule_id.startswith("DR")] == []


def test_product_baseline_identity_is_caught():
    found = _findings(_plan(aov_b=660000, aov_t=691460), "DR002")
    assert len(found) == 1 and "52.8 bn VND, 10.0% above its baseline of 48.0 bn" in found[0].message


def test_sum_relation_from_a_formula():
    text = apply_example("""
kpis:
  - id: KPI-REVENUE
    drivers: [KPI-WEB, KPI-APP]
    formula: KPI-WEB + KPI-APP
  - {id: KPI-WEB, name: Web revenue, objective: OBJ-REVENUE, metric: revenue, unit: VND, direction: increase,
     baseline: {value: 30000000000, period: 2026}, target: {value: 32000000000, due: 2027-12-31}}
  - {id: KPI-APP, name: App revenue, objective: OBJ-REVENUE, metric: revenue, unit: VND, direction: increase,
     baseline: {value: 18000000000, period: 2026}, target: {value: 19000000000, due: 2027-12-31}}
""")
    found = _findings(text, "DR003")
    assert len(found) == 1
    message = found[0].message
    assert "KPI-REVENUE = KPI-WEB + KPI-APP" in message
    assert "imply 51.0 bn VND, 3.4% short of the 52.8 bn target" in message
    assert "raise the target of KPI-WEB to +12.7% over its baseline" in message  # 33.8 bn
    assert "the target of KPI-APP to +15.6%" in message  # 20.8 bn
    assert _findings(text.replace("value: 32000000000", "value: 33800000000"), "DR003") == []


def test_ratio_relation_roas_and_percent_parent():
    text = apply_example("""
kpis:
  - id: KPI-ROAS
    name: ROAS
    objective: OBJ-REVENUE
    metric: return_on_ad_spend
    unit: ratio
    direction: increase
    baseline: {value: 4.0, period: 2026}
    target: {value: 5.0, due: 2027-12-31}
    drivers: [KPI-REVENUE, KPI-AD-COST]
  - {id: KPI-AD-COST, name: Ad spend, objective: OBJ-REVENUE, metric: ad_cost, unit: VND, direction: decrease,
     baseline: {value: 12000000000, period: 2026}, target: {value: 11000000000, due: 2027-12-31}}
""")
    found = _findings(text, "DR003")
    assert len(found) == 1
    assert "KPI-ROAS = revenue ÷ ad cost: its drivers' targets imply 4.8, 4.0% short of the 5 target" in found[0].message
    assert "lower the ad cost target to -12.0%" in found[0].message  # 52.8 / 5 = 10.56 bn
    # a percent metric enters as a ratio: conversion rate = orders / sessions, in percent
    text2 = apply_example("""
kpis:
  - id: KPI-CONVERSION
    drivers: [KPI-ORDERS, KPI-SESSIONS]
  - {id: KPI-ORDERS, name: Orders, objective: OBJ-REVENUE, metric: orders, unit: count, direction: increase,
     baseline: {value: 21000, period: 2026}, target: {value: 24000, due: 2027-12-31}}
  - {id: KPI-SESSIONS, name: Sessions, objective: OBJ-REVENUE, metric: sessions, unit: count, direction: increase,
     baseline: {value: 1000000, period: 2026}, target: {value: 1000000, due: 2027-12-31}}
""")
    assert _findings(text2, "DR002") == [] and _findings(text2, "DR003") == []
    broken = _findings(text2.replace("value: 24000", "value: 30000"), "DR003")
    assert len(broken) == 1 and "imply 3%, 25.0% above the 2.4% target" in broken[0].message


def test_tolerances_come_from_the_policy(tmp_path):
    text = _plan(aov_b=612000, aov_t=641600)  # baselines 2.0% apart; targets 53.9 bn, 2.1% over
    assert _findings(text, "DR002") == []
    strict = tmp_path / "policy.yaml"
    strict.write_text("apiVersion: kpi-policies/v1\nkind: Policy\nmetadata: {id: strict-drivers}\n"
                      "rules:\n  DR002:\n    params: {tolerance_percent: 1}\n  DR003:\n    params: {tolerance_percent: 50}\n")
    policy = load_policy(str(strict))
    assert len(_findings(text, "DR002", policy=policy)) == 1
    loose_target = _findings(_plan(aov_t=620000), "DR003", policy=policy)  # 52.08 bn: 15% of the planned change
    assert loose_target == []
    assert len(_findings(_plan(aov_t=620000), "DR003")) == 1


def test_the_policy_adds_relations(tmp_path):
    pack = tmp_path / "policy.yaml"
    pack.write_text(textwrap.dedent("""\
        apiVersion: kpi-policies/v1
        kind: Policy
        metadata: {id: acme}
        relations:
          - {id: revenue-from-conversion, metric: revenue, formula: conversion_rate * 2400000000000}
        """))
    policy = load_policy(str(pack))
    found = _findings(REFERENCE_PLAN, "DR003", policy=policy)  # 2.4% of 2,400 bn = 57.6 bn, not 52.8 bn
    assert len(found) == 1 and _findings(REFERENCE_PLAN, "DR003") == []
    assert "imply 57.6 bn VND" in found[0].message
    bad = tmp_path / "bad.yaml"
    bad.write_text(pack.read_text().replace("conversion_rate * 2400000000000", "conversion_rate.__class__"))
    proc = run_cli("check", "--policy", str(bad), str(ROOT / "plans"))
    assert proc.returncode == 2 and "column 16" in proc.stderr and "Traceback" not in proc.stderr


# --- zero and missing values --------------------------------------------------

def test_a_zero_divisor_is_reported_never_a_crash():
    text = apply_example("""
kpis:
  - id: KPI-CPO
    name: Cost per order
    objective: OBJ-REVENUE
    metric: cost_per_order
    unit: VND
    direction: decrease
    baseline: {value: 150000, period: 2026}
    target: {value: 140000, due: 2027-12-31}
    drivers: [KPI-AD-COST, KPI-ORDERS]
  - {id: KPI-AD-COST, name: Ad spend, objective: OBJ-REVENUE, metric: ad_cost, unit: VND, direction: decrease,
     baseline: {value: 12000000000, period: 2026}, target: {value: 11200000000, due: 2027-12-31}}
  - {id: KPI-ORDERS, name: Orders, objective: OBJ-REVENUE, metric: orders, unit: count, direction: increase,
     baseline: {value: 0, period: 2026}, target: {value: 80000, due: 2027-12-31}}
""")
    found = _findings(text)
    assert not any("crashed" in f.message for f in found)
    zero = [f for f in found if f.rule_id == "DR002"]
    assert len(zero) == 1 and "KPI KPI-ORDERS has a baseline of 0, and nothing can be divided by 0" in zero[0].message
    assert [f for f in found if f.rule_id == "DR003"] == []  # 11.2 bn / 80,000 = 140,000


def test_a_missing_value_is_left_to_the_feasibility_rules():
    text = _plan().replace("- baseline:\n    period: 2026\n    value: 80000\n  direction", "- direction")
    assert "value: 80000" not in text
    found = _findings(text)
    assert any(f.rule_id == "FE001" for f in found)
    assert not any(f.rule_id in ("DR002", "DR003") or "crashed" in f.message for f in found)


# --- units and directions ------------------------------------------------------

def test_unit_algebra():
    wrong_unit = _findings(_plan().replace("unit: VND\n", "unit: count\n", 1), "DR006")
    assert len(wrong_unit) == 1 and "orders × average order value gives VND, but KPI KPI-REVENUE is in count" in wrong_unit[0].message
    mix = _findings(_plan().replace("unit: VND\n", "unit: USD\n", 1), "DR006")
    assert len(mix) == 1 and "mixes currencies (KPI-REVENUE in USD, KPI-AOV in VND)" in mix[0].message
    added = apply_example("""
kpis:
  - id: KPI-REVENUE
    drivers: [KPI-CONVERSION]
    formula: KPI-CONVERSION + 1
""")
    assert any("adds a count or rate" in f.message or "gives a count or rate" in f.message for f in _findings(added, "DR006"))


def test_direction_contradiction_unless_another_driver_compensates():
    against = _plan(orders_t=80000, aov_t=590000).replace("direction: increase\n  id: KPI-AOV", "direction: decrease\n  id: KPI-AOV")
    against = against.replace("- baseline:\n    period: 2026\n    value: 80000\n  direction: increase",
                              "- baseline:\n    period: 2026\n    value: 80000\n  direction: maintain")
    found = _findings(against, "DR005")
    assert len(found) == 1 and "KPI KPI-AOV is set to decrease, which pulls KPI KPI-REVENUE down" in found[0].message
    compensated = against.replace("direction: maintain", "direction: increase")
    assert _findings(compensated, "DR005") == []


def test_outcome_without_drivers_is_a_warning():
    text = REFERENCE_PLAN.replace("    drivers: [KPI-CONVERSION]\n", "")
    found = _findings(text, "DR008")
    assert [f.object_id for f in found] == ["KPI-REVENUE"] and found[0].severity.value == "warning"


# --- strategy cascade ---------------------------------------------------------

STRATEGY = """\
apiVersion: kpi-policies/v1
kind: Strategy
metadata: {id: group-2027, title: Group strategy 2027, owner: ceo, period: {start: 2027-01-01, end: 2027-12-31}}
goals:
  - id: G-SALES
    title: Group revenue 100 bn VND
    type: sales_growth
    measure: {metric: revenue, unit: VND, baseline: 90000000000, target: 100000000000, due: 2027-12-31}
  - {id: G-RETENTION, title: Keep customers, type: customer_retention}
"""


def _department(plan_id: str, revenue_base: int, revenue_target: int, end: str = "2027-12-31") -> str:
    text = REFERENCE_PLAN.replace("id: shop-marketing-2027", f"id: {plan_id}").replace(
        "  department: marketing\n", "  department: marketing\n  strategy: group-2027\n")
    text = text.replace("goals:\n  - {id: G-SALES, title: Grow online sales, type: sales_growth}\n", "")
    text = text.replace("value: 48000000000", f"value: {revenue_base}").replace("value: 52800000000", f"value: {revenue_target}")
    text = text.replace("    drivers: [KPI-CONVERSION]\n", "    drivers: [KPI-CONVERSION]\n    contributes_to: G-SALES\n")
    return text.replace("end: 2027-12-31}", f"end: {end}}}", 1)


@pytest.fixture
def group(tmp_path):
    """A repository with the group strategy and three department plans that fall 2 bn short of 100 bn."""
    (tmp_path / ".git").mkdir()
    plans = tmp_path / "plans"
    plans.mkdir()
    (plans / "strategy.yaml").write_text(STRATEGY)
    (plans / "online.yaml").write_text(_department("online-2027", 48000000000, 52800000000))
    (plans / "retail.yaml").write_text(_department("retail-2027", 30000000000, 31000000000))
    (plans / "b2b.yaml").write_text(_department("b2b-2027", 12000000000, 14200000000))
    return tmp_path


def test_roll_up_across_three_department_plans_lists_each_share(group):
    code, report = check_json("--as-of", "2027-04-10", "plans", cwd=group)
    rollup = [f for f in report["findings"] if f["rule_id"] == "DR010"]
    assert len(rollup) == 1 and rollup[0]["file"] == "plans/strategy.yaml"
    message = rollup[0]["message"]
    assert "reach 98.0 bn VND, 2.0 bn (2.0%) short of 100.0 bn" in message
    assert "b2b-2027 14.2 bn (14%), online-2027 52.8 bn (54%), retail-2027 31.0 bn (32%)" in message
    unserved = [f for f in report["findings"] if f["rule_id"] == "DR011"]
    assert [f["message"].split(" is served")[0] for f in unserved] == ["strategy goal G-RETENTION"]
    # raising one plan closes the gap
    retail = group / "plans" / "retail.yaml"
    retail.write_text(retail.read_text().replace("value: 31000000000", "value: 33000000000"))
    code, report = check_json("--as-of", "2027-04-10", "plans", cwd=group)
    assert not [f for f in report["findings"] if f["rule_id"] == "DR010"]


def test_a_rate_rolls_up_weighted_by_its_base():
    from kpi_policies.rules.drivers import roll_up, rollup_message

    def plan(plan_id, rate, sessions):
        return {"id": plan_id, "strategy": "s", "served": [],
                "contributions": [{"kpi": "KPI-CONVERSION", "goal": "G-CONV", "metric": "conversion_rate", "unit": "percent", "target": rate}],
                "targets": {"conversion_rate": rate, "sessions": sessions}}

    measure = {"metric": "conversion_rate", "unit": "percent", "baseline": 2.0, "target": 2.5, "due": None}
    plans = [plan("a", 2.0, 1_000_000), plan("b", 4.0, 250_000)]
    result = roll_up("G-CONV", measure, plans, builtin_catalog())
    assert result["rate"] and result["total"] == pytest.approx((2.0 * 1_000_000 + 4.0 * 250_000) / 1_250_000)  # 2.4%, not 3%
    assert "weighted by their base, reach 2.4%" in rollup_message("G-CONV", measure, plans, builtin_catalog(), 0)
    del plans[1]["targets"]["sessions"]
    assert "plan b has no KPI for the base its conversion_rate is weighted by (sessions)" in \
        rollup_message("G-CONV", measure, plans, builtin_catalog(), 0)


def test_plan_period_outside_its_strategy(group):
    (group / "plans" / "b2b.yaml").write_text(_department("b2b-2027", 12000000000, 16200000000, end="2028-03-31"))
    code, report = check_json("--as-of", "2027-04-10", "plans/b2b.yaml", cwd=group)
    period = [f for f in report["findings"] if f["rule_id"] == "DR009"]
    assert len(period) == 1 and "outside the period of strategy group-2027" in period[0]["message"]


def test_pre_commit_on_one_plan_finds_strategy_and_siblings_and_reports_only_on_that_plan(group):
    code, report = check_json("--as-of", "2027-04-10", "plans/retail.yaml", cwd=group)
    files = {f["file"] for f in report["findings"]}
    assert files <= {"plans/retail.yaml"}
    rollup = [f for f in report["findings"] if f["rule_id"] == "DR010"]
    assert len(rollup) == 1 and rollup[0]["object_id"] == "KPI-REVENUE"
    assert "reach 98.0 bn VND, 2.0 bn (2.0%) short of 100.0 bn" in rollup[0]["message"] and "b2b-2027 14.2 bn" in rollup[0]["message"]
    assert not [f for f in report["findings"] if f["rule_id"] == "DR011"]  # findings on the strategy need the strategy passed
    # the same through the pre-commit hook's command line: the plan passed is judged with its edits
    retail = group / "plans" / "retail.yaml"
    retail.write_text(retail.read_text().replace("value: 31000000000", "value: 33000000000"))
    code, report = check_json("--as-of", "2027-04-10", "plans/retail.yaml", cwd=group)
    assert not [f for f in report["findings"] if f["rule_id"] == "DR010"]


def test_strategy_checked_alone_finds_the_plans_in_the_repository(group):
    code, report = check_json("--as-of", "2027-04-10", "plans/strategy.yaml", cwd=group)
    assert {f["rule_id"] for f in report["findings"]} == {"DR010", "DR011"}


def test_contributes_to_must_name_a_goal_with_a_measure(group):
    online = group / "plans" / "online.yaml"
    online.write_text(online.read_text().replace("contributes_to: G-SALES", "contributes_to: G-RETENTION"))
    code, report = check_json("--as-of", "2027-04-10", "plans/online.yaml", cwd=group)
    bad = [f for f in report["findings"] if f["rule_id"] == "DR012"]
    assert len(bad) == 1 and "goal G-RETENTION, which has no `measure`" in bad[0]["message"]


def test_this_repositorys_plans_declare_their_relations_and_pass():
    from kpi_policies import relations as rel
    from kpi_policies.load import load_file
    from kpi_policies.models import build
    from kpi_policies.schema import prune, validate

    doc = load_file(str(ROOT / "plans" / "marketing-head-2026.yaml"))
    kind, errors = validate(doc.data)
    plan = build(kind, prune(doc.data, errors))
    shown = {a.parent.id: a.shown() for a in rel.analyse(plan, builtin_catalog()).applied}
    assert shown == {
        "KPI-REVENUE": "orders × average order value",
        "KPI-ORDERS": "sessions × conversion rate",
        "KPI-ROAS": "revenue ÷ ad cost",
        "KPI-COST-PER-ORDER": "ad cost ÷ orders",
    }
    code, report = check_json("--as-of", "2026-12-03", "plans/", cwd=ROOT)
    assert code == 0 and report["summary"]["error"] == 0


# --- the audit report ---------------------------------------------------------

def test_report_shows_operators_shares_implied_targets_and_the_strategy_roll_up(group):
    import json

    import jsonschema

    online = group / "plans" / "online.yaml"
    online.write_text(_plan(aov_t=618000).replace("id: shop-marketing-2027", "id: online-2027").replace(
        "  department: marketing\n", "  department: marketing\n  strategy: group-2027\n").replace(
        "  drivers:\n  - KPI-ORDERS\n", "  contributes_to: G-SALES\n  drivers:\n  - KPI-ORDERS\n"))
    proc = run_cli("report", "--as-of", "2027-04-10", "--format", "json", "plans", cwd=group)
    report = json.loads(proc.stdout)
    jsonschema.validate(report, json.loads((ROOT / "schemas" / "audit-report.schema.json").read_text()))
    docs = {d["id"]: d for d in report["documents"]}
    tree = docs["online-2027"]["tree"]
    [relation] = tree["relations"]
    assert relation["formula"] == "orders × average order value" and relation["agrees"] is False
    assert relation["implied_text"] == "51.9 bn VND" and relation["declared_text"] == "52.8 bn VND"
    shares = {m["id"]: m["share"] for m in relation["members"]}
    # ln(1.05) / ln(1.10) and ln(1.03) / ln(1.10): orders carry 51% of the planned growth, AOV 31%, 18% is carried by nobody
    assert shares["KPI-ORDERS"] == pytest.approx(0.5119, abs=1e-3) and shares["KPI-AOV"] == pytest.approx(0.3101, abs=1e-3)
    arcs = {(e["from"], e["to"]): e for e in tree["edges"] if e["kind"] == "drives"}
    assert arcs[("kpi:KPI-AOV", "kpi:KPI-REVENUE")]["operator"] == "×"
    goal = next(g for g in docs["group-2027"]["goals"] if g["id"] == "G-SALES")
    assert goal["rollup"]["total"] == 98000000000
    assert {p["plan"]: round(p["share"], 3) for p in goal["rollup"]["plans"]} == {
        "b2b-2027": round(14.2 / 98, 3), "online-2027": round(52.8 / 98, 3), "retail-2027": round(31 / 98, 3)}
    html = run_cli("report", "--as-of", "2027-04-10", "--format", "html", "plans", cwd=group).stdout
    assert "× 51%" in html and "51.9 bn VND" in html and "plans reach 98.0 bn VND" in html


def test_actuals_identity_on_shared_review_dates_and_not_for_year_to_date_logs():
    example = ORDERS_AOV.replace("ORDERS_T", "84000").replace("AOV_B", "600000").replace("AOV_T", "628600")
    example = example.replace("target: {value: 84000, due: 2027-12-31}}",
                              "target: {value: 84000, due: 2027-12-31}, review: {cadence: monthly, reviewer: ceo, log: [{date: 2027-03-31, actual: 7000}]}}")
    example = example.replace("target: {value: 628600, due: 2027-12-31}}",
                              "target: {value: 628600, due: 2027-12-31}, review: {cadence: monthly, reviewer: ceo, log: [{date: 2027-03-31, actual: 610000}]}}")
    text = apply_example(example)
    found = _findings(text, "DR004")  # 7,000 x 610,000 = 4.27 bn against 4.42 bn logged
    assert len(found) == 1 and "on 2027-03-31 KPI KPI-REVENUE logged 4.4 bn, but its drivers' actuals give 4.3 bn VND" in found[0].message
    assert "3.4% apart" in found[0].message
    assert found[0].severity.value == "warning"
    ytd = text.replace("name: Online revenue", "name: Online revenue, year to date")
    assert _findings(ytd, "DR004") == []


def test_the_cache_keeps_what_the_strategy_roll_up_needs(group):
    first = run_cli("check", "--as-of", "2027-04-10", "plans", cwd=group).stdout
    second = run_cli("check", "--as-of", "2027-04-10", "plans", cwd=group).stdout  # plans from the cache
    assert "DR010" in first and first == second


def test_a_policy_relation_replaces_the_catalog_relation_of_the_same_id(tmp_path):
    pack = tmp_path / "policy.yaml"
    pack.write_text("apiVersion: kpi-policies/v1\nkind: Policy\nmetadata: {id: acme}\nrelations:\n"
                    "  - {id: revenue-from-orders, metric: revenue, formula: orders * average_order_value * 1.1}\n")
    policy = load_policy(str(pack))
    assert _findings(_plan(), "DR003") == []
    found = _findings(_plan(), "DR003", policy=policy)  # 84,000 x 628,600 x 1.1 = 58.1 bn
    assert len(found) == 1 and "imply 58.1 bn VND" in found[0].message


def test_a_misread_amount_is_reported_once_not_again_by_the_rules_that_compute_with_it():
    """`600.000` (a thousands dot) is FE011's finding; the identities and the growth limit do not add noise computed from 600."""
    from conftest import check_texts, replace

    text = replace(REFERENCE_PLAN, {"  - id: KPI-CONVERSION": "  - id: KPI-ORDERS\n    name: Orders\n    objective: OBJ-REVENUE\n"
                                    "    metric: orders\n    unit: count\n    direction: increase\n"
                                    "    baseline: {value: 80000, period: 2026}\n    target: {value: 84000, due: 2027-12-31}\n"
                                    "    measurement: {tool: crm, source: CRM orders, owner: sales-ops}\n"
                                    "    review: {cadence: monthly, reviewer: head-of-marketing, log: [{date: 2027-03-31, actual: 7250}]}\n"
                                    "  - id: KPI-AOV\n    name: Average order value\n    objective: OBJ-REVENUE\n"
                                    "    metric: average_order_value\n    unit: VND\n    direction: increase\n"
                                    "    baseline: {value: 600.000, period: 2026}\n    target: {value: 628600, due: 2027-12-31}\n"
                                    "    measurement: {tool: crm, source: CRM orders report, owner: sales-ops}\n"
                                    "    review: {cadence: monthly, reviewer: head-of-marketing, log: [{date: 2027-03-31, actual: 609700}]}\n"
                                    "  - id: KPI-CONVERSION",
                                    "    drivers: [KPI-CONVERSION]\n": "    drivers: [KPI-ORDERS, KPI-AOV]\n"})
    found = sorted({f.rule_id for f in check_texts({"p.yaml": text}).findings if f.severity.value == "error"})
    assert found == ["FE011"], found
    # written in full, the same plan adds up
    assert not [f for f in check_texts({"p.yaml": text.replace("600.000", "600000")}).findings if f.severity.value == "error"]


def test_a_plan_checked_alone_parses_its_unchanged_siblings_once_and_sees_an_edited_one(group, monkeypatch):
    from kpi_policies import index

    parsed = []
    real_read = index._read
    monkeypatch.setattr(index, "_read", lambda path, kind, document=None: parsed.append(os.path.basename(path)) or real_read(path, kind, document))
    for plan in (group / "plans").iterdir():  # files last changed an hour ago: their stat fields can be trusted
        os.utime(plan, (time.time() - 3600,) * 2)
    code, report = check_json("--as-of", "2027-04-10", "plans/retail.yaml", cwd=group)
    assert {"b2b.yaml", "online.yaml"} <= set(parsed)
    assert "2.0 bn (2.0%) short of 100.0 bn" in [f for f in report["findings"] if f["rule_id"] == "DR010"][0]["message"]
    parsed.clear()
    code, again = check_json("--as-of", "2027-04-10", "plans/retail.yaml", cwd=group)
    assert again == report and "b2b.yaml" not in parsed and "online.yaml" not in parsed
    # an edited sibling is read again, even with the same size and modification time
    b2b = group / "plans" / "b2b.yaml"
    before = b2b.stat()
    b2b.write_text(b2b.read_text().replace("value: 14200000000", "value: 16200000000"))
    os.utime(b2b, ns=(before.st_atime_ns, before.st_mtime_ns))
    code, edited = check_json("--as-of", "2027-04-10", "plans/retail.yaml", cwd=group)
    assert "b2b.yaml" in parsed and not [f for f in edited["findings"] if f["rule_id"] == "DR010"]
    # without the cache every sibling is read, with the same verdict
    parsed.clear()
    code, cold = check_json("--no-cache", "--as-of", "2027-04-10", "plans/retail.yaml", cwd=group)
    assert {"b2b.yaml", "online.yaml"} <= set(parsed) and cold == edited


def test_a_forged_store_of_plan_summaries_is_not_trusted(group):
    code, report = check_json("--as-of", "2027-04-10", "plans/retail.yaml", cwd=group)
    store = next(group.glob(".kpi-policies-cache/v*/plans.json"))
    mac, _, body = store.read_text().partition("\n")
    store.write_text(mac + "\n" + body.replace("14200000000", "99000000000"))
    code, again = check_json("--as-of", "2027-04-10", "plans/retail.yaml", cwd=group)
    assert again == report


def test_a_sibling_plan_reached_through_a_link_counts_once_whichever_files_are_checked(group):
    (group / "plans" / "b2b.yaml").unlink()
    (group / "plans" / "b2b.yaml").symlink_to("online.yaml")  # online-2027 (52.8 bn) twice would reach 105.6 bn
    verdicts = []
    for files in (["plans"], ["plans/retail.yaml"], ["plans/retail.yaml", "plans/strategy.yaml"], ["plans/strategy.yaml"]):
        code, report = check_json("--no-cache", "--as-of", "2027-04-10", *files, cwd=group)
        rollup = [f["message"] for f in report["findings"] if f["rule_id"] == "DR010"]
        assert len(rollup) == 1, files
        verdicts.append(rollup[0].split(" (strategy")[0])
    assert all("reach 83.8 bn VND" in v for v in verdicts), verdicts
