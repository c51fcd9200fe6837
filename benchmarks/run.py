"""Benchmark kpi-policies against its yardsticks and its goals: ``python benchmarks/run.py [--plans N]``.

Needs the benchmark extras (``pip install '.[bench]'``: check-jsonschema,
yamllint and PyYAML, the yardsticks). The corpus is generated
deterministically by ``benchmarks/generate.py`` (N plans of about 790 lines,
three strategies). Every command runs as a user runs it, in a process of its
own with its byte code compiled (one unmeasured run first); a figure is the
median of ``--repeat`` runs. Throughput is compared in CPU seconds of the
process (user + system: steadier than wall time on a shared machine); the
start-up, warm-run and ``--jobs`` figures are wall time, as a user waits for
them.

Printed: the table of measurements; the digest of each variant's output
(cold, warm, ``--jobs 2``, and the pure-Python YAML parser on the first 40
plans), which must agree; and each goal, met or missed by how much, with the
measured figure it rests on (docs/performance.md says the rest of why).
"""

from __future__ import annotations

import argparse
import hashlib
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

from generate import big_plan, generate  # noqa: E402

AS_OF = ["--as-of", "2026-11-30"]
#: PyYAML's C loader building its node tree (with marks) for each file: the floor the goal is measured against.
COMPOSE = """
import sys, yaml
for path in sys.argv[1:]:
    with open(path, "rb") as fh:
        yaml.compose(fh, Loader=yaml.CSafeLoader)
"""
#: kpi-policies' own loader (data with the line and column of every key and value) over the same files.
LOADER = """
import sys
from kpi_policies.load import load_bytes
for path in sys.argv[1:]:
    with open(path, "rb") as fh:
        load_bytes(fh.read(), path)
"""
#: Interpreter start plus the libraries a check cannot do without.
LIBRARIES = "import click, pydantic, ruamel.yaml, jsonschema_rs"


def bin_of(name: str) -> str:
    """An executable installed beside this interpreter (the same virtual environment), else on PATH."""
    beside = Path(sys.executable).with_name(name)
    return str(beside) if beside.exists() else (shutil.which(name) or "")


def child_env(**extra: str) -> dict:
    """The environment of a measured command: byte code written and read, as in a normal installation."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env.update(extra)
    return env


class Run:
    """One measured command: median wall and CPU seconds over its runs, its last output and peak memory."""

    def __init__(self, cmd: list[str], cwd: Path, repeat: int, expect=(0, 1), prepare=None, env=None, warm_up=False):
        self.walls, self.cpus, self.stdout = [], [], b""
        env = env or child_env()
        for i in range(repeat + (1 if warm_up else 0)):
            if prepare:
                prepare()
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            start = time.perf_counter()
            proc = subprocess.run(cmd, cwd=cwd, capture_output=True, env=env)
            wall = time.perf_counter() - start
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            if proc.returncode not in expect:
                raise SystemExit(f"{' '.join(cmd[:4])} ... exited {proc.returncode}: {proc.stderr.decode(errors='replace')[-800:]}")
            if warm_up and i == 0:
                continue
            self.walls.append(wall)
            self.cpus.append((after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime))
            self.stdout = proc.stdout

    @property
    def wall(self) -> float:
        return statistics.median(self.walls)

    @property
    def cpu(self) -> float:
        return statistics.median(self.cpus)

    @property
    def digest(self) -> str:
        return hashlib.sha256(self.stdout).hexdigest()[:16]


def peak_rss_mb(cmd: list[str], cwd: Path) -> float:
    """Maximum resident set size of a command, in MB (Linux reports KiB, macOS bytes)."""
    code = ("import resource, subprocess, sys; subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL); "
            "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)")
    out = subprocess.run([sys.executable, "-c", code, *cmd], cwd=cwd, capture_output=True, text=True, check=True, env=child_env())
    kib = int(out.stdout.strip().splitlines()[-1])
    return kib / 1024 if platform.system() != "Darwin" else kib / 1024 / 1024


def corpus(folder: Path, n: int) -> list[str]:
    """A repository of ``n`` generated plans and three strategies; the plan files, relative to it."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / ".git").mkdir(exist_ok=True)
    return [str(p.relative_to(folder)) for p in generate(folder, n)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--plans", type=int, default=1000, help="plans in the corpus (default 1000)")
    parser.add_argument("--repeat", type=int, default=3, help="runs per figure of kpi-policies; the median is shown (default 3)")
    parser.add_argument("--peer-repeat", type=int, default=1, help="runs per figure of check-jsonschema and yamllint (default 1: they take minutes)")
    parser.add_argument("--no-memory", action="store_true", help="skip the 10 x N memory run (it checks 10 x N plans once)")
    parser.add_argument("--no-peers", action="store_true", help="skip check-jsonschema and yamllint")
    args = parser.parse_args()
    n, repeat = args.plans, args.repeat
    kpi = bin_of("kpi-policies")
    if not kpi:
        raise SystemExit("kpi-policies is not installed beside this interpreter: pip install '.[bench]'")
    check = [kpi, "check", *AS_OF]
    with tempfile.TemporaryDirectory(prefix="kpi-bench-") as tmp:
        work = Path(tmp) / "repo"
        rel = corpus(work, n)
        lines = sum((work / p).read_text(encoding="utf-8").count("\n") for p in rel)
        cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
        print(f"corpus: {n} plans ({lines / n:.0f} lines on average), 3 strategies; "
              f"{platform.python_implementation()} {platform.python_version()}, {cores} cores, {platform.machine()}, "
              f"{time.strftime('%Y-%m-%d')}")
        everything = ["plans", "strategies"]
        Run([*check, "--no-cache", "plans/team-00000.yaml", "strategies"], work, 1)  # byte code compiled, not measured
        cold = Run([*check, "--no-cache", *everything], work, repeat)
        floor = Run([sys.executable, "-c", COMPOSE, *rel], work, repeat, expect=(0,))
        loader = Run([sys.executable, "-c", LOADER, *rel], work, repeat, expect=(0,))
        cjs = yamllint = None
        if not args.no_peers:
            if bin_of("check-jsonschema"):
                cjs = Run([bin_of("check-jsonschema"), "--schemafile", str(ROOT / "schemas" / "kpi-plan.schema.json"), *rel],
                          work, args.peer_repeat)
            if bin_of("yamllint"):
                yamllint = Run([bin_of("yamllint"), "-f", "parsable", *rel], work, args.peer_repeat)

        # one plan and its strategy, as the pre-commit hook runs it: the plan just edited, the other plans of its
        # strategy known to the cache from an earlier commit
        single = ["plans/team-00000.yaml", "strategies/company-strategy-0.yaml"]
        edited = work / single[0]
        original = edited.read_text(encoding="utf-8")
        counter = iter(range(10**6))

        def edit():
            edited.write_text(original + f"# edit {next(counter)}\n", encoding="utf-8")

        Run([*check, *everything], work, 1)  # an earlier commit's run filled the cache
        one = Run([*check, *single], work, max(repeat, 7), prepare=edit, warm_up=True)
        one_no_cache = Run([*check, "--no-cache", *single], work, 3, prepare=edit)
        edited.write_text(original, encoding="utf-8")
        start_floor = Run([sys.executable, "-c", LIBRARIES], work, max(repeat, 7), expect=(0,), warm_up=True)
        python_floor = Run([sys.executable, "-c", "pass"], work, max(repeat, 7), expect=(0,), warm_up=True)

        Run([*check, *everything], work, 1)  # the unchanged corpus, cached
        warm = Run([*check, *everything], work, repeat)
        jobs = Run([*check, "--no-cache", "--jobs", "2", *everything], work, repeat)
        pure_subset = ["strategies", *rel[:40]]
        subset_c = Run([*check, "--no-cache", *pure_subset], work, 1)
        subset_pure = Run([*check, "--no-cache", *pure_subset], work, 1, env=child_env(KPI_POLICIES_PURE_YAML="1"))

        big = Path(tmp) / "big"
        big.mkdir()
        (big / ".git").mkdir()
        (big / "without.yaml").write_text(big_plan(2000, waivers=False), encoding="utf-8")
        (big / "with.yaml").write_text(big_plan(2000, waivers=True), encoding="utf-8")
        plain = Run([*check, "--no-cache", "without.yaml"], big, repeat)
        waived = Run([*check, "--no-cache", "with.yaml"], big, repeat)

        small_mb = big_mb = None
        if not args.no_memory:
            small_mb = peak_rss_mb([*check, "--no-cache", *everything], work)
            large = Path(tmp) / "large"
            corpus(large, n * 10)
            big_mb = peak_rss_mb([*check, "--no-cache", *everything], large)

        rows = [
            ("1", f"kpi-policies check, {n} plans, cold, 1 process", cold.cpu, cold.wall),
            ("2", f"PyYAML C loader, yaml.compose of the same {n} files", floor.cpu, floor.wall),
            ("2b", f"kpi-policies' loader alone (data with positions), same {n} files", loader.cpu, loader.wall),
            ("3", f"check-jsonschema, plan schema, same {n} files", cjs.cpu if cjs else None, cjs.wall if cjs else None),
            ("4", f"yamllint (default rules), same {n} files", yamllint.cpu if yamllint else None, yamllint.wall if yamllint else None),
            ("5", "one plan + its strategy as pre-commit runs it (plan edited)", one.cpu, one.wall),
            ("5b", "the same with --no-cache (every other plan of the strategy read)", one_no_cache.cpu, one_no_cache.wall),
            ("5c", f"start-up floor: python -c '{LIBRARIES}'", start_floor.cpu, start_floor.wall),
            ("5d", "python -c pass", python_floor.cpu, python_floor.wall),
            ("6", f"{n} plans again, unchanged (warm cache)", warm.cpu, warm.wall),
            ("7", f"--jobs 2, {n} plans, cold", jobs.cpu, jobs.wall),
            ("8", "one plan of 2,000 KPIs", plain.cpu, plain.wall),
            ("8b", "the same plan with 2,000 inline waivers", waived.cpu, waived.wall),
        ]
        print()
        print("| # | what | CPU s | wall s |")
        print("|---|---|---:|---:|")
        for key, what, cpu, wall in rows:
            shown = [f"{x:.3f}" if x is not None else "not run" for x in (cpu, wall)]
            print(f"| {key} | {what} | {shown[0]} | {shown[1]} |")
        if small_mb is not None:
            print(f"| 9 | peak memory, {n} plans / {n * 10} plans | {small_mb:.0f} MB / {big_mb:.0f} MB | |")

        print()
        same = cold.digest == warm.digest == jobs.digest
        print(f"output digests: cold {cold.digest}, warm {warm.digest}, --jobs 2 {jobs.digest}: {'identical' if same else 'DIFFERENT'}; "
              f"first 40 plans with libyaml {subset_c.digest}, with the pure-Python parser {subset_pure.digest}: "
              f"{'identical' if subset_c.digest == subset_pure.digest else 'DIFFERENT'}")
        print()

        print("| goal | measured | | what the figure rests on |")
        print("|---|---|---|---|")
        findings = cold.stdout.count(b"\n")

        def goal(text: str, value: float, limit: float, unit: str, why: str, at_most: bool = True) -> None:
            met = value <= limit if at_most else value >= limit
            margin = (value / limit - 1) if at_most else (1 - value / limit)
            verdict = "met" if met else f"**missed** by {abs(margin) * 100:.0f}%"
            print(f"| {text} | {value:.2f}{unit} | {verdict} | {why} |")

        product = f"the loader alone is {loader.cpu / floor.cpu:.2f} x (2) (2b); the rest is schema, models and the rules"
        goal("(1) cold check at most 1.2 x PyYAML's C compose (2), CPU", cold.cpu / floor.cpu, 1.2, " x", product)
        if cjs:
            goal("(1) at least 4 x faster than check-jsonschema (3), CPU", cjs.cpu / cold.cpu, 4, " x",
                 "(3) checks one schema; (1) also runs every rule", at_most=False)
        if yamllint:
            goal("(1) at least 20 x faster than yamllint (4), CPU", yamllint.cpu / cold.cpu, 20, " x",
                 "(4) checks style; (1) also runs every rule", at_most=False)
        goal("(5) one plan + its strategy at most 150 ms, wall", one.wall * 1000, 150, " ms",
             f"the interpreter and four libraries alone: {start_floor.wall * 1000:.0f} ms (5c)")
        goal(f"(6) warm run of {n} plans at most 0.25 s, wall", warm.wall, 0.25, " s",
             f"start-up as in (5); {n} files read and hashed; about {findings:,} lines of findings printed")
        goal("(8) 2,000 waivers within 1.5 x the same plan without, CPU", waived.cpu / plain.cpu, 1.5, " x", "waivers found by line")
        if small_mb is not None:
            goal(f"(9) memory for {n * 10} plans within 1.1 x that of {n}", big_mb / small_mb, 1.1, " x",
                 f"the findings the report holds (about {findings / n:.0f} per plan here); plans are dropped once judged")
        if cores and cores >= 2:
            goal("(7) --jobs 2 at least 1.7 x one process, wall, same output", cold.wall / jobs.wall, 1.7, " x",
                 "outputs compared by digest", at_most=False)


if __name__ == "__main__":
    main()
