"""The README's sample output is real output: regenerate it and compare."""

from __future__ import annotations

import json
import re

import pytest

from kpi_policies.rules.examples import REFERENCE_PLAN

from conftest import ROOT, replace, run_cli

README = (ROOT / "README.md").read_text(encoding="utf-8")


def _block_after(command: str, fence: str = "console") -> str:
    """The output lines following ``$ command`` inside a fenced block."""
    match = re.search(rf"```+{fence}\n(?:\$ [^\n]*\n)*?\$ {re.escape(command)}\n(.*?)\n```", README, re.S)
    assert match, f"README has no block for `{command}`"
    return match.group(1)


@pytest.fixture
def demo(tmp_path, monkeypatch):
    """The README's demo repository: the reference plan with three defects."""
    for var in ("GITHUB_SERVER_URL", "GITHUB_REPOSITORY", "GITHUB_SHA", "GITHUB_WORKSPACE"):
        monkeypatch.delenv(var, raising=False)
    (tmp_path / ".git").mkdir()
    (tmp_path / "plans").mkdir()
    first, second = REFERENCE_PLAN.split("direction: increase", 1)
    plan = first + "direction: increase" + replace(second, {"direction: increase": "direction: decrease"}, 1)
    (tmp_path / "plans" / "shop-marketing-2027.yaml").write_text(replace(plan, {"tool: crm": "tool: my-spreadsheet"}))
    return tmp_path


@pytest.mark.parametrize("fmt", ["", " --format github"])
def test_readme_text_and_annotation_samples_are_real(demo, fmt):
    command = f"kpi-policies check --as-of 2027-04-10{fmt} plans/"
    proc = run_cli(*command.split()[1:], cwd=demo)
    assert proc.stdout.rstrip("\n") == _block_after(command)


def test_readme_markdown_sample_is_real(demo):
    proc = run_cli("check", "--as-of", "2027-04-10", "--format", "markdown", "plans/", cwd=demo)
    sample = re.search(r"```markdown\n(## kpi-policies: failed.*?)\n```", README, re.S).group(1)
    assert proc.stdout.rstrip("\n") == sample


def test_readme_sarif_sample_is_a_real_result(demo):
    proc = run_cli("check", "--as-of", "2027-04-10", "--format", "sarif", "plans/", cwd=demo)
    result = json.loads(proc.stdout)["runs"][0]["results"][0]
    sample = json.loads(re.search(r"```json\n(\{\n  \"ruleId\".*?)\n```", README, re.S).group(1))
    assert result == sample


def test_readme_check_of_this_repository_is_real():
    expected = _block_after("kpi-policies check", fence="console").splitlines()[-1]
    proc = run_cli("check", cwd=ROOT)
    got = proc.stdout.strip().splitlines()[-1]
    # the day changes; everything else must match
    assert re.sub(r"as of \d{4}-\d{2}-\d{2}", "as of DAY", got) == re.sub(r"as of \d{4}-\d{2}-\d{2}", "as of DAY", expected)


def test_readme_explain_sample_is_real():
    proc = run_cli("explain", "FE004")
    shown = _block_after("kpi-policies explain FE004", fence="console").split("\n...")[0]
    assert proc.stdout.startswith(shown)


def test_readme_sample_plan_passes(tmp_path):
    sample = re.search(r"```yaml\n(# yaml-language-server.*?)\n```", README, re.S).group(1)
    (tmp_path / "plans").mkdir()
    (tmp_path / "schemas").mkdir()
    plan = tmp_path / "plans" / "sample.yaml"
    plan.write_text(replace(sample, {"  strategy: company-2027          # optional: a Strategy whose goals objectives may serve\n": ""}))
    proc = run_cli("check", "--as-of", "2027-04-10", str(plan), cwd=tmp_path)
    assert proc.returncode == 0 and "0 errors, 0 warnings" in proc.stdout, proc.stdout


def test_readme_sample_policy_and_configuration_load(tmp_path):
    policy = re.search(r"```yaml\n(apiVersion: kpi-policies/v1\nkind: Policy\nmetadata: \{id: acme\}.*?)\n```", README, re.S).group(1)
    config = re.search(r"```yaml\n(apiVersion: kpi-policies/v1\nkind: Config\n.*?)\n```", README, re.S).group(1)
    (tmp_path / ".git").mkdir()
    (tmp_path / "policies").mkdir()
    (tmp_path / "policies" / "acme.yaml").write_text(policy)
    (tmp_path / "kpi-policies.yaml").write_text(config)
    proc = run_cli("config", "--show", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "policy packs (applied in this order):" in proc.stdout and "strict.yaml" in proc.stdout
    assert "FE005  on  error   enforce {'max_change_percent': 30.0}" in proc.stdout
    assert "MT003  on  error   audit" in proc.stdout
