"""KPI weights (trọng số): rule FE009, and the weighted completion rate of the audit report."""

from __future__ import annotations

import json

from kpi_policies.audit.weights import weighted_completion
from kpi_policies.models import Kpi
from kpi_policies.rules.examples import REFERENCE_PLAN, REFERENCE_STRATEGY, apply_example

from conftest import check_texts, run_cli


def _ids(example: str) -> list[str]:
    result = check_texts({"plan.yaml": apply_example(example), "strategy.yaml": REFERENCE_STRATEGY})
    return [f.rule_id for f in result.findings if f.file == "plan.yaml"]


def test_weights_must_cover_every_kpi_and_total_100():
    assert "FE009" not in _ids("kpis:\n  - {id: KPI-REVENUE, weight: 70}\n  - {id: KPI-CONVERSION, weight: 30}\n")
    assert "FE009" in _ids("kpis:\n  - {id: KPI-REVENUE, weight: 70}\n  - {id: KPI-CONVERSION, weight: 20}\n")
    assert "FE009" in _ids("kpis:\n  - {id: KPI-REVENUE, weight: 100}\n")
    assert "FE009" not in _ids("kpis:\n  - {id: KPI-REVENUE, owner: someone}\n")  # no weights: nothing to judge


def test_a_negative_weight_is_a_schema_error():
    assert "S001" in _ids("kpis:\n  - {id: KPI-REVENUE, weight: -10}\n  - {id: KPI-CONVERSION, weight: 110}\n")


def _kpi(weight):
    return Kpi(id="K", weight=weight)


def test_weighted_completion_is_the_weighted_mean_of_each_kpis_attainment():
    progress = [{"id": "A", "attainment": 0.5}, {"id": "B", "attainment": 1.2}]
    out = weighted_completion([_kpi(60), _kpi(40)], progress)
    assert out["value"] == round(0.6 * 0.5 + 0.4 * 1.2, 4) and out["basis"] == "attainment" and out["missing"] == []
    assert "78.0%" in out["text"]


def test_weighted_completion_asks_rather_than_guesses_when_a_kpi_has_no_attainment():
    out = weighted_completion([_kpi(60), _kpi(40)], [{"id": "A", "attainment": 0.5}, {"id": "B", "attainment": None}])
    assert out["value"] is None and out["missing"] == ["B"] and "B has no" in out["text"]
    assert weighted_completion([Kpi(id="A"), Kpi(id="B")], [{"id": "A", "attainment": 1}, {"id": "B", "attainment": 1}]) is None


def test_progress_from_baseline_is_never_taken_for_completion():
    # revenue logged year to date against the annual target: share far below zero, not a completion
    out = weighted_completion([_kpi(70), _kpi(30)], [{"id": "A", "share": -9.08}, {"id": "B", "share": 0.33}])
    assert out["value"] is None and out["missing"] == ["A", "B"]


def test_audit_report_shows_the_weighted_completion(tmp_path):
    plan = REFERENCE_PLAN.replace("    owner: head-of-marketing\n", "    owner: head-of-marketing\n    weight: 70\n", 1) \
                         .replace("    owner: web-team-lead\n", "    owner: web-team-lead\n    weight: 30\n", 1)
    (tmp_path / "plan.yaml").write_text(plan)
    proc = run_cli("report", "--format", "json", "--as-of", "2027-04-10", "--reproducible", "plan.yaml", cwd=tmp_path)
    assert proc.returncode in (0, 1), proc.stderr
    doc = json.loads(proc.stdout)["documents"][0]
    wc = doc["weighted_completion"]
    attainment = {k["id"]: k.get("attainment") for k in doc["kpis"]}
    assert wc["weights_total"] == 100
    if None in attainment.values():
        assert wc["value"] is None and wc["missing"]
    else:
        assert wc["value"] == round(0.7 * attainment["KPI-REVENUE"] + 0.3 * attainment["KPI-CONVERSION"], 4)
    md = run_cli("report", "--format", "markdown", "--as-of", "2027-04-10", "--reproducible", "plan.yaml", cwd=tmp_path)
    assert "Weighted completion" in md.stdout
