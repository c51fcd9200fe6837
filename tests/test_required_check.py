"""The gate workflow is safe to require: it runs on every pull request and passes quickly when no plan changed.

The job's steps run as GitHub runs them: ``if:`` conditions evaluated, ``run``
scripts in bash with ``GITHUB_OUTPUT`` and ``GITHUB_STEP_SUMMARY``, the
kpi-policies action through its own steps, in a git checkout whose HEAD is the
pull request's merge commit (what actions/checkout checks out).
"""

from __future__ import annotations

import os
import re
import subprocess

import pytest
from ruamel.yaml import YAML

from kpi_policies.rules.examples import REFERENCE_PLAN

from conftest import ROOT
from test_github_integration import EXPRESSION, run_action

README = (ROOT / "README.md").read_text(encoding="utf-8")


def _workflow(source: str) -> dict:
    if source == "repository":
        text = (ROOT / ".github" / "workflows" / "kpi-plans.yml").read_text(encoding="utf-8")
    else:
        text = re.search(r"```yaml\n(# \.github/workflows/kpi-plans\.yml\n.*?)```", README, re.S).group(1)
    return YAML(typ="safe", pure=True).load(text)


def _git(repo, *args):
    env = dict(os.environ, GIT_AUTHOR_NAME="a", GIT_AUTHOR_EMAIL="a@example.com", GIT_COMMITTER_NAME="a",
               GIT_COMMITTER_EMAIL="a@example.com", GIT_CONFIG_GLOBAL=os.devnull, GIT_CONFIG_NOSYSTEM="1")
    subprocess.run(["git", *args], cwd=repo, env=env, check=True, capture_output=True)


def pull_request(tmp_path, changes: dict[str, str], merge: bool = True):
    """A checkout of a pull request's merge commit: the base has a good plan; the pull request writes ``changes``."""
    repo = tmp_path / "repo"
    (repo / "plans").mkdir(parents=True)
    (repo / "plans" / "good.yaml").write_text(REFERENCE_PLAN)
    (repo / "README.md").write_text("plans\n")
    _git(repo, "init", "-q", "-b", "main")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-qm", "base")
    _git(repo, "checkout", "-qb", "pr")
    for name, text in changes.items():
        (repo / name).parent.mkdir(parents=True, exist_ok=True)
        (repo / name).write_text(text)
    _git(repo, "add", "-A")
    _git(repo, "commit", "-qm", "change")
    if merge:
        _git(repo, "checkout", "-q", "main")
        _git(repo, "merge", "-q", "--no-ff", "-m", "merge", "pr")
    return repo


def _condition(expr: str, outputs: dict, failed: bool) -> bool:
    """The few ``if:`` forms the workflow uses: ``always()``, ``a == 'x'``, ``a != ''``, joined by ``&&``."""
    result = True
    for term in (t.strip() for t in expr.split("&&")):
        if term == "always()":
            continue
        m = re.fullmatch(r"steps\.(\w+)\.outputs\.(\w+)\s*(==|!=)\s*'([^']*)'", term)
        assert m, f"unexpected condition {term!r}"
        value = outputs.get(m.group(1), {}).get(m.group(2), "")
        result = result and ((value == m.group(4)) == (m.group(3) == "=="))
    if "always()" not in expr and failed:
        return False
    return result


def run_job(workflow: dict, repo, as_of="2027-04-10"):
    """Run the kpi-policies job's steps like the runner; returns (job passed, steps run, summary, log)."""
    job = workflow["jobs"]["kpi-policies"]
    outputs: dict = {}
    ran, log, summary, failed = [], "", "", False
    runner_temp = repo.parent / "runner"
    runner_temp.mkdir(exist_ok=True)
    for step in job["steps"]:
        name = step.get("id") or step.get("uses", "").split("@")[0] or step.get("name")
        if "if" in step and not _condition(step["if"], outputs, failed):
            continue
        if failed and "if" not in step:
            continue
        ran.append(name)
        uses = step.get("uses", "")
        if uses.startswith(("actions/checkout@", "actions/setup-python@", "github/codeql-action/")):
            continue  # the checkout is `repo`; Python is this one; the upload is GitHub's
        if uses == "./" or uses.startswith("kpi-policies/kpi-policies@"):
            code, out, step_outputs, step_summary = run_action(repo, **{"as-of": as_of, **{k: str(v) for k, v in (step.get("with") or {}).items()}})
            log += out
            summary += step_summary
        else:
            output_file, summary_file = runner_temp / "output", runner_temp / "summary"
            output_file.write_text(""), summary_file.write_text("")
            env = {k: v for k, v in os.environ.items() if not k.startswith("GITHUB_")}
            env.update({k: EXPRESSION.sub("", str(v)) for k, v in (step.get("env") or {}).items()},
                       GITHUB_OUTPUT=str(output_file), GITHUB_STEP_SUMMARY=str(summary_file))
            proc = subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", step["run"]],
                                  cwd=repo, env=env, capture_output=True, text=True)
            code, log = proc.returncode, log + proc.stdout + proc.stderr
            step_outputs = dict(line.split("=", 1) for line in output_file.read_text().splitlines() if "=" in line)
            summary += summary_file.read_text()
        if step.get("id"):
            outputs[step["id"]] = step_outputs
        failed = failed or code != 0
    return not failed, ran, summary, log


SOURCES = ["repository", "readme"]


@pytest.mark.parametrize("source", SOURCES)
def test_workflow_triggers_on_every_pull_request(source):
    workflow = _workflow(source)
    trigger = workflow[True] if True in workflow else workflow["on"]
    assert list(trigger) == ["pull_request"] and not (trigger["pull_request"] or {})
    assert "if" not in workflow["jobs"]["kpi-policies"]


def test_readme_workflow_is_a_valid_workflow(tmp_path):
    from test_github_integration import _check_jsonschema

    text = re.search(r"```yaml\n(# \.github/workflows/kpi-plans\.yml\n.*?)```", README, re.S).group(1)
    (tmp_path / "kpi-plans.yml").write_text(text)
    _check_jsonschema("vendor.github-workflows", tmp_path / "kpi-plans.yml")


def test_readme_workflow_detects_changes_as_the_repository_does():
    steps = {s.get("id"): s for s in _workflow("repository")["jobs"]["kpi-policies"]["steps"]}
    readme = {s.get("id"): s for s in _workflow("readme")["jobs"]["kpi-policies"]["steps"]}
    assert steps["changes"]["run"] == readme["changes"]["run"]
    assert steps["kpi"]["if"] == readme["kpi"]["if"]


@pytest.mark.parametrize("source", SOURCES)
def test_pull_request_touching_no_plan_passes_quickly_without_checking(tmp_path, source):
    repo = pull_request(tmp_path, {"README.md": "better words\n", "plans/../docs/x.md": "x\n"})
    (repo / "plans" / "good.yaml").write_text("this: [is not checked")  # would fail if the check ran
    passed, ran, summary, log = run_job(_workflow(source), repo)
    assert passed, log
    assert "changes" in ran and "kpi" not in ran and not any(r.startswith("actions/setup-python") for r in ran)
    assert "No plan, policy or schema changed: nothing to check." in summary


@pytest.mark.parametrize("source", SOURCES)
def test_pull_request_with_a_bad_plan_is_checked_and_fails(tmp_path, source):
    bad = REFERENCE_PLAN.replace("id: shop-marketing-2027", "id: bad").replace("tool: crm", "tool: my-spreadsheet")
    repo = pull_request(tmp_path, {"plans/bad.yaml": bad})
    passed, ran, summary, log = run_job(_workflow(source), repo)
    assert not passed
    assert "kpi" in ran and "github/codeql-action/upload-sarif" in ran
    assert "## kpi-policies: failed" in summary and "::error file=plans/bad.yaml" in log


def test_pull_request_with_a_good_plan_change_is_checked_and_passes(tmp_path):
    repo = pull_request(tmp_path, {"plans/good.yaml": REFERENCE_PLAN.replace("Grow online sales", "Grow online sales fast")})
    passed, ran, summary, log = run_job(_workflow("repository"), repo)
    assert passed, log
    assert "kpi" in ran and "## kpi-policies: passed" in summary


def test_when_changes_cannot_be_told_it_checks(tmp_path):
    repo = pull_request(tmp_path, {"README.md": "x\n"}, merge=False)
    passed, ran, summary, log = run_job(_workflow("repository"), repo)
    assert passed and "kpi" in ran and "cannot tell what changed" in log
