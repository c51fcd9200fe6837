"""The GitHub Action and the workflows: schema-valid, hardened, and the action's steps behave as on GitHub."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from kpi_policies.rules.examples import REFERENCE_PLAN

from conftest import ROOT, replace

WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))
EXPRESSION = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")


def _yaml(path: Path):
    return YAML(typ="safe", pure=True).load(path.read_text(encoding="utf-8"))


def _check_jsonschema(schema: str, *files: Path):
    proc = subprocess.run([sys.executable, "-m", "check_jsonschema", "--builtin-schema", schema, *map(str, files)],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_workflows_are_valid_against_the_github_workflow_schema():
    assert {p.name for p in WORKFLOWS} >= {"ci.yml", "kpi-plans.yml"}
    _check_jsonschema("vendor.github-workflows", *WORKFLOWS)


def test_action_is_valid_against_the_github_action_schema():
    _check_jsonschema("vendor.github-actions", ROOT / "action.yml")


def _values_of(node, wanted: str):
    """Every string value of key ``wanted`` anywhere in a YAML tree."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == wanted and isinstance(value, str):
                yield value
            else:
                yield from _values_of(value, wanted)
    elif isinstance(node, list):
        for item in node:
            yield from _values_of(item, wanted)


@pytest.mark.parametrize("path", WORKFLOWS + [ROOT / "action.yml"], ids=lambda p: p.name)
def test_workflows_are_hardened(path):
    text = path.read_text(encoding="utf-8")
    data = _yaml(path)
    for uses in _values_of(data, "uses"):
        if uses.startswith("./"):
            continue
        assert re.fullmatch(r"[\w.-]+/[\w./-]+@[0-9a-f]{40}", uses), f"{uses} is not pinned to a full commit SHA"
        line = next(l for l in text.splitlines() if uses in l)
        assert re.search(r"#\s*v\d", line), f"{uses}: add its version in a comment"
    assert "pull_request_target" not in text
    for script in _values_of(data, "run"):
        assert "${{" not in script, "expressions belong in env:, not in a shell script"
    if path.parent.name == "workflows":
        assert data["permissions"] == {"contents": "read"}


def test_gate_workflow_runs_on_every_pull_request_and_uploads_sarif():
    data = _yaml(ROOT / ".github" / "workflows" / "kpi-plans.yml")
    trigger = data[True] if True in data else data["on"]  # YAML 1.1 reads `on` as true
    assert set(trigger) == {"pull_request"}
    assert not (trigger["pull_request"] or {}).get("paths") and not (trigger["pull_request"] or {}).get("paths-ignore")
    steps = data["jobs"]["kpi-policies"]["steps"]
    assert "if" not in data["jobs"]["kpi-policies"], "the job itself must always run and report"
    assert any(s.get("uses") == "./" for s in steps)
    assert any(s.get("uses", "").startswith("github/codeql-action/upload-sarif@") for s in steps)
    assert data["jobs"]["kpi-policies"]["permissions"] == {"contents": "read", "security-events": "write"}


# --- the action's steps, run as GitHub runs a composite action --------------

def _evaluate(value: str, inputs: dict, defaults: dict, event: dict | None = None) -> str:
    def sub(match):
        expr = match.group(1)
        if expr.startswith("inputs."):
            name = expr[len("inputs."):]
            return _evaluate(inputs.get(name, defaults[name]), inputs, defaults, event)
        if expr == "github.action_path":
            return str(ROOT)
        if expr == "github.event.pull_request.base.sha":  # empty outside a pull request, as on GitHub
            return (event or {}).get("pull_request", {}).get("base", {}).get("sha", "")
        raise AssertionError(f"unexpected expression {expr}")
    return EXPRESSION.sub(sub, value)


def run_action(workspace: Path, event: dict | None = None, **inputs) -> tuple[int, str, dict, str]:
    """Run action.yml's steps (the install step excepted: the package is installed) like the runner does."""
    action = _yaml(ROOT / "action.yml")
    defaults = {k: str(v.get("default", "")) for k, v in action["inputs"].items()}
    runner_temp = workspace.parent / "runner-temp"
    runner_temp.mkdir(exist_ok=True)
    output_file, summary_file = runner_temp / "output", runner_temp / "summary"
    output_file.write_text(""), summary_file.write_text("")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "INPUT_"))}
    env.update(GITHUB_OUTPUT=str(output_file), GITHUB_STEP_SUMMARY=str(summary_file), GITHUB_WORKSPACE=str(workspace),
               RUNNER_TEMP=str(runner_temp), GITHUB_ACTIONS="true",
               PATH=os.path.dirname(shutil.which("kpi-policies") or sys.executable) + os.pathsep + env.get("PATH", ""))
    code, stdout = 0, ""
    for step in action["runs"]["steps"]:
        if step.get("id") == "install":
            continue
        step_env = dict(env, **{k: _evaluate(str(v), inputs, defaults, event) for k, v in (step.get("env") or {}).items()})
        proc = subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", step["run"]],
                              cwd=workspace, env=step_env, capture_output=True, text=True)
        stdout += proc.stdout + proc.stderr
        if proc.returncode:
            code = proc.returncode
            break
    outputs = dict(line.split("=", 1) for line in output_file.read_text().splitlines() if "=" in line)
    return code, stdout, outputs, summary_file.read_text()


@pytest.fixture
def workspace(tmp_path):
    ws = tmp_path / "repo"
    (ws / "plans").mkdir(parents=True)
    (ws / ".git").mkdir()
    (ws / "plans" / "good.yaml").write_text(REFERENCE_PLAN)
    return ws


def test_action_passes_a_compliant_plan(workspace):
    code, log, outputs, summary = run_action(workspace, **{"as-of": "2027-04-10"})
    assert code == 0, log
    assert outputs == {"errors": "0", "warnings": "0", "infos": "0", "sarif": "kpi-policies.sarif"}
    assert (workspace / "kpi-policies.sarif").is_file()
    assert summary.startswith("## kpi-policies: passed")
    assert "::error" not in log


def test_action_annotates_summarises_and_fails_on_a_bad_plan(workspace):
    bad = replace(REFERENCE_PLAN, {"id: shop-marketing-2027": "id: bad-plan", "tool: crm": "tool: my-spreadsheet"})
    (workspace / "plans" / "bad plan.yaml").write_text(bad)
    code, log, outputs, summary = run_action(workspace, **{"as-of": "2027-04-10", "sarif": "out/results.sarif"})
    assert code == 1
    assert "::error file=plans/bad plan.yaml,line=" in log and "title=MT002 measurement.unapproved-tool::" in log
    assert outputs["errors"] == "1" and outputs["sarif"] == "out/results.sarif"
    assert "## kpi-policies: failed" in summary and "MT002" in summary
    sarif = (workspace / "out" / "results.sarif").read_text()
    assert '"uri": "plans/bad%20plan.yaml"' in sarif


def test_action_inputs_change_threshold_and_outputs(workspace):
    (workspace / "plans" / "good.yaml").write_text(
        replace(REFERENCE_PLAN, {"goals:\n": "goals:\n  - {id: G-BRAND, title: Brand, type: brand_awareness}\n"}))
    code, log, outputs, summary = run_action(workspace, **{"as-of": "2027-04-10", "fail-on": "warning",
                                                          "annotate": "false", "summary": "false"})
    assert code == 1 and outputs["warnings"] == "1"
    assert "::warning" not in log and summary == ""


def test_action_reports_a_broken_configuration(workspace):
    code, log, outputs, _ = run_action(workspace, **{"policy": "missing-policy.yaml"})
    assert code == 2 and "missing-policy.yaml" in log and outputs == {}
