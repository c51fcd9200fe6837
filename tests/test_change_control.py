"""Change control in a real, temporary git repository: `check --base`, `diff`, the change log and approvals."""

from __future__ import annotations

import json
import os
import shutil
import subprocess

import jsonschema
import pytest

from kpi_policies.rules.examples import REFERENCE_PLAN, REFERENCE_STRATEGY

from conftest import ROOT, SHARED, run_cli
from test_precommit import hook_repo, pre_commit_home  # noqa: F401  (fixtures: this checkout as a pre-commit hook)

AS_OF = "2027-04-10"
PLAN = REFERENCE_PLAN.replace("  period: {start: 2027-01-01, end: 2027-12-31}\ngoals:",
                              "  period: {start: 2027-01-01, end: 2027-12-31}\n  strategy: company-2027\ngoals:", 1)
NEW_ENTRY = """  - date: 2027-04-08
    covers: [KPI-REVENUE]
    reason: Flagship store closed for three months after the fire in March
    approved_by: {approver}
"""


def _git(repo, *args, date="2027-04-01T10:00:00+07:00"):
    env = dict(os.environ, GIT_AUTHOR_DATE=date, GIT_COMMITTER_DATE=date)
    return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, text=True, env=env).stdout


@pytest.fixture
def repo(tmp_path):
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    repo = tmp_path / "plans-repo"
    (repo / "plans").mkdir(parents=True)
    _git(repo, "init", "-q", "-b", "main")
    _git(repo, "config", "user.email", "analyst@example.com")
    _git(repo, "config", "user.name", "Analyst")
    (repo / "plans" / "shop-2027.yaml").write_text(PLAN, encoding="utf-8")
    (repo / "plans" / "company-2027.yaml").write_text(REFERENCE_STRATEGY, encoding="utf-8")
    _git(repo, "add", ".")
    _git(repo, "commit", "-qm", "Approved plan")
    return repo


def _edit(repo, old: str, new: str, message: str = "Update numbers", commit: bool = True):
    path = repo / "plans" / "shop-2027.yaml"
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    if commit:
        _git(repo, "commit", "-qam", message, date="2027-04-09T10:00:00+07:00")


def _check(repo, *args):
    proc = run_cli("check", "--as-of", AS_OF, "--format", "json", *args, cwd=repo)
    assert "Traceback" not in proc.stderr + proc.stdout, proc.stderr
    return proc.returncode, json.loads(proc.stdout)["findings"] if proc.stdout.strip() else [], proc.stderr


def _ch(findings):
    return [f for f in findings if f["rule_id"].startswith("CH")]


def _line_of(repo, needle):
    lines = (repo / "plans" / "shop-2027.yaml").read_text(encoding="utf-8").splitlines()
    return next(i for i, line in enumerate(lines, 1) if needle in line)


def _diff(repo, *args):
    proc = run_cli("diff", "--as-of", AS_OF, "--format", "json", *args, cwd=repo)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


EASE = ("target: {value: 52800000000, due: 2027-12-31}", "target: {value: 50000000000, due: 2027-12-31}")


def test_an_eased_target_without_a_record_fails_at_the_target_line(repo):
    _edit(repo, *EASE)
    code, findings, _ = _check(repo, "--base", "HEAD~1")
    assert code == 1
    [finding] = _ch(findings)
    assert finding["rule_id"] == "CH001" and finding["severity"] == "error"
    assert finding["line"] == _line_of(repo, "value: 50000000000")
    assert "eased from 52,800,000,000 to 50,000,000,000 VND" in finding["message"]
    assert "revisions:" in finding["message"]
    # without a base, the same plan is clean of change findings: the gate needs the earlier version
    code, findings, _ = _check(repo)
    assert code == 0 and not [f for f in findings if f["rule_id"] in ("CH001", "CH002", "CH003")]


def test_a_record_approved_by_someone_other_than_the_owner_passes(repo):
    _edit(repo, *EASE, commit=False)
    (repo / "plans" / "shop-2027.yaml").write_text(
        (repo / "plans" / "shop-2027.yaml").read_text() + NEW_ENTRY.format(approver="ceo"), encoding="utf-8")
    _git(repo, "commit", "-qam", "Ease revenue target, approved by the CEO", date="2027-04-09T10:00:00+07:00")
    code, findings, _ = _check(repo, "--base", "HEAD~1")
    assert code == 0, _ch(findings)
    assert not _ch(findings)


def test_a_record_approved_by_the_owner_or_dated_before_the_change_does_not_count(repo):
    _edit(repo, *EASE, commit=False)
    path = repo / "plans" / "shop-2027.yaml"
    path.write_text(path.read_text() + NEW_ENTRY.format(approver="head-of-marketing"), encoding="utf-8")
    code, findings, _ = _check(repo, "--base", "HEAD")
    assert code == 1
    assert "approved by head-of-marketing, the KPI's owner" in _ch(findings)[0]["message"]  # owner of the KPI and of the plan
    path.write_text(path.read_text().replace("approved_by: head-of-marketing\n", "approved_by: ceo\n")
                    .replace("  - date: 2027-04-08", "  - date: 2027-03-01"), encoding="utf-8")
    code, findings, _ = _check(repo, "--base", "HEAD")
    assert code == 1
    assert "older than the change" in _ch(findings)[0]["message"]


def test_rewriting_a_logged_actual_is_caught(repo):
    _edit(repo, "- {date: 2027-03-31, actual: 2.2}", "- {date: 2027-03-31, actual: 2.3}")
    code, findings, _ = _check(repo, "--base", "HEAD~1")
    assert code == 1
    [finding] = _ch(findings)
    assert "logged on 2027-03-31 was rewritten from 2.2 to 2.3" in finding["message"]
    assert finding["line"] == _line_of(repo, "actual: 2.3")


def test_deleting_a_kpi_is_caught_at_its_parent(repo):
    text = (repo / "plans" / "shop-2027.yaml").read_text()
    start = text.index("  - id: KPI-REVENUE")
    end = text.index("  - id: KPI-CONVERSION")
    _edit(repo, text[start:end], "")
    code, findings, _ = _check(repo, "--base", "HEAD~1")
    assert code == 1
    removed = [f for f in _ch(findings) if "KPI KPI-REVENUE was removed" in f["message"]]
    assert removed and removed[0]["line"] == _line_of(repo, "kpis:")


def test_deleting_a_change_log_entry_is_caught(repo):
    _edit(repo, "  - {date: 2027-01-25, covers: [INIT-CHECKOUT], reason: Checkout work starts in February, approved_by: ceo}\n",
          "  - {date: 2027-01-26, covers: [INIT-CHECKOUT], reason: Checkout work starts in February, approved_by: ceo}\n")
    code, findings, _ = _check(repo, "--base", "HEAD~1")
    assert code == 1 and [f["rule_id"] for f in _ch(findings)] == ["CH002"]
    _edit(repo, "revisions:\n  - {date: 2027-01-26, covers: [INIT-CHECKOUT], reason: Checkout work starts in February, approved_by: ceo}\n", "")
    code, findings, _ = _check(repo, "--base", "HEAD~2")
    assert code == 1
    assert any(f["rule_id"] == "CH002" and "was removed" in f["message"] for f in findings)


def test_renaming_a_plan_file_is_not_a_removal(repo):
    _git(repo, "mv", "plans/shop-2027.yaml", "plans/online-shop-2027.yaml")
    _git(repo, "commit", "-qm", "Rename")
    code, findings, _ = _check(repo, "--base", "HEAD~1")
    assert code == 0 and not _ch(findings)
    report = _diff(repo, "--base", "HEAD~1")
    [doc] = [d for d in report["documents"] if d["plan_id"] == "shop-marketing-2027"]
    assert doc["status"] == "unchanged" and doc["base_file"] == "plans/shop-2027.yaml"
    assert report["summary"] == {"breaking": 0, "dangerous": 0, "safe": 0}


def test_a_plan_moved_and_edited_beyond_rename_detection_is_still_matched_by_id(repo):
    text = (repo / "plans" / "shop-2027.yaml").read_text()
    (repo / "plans" / "shop-2027.yaml").unlink()
    (repo / "plans" / "elsewhere.yaml").write_text("# moved\n" * 200 + text.replace("52800000000", "50000000000"))
    code, findings, _ = _check(repo, "--base", "HEAD")
    assert code == 1 and "eased" in _ch(findings)[0]["message"]


def test_reordering_kpis_changes_nothing(repo):
    text = (repo / "plans" / "shop-2027.yaml").read_text()
    start, middle, end = text.index("  - id: KPI-REVENUE"), text.index("  - id: KPI-CONVERSION"), text.index("initiatives:")
    _edit(repo, text[start:end], text[middle:end] + text[start:middle])
    report = _diff(repo, "--base", "HEAD~1")
    assert report["summary"] == {"breaking": 0, "dangerous": 0, "safe": 0}
    code, findings, _ = _check(repo, "--base", "HEAD~1")
    assert not _ch(findings)


def test_diff_json_validates_and_classifies_each_change(repo):
    _edit(repo, *EASE, commit=False)
    _edit(repo, "measurement: {tool: google-analytics-4, source: GA4 session key event rate, owner: web-analytics}",
          "measurement: {tool: google-ads, source: Google Ads conversion rate, owner: web-analytics}", commit=False)
    _edit(repo, "        - {date: 2027-03-31, actual: 2.2}\n",
          "        - {date: 2027-03-31, actual: 2.2}\n        - {date: 2027-04-30, actual: 2.25}\n", commit=False)
    report = _diff(repo, "--base", "HEAD")
    schema = json.loads((ROOT / "schemas" / "diff.schema.json").read_text())
    jsonschema.Draft202012Validator(schema).validate(report)
    kinds = {(c["class"], c["kind"]) for d in report["documents"] for c in d["changes"]}
    assert ("breaking", "target-eased") in kinds
    assert ("dangerous", "measurement-changed") in kinds
    assert ("safe", "review-appended") in kinds
    assert report["summary"] == {"breaking": 1, "dangerous": 2, "safe": 1}  # tool and source
    markdown = run_cli("diff", "--base", "HEAD", "--format", "markdown", "--as-of", AS_OF, cwd=repo).stdout
    assert "| 🔴 breaking |" in markdown and "eased from 52,800,000,000 to 50,000,000,000" in markdown
    sarif = json.loads(run_cli("diff", "--base", "HEAD", "--format", "sarif", "--as-of", AS_OF, cwd=repo).stdout)
    sarif_schema = SHARED / "external-schemas" / "sarif-schema-2.1.0.json"
    if sarif_schema.exists():
        jsonschema.Draft7Validator(json.loads(sarif_schema.read_text())).validate(sarif)
    results = sarif["runs"][0]["results"]
    assert {r["level"] for r in results} == {"error", "warning"} and len(results) == 3
    eased = next(r for r in results if r["ruleId"] == "change/target-eased")
    assert eased["locations"][0]["physicalLocation"]["region"]["startLine"] == _line_of(repo, "value: 50000000000")
    failing = run_cli("diff", "--base", "HEAD", "--fail-on", "breaking", cwd=repo)
    assert failing.returncode == 1


def test_two_files_compare_directly(tmp_path):
    old, new = tmp_path / "old.yaml", tmp_path / "new.yaml"
    old.write_text(PLAN)
    new.write_text(PLAN.replace("52800000000", "60000000000"))
    proc = run_cli("diff", str(old), str(new), "--as-of", AS_OF)
    assert proc.returncode == 0
    assert "dangerous the target of KPI KPI-REVENUE was tightened mid-period" in " ".join(proc.stdout.split())


def test_a_change_finding_can_be_suppressed_like_any_other(repo):
    _edit(repo, *EASE, commit=False)
    _edit(repo, "target: {value: 50000000000, due: 2027-12-31}",
          'target: {value: 50000000000, due: 2027-12-31}  # kpi-policies: ignore[CH001] reason="Board decision pending, see ticket 42"',
          commit=False)
    code, findings, _ = _check(repo, "--base", "HEAD")
    assert code == 0
    [finding] = _ch(findings)
    assert finding["suppression"] and "ticket 42" in json.dumps(finding["suppression"])


def test_an_unknown_base_is_a_one_line_usage_error(repo):
    proc = run_cli("check", "--base", "no-such-branch", cwd=repo)
    assert proc.returncode == 2 and "no-such-branch" in proc.stderr and "Traceback" not in proc.stderr
    assert "fetch-depth" in proc.stderr


def test_a_plan_in_force_without_approval_warns_and_strict_makes_it_an_error(repo):
    _edit(repo, "approval: {approved_by: ceo, approved_on: 2026-12-20, reference: Board minutes 2026-12-20}\n", "")
    code, findings, _ = _check(repo)
    assert code == 0 and [(f["rule_id"], f["severity"]) for f in _ch(findings)] == [("CH004", "warning")]
    code, findings, _ = _check(repo, "--policy", "strict")
    assert code == 1 and ("CH004", "error") in [(f["rule_id"], f["severity"]) for f in findings]


# --- the GitHub Action on a pull request, its steps run as GitHub runs them ---
def _pull_request(repo, change):
    base = _git(repo, "rev-parse", "HEAD").strip()
    _git(repo, "checkout", "-qb", "feature")
    change()
    _git(repo, "commit", "-qam", "Pull request", date="2027-04-09T10:00:00+07:00")
    return {"pull_request": {"base": {"sha": base}}}


def test_the_action_fails_a_pull_request_that_eases_a_target(repo):
    from test_github_integration import run_action

    event = _pull_request(repo, lambda: _edit(repo, *EASE, commit=False))
    code, log, outputs, summary = run_action(repo, event=event, **{"as-of": AS_OF})
    assert code == 1, log
    assert "title=CH001 change-control.unrecorded-breaking-change::" in log
    assert outputs["errors"] == "1"
    assert "KPI plan changes since" in summary and "🔴 breaking" in summary


def test_the_action_passes_a_pull_request_that_appends_reviews(repo):
    from test_github_integration import run_action

    event = _pull_request(repo, lambda: _edit(repo, "        - {date: 2027-03-31, actual: 4420000000}\n",
                                              "        - {date: 2027-03-31, actual: 4420000000}\n"
                                              "        - {date: 2027-04-09, actual: 8900000000}\n", commit=False))
    code, log, outputs, summary = run_action(repo, event=event, **{"as-of": AS_OF})
    assert code == 0, log
    assert outputs["errors"] == "0"
    assert "0 breaking" in summary and "review of KPI KPI-REVENUE on 2027-04-09 was logged" in summary


# --- the README's change-control sample is real output ---------------------------
README_DATE = "2027-04-01T09:00:00+07:00"


def _readme_block(command: str) -> str:
    import re

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    match = re.search(rf"```console\n(?:\$ [^\n]*\n(?:[^$`][^\n]*\n)*?)*?\$ {re.escape(command)}\n(.*?)(?:\n\$ |\n```)", readme, re.S)
    assert match, f"README has no block for `{command}`"
    return match.group(1)


@pytest.fixture
def readme_repo(tmp_path):
    """The README's change-control demo: the reference plan committed, then its revenue target eased."""
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    repo = tmp_path / "demo"
    (repo / "plans").mkdir(parents=True)
    env = dict(os.environ, GIT_AUTHOR_DATE=README_DATE, GIT_COMMITTER_DATE=README_DATE, GIT_AUTHOR_NAME="Analyst",
               GIT_AUTHOR_EMAIL="analyst@example.com", GIT_COMMITTER_NAME="Analyst", GIT_COMMITTER_EMAIL="analyst@example.com")
    for args in (["init", "-q", "-b", "main"], ):
        subprocess.run(["git", "-C", str(repo), *args], check=True, env=env)
    (repo / "plans" / "shop-marketing-2027.yaml").write_text(REFERENCE_PLAN, encoding="utf-8")
    subprocess.run(["git", "-C", str(repo), "add", "."], check=True, env=env)
    subprocess.run(["git", "-C", str(repo), "commit", "-qm", "Approved plan"], check=True, env=env)
    plan = repo / "plans" / "shop-marketing-2027.yaml"
    plan.write_text(plan.read_text().replace(*EASE), encoding="utf-8")
    return repo


@pytest.mark.parametrize("command", ["kpi-policies check --as-of 2027-04-10 --base HEAD plans/",
                                     "kpi-policies diff --as-of 2027-04-10 --base HEAD plans/"])
def test_readme_change_control_samples_are_real(readme_repo, command):
    proc = run_cli(*command.split()[1:], cwd=readme_repo)
    assert proc.stdout.rstrip("\n") == _readme_block(command).rstrip("\n")


def test_readme_change_control_record_passes(readme_repo):
    import re

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    entry = re.search(r"```yaml\n(revisions:\n.*?)\n```", readme, re.S).group(1)
    plan = readme_repo / "plans" / "shop-marketing-2027.yaml"
    text = plan.read_text()
    plan.write_text(text[:text.index("revisions:")] + entry + "\n", encoding="utf-8")
    command = "kpi-policies check --as-of 2027-04-10 --base HEAD plans/"
    proc = run_cli(*command.split()[1:], cwd=readme_repo)
    assert proc.returncode == 0, proc.stdout
    assert proc.stdout.strip().splitlines()[-1] == "1 file checked as of 2027-04-10: 0 errors, 0 warnings, 0 infos; 1 file clean"


# --- the audit report: each KPI's history and the changes since approval ------
def test_the_history_of_a_branch_with_merges_shows_each_change_once_at_the_commit_that_brought_it(repo):
    """Two branches changed the same target; the merge chose one. The history is the main branch's own."""
    _git(repo, "checkout", "-qb", "side")
    _edit(repo, *EASE, message="Side branch eases the target")              # 52.8 bn -> 50 bn, on the side branch
    _git(repo, "checkout", "-q", "main")
    _edit(repo, "value: 2.1, period: 2026", "value: 2.0, period: 2026", message="Main rewrites a baseline")
    _git(repo, "merge", "-q", "--no-edit", "-m", "Merge the side branch", "side", date="2027-04-09T12:00:00+07:00")
    proc = run_cli("report", "--format", "json", "--as-of", AS_OF, "plans", cwd=repo)
    assert proc.returncode == 0, proc.stderr
    [doc] = [d for d in json.loads(proc.stdout)["documents"] if d["id"] == "shop-marketing-2027"]
    revenue = next(k for k in doc["history"]["kpis"] if k["id"] == "KPI-REVENUE")["events"]
    assert [e["target"] for e in revenue] == [52800000000, 50000000000]  # no back and forth the branch never had
    assert all(e["commit"] for e in revenue)  # every change committed: none "not committed"
    assert not any(c.get("commit") is None for c in doc["history"]["changes_since_approval"])


def test_report_shows_each_kpis_history_and_the_changes_since_approval(repo):
    _edit(repo, *EASE)  # eased without a record
    _edit(repo, "target: {value: 2.4, due: 2027-12-31}", "target: {value: 2.5, due: 2027-12-31}", commit=False)
    path = repo / "plans" / "shop-2027.yaml"
    path.write_text(path.read_text() + NEW_ENTRY.format(approver="ceo").replace("KPI-REVENUE", "KPI-CONVERSION")
                    .replace("Flagship store closed for three months after the fire in March", "Checkout pilot beat plan"))
    _git(repo, "commit", "-qam", "Tighten conversion", date="2027-04-09T11:00:00+07:00")
    proc = run_cli("report", "--format", "json", "--as-of", AS_OF, "--base", "HEAD~2", "plans", cwd=repo)
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    schema = json.loads((ROOT / "schemas" / "audit-report.schema.json").read_text())
    jsonschema.Draft202012Validator(schema).validate(data)
    assert data["evidence"]["change_base"].startswith("HEAD~2 (")
    [doc] = [d for d in data["documents"] if d["id"] == "shop-marketing-2027"]
    h = doc["history"]
    assert h["versions"] == 3 and h["approval"]["approved_by"] == "ceo"
    revenue = next(k for k in h["kpis"] if k["id"] == "KPI-REVENUE")["events"]
    assert [e["target"] for e in revenue] == [52800000000, 50000000000]
    assert revenue[1]["author"] == "Analyst" and revenue[1]["date"].startswith("2027-04-09")
    assert revenue[1]["unrecorded"] and revenue[1]["class"] == "breaking"
    conversion = next(k for k in h["kpis"] if k["id"] == "KPI-CONVERSION")["events"]
    assert conversion[-1]["target"] == 2.5 and conversion[-1]["recorded"]["approved_by"] == "ceo"
    assert conversion[-1]["recorded"]["reason"] == "Checkout pilot beat plan" and not conversion[-1]["unrecorded"]
    since = {c["kind"]: c for c in h["changes_since_approval"]}
    assert since["target-eased"]["unrecorded"] and since["target-eased"]["commit"]
    assert since["target-tightened"]["recorded"]["approved_by"] == "ceo"
    html = run_cli("report", "--as-of", AS_OF, "--base", "HEAD~2", "plans", cwd=repo).stdout
    assert "Changes since approval" in html and "KPI history" in html and "no record" in html
    assert "HEAD~2 (" in html
    markdown = run_cli("report", "--format", "markdown", "--as-of", AS_OF, "plans", cwd=repo).stdout
    assert "Changes since approval by ceo on 2026-12-20" in markdown and "**no record**" in markdown


def test_the_pre_commit_hook_compares_staged_plans_with_head(repo, hook_repo, pre_commit_home):
    import json

    from test_precommit import run_hook

    hooks, rev = hook_repo
    (repo / ".pre-commit-config.yaml").write_text(
        f"repos:\n  - repo: {json.dumps(str(hooks))}\n    rev: {rev}\n    hooks:\n      - id: kpi-policies\n")
    _edit(repo, *EASE, commit=False)
    _git(repo, "add", ".")
    proc = run_hook(repo, pre_commit_home, "--files", "plans/shop-2027.yaml")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "CH001 error" in proc.stdout and "since HEAD (" in proc.stdout


# --- where the base comes from, and what diff sees beyond one plan -------------
def test_diff_defaults_to_the_merge_base_with_the_default_branch(repo):
    _git(repo, "checkout", "-qb", "feature")
    _edit(repo, *EASE)
    _edit(repo, "- {date: 2027-03-31, actual: 2.2}", "- {date: 2027-03-31, actual: 2.3}")
    report = _diff(repo)  # no --base: the merge base with main, two commits back
    assert report["summary"]["breaking"] == 2
    main = _git(repo, "rev-parse", "--short", "main").strip()
    assert report["base"].startswith(main)


def test_a_deleted_plan_file_and_a_removed_strategy_goal_are_breaking(repo, tmp_path):
    _git(repo, "rm", "-q", "plans/shop-2027.yaml")
    report = _diff(repo, "--base", "HEAD")
    [removed] = [d for d in report["documents"] if d["status"] == "removed"]
    assert removed["plan_id"] == "shop-marketing-2027" and removed["changes"][0]["class"] == "breaking"
    old, new = tmp_path / "old.yaml", tmp_path / "new.yaml"
    old.write_text(REFERENCE_STRATEGY)
    new.write_text(REFERENCE_STRATEGY.replace("goals:\n  - {id: G-RETENTION, title: Keep existing customers, type: customer_retention}\n",
                                              "goals: []\n"))
    proc = run_cli("diff", str(old), str(new), "--format", "json")
    changes = json.loads(proc.stdout)["documents"][0]["changes"]
    assert [(c["class"], c["kind"], c["object_id"]) for c in changes] == [("breaking", "goal-removed", "G-RETENTION")]


def test_a_repository_without_a_commit_has_nothing_to_compare(tmp_path):
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    (tmp_path / "plans").mkdir()
    _git(tmp_path, "init", "-q")
    (tmp_path / "plans" / "shop.yaml").write_text(REFERENCE_PLAN)
    proc = run_cli("check", "--base", "HEAD", "--as-of", AS_OF, "plans", cwd=tmp_path)
    assert proc.returncode == 0 and "no commit yet" in proc.stderr


def test_a_policy_waiver_covers_a_change_finding_of_one_kpi(repo):
    _edit(repo, *EASE)
    (repo / "acme.yaml").write_text(
        "apiVersion: kpi-policies/v1\nkind: Policy\nmetadata: {id: acme}\nextends: recommended\nsuppressions:\n"
        "  - plan: shop-marketing-2027\n    kpi: KPI-REVENUE\n    rules: [CH001]\n"
        "    reason: Board decision of 2027-04-08, minutes to be filed\n    until: 2027-04-30\n")
    code, findings, _ = _check(repo, "--base", "HEAD~1", "--policy", "acme.yaml")
    assert code == 0
    [finding] = _ch(findings)
    assert finding["rule_id"] == "CH001" and finding["suppression"]


def test_deleting_a_plan_in_force_fails_the_gate_and_an_ended_one_does_not(repo):
    _git(repo, "rm", "-q", "plans/shop-2027.yaml")
    _git(repo, "commit", "-qm", "Remove the plan", date="2027-04-09T10:00:00+07:00")
    code, findings, _ = _check(repo, "--base", "HEAD~1", "plans")
    assert code == 1
    [finding] = _ch(findings)
    assert finding["rule_id"] == "CH005" and finding["file"].endswith("shop-2027.yaml") and finding["line"] == 1
    assert "shop-marketing-2027" in finding["message"]
    code, findings, _ = _check(repo, "--base", "HEAD~1")  # default paths: plans/
    assert code == 1 and [f["rule_id"] for f in _ch(findings)] == ["CH005"]
    proc = run_cli("check", "--as-of", "2028-02-01", "--format", "json", "--base", "HEAD~1", "plans", cwd=repo)
    assert not _ch(json.loads(proc.stdout)["findings"])  # its period ended: archiving is fine
    (repo / "acme.yaml").write_text(
        "apiVersion: kpi-policies/v1\nkind: Policy\nmetadata: {id: acme}\nextends: recommended\nsuppressions:\n"
        "  - plan: shop-marketing-2027\n    rules: [CH005]\n    reason: Shop closed; deletion approved by the CEO on 2027-04-08\n")
    code, findings, _ = _check(repo, "--base", "HEAD~1", "--policy", "acme.yaml", "plans")
    assert code == 0 and _ch(findings)[0]["suppression"]


def test_diff_markdown_escapes_plan_text_for_a_pull_request_comment(tmp_path):
    old, new = tmp_path / "old.yaml", tmp_path / "new.yaml"
    old.write_text(PLAN, encoding="utf-8")
    new.write_text(PLAN.replace("source: CRM monthly revenue report", "source: CRM report of @sales-team | &copy;", 1), encoding="utf-8")
    assert "CRM report of @sales-team" in new.read_text()
    proc = run_cli("diff", str(old), str(new), "--format", "markdown", cwd=tmp_path)
    assert "@sales-team" not in proc.stdout and "&copy;" not in proc.stdout, proc.stdout
    assert "@&#8203;sales-team" in proc.stdout
