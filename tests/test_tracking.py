"""Time semantics: what each figure covers, attainment and pace, and the review history checked whole.

Every expected number below is worked out by hand in the test's comments.
"""

from __future__ import annotations

import datetime as dt
import json

import pytest

from kpi_policies import models
from kpi_policies.catalog import builtin_catalog
from kpi_policies.policy import load_policy
from kpi_policies.rules.examples import REFERENCE_PLAN
from kpi_policies.timeline import (Span, cumulative_share, default_covered, extend_by_non_working, pace, parse_period,
                                   vietnam_holidays)

from conftest import ROOT, check_texts, run_cli

D = dt.date
YEAR = models.Period(start=D(2027, 1, 1), end=D(2027, 12, 31))
MONTH_ENDS = ["2027-01-31", "2027-02-28", "2027-03-31", "2027-04-30", "2027-05-31", "2027-06-30"]
AS_OF = D(2027, 7, 10)


def kpi(aggregation=None, values=(), phasing=None, direction="increase", baseline=1000, target=1200, metric="orders",
        cadence="monthly", **extra) -> models.Kpi:
    data = {"id": "KPI-X", "name": "X", "metric": metric, "unit": "count", "direction": direction,
            "baseline": {"value": baseline, "period": 2026}, "target": {"value": target, "due": "2027-12-31"},
            "review": {"cadence": cadence, "log": [{"date": d, "actual": v} for d, v in zip(MONTH_ENDS, values)]}, **extra}
    if aggregation:
        data["aggregation"] = aggregation
    if phasing:
        data["target"]["phasing"] = phasing
    return models.Kpi.model_validate(data)


def judge(k, as_of=AS_OF):
    return pace(k, YEAR, builtin_catalog(), as_of)


MONTHLY = [100] * 6                           # a total: 600 by 2027-06-30
RUNNING = [100, 200, 300, 400, 500, 600]      # the same as a running total (ytd)
LEVELS = [1000, 1050, 1100, 1150, 1200, 1250]  # an average or a level
MILESTONE = {"milestones": [{"due": "2027-06-30", "value": 800}]}
PROFILE = {"profile": [1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 2]}   # the second half sells twice the first


# --- aggregation x phasing ------------------------------------------------------------

@pytest.mark.parametrize("aggregation,values", [("total", MONTHLY), ("ytd", RUNNING)])
@pytest.mark.parametrize("phasing,target_to_date,status", [
    (None, 1200 * 181 / 365, "on_track"),      # linear: 181 of 365 days gone by 2027-06-30
    (MILESTONE, 800, "off_track"),             # 800 due by 2027-06-30: 600 is 75%, forecast 900
    (PROFILE, 400, "on_track"),                # 6 of 18 shares due by the end of June
])
def test_totals_and_year_to_date_against_the_phased_target(aggregation, values, phasing, target_to_date, status):
    result = judge(kpi(aggregation, values, phasing))
    assert result.actual == 600 and result.actual_through == D(2027, 6, 30)
    assert result.attainment == pytest.approx(0.5)                          # 600 of 1,200
    assert result.target_to_date == pytest.approx(target_to_date, rel=1e-6)
    assert result.attainment_to_date == pytest.approx(600 / target_to_date, rel=1e-6)
    assert result.forecast == pytest.approx(600 * 1200 / target_to_date, rel=1e-6)   # run rate against the phasing
    assert result.status == status


@pytest.mark.parametrize("phasing,target_to_date", [(None, 1200), ({"milestones": [{"due": "2027-06-30", "value": 1100}]}, 1100),
                                                    (PROFILE, 1200)])
def test_an_average_is_the_mean_of_the_periods_not_the_latest_peak(phasing, target_to_date):
    result = judge(kpi("average", LEVELS, phasing))
    assert result.actual == pytest.approx(1125)                             # mean of the six months
    assert result.target_to_date == target_to_date
    assert result.attainment == pytest.approx(1125 / 1200)
    # drift: +50 a month; the six months left at 1,300..1,550 average 1,425; the year (6,750 + 8,550) / 12
    assert result.forecast == pytest.approx(1275)
    assert result.status == "on_track"


@pytest.mark.parametrize("aggregation", ["latest", "non_additive"])
@pytest.mark.parametrize("phasing,target_to_date", [
    (None, 1000 + 200 * 180 / 364),                                     # the straight path from the baseline
    ({"milestones": [{"due": "2027-06-30", "value": 1150}]}, 1150),
    (PROFILE, 1000 + 200 * 180 / 364),                                  # a seasonal profile phases totals only
])
def test_a_latest_value_is_judged_on_its_path_and_counts_as_reached_only_at_the_end(aggregation, phasing, target_to_date):
    result = judge(kpi(aggregation, LEVELS, phasing))
    assert result.actual == 1250 and result.target_to_date == pytest.approx(target_to_date)
    assert result.status == "on_track" and "already meets the target" in result.status_text
    assert judge(kpi(aggregation, LEVELS, phasing), as_of=D(2028, 1, 5)).status in ("reached", "missed")


def test_reached_missed_not_started_and_a_single_review():
    assert judge(kpi("total", [300, 300, 300, 300])).status == "reached"        # 1,200 by April
    assert judge(kpi("average", [1000] * 6), as_of=D(2028, 1, 10)).status == "missed"  # the year ended short
    assert judge(kpi("average", LEVELS), as_of=D(2028, 1, 10)).status == "reached"     # forecast 1,275: no December figure yet
    campaign = kpi("total", MONTHLY, active={"from": "2027-09-01", "to": "2027-12-31"})
    assert judge(campaign).status == "not_started"
    one = judge(kpi("latest", [1010]))            # one review: no trend; judged against the path to date
    assert one.forecast is None and one.status in ("on_track", "at_risk", "off_track") and "no trend" in one.status_text


def test_a_total_that_should_decrease_is_judged_on_its_run_rate_not_reached_early():
    spend = kpi("total", [90] * 6, direction="decrease", baseline=1300, target=1200, metric="revenue")
    result = judge(spend)                    # 540 of a 1,200 cap by June: under the cap, but not done yet
    assert result.status != "reached" and result.attainment is None
    assert result.forecast == pytest.approx(540 * 365 / 181) and result.status == "on_track"   # 1,089 < 1,200
    over = judge(kpi("total", [110] * 6, direction="decrease", baseline=1300, target=1200, metric="revenue"))
    assert over.status == "off_track"       # 1,331 at this rate: 90% of the cap's worth


def test_a_total_with_missing_months_is_judged_on_the_months_logged():
    k = models.Kpi.model_validate({"id": "K", "metric": "revenue", "unit": "VND", "direction": "increase",
                                   "target": {"value": 3650, "due": "2027-12-31"},
                                   "review": {"cadence": "monthly", "log": [{"date": "2027-03-31", "actual": 310}]}})
    result = judge(k, as_of=D(2027, 4, 10))
    assert result.target_to_date == pytest.approx(310) and result.status == "on_track"   # March's share: 31 days
    assert "cover 31 of the 90 days" in result.status_text


def test_a_target_against_the_direction_is_never_reached():
    # increase from 50 bn to 45 bn with 4.4 bn logged: "912%, target reached" before
    k = kpi("latest", [4.4e9], baseline=50e9, target=45e9, metric="revenue")
    result = judge(k)
    assert result.status == "no_data" and "not judged" in result.status_text and result.attainment is None
    k = kpi("latest", [60e9], baseline=50e9, target=45e9, metric="revenue")
    assert judge(k, as_of=D(2028, 1, 5)).status == "no_data"


def test_periods_and_default_coverage():
    assert parse_period(2025) == Span(D(2025, 1, 1), D(2025, 12, 31))
    assert parse_period("2025-Q4") == Span(D(2025, 10, 1), D(2025, 12, 31))
    assert parse_period("2025-11") == Span(D(2025, 11, 1), D(2025, 11, 30))
    assert parse_period({"start": "2025-12-15", "end": "2026-02-15"}).days == 63
    assert parse_period("Tết 2025") is None and parse_period("9999-12") is None
    assert default_covered(D(2026, 11, 30), "monthly") == parse_period("2026-11")
    assert default_covered(D(2026, 12, 3), "monthly") == parse_period("2026-11")
    assert default_covered(D(2026, 4, 8), "quarterly") == parse_period("2026-Q1")
    assert default_covered(D(2026, 12, 3), "yearly") == parse_period(2025)
    assert cumulative_share(kpi("total", phasing=PROFILE), Span(D(2027, 1, 1), D(2027, 12, 31)), D(2027, 12, 31)) == 1.0


def test_vietnam_holidays_and_grace():
    days = vietnam_holidays(2026)
    assert D(2026, 2, 17) in days and D(2026, 4, 30) in days and D(2026, 5, 1) in days and D(2026, 9, 2) in days
    assert extend_by_non_working(D(2026, 2, 27), D(2026, 1, 20), ["vietnam"]) == D(2026, 3, 6)   # 7 days of Tết
    assert extend_by_non_working(D(2026, 2, 27), D(2026, 1, 20), []) == D(2026, 2, 27)


# --- the review history (RC005) ---------------------------------------------------------

def plan_with_log(log: str, cadence="monthly", extra="", year=2027) -> str:
    base = REFERENCE_PLAN.replace("2026", "2025").replace("2027", "2026") if year == 2026 else REFERENCE_PLAN
    text = base.replace(f"        - {{date: {year}-03-31, actual: 2.2}}\n", log).replace(
        "      cadence: monthly\n      reviewer: head-of-marketing\n",
        f"      cadence: {cadence}\n      reviewer: head-of-marketing\n", 1)
    text = text.replace("    direction: increase\n    baseline: {value: 2.1", f"    direction: increase\n{extra}    baseline: {{value: 2.1", 1)
    return text


def rc005(text: str, as_of: dt.date, policy=None) -> list[str]:
    return [f.message for f in check_texts({"plan.yaml": text}, as_of=as_of, policy=policy).findings
            if f.rule_id == "RC005" and "KPI-CONVERSION" in f.message]


def test_every_gap_in_the_review_history_is_found_not_only_the_latest():
    log = ("        - {date: 2027-01-31, actual: 2.1}\n        - {date: 2027-07-31, actual: 2.2}\n"
           "        - {date: 2027-08-31, actual: 2.2}\n        - {date: 2027-09-30, actual: 2.3}\n"
           "        - {date: 2027-10-31, actual: 2.3}\n        - {date: 2027-11-30, actual: 2.3}\n")
    messages = rc005(plan_with_log(log), D(2027, 12, 10))
    assert len(messages) == 1 and "between 2027-01-31 and 2027-07-31" in messages[0]
    full = "".join(f"        - {{date: 2027-{m:02d}-28, actual: 2.2}}\n" for m in range(1, 12))
    assert rc005(plan_with_log(full), D(2027, 12, 10)) == []


def test_an_ended_plan_needs_a_closing_review_once_its_books_close():
    log = "".join(f"        - {{date: 2027-{m:02d}-28, actual: 2.2}}\n" for m in range(1, 12))   # up to November
    assert rc005(plan_with_log(log), D(2028, 1, 20)) == []              # December's books close 2028-01-15, + 7 days
    (message,) = rc005(plan_with_log(log), D(2028, 1, 25))
    assert "closing review" in message and "covers up to 2027-11-30" in message and "due by 2028-01-22" in message
    closed = log + "        - {date: 2028-01-12, actual: 2.3}\n"             # reviewed after the close: covers December
    assert rc005(plan_with_log(closed), D(2028, 3, 1)) == []


def test_close_lag_keeps_a_quarterly_kpi_from_being_overdue_before_the_quarter_closes():
    text = plan_with_log("        - {date: 2026-12-31, actual: 2.1}\n", cadence="quarterly")
    # the last review is from before the plan: the first quarter's review is due 25 + 7 days after 2027-03-31
    assert rc005(text, D(2027, 4, 10)) == []
    (message,) = rc005(text, D(2027, 5, 3))
    assert "due by 2027-05-02" in message
    # a quarter reviewed on its last day, the next one after its close: in time
    held = plan_with_log("        - {date: 2027-03-31, actual: 2.1}\n        - {date: 2027-07-20, actual: 2.2}\n", cadence="quarterly")
    assert rc005(held, D(2027, 7, 25)) == []


def test_tet_extends_the_grace_with_the_vietnam_preset(tmp_path):
    # January reviewed; February's review was due by 2026-03-22 (its books close on 2026-03-15, + 7 days)
    log = "        - {date: 2026-01-31, actual: 2.1}\n        - {date: 2026-03-28, actual: 2.2}\n"
    text = plan_with_log(log, year=2026)
    assert any("between 2026-01-31 and 2026-03-28" in m and "due by 2026-03-22" in m for m in rc005(text, D(2026, 3, 30)))
    policy = tmp_path / "policy.yaml"
    policy.write_text("apiVersion: kpi-policies/v1\nkind: Policy\nrules:\n  RC005:\n    params: {holidays: [vietnam]}\n")
    assert rc005(text, D(2026, 3, 30), load_policy(str(policy))) == []    # Tết 2026: 7 more days, due 2026-03-29


def test_a_campaign_kpi_needs_reviews_only_while_it_runs():
    text = plan_with_log("        - {date: 2027-02-28, actual: 2.3}\n", cadence="weekly",
                         extra="    active: {from: 2027-01-01, to: 2027-02-28}\n")
    assert rc005(text, D(2027, 6, 1)) == []
    without = plan_with_log("        - {date: 2027-02-28, actual: 2.3}\n", cadence="weekly")
    assert rc005(without, D(2027, 6, 1))


def test_yearly_is_annual():
    text = plan_with_log("        - {date: 2027-03-31, actual: 2.2}\n", cadence="yearly")
    found = check_texts({"plan.yaml": text}).findings
    assert not [f for f in found if f.rule_id == "RC002"]
    (slow,) = [f for f in found if f.rule_id == "RC003"]
    assert "annually" in slow.message


# --- the TR rules ----------------------------------------------------------------------------

def findings(text: str, rule: str, as_of: dt.date = D(2027, 4, 10)):
    return [f for f in check_texts({"plan.yaml": text}, as_of=as_of).findings if f.rule_id == rule]


@pytest.mark.parametrize("name,word", [("Doanh thu online lũy kế", "lũy kế"), ("Online revenue year to date", "year to date"),
                                       ("Doanh thu trung bình tháng", "trung bình tháng"), ("Revenue per month", "per month")])
def test_a_name_that_says_how_figures_add_up_needs_an_aggregation(name, word):
    text = REFERENCE_PLAN.replace("    name: Online revenue\n", f"    name: {name}\n")
    (finding,) = findings(text, "TR003")
    assert f"'{word}'" in finding.message and "`aggregation: " in finding.message and finding.severity.value == "warning"
    declared = text.replace("    direction: increase\n    baseline: {value: 48", "    direction: increase\n    aggregation: ytd\n    baseline: {value: 48", 1)
    assert findings(declared, "TR003") == []


def test_per_month_on_a_rate_is_its_own_period():
    text = REFERENCE_PLAN.replace("    name: Web conversion rate\n", "    name: Tỷ lệ chuyển đổi mỗi tháng\n")
    assert findings(text, "TR003") == []


@pytest.mark.parametrize("entry,aggregation,expected", [
    ("{date: 2027-03-31, actual: 4420000000, period: 2027-Q1}", None, "logs 2027-Q1 (a quarter)"),
    ("{date: 2027-03-31, actual: 12370000000, period: 2027-03}", "ytd", "write `period: to-date`"),
    ("{date: 2027-03-31, actual: 12370000000, period: to-date}", None, "logs a running total"),
    ("{date: 2027-03-20, actual: 4420000000, period: 2027-03}", None, "had not ended by then"),
])
def test_a_review_period_that_does_not_fit_the_cadence_or_aggregation(entry, aggregation, expected):
    text = REFERENCE_PLAN.replace("        - {date: 2027-03-31, actual: 4420000000}", f"        - {entry}")
    if aggregation:
        text = text.replace("    metric: revenue\n", f"    metric: revenue\n    aggregation: {aggregation}\n")
    (finding,) = findings(text, "TR004")
    assert expected in finding.message
    fine = REFERENCE_PLAN.replace("        - {date: 2027-03-31, actual: 4420000000}",
                                  "        - {date: 2027-03-31, actual: 4420000000, period: 2027-03}")
    assert findings(fine, "TR004") == []


@pytest.mark.parametrize("baseline,window,expected", [
    ("2026-Q4", None, "covers 2026-Q4 (3 months), but its target covers 2027 (12 months)"),
    ("2027", None, "does not end before"),
    ("2026-Q1", "2027-Q2", "not the same season"),
    ("2026", None, None),
    ("2026-Q2", "2027-Q2", None),
    ("{start: 2026-04-01, end: 2026-06-30}", "2027-Q2", None),
])
def test_the_baseline_covers_the_same_period_last_year(baseline, window, expected):
    text = REFERENCE_PLAN.replace("    baseline: {value: 48000000000, period: 2026}", f"    baseline: {{value: 12000000000, period: {baseline}}}")
    if window:
        text = text.replace("    target: {value: 52800000000, due: 2027-12-31}",
                            f"    target: {{value: 13200000000, due: 2027-06-30, window: {window}}}")
    found = findings(text, "TR005")
    if expected is None:
        assert found == []
    else:
        (finding,) = found
        assert expected in finding.message


def test_pace_warnings_at_risk_and_off_track():
    def with_log(*values):
        log = "".join(f"        - {{date: {d}, actual: {v}}}\n" for d, v in zip(MONTH_ENDS, values))
        return REFERENCE_PLAN.replace("        - {date: 2027-03-31, actual: 4420000000}\n", log)
    on_track = with_log(4200000000, 4300000000, 4500000000)
    at_risk = with_log(4100000000, 4000000000, 4450000000)
    off_track = with_log(3000000000, 3100000000, 3200000000)
    assert not findings(on_track, "TR001") and not findings(on_track, "TR002")
    (risk,) = findings(at_risk, "TR001")
    assert "at risk" in risk.message and "96% of the target" in risk.message and risk.severity.value == "warning"
    (off,) = findings(off_track, "TR002")
    assert "off track" in off.message and off.severity.value == "warning"


# --- numbers -------------------------------------------------------------------------------

AOV = """  - id: KPI-AOV
    name: Average order value
    objective: OBJ-REVENUE
    metric: {metric}
    unit: VND
    direction: increase
    baseline: {{value: {baseline}, period: 2026}}
    target: {{value: 625000, due: 2027-12-31}}
    measurement: {{tool: crm, source: CRM orders report, owner: sales-ops}}
    review: {{cadence: monthly, reviewer: ceo, log: [{{date: 2027-03-31, actual: 600000}}]}}
initiatives:
"""


def with_aov(baseline: str, metric: str = "average_order_value") -> str:
    return REFERENCE_PLAN.replace("initiatives:\n", AOV.format(baseline=baseline, metric=metric))


def test_a_thousands_dot_in_a_currency_amount_is_an_error_that_shows_the_number_meant():
    (finding,) = findings(with_aov("585.000"), "FE011")
    assert finding.severity.value == "error" and finding.line == with_aov("585.000").splitlines().index(
        "    baseline: {value: 585.000, period: 2026}") + 1
    assert "written 585.000" in finding.message and "585 VND" in finding.message and "write 585000" in finding.message
    assert findings(with_aov("585000"), "FE011") == []
    assert findings(with_aov("585.0"), "FE011")                     # below the VND 1,000 floor
    (low,) = findings(with_aov("585"), "FE011")
    assert "below 1,000 VND" in low.message and "585000" in low.message
    assert findings(with_aov("450", metric="cost_per_view"), "FE011") == []   # a view costs a few hundred đồng


def test_percent_targets_change_in_points():
    small = REFERENCE_PLAN.replace("value: 2.1, period: 2026", "value: 1.2, period: 2026").replace("value: 2.4,", "value: 1.9,")
    assert findings(small, "FE005") == []                           # +0.7 points, not +58%
    big = REFERENCE_PLAN.replace("value: 2.4,", "value: 14.5,")
    (finding,) = findings(big, "FE005")
    assert "12.4 points" in finding.message


# --- v1 plans and this repository -------------------------------------------------------------

def test_a_v1_plan_without_the_new_keys_is_judged_as_before():
    assert [f.rule_id for f in check_texts({"plan.yaml": REFERENCE_PLAN}).findings] == []


def test_this_repositorys_plans_as_of_2026_12_03():
    proc = run_cli("report", "plans", "--as-of", "2026-12-03", "--format", "json", cwd=ROOT)
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    kpis = {k["id"]: k for d in data["documents"] if d["id"] == "marketing-head-2026" for k in d["kpis"]}
    revenue = kpis["KPI-REVENUE"]
    assert revenue["aggregation"] == "ytd" and revenue["status"] == "on_track"
    assert revenue["attainment"] == pytest.approx(63.8 / 70, abs=0.001)                 # 91%
    assert revenue["forecast"] == pytest.approx(70e9, rel=0.01)                          # 63.8 bn x 365 / 334
    customers = kpis["KPI-NEW-CUSTOMERS"]
    assert customers["aggregation"] == "average" and customers["actual_to_date"] == pytest.approx(4541, abs=1)
    assert customers["status"] not in ("reached", "on_track")
    statuses = data["summary"]["kpi_statuses"]
    assert sum(statuses.values()) == data["summary"]["kpis"]
    html = run_cli("report", "plans", "--as-of", "2026-12-03", "--format", "html", cwd=ROOT).stdout
    assert f"{statuses['reached'] + statuses['on_track']} <span class=\"of\">of {data['summary']['kpis']}</span>" in html


def test_a_target_against_the_direction_is_not_shown_as_reached_in_any_report_format(tmp_path):
    (tmp_path / ".git").mkdir()
    (tmp_path / "plans").mkdir()
    plan = REFERENCE_PLAN.replace("target: {value: 52800000000, due: 2027-12-31}", "target: {value: 45000000000, due: 2027-12-31}") \
        .replace("baseline: {value: 48000000000, period: 2026}", "baseline: {value: 50000000000, period: 2026}") \
        .replace("actual: 4420000000}", "actual: 46000000000}")
    (tmp_path / "plans" / "shop.yaml").write_text(plan)
    outputs = {fmt: run_cli("report", "plans", "--as-of", "2027-04-10", "--format", fmt, cwd=tmp_path).stdout
               for fmt in ("json", "html", "markdown")}
    (revenue,) = [k for d in json.loads(outputs["json"])["documents"] for k in d["kpis"] if k["id"] == "KPI-REVENUE"]
    assert revenue["status"] == "no_data" and "not judged" in revenue["status_text"]
    assert "FE004" in outputs["html"] and "target reached" not in outputs["html"]
    assert "target reached" not in outputs["markdown"] and "| no data yet |" in outputs["markdown"]
