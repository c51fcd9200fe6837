"""The command line as a user meets it: exit codes, formats, paths, policies and errors."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from kpi_policies import __version__
from kpi_policies.rules.examples import REFERENCE_PLAN

from conftest import check_json, replace, run_cli, run_process

FIXTURES = Path(__file__).parent / "fixtures" / "plans"
AS_OF = ["--as-of", "2027-04-10"]


@pytest.fixture
def workspace(tmp_path):
    """A copy of the fixture plans in a scratch repository folder."""
    plans = tmp_path / "plans"
    shutil.copytree(FIXTURES, plans)
    (tmp_path / ".git").mkdir()
    return tmp_path


def test_clean_plans_exit_zero_with_a_summary(workspace):
    proc = run_cli("check", *AS_OF, "plans", cwd=workspace)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.strip() == "3 files checked as of 2027-04-10: 0 errors, 0 warnings, 0 infos; 3 files clean"


def test_no_path_checks_the_repository_plans_folder(workspace):
    (workspace / "plans" / "broken.yaml").write_text(replace(REFERENCE_PLAN, {"direction: increase": "direction: decrease"}, 1))
    sub = workspace / "plans"
    for cwd in (workspace, sub):
        proc = run_cli("check", *AS_OF, cwd=cwd)
        assert proc.returncode == 1
        assert "broken.yaml:" in proc.stdout and "KF002 error:" in proc.stdout


def test_text_format_is_path_line_col_rule_severity_message(workspace):
    bad = workspace / "plans" / "bad.yaml"
    bad.write_text(replace(REFERENCE_PLAN, {"tool: crm": "tool: my-spreadsheet"}))
    proc = run_cli("check", *AS_OF, "plans/bad.yaml", cwd=workspace)
    assert proc.returncode == 1
    line = proc.stdout.splitlines()[0]
    number = REFERENCE_PLAN.splitlines().index(next(l for l in REFERENCE_PLAN.splitlines() if "tool: crm" in l)) + 1
    column = REFERENCE_PLAN.splitlines()[number - 1].index("crm") + 1
    assert line.startswith(f"plans/bad.yaml:{number}:{column}: MT002 error: KPI KPI-REVENUE is measured with 'my-spreadsheet'")
    assert proc.stdout.rstrip().endswith("1 file checked as of 2027-04-10: 1 error, 0 warnings, 0 infos; 0 files clean")


def test_json_format_has_positions_and_plan_ids(workspace):
    (workspace / "plans" / "bad.yaml").write_text(replace(REFERENCE_PLAN, {"id: shop-marketing-2027": "id: other", "value: 2.4,": "value: 1.9,"}))
    code, report = check_json(*AS_OF, "plans", cwd=workspace)
    assert code == 1
    (finding,) = report["findings"]
    assert finding["rule_id"] == "FE004" and finding["severity"] == "error"
    assert finding["file"] == "plans/bad.yaml" and finding["plan_id"] == "other"
    assert finding["line"] >= 1 and finding["column"] >= 1
    assert finding["pointer"] == "/kpis/1/target/value"
    assert report["summary"] == {"files": 4, "error": 1, "warning": 0, "info": 0, "suppressed": 0}
    assert report["tool"]["version"] == __version__


def test_warnings_alone_exit_zero(workspace):
    text = replace(REFERENCE_PLAN, {"goals:\n": "goals:\n  - {id: G-BRAND, title: Brand, type: brand_awareness}\n"})
    (workspace / "plans" / "shop-marketing-2027.yaml").write_text(text)
    proc = run_cli("check", *AS_OF, "plans", cwd=workspace)
    assert proc.returncode == 0 and "GL010 warning" in proc.stdout


def test_one_broken_file_never_hides_the_others(workspace):
    plans = workspace / "plans"
    (plans / "a-syntax.yaml").write_text("kpis: [unclosed\n")
    (plans / "b-binary.yaml").write_bytes(b"title: \x80\x81 garbage\n")
    (plans / "c-empty.yml").write_text("# nothing\n")
    (plans / "d-bomb.yaml").write_text("a: &a [x,x,x,x,x,x,x,x,x,x]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b,*b]\n"
                                        "d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c,*c]\ne: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d,*d]\nf: [*e,*e,*e,*e,*e,*e,*e,*e,*e,*e]\n")
    (plans / "e-list.yaml").write_text("- 1\n- 2\n")
    (plans / "f-bad-kpi.yaml").write_text(replace(REFERENCE_PLAN, {"tool: crm": "tool: excel", "id: shop-marketing-2027": "id: f-plan"}))
    code, report = check_json(*AS_OF, "plans", cwd=workspace)
    assert code == 1
    by_file = {}
    for f in report["findings"]:
        by_file.setdefault(Path(f["file"]).name, set()).add(f["rule_id"])
    assert by_file["a-syntax.yaml"] == {"Y001"}
    assert by_file["b-binary.yaml"] == {"Y003"}
    assert by_file["c-empty.yml"] == {"Y004"}
    assert by_file["d-bomb.yaml"] == {"Y005"}
    assert by_file["e-list.yaml"] == {"S002"}
    assert by_file["f-bad-kpi.yaml"] == {"MT002"}
    assert report["summary"]["files"] == 9


def test_strategy_is_found_in_the_repository_when_not_passed(workspace):
    code, report = check_json(*AS_OF, "plans/retention-2027.yaml", cwd=workspace)
    assert code == 0 and report["findings"] == []
    (workspace / "plans" / "company-2027.yaml").unlink()
    code, report = check_json(*AS_OF, "plans/retention-2027.yaml", cwd=workspace)
    assert code == 1
    assert [f["rule_id"] for f in report["findings"]] == ["GL003"]


def test_duplicate_plan_ids_across_files(workspace):
    shutil.copy(workspace / "plans" / "shop-marketing-2027.yaml", workspace / "plans" / "copy.yaml")
    code, report = check_json(*AS_OF, "plans", cwd=workspace)
    assert code == 1
    assert sorted(Path(f["file"]).name for f in report["findings"] if f["rule_id"] == "GL007") == ["copy.yaml", "shop-marketing-2027.yaml"]


def test_as_of_changes_overdue_reviews(workspace):
    assert run_cli("check", "--as-of", "2027-04-10", "plans", cwd=workspace).returncode == 0
    proc = run_cli("check", "--as-of", "2027-06-30", "plans", cwd=workspace)
    assert proc.returncode == 1 and "RC005" in proc.stdout


def test_policy_file_changes_thresholds_and_tools(workspace):
    plan = workspace / "plans" / "shop-marketing-2027.yaml"
    # a conversion rate target 11.4 points above its baseline (percent metrics change in points)
    plan.write_text(replace(plan.read_text(), {"value: 2.4,": "value: 13.5,", "tool: crm": "tool: sheets"}))
    found = {f["rule_id"] for f in check_json(*AS_OF, "plans", cwd=workspace)[1]["findings"]}
    assert found - {"TR002"} == {"FE005", "MT002"}     # TR002: the KPI is also far off its pace (a warning)
    policy = workspace / "policy.yaml"
    policy.write_text("apiVersion: kpi-policies/v1\nkind: Policy\ntools:\n  - {id: sheets, name: Google Sheets, measures: [revenue]}\n"
                      "rules:\n  FE005:\n    params: {max_change_points: 12}\n  TR002: {enabled: false}\n")
    code, report = check_json(*AS_OF, "--policy", "policy.yaml", "plans", cwd=workspace)
    assert code == 0 and report["findings"] == []


@pytest.mark.parametrize("content,expected", [
    ("apiVersion: kpi-policies/v1\nkind: Policy\nrules:\n  FE005:\n    params: {max_change_percent: -3}\n", "policy.yaml:5:14: rule FE005 parameter 'max_change_percent': input should be greater than 0, not -3"),
    ("apiVersion: kpi-policies/v1\nkind: Policy\nrules:\n  FE005:\n    params: {growth: 3}\n", "policy.yaml:5:14: rule FE005 has no parameter 'growth' (its parameters: max_change_percent, max_change_points)"),
    ("apiVersion: kpi-policies/v1\nkind: Policy\nrules:\n  XX123: {severity: error}\n", "policy.yaml:4:3: the policy configures rule 'XX123', which does not exist"),
    ("apiVersion: kpi-policies/v1\nkind: Policy\nrules:\n  FE05: {severity: error}\n", "(did you mean 'FE005'?)"),
    ("apiVersion: kpi-policies/v1\nkind: Policy\ntools:\n  - {id: x, name: X, measures: [revenue, order]}\n", "policy.yaml:4:42: tool x measures 'order', which is not a metric of the catalog (did you mean 'orders'?)"),
    ("apiVersion: kpi-policies/v1\nkind: Policy\ntools: [{id: a}]\n", "policy.yaml:3:9: tool a is missing required key 'name'"),
    ("apiVersion: kpi-policies/v1\nkind: Policy\nrules: [unclosed\n", "policy.yaml:3:8: the list opened with '[' here is not closed"),
    ("apiVersion: kpi-policies/v1\nkind: KpiPlan\n", "expected a file of kind Policy"),
])
def test_broken_policy_is_a_one_line_configuration_error(workspace, content, expected):
    (workspace / "policy.yaml").write_text(content)
    proc = run_cli("check", "--policy", "policy.yaml", "plans", cwd=workspace)
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert len(proc.stderr.strip().splitlines()) == 1 and expected in proc.stderr, proc.stderr


@pytest.mark.parametrize("args,expected", [
    (["check", "no-such-file.yaml"], "no such file or folder: no-such-file.yaml"),
    (["check", "--as-of", "2027-02-30", "plans"], "not a date"),
    (["check", "--format", "xml", "plans"], "xml"),
    (["check", "--bogus"], "No such option"),
    (["frobnicate"], "No such command"),
    (["check", "--policy", "missing.yaml", "plans"], "missing.yaml"),
])
def test_usage_errors_exit_two_with_one_line(workspace, args, expected):
    proc = run_cli(*args, cwd=workspace)
    assert proc.returncode == 2
    assert expected in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1 and proc.stdout == ""


def test_a_folder_without_plans_is_a_usage_error_not_a_pass(workspace):
    (workspace / "empty").mkdir()
    proc = run_cli("check", "empty", cwd=workspace)
    assert proc.returncode == 2 and "no *.yaml or *.yml files in empty" in proc.stderr


def test_no_plans_folder_is_a_usage_error(tmp_path):
    proc = run_cli("check", cwd=tmp_path)
    assert proc.returncode == 2 and "no plans/ folder" in proc.stderr


def test_version_and_help_on_every_command():
    assert run_cli("--version").stdout.strip() == f"kpi-policies, version {__version__}"
    for args in ([], ["check"], ["rules"], ["explain"], ["import"], ["import", "gitlab-pi"]):
        proc = run_cli(*args, "--help")
        assert proc.returncode == 0 and "Usage:" in proc.stdout


def test_output_file_receives_the_report(workspace):
    proc = run_cli("check", *AS_OF, "--format", "json", "--output", "report.json", "plans", cwd=workspace)
    assert proc.returncode == 0 and proc.stdout == ""
    assert json.loads((workspace / "report.json").read_text())["summary"]["files"] == 3


def test_rules_json_lists_ids_and_severities():
    proc = run_cli("rules", "--format", "json")
    rules = json.loads(proc.stdout)
    assert {"id": "KF002", "name": "kpi-fit.direction-against-metric", "severity": "error", "family": "KF",
            "summary": "KPI's direction goes against its metric's better direction."} in rules


# --- real processes: the installed command and ``python -m kpi_policies`` behave as the in-process runs -------

INSTALLED = Path(sys.executable).with_name("kpi-policies")


@pytest.mark.skipif(not INSTALLED.exists(), reason="the kpi-policies command is not installed next to this Python")
def test_the_installed_command_behaves_as_the_in_process_run(workspace):
    (workspace / "plans" / "bad.yaml").write_text(replace(REFERENCE_PLAN, {"tool: crm": "tool: my-spreadsheet"}))
    (workspace / "policy.yaml").write_text("apiVersion: kpi-policies/v1\nkind: Policy\nrules:\n  XX123: {severity: error}\n")
    cases = [
        (["check", *AS_OF, "--jobs", "2", "plans"], 1),                # findings, worker processes
        (["check", *AS_OF, "--format", "json", "plans/retention-2027.yaml"], 0),
        (["check", "--bogus"], 2),                                      # usage error
        (["check", "--policy", "policy.yaml", "plans"], 2),             # configuration error
    ]
    for args, code in cases:
        real = subprocess.run([str(INSTALLED), *args], cwd=workspace, capture_output=True, text=True, timeout=300)
        here = run_cli(*args, cwd=workspace)
        assert (real.returncode, real.stdout, real.stderr) == (code, here.stdout, here.stderr) == (here.returncode, here.stdout, here.stderr)
        assert "Traceback" not in real.stderr and len(real.stderr.splitlines()) <= 1


def test_python_dash_m_behaves_as_the_in_process_run(workspace):
    (workspace / "plans" / "bad.yaml").write_text(replace(REFERENCE_PLAN, {"tool: crm": "tool: my-spreadsheet"}))
    for args, code in ((["check", *AS_OF, "plans"], 1), (["chek"], 2)):
        real = run_process(*args, cwd=workspace)
        here = run_cli(*args, cwd=workspace)
        assert real.returncode == here.returncode == code and real.stdout == here.stdout
        assert real.stderr.replace("python -m kpi_policies", "kpi-policies") == here.stderr
        assert "Traceback" not in real.stderr and len(real.stderr.splitlines()) <= 1


def test_an_unexpected_error_is_one_line_and_exit_two(workspace, monkeypatch):
    import kpi_policies.settings

    def broken(*args, **kwargs):
        raise RuntimeError("the disk is on fire")

    monkeypatch.setattr(kpi_policies.settings, "load_settings", broken)
    proc = run_cli("check", *AS_OF, "plans", cwd=workspace)
    assert (proc.returncode, proc.stdout) == (2, "")
    assert proc.stderr == "kpi-policies: internal error: RuntimeError: the disk is on fire\n"


def test_an_in_process_run_leaves_streams_environment_and_folder_as_they_were(workspace, monkeypatch):
    from kpi_policies.cli.entry import execute

    monkeypatch.chdir(workspace)
    monkeypatch.setenv("KPI_POLICIES_TEST_GONE", "x")
    before = dict(os.environ), os.getcwd(), (sys.stdin, sys.stdout, sys.stderr)
    code, out, err = execute(["check", *AS_OF, "--format", "json", "plans"],
                             env={"KPI_POLICIES_PURE_YAML": "1", "KPI_POLICIES_TEST_GONE": None})
    assert code == 0 and json.loads(out)["summary"]["files"] == 3 and err == ""
    assert (dict(os.environ), os.getcwd(), (sys.stdin, sys.stdout, sys.stderr)) == before
    assert execute(["check", "--bogus"])[0] == 2
    assert (dict(os.environ), os.getcwd(), (sys.stdin, sys.stdout, sys.stderr)) == before
