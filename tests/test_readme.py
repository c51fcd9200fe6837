"""The README's sample output is real output: regenerate it and compare."""

from __future__ import annotations

import json
import re

import pytest

from conftest import ROOT, replace, run_cli

README = (ROOT / "README.md").read_text(encoding="utf-8")


def _block_after(command: str, fence: str = "console") -> str:
    """The output lines following ``$ command`` inside a fenced block."""
    match = re.search(rf"```+{fence}\n(?:\$ [^\n]*\n)*?\$ {re.escape(command)}\n(.*?)\n```", README, re.S)
    assert match, f"README has no block for `{command}`"
    return match.group(1)


@pytest.fixture
def demo(monkeypatch):
    """The repository, outside GitHub: the README's examples/ plan has three defects."""
    for var in ("GITHUB_SERVER_URL", "GITHUB_REPOSITORY", "GITHUB_SHA", "GITHUB_WORKSPACE"):
        monkeypatch.delenv(var, raising=False)
    return ROOT


@pytest.mark.parametrize("fmt", ["", " --format github"])
def test_readme_text_and_annotation_samples_are_real(demo, fmt):
    command = f"kpi-policies check --as-of 2027-04-10{fmt} examples/"
    proc = run_cli(*command.split()[1:], cwd=demo)
    assert proc.stdout.rstrip("\n") == _block_after(command)


def test_readme_vietnamese_sample_is_real(demo):
    command = "kpi-policies --lang vi check --as-of 2027-04-10 examples/"
    proc = run_cli(*command.split()[1:], cwd=demo)
    assert proc.stdout.rstrip("\n") == _block_after(command)


def test_readme_markdown_sample_is_real(demo):
    proc = run_cli("check", "--as-of", "2027-04-10", "--format", "markdown", "examples/", cwd=demo)
    sample = re.search(r"```markdown\n(## kpi-policies: failed.*?)\n```", README, re.S).group(1)
    assert proc.stdout.rstrip("\n") == sample


def test_readme_sarif_sample_is_a_real_result(demo):
    proc = run_cli("check", "--as-of", "2027-04-10", "--format", "sarif", "examples/", cwd=demo)
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


def _logged(sample: str) -> str:
    """The README's sample plan with March's reviews logged (revenue = orders × average order value)."""
    logged = sample.replace("      log: []", "      log: [{date: 2027-03-31, actual: 4420000000}]", 1)
    logged = logged.replace("log: []}", "log: [{date: 2027-03-31, actual: 7250}]}", 1)
    logged = logged.replace("log: []}", "log: [{date: 2027-03-31, actual: 609700}]}", 1)
    assert "log: []" not in logged.split("initiatives:")[0]
    return logged


def test_readme_sample_plan_passes(tmp_path):
    sample = re.search(r"```yaml\n(# yaml-language-server.*?)\n```", README, re.S).group(1)
    (tmp_path / "plans").mkdir()
    (tmp_path / "schemas").mkdir()
    plan = tmp_path / "plans" / "sample.yaml"
    plan.write_text(sample)
    # its first check, on a day the plan is being written (before its period starts)
    proc = run_cli("check", "--as-of", "2026-12-01", str(plan), cwd=tmp_path)
    assert proc.returncode == 0 and "0 errors, 0 warnings" in proc.stdout, proc.stdout
    # with reviews logged, it stays clean once the period runs
    plan.write_text(_logged(sample))
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
    assert "FE005  on  error   enforce {'max_change_percent': 30.0, 'max_change_points': 5.0}" in proc.stdout
    assert "MT003  on  error   audit" in proc.stdout


def test_readme_driver_sample_is_real():
    """The sample plan with the average order value target at +3%: the target-identity finding, with both back-solved figures."""
    sample = re.search(r"```yaml\n(# yaml-language-server.*?)\n```", README, re.S).group(1)
    assert "target: {value: 628600, due: 2027-12-31}" in sample
    example = ROOT / "docs" / "examples" / "sample-plan-aov-3pct.yaml"
    expected = _logged(sample).replace("value: 628600, due", "value: 618000, due")
    assert example.read_text(encoding="utf-8") == expected, "the example is the README's sample plan, reviews logged"
    command = "kpi-policies check --as-of 2027-04-10 docs/examples/sample-plan-aov-3pct.yaml"
    proc = run_cli(*command.split()[1:], cwd=ROOT)
    assert proc.stdout.rstrip("\n") == _block_after(command)
    assert "imply 51.9 bn VND, 1.7% short of the 52.8 bn target" in proc.stdout
    assert "average order value target to +4.8%" in proc.stdout and "orders target to +6.8%" in proc.stdout
