"""A check split over a CI job matrix: ``check --shard I/N`` and ``merge`` give exactly one run's reports."""

from __future__ import annotations

import json
import re

import pytest

from kpi_policies import shard
from kpi_policies.rules.examples import REFERENCE_PLAN, REFERENCE_STRATEGY

from conftest import ROOT, run_cli

AS_OF = ("--as-of", "2027-04-10", "--no-cache")
FORMATS = ["text", "json", "github", "sarif", "junit", "markdown"]
NO_GITHUB = {"GITHUB_WORKSPACE": "", "GITHUB_SERVER_URL": "", "GITHUB_REPOSITORY": "", "GITHUB_SHA": ""}


def _plan(i: int) -> str:
    plan = REFERENCE_PLAN.replace("id: shop-marketing-2027", f"id: plan-{i:02d}")
    if i % 5 == 0:
        plan = plan.replace("tool: crm", "tool: my-spreadsheet")  # MT002
    if i % 7 == 0:
        plan = plan.replace("direction: increase", "direction: decrease", 1)  # FE004, KF002
    if i % 6 == 0:
        plan = plan.replace(f"id: plan-{i:02d}", "id: shared-plan", 1)  # the same id in several files: GL007 across shards
    if i % 9 == 0:
        plan = plan.replace("  department: marketing\n", "  department: marketing\n  strategy: company-2027\n")
    if i % 11 == 0:
        plan = plan.replace("  department: marketing\n", "  department: marketing\n  strategy: no-such-strategy\n")
    if i == 12:
        plan = plan.replace("  id: shared-plan\n", '  # kpi-policies: ignore[GL007] reason="merged next quarter"\n  id: shared-plan\n')
    if i == 30:  # the same id spelt with a YAML escape: still a duplicate, whatever shard reads it
        plan = plan.replace("  id: shared-plan\n", '  id: "shared\\x2dplan"\n')
    if i == 25:
        plan = plan.replace("    measurement: {tool: my-spreadsheet", '    # kpi-policies: ignore[MT002] reason="pilot"\n    measurement: {tool: my-spreadsheet')
    return plan


@pytest.fixture(scope="module")
def repo(tmp_path_factory):
    root = tmp_path_factory.mktemp("sharded") / "repo"
    (root / ".git").mkdir(parents=True)
    for i in range(40):
        folder = root / "plans" / ("team-a" if i % 2 else "team-b")
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"plan-{i:02d}.yaml").write_text(_plan(i))
    (root / "plans" / "company-2027.yaml").write_text(REFERENCE_STRATEGY)
    (root / "plans" / "broken.yaml").write_text("kpis: [unclosed\n")
    (root / "policy.yaml").write_text(
        "apiVersion: kpi-policies/v1\nkind: Policy\nmetadata: {id: p}\nsuppressions:\n"
        "  - {plan: plan-35, kpi: KPI-REVENUE, rules: [MT002], reason: approved by the CFO}\n"
        "  - {plan: plan-01, rules: [FE004], reason: nothing to waive here}\n")
    baseline = run_cli("check", *AS_OF, "--policy", "policy.yaml", "plans/team-b/plan-10.yaml", "--write-baseline", "base.json",
                       cwd=root, env=NO_GITHUB)
    assert baseline.returncode == 0, baseline.stderr
    return root


def _sorted(text: str) -> list[str]:
    return sorted(text.splitlines())


def test_shard_selection_is_deterministic_even_and_stable():
    paths = [f"plans/p{i}.yaml" for i in range(2000)]
    counts = [sum(1 for p in paths if shard.shard_of(p, 4) == k) for k in range(1, 5)]
    assert sum(counts) == 2000 and min(counts) > 400
    before = {p: shard.shard_of(p, 4) for p in paths}
    assert {p: shard.shard_of(p, 4) for p in paths + ["plans/new.yaml"]} | before == {**before, "plans/new.yaml": shard.shard_of("plans/new.yaml", 4)}
    assert shard.shard_of("plans/x.yaml", 4) == shard.shard_of("plans/./x.yaml", 4)
    assert shard.parse("2/4") == (2, 4)
    for bad in ("0/4", "5/4", "1", "a/b", "1/0"):
        with pytest.raises(shard.ShardError):
            shard.parse(bad)


def test_four_shards_merged_equal_one_run_in_every_format(repo, tmp_path):
    args = [*AS_OF, "--policy", "policy.yaml", "--baseline", "base.json"]
    whole = {}
    for fmt in FORMATS:
        proc = run_cli("check", *args, "--format", fmt, cwd=repo, env=NO_GITHUB)
        assert proc.returncode == 1 and "internal error" not in proc.stderr, proc.stderr
        whole[fmt] = proc.stdout
    findings = json.loads(whole["json"])["findings"]
    assert any(f["rule_id"] == "GL007" for f in findings) and any(f["suppression"] for f in findings)
    assert any(f["rule_id"] == "GL007" and f["suppression"] for f in findings)
    assert any(f["file"] == "policy.yaml" for f in findings) and any(f["rule_id"] == "SU005" for f in findings) is False
    shards = []
    for i in range(1, 5):
        out = tmp_path / f"shard-{i}.json"
        proc = run_cli("check", *args, "--shard", f"{i}/4", "--format", "json", "--output", str(out), cwd=repo, env=NO_GITHUB)
        assert proc.returncode in (0, 1) and "internal error" not in proc.stderr, proc.stderr
        shards.append(str(out))
        assert 0 < len(json.loads(out.read_text())["files"]) < 42
    # cross-shard duplicate ids: every file with id shared-plan is flagged, whatever shard it is in
    gl007 = {f["file"] for f in findings if f["rule_id"] == "GL007"}
    assert len({shard.shard_of(p, 4) for p in gl007}) > 1
    assert "plans/team-b/plan-30.yaml" in gl007 and "plans/team-b/plan-06.yaml" in gl007
    for fmt in FORMATS:
        proc = run_cli("merge", *reversed(shards), "--format", fmt, cwd=repo, env=NO_GITHUB)
        assert proc.returncode == 1, proc.stderr
        assert _sorted(proc.stdout) == _sorted(whole[fmt]), fmt
    proc = run_cli("merge", *shards, "--format", "json", cwd=repo, env=NO_GITHUB)
    assert proc.stdout == whole["json"]  # even the order


def test_merge_refuses_a_missing_or_repeated_shard(repo, tmp_path):
    outs = []
    for i in (1, 2):
        out = tmp_path / f"s{i}.json"
        run_cli("check", *AS_OF, "--shard", f"{i}/3", "--format", "json", "--output", str(out), cwd=repo, env=NO_GITHUB)
        outs.append(str(out))
    proc = run_cli("merge", *outs, cwd=repo)
    assert proc.returncode == 2 and "shard(s) 3 of 3 are missing" in proc.stderr
    proc = run_cli("merge", outs[0], outs[0], outs[1], cwd=repo)
    assert proc.returncode == 2 and "given twice" in proc.stderr
    whole = tmp_path / "whole.json"
    run_cli("check", *AS_OF, "--format", "json", "--output", str(whole), cwd=repo)
    proc = run_cli("merge", str(whole), cwd=repo)
    assert proc.returncode == 2 and "not the JSON report of a shard" in proc.stderr


@pytest.mark.parametrize("args,message", [(["--shard", "5/4"], "--shard takes I/N"),
                                          (["--shard", "1/2", "--write-baseline", "b.json"], "cannot be used with --shard")])
def test_shard_usage_errors(repo, args, message):
    proc = run_cli("check", *AS_OF, *args, cwd=repo)
    assert proc.returncode == 2 and message in proc.stderr


def test_readme_shows_a_matrix_workflow_that_merges(tmp_path):
    from test_github_integration import _check_jsonschema

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = re.search(r"```yaml\n(# \.github/workflows/kpi-plans-sharded\.yml\n.*?)```", readme, re.S).group(1)
    (tmp_path / "kpi-plans-sharded.yml").write_text(block)
    _check_jsonschema("vendor.github-workflows", tmp_path / "kpi-plans-sharded.yml")
    assert "matrix:" in block and "--shard" in block and "kpi-policies merge" in block
    assert re.search(r"shard: \[1, 2, 3, 4\]", block) and "needs:" in block
