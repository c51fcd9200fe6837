"""The fast paths (result cache, worker processes) give exactly the results of a plain run."""

from __future__ import annotations

import json

import pytest

from kpi_policies.rules.examples import REFERENCE_PLAN, REFERENCE_STRATEGY

from conftest import run_cli

AS_OF = ["--as-of", "2027-04-10"]
RETENTION = """\
apiVersion: kpi-policies/v1
kind: KpiPlan
metadata:
  id: retention-{n}
  title: Retention {n}
  owner: crm-lead
  department: crm
  strategy: company-2027
  period: {{start: 2027-01-01, end: 2027-12-31}}
objectives:
  - {{id: OBJ-KEEP, title: Keep customers, goal: G-RETENTION}}
kpis:
  - id: KPI-CHURN
    name: Churn
    objective: OBJ-KEEP
    metric: churn_rate
    unit: percent
    direction: decrease
    baseline: {{value: 4.8, period: 2026}}
    target: {{value: {target}, due: 2027-12-31}}
    measurement: {{tool: crm, source: CRM churn report, owner: crm-lead}}
    review: {{cadence: monthly, reviewer: cmo, log: [{{date: 2027-03-31, actual: 4.6}}]}}
"""


@pytest.fixture
def repo(tmp_path):
    (tmp_path / ".git").mkdir()
    plans = tmp_path / "plans"
    plans.mkdir()
    (plans / "company.yaml").write_text(REFERENCE_STRATEGY)
    for n in range(12):
        target = 4.2 if n % 3 else 5.0  # every third plan has a target in the wrong direction
        (plans / f"retention-{n:02d}.yaml").write_text(RETENTION.format(n=n, target=target))
    (plans / "shop.yaml").write_text(REFERENCE_PLAN.replace("tool: crm", "tool: sheets"))
    (plans / "dup.yaml").write_text(REFERENCE_PLAN.replace("tool: crm", "tool: sheets"))  # duplicate id: GL007
    (plans / "broken.yaml").write_text("kpis: [unclosed\n")
    return tmp_path


def check(repo, *args):
    proc = run_cli("check", *AS_OF, "--format", "json", *args, "plans", cwd=repo)
    assert "Traceback" not in proc.stderr
    report = json.loads(proc.stdout)
    return proc.returncode, report["findings"], report["summary"]


def test_warm_cache_gives_the_same_report(repo):
    cold = check(repo, "--no-cache")
    first = check(repo)
    assert (repo / ".kpi-policies-cache").is_dir()
    assert (repo / ".kpi-policies-cache" / ".gitignore").read_text().strip().endswith("*")
    warm = check(repo)
    assert cold == first == warm
    assert {f["rule_id"] for f in warm[1]} >= {"FE004", "MT002", "GL007", "Y001"}


def test_cache_follows_every_input_it_depends_on(repo):
    base = check(repo)
    # a changed file
    (repo / "plans" / "retention-01.yaml").write_text(RETENTION.format(n=1, target=5.5))
    changed = check(repo)
    assert len([f for f in changed[1] if f["rule_id"] == "FE004"]) == len([f for f in base[1] if f["rule_id"] == "FE004"]) + 1
    assert changed == check(repo, "--no-cache")
    # the as-of day
    later = check(repo, "--as-of", "2027-06-30")
    assert later == check(repo, "--as-of", "2027-06-30", "--no-cache")
    assert any(f["rule_id"] == "RC005" for f in later[1])
    # the policy
    (repo / "p.yaml").write_text("apiVersion: kpi-policies/v1\nkind: Policy\nignore: [FE004]\n")
    with_policy = check(repo, "--policy", "p.yaml")
    assert not any(f["rule_id"] == "FE004" for f in with_policy[1])
    # a referenced strategy: its goal disappears, so every retention plan's objective loses its goal
    (repo / "plans" / "company.yaml").write_text(REFERENCE_STRATEGY.replace("G-RETENTION", "G-KEEP"))
    after = check(repo)
    assert len([f for f in after[1] if f["rule_id"] == "GL002"]) == 12
    assert after == check(repo, "--no-cache")


def test_cache_clean_removes_the_cache(repo):
    check(repo)
    proc = run_cli("cache", "clean", cwd=repo)
    assert proc.returncode == 0 and "removed" in proc.stdout
    assert not (repo / ".kpi-policies-cache").exists()


def test_a_corrupt_cache_entry_is_ignored(repo):
    check(repo)
    for entry in (repo / ".kpi-policies-cache").rglob("*.json"):
        entry.write_text("{not json")
    assert check(repo) == check(repo, "--no-cache")


@pytest.mark.parametrize("jobs", ["2", "3", "0"])
def test_worker_processes_give_the_same_report(repo, jobs):
    assert check(repo, "--no-cache", "--jobs", jobs) == check(repo, "--no-cache")
    assert check(repo, "--jobs", jobs) == check(repo, "--no-cache")
    text_one = run_cli("check", *AS_OF, "--no-cache", "plans", cwd=repo).stdout
    text_many = run_cli("check", *AS_OF, "--no-cache", "--jobs", jobs, "plans", cwd=repo).stdout
    assert text_one == text_many


def test_a_cache_written_elsewhere_is_never_trusted(repo, tmp_path):
    """A cache committed to the repository (or forged) cannot make a broken plan pass."""
    check(repo)
    entries = list((repo / ".kpi-policies-cache").rglob("*.json"))
    assert entries
    for entry in entries:  # forge: keep the signature line, empty the findings
        mac, body = entry.read_text().split("\n", 1)
        data = json.loads(body)
        data["result"]["findings"] = []
        entry.write_text(mac + "\n" + json.dumps(data))
    assert check(repo) == check(repo, "--no-cache")
    # another user's key (a clone on another machine) does not match either
    check(repo)
    proc_env = {"XDG_CACHE_HOME": str(tmp_path / "other-user")}
    fresh = run_cli("check", *AS_OF, "--format", "json", "plans", cwd=repo, env=proc_env)
    assert json.loads(fresh.stdout)["findings"] == check(repo, "--no-cache")[1]


def test_a_cache_folder_that_is_a_link_is_not_used(repo, tmp_path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (repo / ".kpi-policies-cache").symlink_to(elsewhere)
    assert check(repo) == check(repo, "--no-cache")
    assert list(elsewhere.iterdir()) == []
