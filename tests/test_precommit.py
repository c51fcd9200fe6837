"""The pre-commit hook, run by the real ``pre-commit run`` from a copy of this checkout.

``pre-commit try-repo`` would install the hook's environment again on every
call (it keeps its store in a temporary folder); a hook repository made once
per module from the working tree, named in each test repository's
``.pre-commit-config.yaml``, is installed once into one pre-commit home and
tests the same files.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from kpi_policies.rules.examples import REFERENCE_PLAN, REFERENCE_STRATEGY

from conftest import ROOT, replace



def closed(text: str) -> str:
    """The 2027 fixtures moved to 2025, reviewed to the end: the hook judges as of today."""
    return text.replace("2027-03-31", "2027-12-31").replace("2026", "2024").replace("2027", "2025")


RETENTION_PLAN = closed((ROOT / "tests" / "fixtures" / "plans" / "retention-2027.yaml").read_text(encoding="utf-8"))
PLAN = closed(REFERENCE_PLAN)
STRATEGY = closed(REFERENCE_STRATEGY)


def _git(repo, *args):
    subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, text=True)


#: What is not part of the hook's source: version control, caches, builds.
NOT_SOURCE = shutil.ignore_patterns(".git", "__pycache__", "*.egg-info", "build", "dist", ".venv", ".pytest_cache",
                                    ".kpi-policies-cache")


@pytest.fixture(scope="module")
def hook_repo(tmp_path_factory) -> tuple[Path, str]:
    """This checkout's working tree committed into a repository of its own: (path, commit)."""
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    hooks = tmp_path_factory.mktemp("hook-repo") / "kpi-policies"
    shutil.copytree(ROOT, hooks, ignore=NOT_SOURCE)
    _git(hooks, "init", "-q")
    _git(hooks, "add", "-A")
    _git(hooks, "-c", "user.email=dev@example.com", "-c", "user.name=Dev", "-c", "commit.gpgsign=false",
         "commit", "-qm", "working tree")
    rev = subprocess.run(["git", "-C", str(hooks), "rev-parse", "HEAD"], check=True, capture_output=True, text=True).stdout.strip()
    return hooks, rev


@pytest.fixture(scope="module")
def pre_commit_home(tmp_path_factory):
    return tmp_path_factory.mktemp("pre-commit-home")


@pytest.fixture
def repo(tmp_path, hook_repo):
    hooks, rev = hook_repo
    repo = tmp_path / "plans-repo"
    (repo / "plans").mkdir(parents=True)
    _git(repo, "init", "-q")
    _git(repo, "config", "user.email", "analyst@example.com")
    _git(repo, "config", "user.name", "Analyst")
    (repo / ".pre-commit-config.yaml").write_text(
        f"repos:\n  - repo: {json.dumps(str(hooks))}\n    rev: {rev}\n    hooks:\n      - id: kpi-policies\n")
    (repo / "plans" / "company-2025.yaml").write_text(STRATEGY)
    (repo / "plans" / "retention-2025.yaml").write_text(RETENTION_PLAN)
    (repo / "README.md").write_text("not a plan\n")
    _git(repo, "add", ".")
    _git(repo, "commit", "-qm", "plans")
    return repo


def run_hook(repo, home, *args):
    """``pre-commit run ARGS`` in ``repo``, with the hook of this checkout."""
    env = dict(os.environ, PRE_COMMIT_HOME=str(home), PRE_COMMIT_COLOR="never")
    return subprocess.run([sys.executable, "-m", "pre_commit", "run", "kpi-policies", *args],
                          cwd=repo, env=env, capture_output=True, text=True, timeout=900)


def test_hook_passes_good_plans_and_fails_a_bad_one(repo, pre_commit_home):
    ok = run_hook(repo, pre_commit_home, "--all-files")
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "kpi-policies" in ok.stdout and "Passed" in ok.stdout

    bad = replace(replace(PLAN, {"id: shop-marketing-2025": "id: shop-2025"}), {"direction: increase": "direction: decrease"}, 1)
    (repo / "plans" / "shop-2025.yaml").write_text(bad)
    _git(repo, "add", ".")
    failed = run_hook(repo, pre_commit_home, "--files", "plans/shop-2025.yaml")
    assert failed.returncode == 1, failed.stdout + failed.stderr
    assert "Failed" in failed.stdout
    assert "plans/shop-2025.yaml:" in failed.stdout and "KF002 error" in failed.stdout


def test_hook_resolves_the_strategy_from_the_repository_when_only_the_plan_changed(repo, pre_commit_home):
    (repo / "plans" / "retention-2025.yaml").write_text(replace(RETENTION_PLAN, {"value: 4.2,": "value: 4.0,"}))
    _git(repo, "add", ".")
    proc = run_hook(repo, pre_commit_home, "--files", "plans/retention-2025.yaml")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "company-2025.yaml" not in proc.stdout  # nothing reported on files not passed


def test_hook_reports_the_missing_strategy(repo, pre_commit_home):
    _git(repo, "rm", "-q", "plans/company-2025.yaml")
    proc = run_hook(repo, pre_commit_home, "--files", "plans/retention-2025.yaml")
    assert proc.returncode == 1 and "GL003" in proc.stdout
