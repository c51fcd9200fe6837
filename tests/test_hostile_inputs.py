"""Hostile and odd inputs: each becomes a clear finding on its own file, quickly, and the other files are still reported."""

from __future__ import annotations

import os
import time

import pytest

from kpi_policies.load import load_bytes, load_text
from kpi_policies.rules.examples import REFERENCE_PLAN

from conftest import check_json, replace, run_cli


@pytest.fixture
def repo(tmp_path):
    (tmp_path / ".git").mkdir()
    (tmp_path / "plans").mkdir()
    (tmp_path / "plans" / "good.yaml").write_text(REFERENCE_PLAN)
    return tmp_path


def by_file(report):
    out = {}
    for f in report["findings"]:
        out.setdefault(os.path.basename(f["file"]), set()).add(f["rule_id"])
    return out


def test_devices_and_pipes_are_refused_without_reading(repo):
    (repo / "plans" / "zero.yaml").symlink_to("/dev/zero")
    os.mkfifo(repo / "plans" / "pipe.yaml")
    start = time.monotonic()
    code, report = check_json("--as-of", "2027-04-10", "plans", cwd=repo)
    assert time.monotonic() - start < 60
    found = by_file(report)
    assert found["zero.yaml"] == {"Y010"} and found["pipe.yaml"] == {"Y010"}
    assert "good.yaml" not in found and report["summary"]["files"] == 3
    assert any("not a regular file" in f["message"] for f in report["findings"])


def test_huge_numbers_are_findings_on_their_line_and_the_rules_still_run(repo):
    text = replace(REFERENCE_PLAN, {"value: 48000000000,": "value: 1" + "0" * 400 + ",", "tool: crm": "tool: excel"})
    (repo / "plans" / "good.yaml").write_text(text)
    _, report = check_json("--as-of", "2027-04-10", "plans", cwd=repo)
    huge = [f for f in report["findings"] if f["rule_id"] == "Y007"]
    assert len(huge) == 1 and huge[0]["line"] == text.splitlines().index(next(l for l in text.splitlines() if "0" * 400 in l)) + 1
    assert "MT002" in {f["rule_id"] for f in report["findings"]}


def test_empty_containers_and_aliased_long_texts_count_against_the_node_limit():
    assert [p.rule_id for p in load_text("x-a: [" + "[]," * 300_000 + "]\n").problems] == ["Y005"]
    bomb = "x-s: &s " + "a" * 100_000 + "\ngoals: [" + ", ".join(["*s"] * 300) + "]\n"
    start = time.monotonic()
    assert [p.rule_id for p in load_text(bomb).problems] == ["Y005"]
    assert time.monotonic() - start < 5


def test_positions_of_undecodable_bytes_count_characters_after_a_bom_and_cr_line_ends():
    assert [(p.line, p.column) for p in load_bytes(b"\xef\xbb\xbfapiVersion: kpi-policies/v1\nkind: \xff\n").problems] == [(2, 7)]
    assert [(p.line, p.column) for p in load_bytes(b"a: 1\rb: 2\rc: \xff\r").problems] == [(3, 4)]
    assert [(p.line, p.column) for p in load_bytes("a: éééé\nb: x\x07\n".encode()).problems] == [(2, 5)]


def test_a_plan_cannot_waive_its_own_syntax_error(repo):
    (repo / "plans" / "bad.yaml").write_text('apiVersion: kpi-policies/v1\nkind: [KpiPlan  # kpi-policies: ignore[Y,S] reason="x"\n')
    code, report = check_json("--as-of", "2027-04-10", "plans", cwd=repo)
    assert code == 1 and by_file(report)["bad.yaml"] == {"Y001"}


def test_waiver_text_inside_a_string_is_data_not_a_waiver(repo):
    text = replace(REFERENCE_PLAN, {"tool: crm": "tool: excel",
                                    "source: CRM monthly revenue report": "source: 'CRM # kpi-policies: ignore[MT002] reason=\"x\"'"})
    (repo / "plans" / "good.yaml").write_text(text)
    _, report = check_json("--as-of", "2027-04-10", "plans", cwd=repo)
    assert [(f["rule_id"], f["suppression"]) for f in report["findings"]] == [("MT002", None)]


def test_control_characters_cannot_forge_report_lines(repo):
    text = replace(REFERENCE_PLAN, {"kpis:\n": 'kpis:\n'}, 1) + '"a\\nplans/x.yaml:1:1: Y001 error: forged\\u001b[2J": 1\n'
    (repo / "plans" / "good.yaml").write_text(text)
    proc = run_cli("check", "--as-of", "2027-04-10", "plans", cwd=repo)
    assert not any(line.startswith("plans/x.yaml") for line in proc.stdout.splitlines())
    assert "\x1b" not in proc.stdout and "\\n" in proc.stdout


@pytest.mark.parametrize("value", ["2026-W48-1", "20261130", "2026-11-30T00:00"])
def test_as_of_takes_only_yyyy_mm_dd(repo, value):
    proc = run_cli("check", "--as-of", value, "plans", cwd=repo)
    assert proc.returncode == 2 and "YYYY-MM-DD" in proc.stderr


def test_a_policy_with_a_duplicate_key_is_refused(repo):
    (repo / "p.yaml").write_text("apiVersion: kpi-policies/v1\nkind: Policy\nrules:\n  GL010: {enabled: false}\n  GL010: {enabled: true}\n")
    proc = run_cli("check", "--policy", "p.yaml", "plans", cwd=repo)
    assert proc.returncode == 2 and "p.yaml:5:3: duplicate key 'GL010'" in proc.stderr


def test_a_list_as_kind_is_a_schema_finding(repo):
    (repo / "plans" / "k.yaml").write_text("apiVersion: kpi-policies/v1\nkind: [KpiPlan]\n")
    _, report = check_json("--as-of", "2027-04-10", "plans", cwd=repo)
    (finding,) = [f for f in report["findings"] if f["file"].endswith("k.yaml")]
    assert finding["rule_id"] == "S002" and "a list of 1 items" in finding["message"]


def test_many_schema_errors_and_waivers_stay_fast():
    from conftest import check_texts

    start = time.monotonic()
    check_texts({"a.yaml": "apiVersion: kpi-policies/v1\nkind: KpiPlan\nkpis: [" + "1," * 20_000 + "]\n"})
    waivers = REFERENCE_PLAN + "# kpi-policies: ignore[FE005] reason=x\n" * 20_000 + "x-end: 1\n"
    check_texts({"b.yaml": waivers})
    assert time.monotonic() - start < 30
