"""The engine's seams: one way to recognise a strategy, one rule-selector semantics, a pool that loses no file."""

from __future__ import annotations

import json
import os
import signal
from pathlib import Path

import pytest

from kpi_policies.engine import Engine
from kpi_policies.engine.run import worker_count
from kpi_policies.policy import load_policy
from kpi_policies.rules.examples import EXAMPLE_AS_OF, REFERENCE_PLAN, REFERENCE_STRATEGY
from kpi_policies.selectors import RuleSelector

from conftest import ROOT, check_json, replace

AS_OF = ["--as-of", "2027-04-10"]
POLICY_HEAD = "apiVersion: kpi-policies/v1\nkind: Policy\n"


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def replaced(text: str, old: str, new: str) -> str:
    """``text`` with ``old`` replaced; fails loudly when ``old`` is not there."""
    assert old in text, f"{old!r} not found: the variant would silently equal the original"
    return text.replace(old, new)


# --- one way to recognise a strategy -----------------------------------------------

@pytest.mark.parametrize("kind_line", ["kind: Strategy   # company level", "kind: 'Strategy'", 'kind: "Strategy"  '])
def test_a_plan_checked_alone_finds_its_strategy_whatever_the_kind_line_says(tmp_path, kind_line):
    (tmp_path / ".git").mkdir()
    write(tmp_path / "strategy" / "company.yaml", replaced(REFERENCE_STRATEGY, "kind: Strategy", kind_line))
    plan_text = replaced(replaced(REFERENCE_PLAN, "  department: marketing\n", "  department: marketing\n  strategy: company-2027\n"),
                         "goal: G-SALES}", "goal: G-RETENTION}")
    plan = write(tmp_path / "plans" / "shop.yaml", plan_text)
    # checked alone, as pre-commit does: the strategy is found by searching the repository
    code, alone = check_json(*AS_OF, str(plan), cwd=tmp_path)
    found_alone = [(f["rule_id"], f["line"]) for f in alone["findings"]]
    assert "GL003" not in [rule for rule, _ in found_alone]
    # checked together with the strategy: the same verdict on the plan
    _, together = check_json(*AS_OF, "plans", "strategy", cwd=tmp_path)
    assert found_alone == [(f["rule_id"], f["line"]) for f in together["findings"] if f["file"].startswith("plans")]


# --- one selector semantics ---------------------------------------------------------

@pytest.mark.parametrize("selector, matched, unmatched", [
    ("ALL", ["FE004", "GL001", "SU003"], []),
    ("FE", ["FE001", "FE004"], ["GL001", "FEX001"]),
    ("FE00", ["FE001", "FE009"], ["FE010", "GL001"]),
    ("FE004", ["FE004"], ["FE005", "FE0041"]),
])
def test_a_selector_means_the_same_everywhere(selector, matched, unmatched):
    s = RuleSelector(selector)
    assert all(s.matches(r) for r in matched)
    assert not any(s.matches(r) for r in unmatched)


#: KPI-CONVERSION's target +12.4 points (FE005), measured with "sheets" (MT002); its March actual keeps it on pace.
BAD = replace(REFERENCE_PLAN, {"value: 2.4,": "value: 14.5,", "actual: 2.2}": "actual: 9.5}",
                               "tool: google-analytics-4": "tool: sheets"})


@pytest.fixture
def repo(tmp_path):
    (tmp_path / ".git").mkdir()
    write(tmp_path / "plans" / "shop.yaml", BAD)  # FE005 and MT002
    return tmp_path


@pytest.mark.parametrize("rules, waived", [("[ALL]", ["FE005", "MT002"]), ("[FE00]", ["FE005"]), ("[FE]", ["FE005"])])
def test_policy_suppressions_accept_every_selector_that_select_accepts(repo, rules, waived):
    write(repo / "policy.yaml", POLICY_HEAD + f"suppressions:\n  - {{plan: shop-marketing-2027, rules: {rules}, reason: agreed with the CFO}}\n")
    code, report = check_json(*AS_OF, "--policy", "policy.yaml", "plans", cwd=repo)
    suppressed = sorted(f["rule_id"] for f in report["findings"] if f["suppression"])
    assert suppressed == waived
    assert not any(f["rule_id"].startswith("SU") for f in report["findings"])
    assert code == (0 if waived == ["FE005", "MT002"] else 1)


@pytest.mark.parametrize("selector", ["FE00", "ALL"])
def test_inline_waivers_accept_partial_ids_and_all(repo, selector):
    text = replaced(BAD, "value: 14.5,", "value: 14.5,  # kpi-policies: ignore[" + selector + "] reason=\"launch year\"\n     ")
    (repo / "plans" / "shop.yaml").write_text(text)
    code, report = check_json(*AS_OF, "plans", cwd=repo)
    assert "SU004" not in [f["rule_id"] for f in report["findings"]]
    assert [f["rule_id"] for f in report["findings"] if f["suppression"]] == ["FE005"]


def test_select_with_a_partial_id_still_works(repo):
    write(repo / "policy.yaml", POLICY_HEAD + "select: [FE00]\n")
    code, report = check_json(*AS_OF, "--policy", "policy.yaml", "plans", cwd=repo)
    assert sorted({f["rule_id"] for f in report["findings"]}) == ["FE005"]


# --- worker processes ------------------------------------------------------------------

def test_workers_are_capped_by_cores_and_by_files():
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    assert worker_count(1000, 5000) == cores
    assert worker_count(1000, 1) == 1
    assert worker_count(0, 5000) == cores
    assert worker_count(2, 0) == 1


def _plans(folder: Path, count: int) -> list[str]:
    paths = []
    for n in range(count):
        paths.append(str(write(folder / f"plan-{n:02}.yaml", replaced(REFERENCE_PLAN, "id: shop-marketing-2027", f"id: shop-{n:02}"))))
    return paths


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs the fork start method to inherit the patched rule")
def test_a_worker_killed_mid_run_loses_no_file(tmp_path, monkeypatch):
    """The out-of-memory killer takes the worker holding one plan: the others are checked, that plan is a finding."""
    from kpi_policies.rules import feasibility

    paths = _plans(tmp_path, 6)
    poison = replaced(REFERENCE_PLAN, "id: shop-marketing-2027", "id: poison")
    write(Path(paths[3]), poison)
    original = feasibility.TargetAgainstDirection.check

    def dies_on_poison(self, ctx, params):
        if ctx.plan.metadata.id == "poison":
            os.kill(os.getpid(), signal.SIGKILL)
        return original(self, ctx, params)

    monkeypatch.setattr(feasibility.TargetAgainstDirection, "check", dies_on_poison)
    engine = Engine(load_policy(), EXAMPLE_AS_OF)
    result = engine.run(paths, jobs=2)
    assert [fr.path for fr in result.files] == paths
    killed = result.files[3]
    assert [(f.rule_id, "died twice" in f.message) for f in killed.findings] == [("S001", True)]
    for fr in result.files[:3] + result.files[4:]:
        assert fr.kind == "KpiPlan" and "FE004" in fr.rules_evaluated and fr.findings == []


def test_parallel_and_serial_runs_agree_byte_for_byte(tmp_path):
    from kpi_policies.report import render

    paths = _plans(tmp_path, 5)
    write(Path(paths[1]), replaced(REFERENCE_PLAN, "value: 2.4,", "value: 14.5,"))
    serial = render("json", Engine(load_policy(), EXAMPLE_AS_OF).run(paths, jobs=1))
    parallel = render("json", Engine(load_policy(), EXAMPLE_AS_OF).run(paths, jobs=2))
    assert serial == parallel and "FE005" in serial


# --- each file read once; the evidence is the bytes judged ------------------------------

def test_the_report_hashes_the_bytes_it_judged_and_reads_no_file_twice(tmp_path, monkeypatch):
    import hashlib

    from kpi_policies import load
    from kpi_policies.audit.collect import build_report

    paths = _plans(tmp_path, 2)
    engine = Engine(load_policy(), EXAMPLE_AS_OF)
    reads = []
    real = load.read_bytes
    monkeypatch.setattr(load, "read_bytes", lambda path: (reads.append(path), real(path))[1])
    from kpi_policies.engine import check_file
    monkeypatch.setattr(check_file, "read_bytes", load.read_bytes)
    result = engine.run(paths, keep=True)
    report = build_report(result, engine, reproducible=True)
    plan_reads = [p for p in reads if p.startswith(str(tmp_path))]  # (the policy's own files are read for their sha256)
    assert sorted(plan_reads) == sorted(paths)  # one full read per file, the report included
    for evidence, path in zip(report["evidence"]["files"], paths):
        assert evidence["sha256"] == hashlib.sha256(Path(path).read_bytes()).hexdigest()
    assert report["documents"][0]["kpis"], "the report reads the run's models, not the files again"


def test_a_warm_run_names_files_as_a_cold_run_does_whatever_spelling_filled_the_cache(tmp_path):
    from kpi_policies.cache import Cache
    from kpi_policies.report import render

    (tmp_path / ".git").mkdir()
    write(tmp_path / "plans" / "shop.yaml", replaced(REFERENCE_PLAN, "value: 2.4,", "value: 14.5,"))
    here = os.getcwd()
    os.chdir(tmp_path)
    try:
        def run(path):
            return render("text", Engine(load_policy(), EXAMPLE_AS_OF).run([path], cache=Cache(str(tmp_path), "ctx")))

        filled = run("./plans/shop.yaml")
        cold = render("text", Engine(load_policy(), EXAMPLE_AS_OF).run(["plans/shop.yaml"]))
        assert run("plans/shop.yaml") == cold and "plans/shop.yaml:" in cold and "./plans" not in cold
        assert "./plans/shop.yaml:" in filled
    finally:
        os.chdir(here)


@pytest.mark.parametrize("comment_bytes", [0, 4050, 4060, 4066, 4090, 5000, 70_000])  # 4060, 4066: the kind line straddles 4 KiB
def test_a_strategy_is_recognised_wherever_its_kind_line_falls_in_the_first_64_kib(tmp_path, comment_bytes):
    """The kind is read from the first 4 KiB when a whole ``kind:`` line is there, else from the first 64 KiB."""
    from kpi_policies.index import SNIFF_BYTES, looks_like_strategy, read_kind_head

    header = ("#" * (comment_bytes - 1) + "\n") if comment_bytes else ""
    path = tmp_path / "s.yaml"
    path.write_text(header + "apiVersion: kpi-policies/v1\nkind: Strategy\nmetadata: {id: s}\n", encoding="utf-8")
    assert looks_like_strategy(read_kind_head(str(path))) == (comment_bytes < SNIFF_BYTES - 40)
