"""The command line as a new user meets it: examples run as shown, nothing lost, the same results from any folder."""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys

import pytest

from kpi_policies.rules.examples import REFERENCE_PLAN

from conftest import ROOT, SHARED, run_cli

README = (ROOT / "README.md").read_text(encoding="utf-8")
BAD = REFERENCE_PLAN.replace("id: shop-marketing-2027", "id: bad").replace("tool: crm", "tool: my-spreadsheet")
NO_GITHUB = {k: "" for k in ("GITHUB_WORKSPACE", "GITHUB_SERVER_URL", "GITHUB_REPOSITORY", "GITHUB_SHA")}


@pytest.fixture
def clone(tmp_path):
    """A copy of this repository's files (what a fresh clone holds), as a git repository."""
    repo = tmp_path / "kpi-policies"
    files = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, text=True)
    names = [n for n in files.stdout.split("\0") if n] if files.returncode == 0 else []
    if not names:
        pytest.skip("not a git checkout")
    for name in names:
        if name.startswith(("tests/", "benchmarks/", "docs/images/")) or not (ROOT / name).is_file():
            continue
        (repo / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(ROOT / name, repo / name)
    (repo / "examples").mkdir(exist_ok=True)
    shutil.copyfile(ROOT / "examples" / "shop-marketing-2027.yaml", repo / "examples" / "shop-marketing-2027.yaml")
    git = ["git", "-c", "user.name=Test", "-c", "user.email=test@example.com", "-c", "commit.gpgsign=false"]
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    subprocess.run(git + ["add", "-A"], cwd=repo, check=True)
    subprocess.run(git + ["commit", "-q", "-m", "the repository as cloned"], cwd=repo, check=True)
    return repo


def _bash(command: str, cwd, env=None):
    """Run a console line as a shell would, ``kpi-policies`` being this checkout's."""
    bindir = os.path.dirname(shutil.which("kpi-policies") or sys.executable)
    full = dict(os.environ, **(env or {}), PATH=bindir + os.pathsep + os.environ.get("PATH", ""))
    for k in [k for k, v in full.items() if v == ""]:
        del full[k]
    return subprocess.run(["bash", "-c", command], cwd=cwd, env=full, capture_output=True, text=True, timeout=300)


def _readme_commands() -> list[str]:
    """Every ``$ kpi-policies ...`` line of the README's console blocks, synopsis lines excepted."""
    out = []
    for block in re.findall(r"```+console\n(.*?)```", README, re.S):
        for line in block.splitlines():
            if line.startswith("$ kpi-policies ") and not re.search(r"\[|RULE_ID|METRIC_ID|\bFILE\b", line):
                out.append(line[2:].split("   #")[0].strip())
    return out


def test_readme_names_only_files_the_repository_has():
    for command in _readme_commands():
        if command.startswith("kpi-policies init "):
            continue  # init names the file it is about to write
        for arg in shlex.split(command)[1:]:
            if re.fullmatch(r"(plans|examples)/[\w./-]*", arg):
                assert (ROOT / arg).exists(), f"README runs `{command}` on {arg}, which does not exist"


def test_every_readme_example_runs_as_shown(clone, tmp_path):
    real = SHARED / "real-inputs" / "gitlab-performance-indicators" / "marketing.yml"
    summary = tmp_path / "summary.md"
    env = dict(NO_GITHUB, GITHUB_STEP_SUMMARY=str(summary))
    commands = _readme_commands()
    assert len(commands) >= 12
    for command in commands:
        if "marketing.yml" in command or "gitlab-marketing.yaml" in command:
            if not real.exists():
                continue  # GitLab's own file: the README says where it comes from
            shutil.copyfile(real, clone / "marketing.yml")
        proc = _bash(command, clone, env)
        assert proc.returncode in (0, 1), f"{command}: {proc.stderr}"
        assert "internal error" not in proc.stderr and "Traceback" not in proc.stderr, command
        for out in re.findall(r"(?:--output|-o) (\S+)", command):
            assert (clone / out).is_file(), f"{command} wrote no {out}"
    assert summary.read_text().startswith("# ") or "kpi-policies" in summary.read_text()


def test_install_line_works_from_a_fresh_clone():
    line = next(l for l in README.splitlines() if "pip install ." in l and l.startswith("$ git clone"))
    url, folder = re.fullmatch(r"\$ git clone (\S+) && cd (\S+) && python -m pip install \.", line).groups()
    assert url.rstrip("/").rsplit("/", 1)[1] == folder and (ROOT / "pyproject.toml").is_file()


def test_snippets_pin_revisions_that_exist_or_say_how():
    assert "v0.1.0" not in README
    for rev in re.findall(r"rev: (\S+)", README) + re.findall(r"uses: kpi-policies/kpi-policies@(\S+)", README):
        assert re.fullmatch(r"[0-9a-f]{40}", rev) or rev == "COMMIT_SHA"
    assert "git ls-remote https://github.com/kpi-policies/kpi-policies HEAD" in README.replace("\n", " ")


def _help_examples(command: str = "check") -> list[str]:
    text = run_cli(command, "--help").stdout
    return [l.strip() for l in re.split(r"Examples?:", text, 1)[1].splitlines() if l.strip().startswith("kpi-policies ")]


def test_check_help_examples_run_as_shown(clone):
    examples = _help_examples()
    assert len(examples) >= 3
    (clone / "plans" / "bad.yaml").write_text(BAD)
    for command in examples:
        proc = _bash(command, clone, NO_GITHUB)
        assert proc.returncode in (0, 1) and "internal error" not in proc.stderr, f"{command}: {proc.stderr}"
        if "--format sarif --output results.sarif" in command:
            log = json.loads((clone / "results.sarif").read_text())
            assert log["version"] == "2.1.0" and log["runs"][0]["results"]
            assert proc.stdout and all(l.startswith("::") for l in proc.stdout.splitlines())


def test_merge_help_example_runs_as_shown(clone):
    (clone / "plans" / "bad.yaml").write_text(BAD)
    examples = _help_examples("merge")
    assert len(examples) == 3
    for command in examples:
        proc = _bash(command, clone, NO_GITHUB)
        assert proc.returncode in (0, 1) and "internal error" not in proc.stderr, f"{command}: {proc.stderr}"
    assert proc.returncode == 1 and "MT002" in proc.stdout and json.loads((clone / "results.sarif").read_text())["runs"]


def test_output_dash_is_standard_output(tmp_path):
    (tmp_path / "plan.yaml").write_text(BAD)
    proc = run_cli("check", "--as-of", "2027-04-10", "--format", "json", "--output", "-", "plan.yaml", cwd=tmp_path)
    assert proc.returncode == 1 and json.loads(proc.stdout)["summary"]["error"] == 1
    assert not (tmp_path / "-").exists()
    proc = run_cli("report", "plan.yaml", "--as-of", "2027-04-10", "--format", "json", "-o", "-", cwd=tmp_path)
    assert proc.returncode == 0 and json.loads(proc.stdout) and not (tmp_path / "-").exists()


@pytest.mark.parametrize("name,start", [("r.json", "{"), ("r.md", "#"), ("r.html", "<!DOCTYPE html>")])
def test_report_format_follows_the_output_extension(tmp_path, name, start):
    (tmp_path / "plan.yaml").write_text(REFERENCE_PLAN)
    proc = run_cli("report", "plan.yaml", "--as-of", "2027-04-10", "-o", name, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    text = (tmp_path / name).read_text()
    assert text.lstrip().lower().startswith(start.lower())
    if name.endswith(".json"):
        json.loads(text)


def test_baseline_read_and_written_to_the_same_file_keeps_accepted_findings(tmp_path):
    (tmp_path / ".git").mkdir()
    (tmp_path / "plans").mkdir()
    (tmp_path / "plans" / "bad.yaml").write_text(BAD)
    proc = run_cli("check", "--as-of", "2027-04-10", "--write-baseline", "base.json", cwd=tmp_path)
    assert proc.returncode == 0 and "recorded 1 finding(s) in base.json" in proc.stderr
    before = json.loads((tmp_path / "base.json").read_text())["entries"]
    proc = run_cli("check", "--as-of", "2027-04-10", "--baseline", "base.json", "--write-baseline", "base.json", cwd=tmp_path)
    assert proc.returncode == 0 and "recorded 1 finding(s) in base.json" in proc.stderr, proc.stderr
    assert json.loads((tmp_path / "base.json").read_text())["entries"] == before
    proc = run_cli("check", "--as-of", "2027-04-10", "--baseline", "base.json", cwd=tmp_path)
    assert proc.returncode == 0 and "0 errors" in proc.stdout and "1 suppressed" in proc.stdout
    # a new finding is added, the accepted one stays
    (tmp_path / "plans" / "bad.yaml").write_text(BAD.replace("direction: increase", "direction: decrease", 1))
    proc = run_cli("check", "--as-of", "2027-04-10", "--baseline", "base.json", "--write-baseline", "base.json", cwd=tmp_path)
    entries = json.loads((tmp_path / "base.json").read_text())["entries"]
    assert len(entries) > 1 and before[0] in entries


def _repo_with_bad_plan(tmp_path):
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    (repo / "plans" / "team").mkdir(parents=True)
    (repo / "plans" / "team" / "bad.yaml").write_text(BAD)
    (repo / "docs" / "plans").mkdir(parents=True)  # a local plans/ folder that is not the repository's
    (repo / "docs" / "plans" / "draft.yaml").write_text("not: [a plan")
    (tmp_path / "elsewhere").mkdir()
    return repo


def test_results_do_not_depend_on_the_starting_folder(tmp_path):
    repo = _repo_with_bad_plan(tmp_path)
    runs = {
        "root": run_cli("check", "--as-of", "2027-04-10", "--no-cache", cwd=repo),
        "subfolder, no path": run_cli("check", "--as-of", "2027-04-10", "--no-cache", cwd=repo / "docs"),
        "subfolder": run_cli("check", "--as-of", "2027-04-10", "--no-cache", "../plans", cwd=repo / "docs"),
        "inside plans": run_cli("check", "--as-of", "2027-04-10", "--no-cache", ".", cwd=repo / "plans"),
        "outside": run_cli("check", "--as-of", "2027-04-10", "--no-cache", str(repo / "plans"), cwd=tmp_path / "elsewhere"),
    }
    expected = runs["root"].stdout
    assert expected.startswith("plans/team/bad.yaml:") and runs["root"].returncode == 1
    for where, proc in runs.items():
        assert (proc.returncode, proc.stdout) == (1, expected), where


def test_baseline_matches_from_any_folder(tmp_path):
    repo = _repo_with_bad_plan(tmp_path)
    assert run_cli("check", "--as-of", "2027-04-10", "--write-baseline", "base.json", cwd=repo).returncode == 0
    for cwd, args in [(repo / "docs", ["--baseline", "../base.json", "../plans"]),
                      (tmp_path / "elsewhere", ["--baseline", str(repo / "base.json"), str(repo / "plans")])]:
        proc = run_cli("check", "--as-of", "2027-04-10", *args, cwd=cwd)
        assert proc.returncode == 0 and "1 suppressed" in proc.stdout, (cwd, proc.stdout, proc.stderr)
    written = tmp_path / "elsewhere" / "out" / "report.json"
    proc = run_cli("check", "--as-of", "2027-04-10", "--format", "json", "--output", "out/report.json", str(repo / "plans"),
                   cwd=tmp_path / "elsewhere")
    assert proc.returncode == 1 and json.loads(written.read_text())["findings"][0]["file"] == "plans/team/bad.yaml"


def test_an_output_whose_extension_names_another_format_is_a_usage_error(tmp_path):
    (tmp_path / "plan.yaml").write_text(BAD)
    proc = run_cli("check", "--format", "github", "--format", "sarif", "--output", "results.sarif", "plan.yaml", cwd=tmp_path)
    assert proc.returncode == 2 and "--output results.sarif goes with --format github" in proc.stderr
    assert not (tmp_path / "results.sarif").exists()


def test_the_repository_configuration_applies_when_started_outside_it(tmp_path):
    repo = _repo_with_bad_plan(tmp_path)
    (repo / "policies").mkdir()
    (repo / "policies" / "acme.yaml").write_text("apiVersion: kpi-policies/v1\nkind: Policy\nmetadata: {id: acme}\n"
                                                 "tools:\n  - {id: my-spreadsheet, name: Sheet, measures: [revenue]}\n")
    (repo / "kpi-policies.yaml").write_text("apiVersion: kpi-policies/v1\nkind: Config\npolicy: policies/acme.yaml\n"
                                            "exclude: ['docs/**']\n")
    inside = run_cli("check", "--as-of", "2027-04-10", "plans", cwd=repo)
    outside = run_cli("check", "--as-of", "2027-04-10", str(repo / "plans"), cwd=tmp_path / "elsewhere")
    assert inside.returncode == outside.returncode == 0, outside.stderr
    assert inside.stdout == outside.stdout and "MT002" not in outside.stdout
