"""How long the audit report takes to read each plan's history from git: ``python benchmarks/history.py``.

Builds a temporary repository with 20 generated plans (benchmarks/generate.py,
500 to 1,000 lines each) and 200 further commits, each changing one plan
(a target moved, a review appended, an approved change-log entry added),
then times :func:`kpi_policies.audit.history.plan_history` over all 20 plans,
as ``kpi-policies report`` calls it, and ``kpi-policies diff`` against the
first commit. Prints the figures; the goal is seconds, not minutes.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from generate import generate  # noqa: E402

PLANS, COMMITS = 20, 200
TARGET = re.compile(r"target: \{value: ([0-9.]+), due")


def git(repo: Path, *args: str, day: int = 0) -> None:
    date = f"2026-{1 + day // 28:02d}-{1 + day % 28:02d}T10:00:00+07:00"
    env = dict(os.environ, GIT_AUTHOR_DATE=date, GIT_COMMITTER_DATE=date, GIT_AUTHOR_NAME="Analyst",
               GIT_AUTHOR_EMAIL="analyst@example.com", GIT_COMMITTER_NAME="Analyst", GIT_COMMITTER_EMAIL="analyst@example.com")
    subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, env=env)


def build(repo: Path) -> list[Path]:
    files = generate(repo, PLANS)
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", ".")
    git(repo, "commit", "-qm", "Approved plans")
    for c in range(COMMITS):
        path = files[c % PLANS]
        text = path.read_text(encoding="utf-8")
        if c % 3 == 0:  # a target moved
            text = TARGET.sub(lambda m: f"target: {{value: {float(m.group(1)) * 0.98:.1f}, due", text, count=1)
        elif c % 3 == 1:  # a note appended at the end of the file
            text += f"# review note {c}\n"
        else:
            if "\nrevisions:\n" not in text:
                text += "revisions:\n"
            text += f"  - {{date: 2026-06-{1 + c % 28:02d}, covers: [KPI-001], reason: Change {c}, approved_by: ceo}}\n"
        path.write_text(text, encoding="utf-8")
        git(repo, "commit", "-qam", f"Change {c}", day=c % 300)
    return files


def main() -> None:
    from kpi_policies.audit.history import plan_history
    from kpi_policies.history import parse

    with tempfile.TemporaryDirectory() as tmp:
        repo = Path(tmp) / "repo"
        repo.mkdir()
        start = time.perf_counter()
        files = build(repo)
        print(f"built a repository of {PLANS} plans and {COMMITS + 1} commits in {time.perf_counter() - start:.1f} s")
        models = [parse(f.read_text(encoding="utf-8"), str(f)).model for f in files]
        start = time.perf_counter()
        versions = events = 0
        for f, model in zip(files, models):
            h = plan_history(str(f), model)
            versions += h["versions"]
            events += sum(len(k["events"]) for k in h["kpis"])
        took = time.perf_counter() - start
        print(f"history of {PLANS} plans over {COMMITS + 1} commits ({versions} versions, {events} KPI history rows): {took:.2f} s")
        start = time.perf_counter()
        proc = subprocess.run([sys.executable, "-m", "kpi_policies", "diff", "--base", "HEAD~200", "--format", "json", "plans"],
                              cwd=repo, capture_output=True, text=True)
        print(f"kpi-policies diff --base HEAD~200 of {PLANS} plans: {time.perf_counter() - start:.2f} s (exit {proc.returncode})")


if __name__ == "__main__":
    main()
