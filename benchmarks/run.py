"""Benchmark kpi-policies against its peer and its floor: ``python benchmarks/run.py [--plans N] [--repeat R]``.

Prints a table; each time is the median of ``--repeat`` runs (wall clock,
interpreter start included, as a user or a hook meets it):

1. ``kpi-policies check`` on N plans, cold (``--no-cache``), one process;
2. check-jsonschema with this project's plan schema on the same N files;
3. the floor: libyaml's C parser (ruamel.yaml.clib) producing the events of the same files, nothing more;
4. a single plan plus its strategy, as pre-commit runs it;
5. the same N plans again, unchanged (warm cache);
6. ``--jobs 2`` against one process (outputs compared byte for byte);
7. peak memory (maximum resident set size) for N and for 10 x N plans.

Needs the test extras (``pip install '.[test]'``) for check-jsonschema. The
corpus is generated deterministically by ``benchmarks/generate.py``.
"""

from __future__ import annotations

import argparse
import os
import platform
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

from generate import generate  # noqa: E402

FLOOR = """
import sys
from _ruamel_yaml import CParser
from ruamel.yaml.events import StreamEndEvent
for path in sys.argv[1:]:
    with open(path, encoding="utf-8") as fh:
        parser = CParser(fh.read())
    while not isinstance(parser.get_event(), StreamEndEvent):
        pass
"""


def bin_of(name: str) -> str:
    """An executable installed beside this interpreter (the same virtual environment), else on PATH."""
    beside = Path(sys.executable).with_name(name)
    return str(beside) if beside.exists() else (shutil.which(name) or name)


def timed(cmd: list[str], cwd: Path, repeat: int, expect=(0, 1), prepare=None) -> tuple[float, subprocess.CompletedProcess]:
    """Median wall time of ``cmd`` over ``repeat`` runs, and the last run's result."""
    times, proc = [], None
    for _ in range(repeat):
        if prepare:
            prepare()
        start = time.perf_counter()
        proc = subprocess.run(cmd, cwd=cwd, capture_output=True)
        times.append(time.perf_counter() - start)
        if proc.returncode not in expect:
            raise SystemExit(f"{' '.join(cmd[:3])} ... exited {proc.returncode}: {proc.stderr.decode()[-500:]}")
    return statistics.median(times), proc


def peak_rss_mb(cmd: list[str], cwd: Path) -> float:
    """Maximum resident set size of a child process, in MB (Linux reports KiB)."""
    code = ("import resource, subprocess, sys; subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL); "
            "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)")
    out = subprocess.run([sys.executable, "-c", code, *cmd], cwd=cwd, capture_output=True, text=True, check=True)
    kib = int(out.stdout.strip().splitlines()[-1])
    return kib / 1024 if platform.system() != "Darwin" else kib / 1024 / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--plans", type=int, default=1000, help="plans in the corpus (default 1000)")
    parser.add_argument("--repeat", type=int, default=3, help="runs per figure; the median is shown (default 3)")
    parser.add_argument("--no-memory", action="store_true", help="skip the 10 x N memory run")
    args = parser.parse_args()
    n, repeat = args.plans, args.repeat
    kpi, cjs = bin_of("kpi-policies"), bin_of("check-jsonschema")
    as_of = ["--as-of", "2026-11-30"]
    with tempfile.TemporaryDirectory(prefix="kpi-bench-") as tmp:
        work = Path(tmp)
        (work / ".git").mkdir()
        files = generate(work, n)
        lines = sum(p.read_text(encoding="utf-8").count("\n") for p in files)
        rel = [str(p.relative_to(work)) for p in files]
        print(f"corpus: {n} plans ({lines / n:.0f} lines on average), 3 strategies; "
              f"{platform.python_implementation()} {platform.python_version()}, {os.cpu_count()} CPUs, {platform.machine()}")

        t1, cold = timed([kpi, "check", "--no-cache", *as_of, "plans", "strategies"], work, repeat)
        t2, _ = timed([cjs, "--schemafile", str(ROOT / "schemas" / "kpi-plan.schema.json"), *rel], work, repeat)
        t3, _ = timed([sys.executable, "-c", FLOOR, *rel], work, repeat, expect=(0,))
        single = ["plans/team-00000.yaml", "strategies/company-strategy-0.yaml"]
        t4, _ = timed([kpi, "check", "--no-cache", *as_of, *single], work, max(repeat, 5))
        cache = work / ".kpi-policies-cache"
        timed([kpi, "check", *as_of, "plans", "strategies"], work, 1, prepare=lambda: shutil.rmtree(cache, ignore_errors=True))
        t5, warm = timed([kpi, "check", *as_of, "plans", "strategies"], work, repeat)
        t6, jobs = timed([kpi, "check", "--no-cache", "--jobs", "2", *as_of, "plans", "strategies"], work, repeat)
        same = "identical" if jobs.stdout == cold.stdout and warm.stdout == cold.stdout else "DIFFERENT"

        rows = [
            ("1", f"kpi-policies check, {n} plans, cold, 1 process", t1, n / t1),
            ("2", f"check-jsonschema, plan schema, same {n} files", t2, n / t2),
            ("3", f"floor: libyaml events of the same {n} files", t3, n / t3),
            ("4", "one plan + its strategy (pre-commit), wall incl. start", t4, None),
            ("5", f"{n} plans again, unchanged (warm cache)", t5, n / t5),
            ("6", f"--jobs 2, {n} plans, cold", t6, n / t6),
        ]
        print()
        print("| # | what | seconds | plans/s |")
        print("|---|---|---:|---:|")
        for key, what, secs, rate in rows:
            print(f"| {key} | {what} | {secs:.3f} | {rate:.0f} |" if rate else f"| {key} | {what} | {secs:.3f} | |")
        if not args.no_memory:
            small = peak_rss_mb([kpi, "check", "--no-cache", *as_of, "plans", "strategies"], work)
            big_dir = work / "big"
            big_dir.mkdir()
            (big_dir / ".git").mkdir()
            generate(big_dir, n * 10)
            big = peak_rss_mb([kpi, "check", "--no-cache", *as_of, "plans", "strategies"], big_dir)
            print(f"| 7 | peak memory, {n} plans / {n * 10} plans | {small:.0f} MB / {big:.0f} MB | |")
        print()
        print("goals:")
        print(f"  (1) >= 3 x (2): {t2 / t1:.2f} x")
        print(f"  (1) within 3 x the floor (3): {t1 / t3:.2f} x the floor")
        print(f"  (4) <= 300 ms: {t4 * 1000:.0f} ms")
        print(f"  (5) >= 10 x faster than (1): {t1 / t5:.1f} x")
        print(f"  (6) >= 1.6 x faster than (1) on 2 cores: {t1 / t6:.2f} x; output {same} to the one-process run")
        if not args.no_memory:
            print(f"  (7) <= 300 MB for {n * 10} plans: {big:.0f} MB ({big / small:.2f} x the {n}-plan run)")


if __name__ == "__main__":
    main()
