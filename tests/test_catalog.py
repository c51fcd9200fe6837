"""The metric catalog and the tools registry match the platforms' own definitions (docs/domain.md)."""

from __future__ import annotations

import pytest

from kpi_policies.catalog import BUILTIN_GOAL_TYPES, Catalog, builtin_catalog
from kpi_policies.policy import load_policy
from kpi_policies.rules.examples import REFERENCE_STRATEGY, apply_example
from kpi_policies.rules.kpi_fit import unit_kind
from kpi_policies.units import is_currency_code, unit_hint

from conftest import check_texts

CATALOG = builtin_catalog()

#: Ids the contract fixtures rely on (docs/domain.md, "Ids and defaults").
CONTRACT_METRICS = """revenue orders average_order_value conversion_rate new_customers new_users sessions engagement_rate
video_views reach share_of_voice cost_per_click cost_per_mille cost_per_view cost_per_acquisition return_on_ad_spend
marketing_roi customer_acquisition_cost customer_lifetime_value churn_rate marketing_qualified_leads
sales_qualified_leads lead_to_customer_rate net_promoter_score""".split()
CONTRACT_TOOLS = "crm google-analytics-4 google-ads meta-ads youtube-studio hubspot social-analytics survey-tool finance-erp".split()


def _findings(example: str, policy=None):
    result = check_texts({"plan.yaml": apply_example(example), "strategy.yaml": REFERENCE_STRATEGY}, policy=policy)
    return [f for f in result.findings if f.file == "plan.yaml"]


def test_contract_ids_are_kept():
    assert set(CONTRACT_METRICS) <= set(CATALOG.metrics)
    assert set(CONTRACT_TOOLS) <= set(load_policy().tools)


def test_youtube_studio_measures_no_brand_media_cost():
    # Studio's CPM is a creator's revenue, and Studio has no CPV
    assert "youtube-studio" not in CATALOG.metrics["cost_per_mille"].tools
    assert "youtube-studio" not in CATALOG.metrics["cost_per_view"].tools
    assert "youtube-studio" in CATALOG.metrics["video_views"].tools


def test_engagement_rate_is_ga4_only_and_social_engagement_is_another_metric():
    ga4, social = CATALOG.metrics["engagement_rate"], CATALOG.metrics["social_engagement_rate"]
    assert ga4.tools == ["google-analytics-4"] and ga4.range.max == 100
    assert "engaged sessions / sessions" in ga4.formula
    assert "social-analytics" in social.tools and social.range.max is None  # can exceed 100%
    found = _findings("kpis:\n  - id: KPI-CONVERSION\n    metric: engagement_rate\n    measurement: {tool: social-analytics}\n")
    assert "MT003" in [f.rule_id for f in found]


def test_marketing_roi_is_on_contribution_margin_not_roas_minus_one():
    roi = CATALOG.metrics["marketing_roi"]
    assert "contribution margin" in roi.formula and roi.formula != "(revenue - cost) / cost"
    assert "Farris" in roi.source


def test_followers_come_from_page_insights_and_reach_is_non_additive():
    assert "meta-ads" not in CATALOG.metrics["social_followers"].tools
    assert "meta-business-suite" in CATALOG.metrics["social_followers"].tools
    assert "meta-business-suite" in load_policy().tools
    assert "non-additive" in CATALOG.metrics["reach"].notes.lower()


@pytest.mark.parametrize("metric,unit,better,tool", [
    ("cost_per_lead", "currency", "lower", "meta-ads"),
    ("click_through_rate", "percent", "higher", "google-ads"),
    ("bounce_rate", "percent", "lower", "google-analytics-4"),
    ("impressions", "count", "higher", "meta-ads"),
    ("brand_awareness", "percent", "higher", "survey-tool"),
    ("market_share", "percent", "higher", "finance-erp"),
    ("customer_satisfaction_score", "percent", "higher", "survey-tool"),
])
def test_missing_metrics_are_added_with_their_definition(metric, unit, better, tool):
    m = CATALOG.metrics[metric]
    assert (m.unit, m.better) == (unit, better) and tool in m.tools and m.source and m.name_vi


def test_every_metric_has_a_role_and_a_vietnamese_name():
    for m in CATALOG.metrics.values():
        assert m.role in ("outcome", "driver", "diagnostic"), m.id
        assert m.name_vi, m.id
    assert CATALOG.metrics["revenue"].role == "outcome"
    assert CATALOG.metrics["conversion_rate"].role == "driver"


def test_definition_changes_are_dated():
    (views,) = CATALOG.metrics["video_views"].definition_changes
    assert views.date == "2025-03-31" and not views.comparable
    (key_events,) = CATALOG.metrics["conversion_rate"].definition_changes
    assert key_events.date == "2024-03" and key_events.comparable  # a rename: counted as before


def test_a_renamed_metric_does_not_make_its_baseline_incomparable():
    found = _findings("kpis:\n  - id: KPI-CONVERSION\n    baseline: {value: 2.1, period: 2023}\n")
    assert "FE010" not in [f.rule_id for f in found]


@pytest.mark.parametrize("written,meant", [
    ("doanh thu", "revenue"), ("Doanh Thu", "revenue"), ("reveneu", "revenue"),
    ("chi phí mỗi khách hàng tiềm năng", "cost_per_lead"), ("chi phi moi khach hang tiem nang", "cost_per_lead"),
    ("CPL", "cost_per_lead"), ("cost_per_leads", "cost_per_lead"),
    ("tỷ lệ chuyển đổi", "conversion_rate"), ("conversions_rate", "conversion_rate"),
    ("ctr", "click_through_rate"), ("tỷ lệ thoát", "bounce_rate"), ("roas", "return_on_ad_spend"),
    ("lượt tiếp cận", "reach"), ("thị phần", "market_share"),
])
def test_did_you_mean_weighs_names_and_synonyms(written, meant):
    assert CATALOG.suggest(written) == meant


def test_did_you_mean_never_offers_a_metric_with_a_different_meaning():
    # without cost_per_lead in the catalog, spelling alone would offer cost_per_mille
    without = Catalog(metrics={k: v for k, v in CATALOG.metrics.items() if k != "cost_per_lead"})
    assert without.suggest("cost_per_lead") is None
    assert without.suggest("chi phí mỗi khách hàng tiềm năng") is None
    assert CATALOG.suggest("cost_per_lead_vnd") != "cost_per_mille"
    assert CATALOG.suggest("profit_margin_of_store") is None


def test_kf001_offers_the_catalog_id_for_a_name_people_use():
    found = _findings("kpis:\n  - id: KPI-REVENUE\n    metric: CPL\n    unit: VND\n")
    assert any(f.rule_id == "KF001" and "did you mean 'cost_per_lead'" in f.message for f in found)
    found = _findings("kpis:\n  - id: KPI-REVENUE\n    metric: cost_per_impressions_total_x\n")
    assert any(f.rule_id == "KF001" and "kpi-policies metrics" in f.message for f in found)


@pytest.mark.parametrize("unit,kind", [("VND", "currency"), ("USD", "currency"), ("NPS", "score"), ("KPI", "count"),
                                       ("ABC", "count"), ("percent", "percent")])
def test_currency_units_come_from_the_iso_4217_list(unit, kind):
    assert unit_kind(unit) == kind


def test_iso_4217_list_is_complete_enough():
    for code in ("VND", "USD", "EUR", "JPY", "THB", "SGD", "CNY", "KRW"):
        assert is_currency_code(code)
    assert not is_currency_code("NPS") and not is_currency_code("XXX")


def test_nps_unit_is_not_taken_for_a_currency():
    found = _findings("kpis:\n  - id: KPI-CONVERSION\n    metric: net_promoter_score\n    unit: NPS\n"
                      "    baseline: {value: 30, period: 2026}\n    target: {value: 35, due: 2027-12-31}\n")
    assert "KF003" not in [f.rule_id for f in found]


@pytest.mark.parametrize("unit,wanted", [
    ("₫", "`unit: VND`"), ("đồng", "`unit: VND`"), ("VNĐ", "`unit: VND`"), ("vnd", "`unit: VND`"),
    ("tỷ VND", "70000000000"), ("triệu đồng", "70000000"),
])
def test_dong_written_in_words_is_answered_with_the_form_to_write(unit, wanted):
    assert wanted in unit_hint(unit)
    found = _findings(f"kpis:\n  - id: KPI-REVENUE\n    unit: {unit}\n")
    kf003 = [f for f in found if f.rule_id == "KF003"]
    assert kf003 and wanted in kf003[0].message


@pytest.mark.parametrize("unit", ["d", "days", "m", "k", "count", "percent", "tr"])
def test_units_that_are_not_money_get_no_currency_hint(unit):
    assert unit_hint(unit) is None


def test_goal_types_include_market_share_profitability_and_satisfaction_and_are_extensible(tmp_path):
    assert {"market_share", "profitability", "customer_satisfaction"} <= set(BUILTIN_GOAL_TYPES)
    found = _findings("goals:\n  - {id: G-SALES, title: Grow online sales, type: market_share}\n")
    assert "GL012" not in [f.rule_id for f in found] and "S001" not in [f.rule_id for f in found]
    custom = "goals:\n  - {id: G-SALES, title: Open new stores, type: store_expansion}\n"
    assert "GL012" in [f.rule_id for f in _findings(custom)]
    pack = tmp_path / "p.yaml"
    pack.write_text("apiVersion: kpi-policies/v1\nkind: Policy\n"
                    "goal_types:\n  - {id: store_expansion, name: Store expansion, name_vi: Mở rộng cửa hàng}\n")
    policy = load_policy(str(pack))
    assert "GL012" not in [f.rule_id for f in _findings(custom, policy=policy)]


@pytest.mark.parametrize("tool", ["tiktok-ads", "tiktok-shop", "zalo-oa", "shopee", "lazada", "social-listening",
                                  "haravan", "sapo", "shopify", "google-search-console"])
def test_vietnam_pack_approves_the_channels_of_vietnamese_teams(tool):
    policy = load_policy("vietnam")
    assert tool in policy.tools and policy.id == "vietnam"
    assert set(CONTRACT_TOOLS) <= set(policy.tools)


def test_vietnam_pack_is_chosen_by_name_and_passes_a_shopee_kpi():
    example = "kpis:\n  - id: KPI-REVENUE\n    measurement: {tool: shopee, source: Shopee revenue report, owner: sales-ops}\n"
    mt002 = [f for f in _findings(example) if f.rule_id == "MT002"]
    assert mt002 and "`--policy vietnam`" in mt002[0].message
    assert not {"MT002", "MT003"} & {f.rule_id for f in _findings(example, policy=load_policy("vietnam"))}
    haravan = example.replace("shopee", "haravan")
    assert not {"MT002", "MT003"} & {f.rule_id for f in _findings(haravan, policy=load_policy("vietnam"))}


def test_kpi_owner_is_a_warning_and_an_error_in_strict():
    example = "kpis:\n  - id: KPI-REVENUE\n    owner: ~\n"
    found = [f for f in _findings(example) if f.rule_id == "GL011"]
    assert found and found[0].severity.value == "warning"
    strict = [f for f in _findings(example, policy=load_policy("strict")) if f.rule_id == "GL011"]
    assert strict and strict[0].severity.value == "error"


@pytest.mark.parametrize("dates,bad", [
    ("start: 2027-06-30, end: 2027-02-01", True),
    ("start: 2026-11-01, end: 2027-02-01", True),
    ("start: 2027-02-01, end: 2028-01-31", True),
    ("start: 2027-02-01, end: 2027-06-30", False),
])
def test_initiative_dates_lie_in_the_plan_period_and_start_before_end(dates, bad):
    found = _findings(f"initiatives:\n  - {{id: INIT-CHECKOUT, {dates}}}\n")
    assert ("FE008" in [f.rule_id for f in found]) is bad


def test_kf004_only_when_the_vanity_metric_is_the_objectives_only_kpi():
    with_revenue = "kpis:\n  - id: KPI-CONVERSION\n    metric: video_views\n    unit: count\n"
    assert "KF004" not in [f.rule_id for f in _findings(with_revenue)]
    only_views = with_revenue + "  - id: KPI-REVENUE\n    metric: reach\n    unit: count\n"
    found = [f for f in _findings(only_views) if f.rule_id == "KF004"]
    assert len(found) == 2 and "revenue" in found[0].message


@pytest.mark.parametrize("period,fires", [(2024, True), ("2025-Q1", True), ("2025-Q2", False), ("2025-04", False), (2026, False)])
def test_a_baseline_from_before_the_shorts_view_count_changed_is_not_comparable(period, fires):
    example = (f"kpis:\n  - id: KPI-CONVERSION\n    metric: video_views\n    unit: count\n"
               f"    baseline: {{value: 1000000, period: {period}}}\n    target: {{value: 1100000, due: 2027-12-31}}\n")
    found = [f for f in _findings(example) if f.rule_id == "FE010"]
    assert bool(found) is fires
    if fires:
        assert "2025-03-31" in found[0].message
    justified = example.replace("due: 2027-12-31}", "due: 2027-12-31, justification: re-counted under the new definition}")
    assert "FE010" not in [f.rule_id for f in _findings(justified)]


@pytest.mark.parametrize("fast", [True, False], ids=["jsonschema-rs", "python-jsonschema"])
def test_a_broken_bundled_catalog_stops_the_run_with_what_is_wrong(tmp_path, monkeypatch, fast):
    import kpi_policies.catalog as catalog_module

    (tmp_path / "metrics.yaml").write_text("metrics:\n  - id: revenue\n    unit: VND\n    direction: sideways\n")
    monkeypatch.setattr(catalog_module, "data_dir", lambda name: tmp_path)
    if not fast:
        monkeypatch.setenv("KPI_POLICIES_NO_FAST_SCHEMA", "1")
    from kpi_policies.validators import fast_validator_for

    fast_validator_for.cache_clear()
    builtin_catalog.cache_clear()
    try:
        with pytest.raises(RuntimeError, match="bundled metric catalog is broken"):
            builtin_catalog()
    finally:
        builtin_catalog.cache_clear()
        fast_validator_for.cache_clear()
