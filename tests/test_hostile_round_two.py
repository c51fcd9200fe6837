"""Hostile inputs around the YAML: outputs that would destroy inputs, shadowed packs, hangs, links, odd consoles and configurations."""

from __future__ import annotations

import json
import os
import time

import pytest

from kpi_policies.rules.examples import REFERENCE_PLAN

from conftest import check_json, run_cli


@pytest.fixture
def repo(tmp_path):
    (tmp_path / ".git").mkdir()
    (tmp_path / "plans").mkdir()
    (tmp_path / "plans" / "good.yaml").write_text(REFERENCE_PLAN)
    return tmp_path


def one_line_error(proc) -> str:
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr and "internal error" not in proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    return lines[0]


# --- outputs never destroy inputs ---------------------------------------------------------------------------

@pytest.mark.parametrize("args", [
    ("check", "plans", "--format", "json", "--output", "plans/good.yaml"),
    ("check", "plans", "--write-baseline", "plans/good.yaml"),
    ("check", "plans", "--format", "sarif", "--output", "./plans/../plans/good.yaml"),
    ("report", "plans", "--format", "json", "-o", "plans/good.yaml"),
])
def test_an_output_that_is_an_input_is_refused_and_the_plan_is_kept(repo, args):
    before = (repo / "plans" / "good.yaml").read_bytes()
    message = one_line_error(run_cli(*args, "--as-of", "2027-04-10", cwd=repo))
    assert "plans/good.yaml" in message and "input" in message
    assert (repo / "plans" / "good.yaml").read_bytes() == before


def test_an_output_that_is_the_policy_the_baseline_or_a_hard_link_of_a_plan_is_refused(repo):
    (repo / "policy.yaml").write_text("apiVersion: kpi-policies/v1\nkind: Policy\nmetadata: {id: p}\n")
    os.link(repo / "plans" / "good.yaml", repo / "alias.json")
    one_line_error(run_cli("check", "plans", "--policy", "policy.yaml", "--format", "json", "-o", "policy.yaml", cwd=repo))
    one_line_error(run_cli("check", "plans", "--format", "json", "-o", "alias.json", cwd=repo))
    assert run_cli("check", "plans", "--write-baseline", "b.json", cwd=repo).returncode == 0
    one_line_error(run_cli("check", "plans", "--baseline", "b.json", "--format", "json", "-o", "b.json", cwd=repo))
    assert json.loads((repo / "b.json").read_text())["tool"] == "kpi-policies"
    assert "apiVersion" in (repo / "alias.json").read_text()


def test_two_outputs_of_one_run_to_the_same_file_are_refused(repo):
    message = one_line_error(run_cli("check", "plans", "--format", "json", "--format", "sarif",
                                     "-o", "out.json", "-o", "./out.json", cwd=repo))
    assert "same file" in message and not (repo / "out.json").exists()
    one_line_error(run_cli("check", "plans", "--format", "json", "-o", "x.json", "--write-baseline", "x.json", cwd=repo))


def test_an_import_cannot_write_over_its_source(tmp_path):
    source = tmp_path / "pi.yml"
    source.write_text("- name: X\n  definition: x\n")
    one_line_error(run_cli("import", "gitlab-pi", str(source), "-o", str(source), cwd=tmp_path))
    assert source.read_text() == "- name: X\n  definition: x\n"


def test_outputs_are_written_through_a_temporary_file_in_the_same_folder(tmp_path, monkeypatch):
    from kpi_policies import outputs

    target = tmp_path / "report.json"
    target.write_text("old report")
    seen = []
    real_replace = os.replace

    def spy(src, dst):
        seen.append((os.path.dirname(src), os.path.exists(src), target.read_text()))
        real_replace(src, dst)

    monkeypatch.setattr(outputs.os, "replace", spy)
    outputs.write_atomic(str(target), "new report")
    assert seen == [(str(tmp_path), True, "old report")] and target.read_text() == "new report"

    def interrupted(src, dst):
        raise KeyboardInterrupt

    monkeypatch.setattr(outputs.os, "replace", interrupted)
    with pytest.raises(KeyboardInterrupt):
        outputs.write_atomic(str(target), "half")
    assert target.read_text() == "new report" and os.listdir(tmp_path) == ["report.json"]


def test_an_output_to_dev_null_is_allowed(repo):
    assert run_cli("check", "plans", "--format", "json", "-o", "/dev/null", "--as-of", "2027-04-10", cwd=repo).returncode == 0


# --- built-in packs cannot be shadowed -----------------------------------------------------------------------

@pytest.mark.parametrize("name", ["strict", "recommended"])
def test_a_file_named_like_a_built_in_pack_does_not_replace_it(repo, name):
    (repo / "plans" / "good.yaml").write_text(REFERENCE_PLAN.replace("tool: crm", "tool: excel"))  # MT002 error
    silent = "apiVersion: kpi-policies/v1\nkind: Policy\nmetadata: {id: silent}\nextends: []\nignore: [ALL]\n"
    (repo / name).write_text(silent)
    code, report = check_json("plans", "--policy", name, "--as-of", "2027-04-10", cwd=repo)
    assert code == 1 and "MT002" in {f["rule_id"] for f in report["findings"]}
    (repo / "kpi-policies.yaml").write_text(f"apiVersion: kpi-policies/v1\nkind: Config\npolicy: {name}\n")
    code, report = check_json("plans", "--as-of", "2027-04-10", cwd=repo)
    assert code == 1 and "MT002" in {f["rule_id"] for f in report["findings"]}
    code, report = check_json("plans", "--policy", f"./{name}", "--as-of", "2027-04-10", cwd=repo)
    assert code == 0 and report["findings"] == []  # a path names the file


def test_a_folder_named_like_a_built_in_pack_does_not_break_it(repo):
    (repo / "strict").mkdir()
    code, _ = check_json("plans", "--policy", "strict", "--as-of", "2027-04-10", cwd=repo)
    assert code in (0, 1)
