"""`kpi-policies metrics [SEARCH]` lists the catalog; `explain METRIC_ID` shows one metric."""

from __future__ import annotations

import json

from conftest import run_cli


def test_metrics_lists_every_metric_with_both_names_unit_direction_role_and_tools():
    proc = run_cli("metrics")
    assert proc.returncode == 0
    assert "cost_per_lead" in proc.stdout and "Chi phí mỗi khách hàng tiềm năng" in proc.stdout
    revenue = proc.stdout.split("revenue ", 1)[1].split("\n")[:2]
    assert "Doanh thu" in revenue[0] and "currency, higher is better, outcome" in revenue[1] and "crm" in revenue[1]


def test_metrics_search_ignores_accents_and_finds_vietnamese_names():
    proc = run_cli("metrics", "chi phi moi")
    assert proc.returncode == 0
    assert "cost_per_lead" in proc.stdout and "cost_per_click" in proc.stdout and "revenue " not in proc.stdout
    tiktok = json.loads(run_cli("metrics", "tiktok-shop", "--format", "json").stdout)
    assert {m["id"] for m in tiktok} >= {"revenue", "orders"} and all("tiktok-shop" in m["tools"] for m in tiktok)


def test_metrics_search_without_match_says_so_with_a_suggestion():
    proc = run_cli("metrics", "CPLs")
    assert proc.returncode == 0 and "no metric" in proc.stdout


def test_explain_a_metric_prints_its_definition():
    proc = run_cli("explain", "marketing_roi")
    assert proc.returncode == 0
    assert proc.stdout.startswith("marketing_roi (metric): Marketing ROI")
    assert "contribution margin" in proc.stdout and "Farris" in proc.stdout
    views = run_cli("explain", "video_views").stdout
    assert "Changed 2025-03-31" in views


def test_explain_an_unknown_id_is_still_a_usage_error():
    proc = run_cli("explain", "revenu")
    assert proc.returncode == 2 and "did you mean the metric 'revenue'" in proc.stderr
    proc = run_cli("explain", "FE05")
    assert proc.returncode == 2 and "did you mean" in proc.stderr and "Traceback" not in proc.stderr
