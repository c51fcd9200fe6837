"""The fast paths (result cache, worker processes) give exactly the results of a plain run, and are really taken.

The runs are in this process (``run_cli``), so the tests can watch the cache's
counters and can make a rule record which process judged which plan; worker
processes are forked from this one and inherit that recording rule.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import time
from pathlib import Path

import pytest

from kpi_policies.cache import Cache
from kpi_policies.rules.examples import REFERENCE_PLAN, REFERENCE_STRATEGY
from kpi_policies.rules.registry import get_rule

from conftest import replace, run_cli

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
    (plans / "shop.yaml").write_text(replace(REFERENCE_PLAN, {"tool: crm": "tool: sheets"}))
    (plans / "dup.yaml").write_text(replace(REFERENCE_PLAN, {"tool: crm": "tool: sheets"}))  # duplicate id: GL007
    (plans / "broken.yaml").write_text("kpis: [unclosed\n")
    return tmp_path


#: Files of the repo above that go through the per-file step (all but the strategy), and those judged by
#: the rules (all but broken.yaml, which has no model to judge).
PER_FILE, JUDGED = 15, 14


class Caches(list):
    """Every :class:`Cache` the runs made, in order; ``last`` is the latest run's."""

    @property
    def last(self) -> Cache:
        assert self, "the run made no cache"
        return self[-1]


@pytest.fixture
def caches(monkeypatch) -> Caches:
    """Record each Cache a run makes, to read its hit and miss counters afterwards."""
    made = Caches()
    init = Cache.__init__

    def recording_init(self, *args, **kwargs):
        init(self, *args, **kwargs)
        made.append(self)

    monkeypatch.setattr(Cache, "__init__", recording_init)
    return made


class Judged:
    """Which process judged which plan: FE004 (a plan rule) writes each plan id it judges into a file
    named by its process id. Worker processes are forked, so they run the recording rule too.

    With ``meet`` set to n, each process waits on its first plan (up to 20 s) until n processes have
    judged a plan, so a quick first worker cannot take all the work: it is shared by at least n
    processes, or (a run that went serial) the wait times out and the test fails.
    """

    def __init__(self, folder: Path):
        self.folder = folder
        self.meet = 0

    def by_process(self) -> dict[int, list[str]]:
        return {int(f.name): f.read_text().split() for f in self.folder.iterdir()}

    def plans(self) -> list[str]:
        return sorted(p for plans in self.by_process().values() for p in plans)

    def reset(self) -> None:
        for f in self.folder.iterdir():
            f.unlink()


@pytest.fixture
def judged(tmp_path, monkeypatch) -> Judged:
    rule = get_rule("FE004")
    folder = tmp_path / "judged"
    folder.mkdir()
    record = Judged(folder)
    original = rule.check
    seen_here: set[int] = set()

    def recording_check(self, ctx, params):
        mine = folder / str(os.getpid())
        with open(mine, "a", encoding="utf-8") as fh:
            fh.write(f"{ctx.plan.metadata.id}\n")
        if record.meet and os.getpid() not in seen_here:
            seen_here.add(os.getpid())
            deadline = time.monotonic() + 20
            while len(list(folder.iterdir())) < record.meet and time.monotonic() < deadline:
                time.sleep(0.01)
        return original(self, ctx, params)

    monkeypatch.setattr(rule, "check", recording_check)
    return record



def check(repo, *args):
    proc = run_cli("check", *AS_OF, "--format", "json", *args, "plans", cwd=repo)
    assert "Traceback" not in proc.stderr and proc.returncode in (0, 1), proc.stderr
    report = json.loads(proc.stdout)
    return proc.returncode, report["findings"], report["summary"]


def test_warm_cache_gives_the_same_report_from_the_cache(repo, caches, judged):
    cold = check(repo, "--no-cache")
    assert not caches and len(judged.plans()) == JUDGED
    judged.reset()
    first = check(repo)
    assert (caches.last.hits, caches.last.misses) == (0, PER_FILE)
    assert (repo / ".kpi-policies-cache").is_dir()
    assert (repo / ".kpi-policies-cache" / ".gitignore").read_text().strip().endswith("*")
    judged.reset()
    warm = check(repo)
    # every file came from the cache: no plan was judged again
    assert (caches.last.hits, caches.last.misses) == (PER_FILE, 0)
    assert judged.plans() == []
    assert cold == first == warm
    assert {f["rule_id"] for f in warm[1]} >= {"FE004", "MT002", "GL007", "Y001"}


def test_cache_follows_every_input_it_depends_on(repo, caches):
    base = check(repo)
    # a changed file: only that file is checked again
    (repo / "plans" / "retention-01.yaml").write_text(RETENTION.format(n=1, target=5.5))
    changed = check(repo)
    assert (caches.last.hits, caches.last.misses) == (PER_FILE - 1, 1)
    assert len([f for f in changed[1] if f["rule_id"] == "FE004"]) == len([f for f in base[1] if f["rule_id"] == "FE004"]) + 1
    assert changed == check(repo, "--no-cache")
    # the as-of day
    later = check(repo, "--as-of", "2027-06-30")
    assert caches.last.hits == 0
    assert later == check(repo, "--as-of", "2027-06-30", "--no-cache")
    assert any(f["rule_id"] == "RC005" for f in later[1])
    # the policy
    (repo / "p.yaml").write_text("apiVersion: kpi-policies/v1\nkind: Policy\nignore: [FE004]\n")
    with_policy = check(repo, "--policy", "p.yaml")
    assert caches.last.hits == 0
    assert not any(f["rule_id"] == "FE004" for f in with_policy[1])
    assert check(repo, "--policy", "p.yaml") == with_policy and caches.last.misses == 0
    # a referenced strategy: its goal disappears, so every retention plan's objective loses its goal
    (repo / "plans" / "company.yaml").write_text(replace(REFERENCE_STRATEGY, {"G-RETENTION": "G-KEEP"}))
    after = check(repo)
    assert caches.last.hits == 0
    assert len([f for f in after[1] if f["rule_id"] == "GL002"]) == 12
    assert after == check(repo, "--no-cache")


def test_cache_clean_removes_the_cache(repo):
    check(repo)
    proc = run_cli("cache", "clean", cwd=repo)
    assert proc.returncode == 0 and "removed" in proc.stdout
    assert not (repo / ".kpi-policies-cache").exists()


def test_a_corrupt_cache_entry_is_ignored(repo, caches):
    check(repo)
    for entry in (repo / ".kpi-policies-cache").rglob("*.json"):
        entry.write_text("{not json")
    assert check(repo) == check(repo, "--no-cache")
    assert (caches[1].hits, caches[1].misses) == (0, PER_FILE)
    # the entries written again are used again
    check(repo)
    assert (caches.last.hits, caches.last.misses) == (PER_FILE, 0)


def _workers(jobs: str) -> int:
    return int(jobs) or (os.cpu_count() or 1)


@pytest.mark.skipif("fork" not in multiprocessing.get_all_start_methods(),
                    reason="the recording rule reaches worker processes only when they are forked")
@pytest.mark.filterwarnings("ignore:This process .* is multi-threaded:DeprecationWarning")
@pytest.mark.parametrize("jobs", ["2", "3", "0"])
def test_worker_processes_share_the_work_and_give_the_same_report(repo, jobs, judged, caches):
    workers = _workers(jobs)
    serial = check(repo, "--no-cache")
    assert set(judged.by_process()) == {os.getpid()}
    once = judged.plans()
    judged.reset()
    judged.meet = 2 if workers > 1 else 0
    assert check(repo, "--no-cache", "--jobs", jobs) == serial
    # every plan judged once, by at least two processes and at most as many as asked for, none of them this one
    by_process = judged.by_process()
    assert judged.plans() == once and len(once) == JUDGED
    if workers > 1:
        assert 2 <= len(by_process) <= workers and os.getpid() not in by_process, by_process
    # with the cache: a cold run fills it from the workers, a warm run judges nothing
    judged.reset()
    assert check(repo, "--jobs", jobs) == serial
    assert judged.plans() == once
    judged.reset()
    judged.meet = 0
    assert check(repo, "--jobs", jobs) == serial
    assert judged.plans() == []
    text_one = run_cli("check", *AS_OF, "--no-cache", "plans", cwd=repo).stdout
    text_many = run_cli("check", *AS_OF, "--no-cache", "--jobs", jobs, "plans", cwd=repo).stdout
    assert text_one == text_many


def test_a_cache_written_elsewhere_is_never_trusted(repo, tmp_path, caches):
    """A cache committed to the repository (or forged) cannot make a broken plan pass."""
    check(repo)
    indexes = list((repo / ".kpi-policies-cache").rglob("index-*.json"))
    assert len(indexes) == 1
    mac, body = indexes[0].read_text().split("\n", 1)
    data = json.loads(body)
    assert len(data["entries"]) == PER_FILE
    for entry in data["entries"].values():  # forge: keep the signature line, empty the findings
        entry["result"]["findings"] = []
    indexes[0].write_text(mac + "\n" + json.dumps(data))
    assert check(repo) == check(repo, "--no-cache")
    assert caches[1].hits == 0
    # another user's key (a clone on another machine) does not match either
    check(repo)
    assert caches.last.hits == PER_FILE
    proc_env = {"XDG_CACHE_HOME": str(tmp_path / "other-user")}
    fresh = run_cli("check", *AS_OF, "--format", "json", "plans", cwd=repo, env=proc_env)
    assert caches.last.hits == 0
    assert json.loads(fresh.stdout)["findings"] == check(repo, "--no-cache")[1]


def test_a_cache_folder_that_is_a_link_is_not_used(repo, tmp_path, caches):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (repo / ".kpi-policies-cache").symlink_to(elsewhere)
    assert check(repo) == check(repo, "--no-cache")
    check(repo)
    assert caches.last.hits == 0
    assert list(elsewhere.iterdir()) == []


def test_the_cache_key_covers_the_code_of_every_loaded_plugin(tmp_path, monkeypatch):
    """A plugin upgraded without a new version (or a rule edited in a development install) never gets stale findings."""
    import importlib
    import sys

    from kpi_policies.cache import Cache, code_digest

    plugin = tmp_path / "acme_rules_for_cache_test.py"
    plugin.write_text("from kpi_policies.rules.base import Rule\n\nclass R(Rule):\n    id = 'AC001'\n    name = 'acme.one'\n\nRULES = [R]\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    module = importlib.import_module("acme_rules_for_cache_test")
    try:
        before, key_before = code_digest(), Cache(str(tmp_path), "ctx").context
        plugin.write_text(plugin.read_text() + "# the rule's message changed\n")
        assert code_digest() != before
        assert Cache(str(tmp_path), "ctx").context != key_before
    finally:
        sys.modules.pop(module.__name__, None)


def test_a_run_keeps_its_entries_in_one_index_that_a_run_over_some_files_does_not_shrink(repo, caches):
    check(repo)
    cache = repo / ".kpi-policies-cache"
    indexes = list(cache.rglob("index-*.json"))
    assert len(indexes) == 1 and not [p for p in cache.rglob("*.json") if p not in indexes and p.name != "plans.json"]
    # a pre-commit run over one changed plan adds its entry and keeps everyone else's
    plan = repo / "plans" / "retention-01.yaml"
    plan.write_text(plan.read_text().replace("value: 4.2", "value: 4.1"))
    run_cli("check", *AS_OF, "plans/retention-01.yaml", "plans/company.yaml", cwd=repo)
    assert (caches.last.hits, caches.last.misses) == (0, 1)
    check(repo)
    assert (caches.last.hits, caches.last.misses) == (PER_FILE, 0)


def test_indexes_of_other_dates_and_policies_are_dropped_beyond_the_most_recent(repo):
    for day in range(1, 9):
        run_cli("check", "--as-of", f"2027-04-{day:02d}", "plans", cwd=repo)
    indexes = list((repo / ".kpi-policies-cache").rglob("index-*.json"))
    assert len(indexes) == Cache.KEEP_INDEXES + 1


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes")
@pytest.mark.parametrize("name", ["plans.json", "index"])
def test_a_named_pipe_in_the_cache_is_refused_without_waiting_on_it(repo, name):
    from conftest import run_process

    check(repo)
    folder = next((repo / ".kpi-policies-cache").glob("v*"))
    target = folder / "plans.json" if name == "plans.json" else next(folder.glob("index-*.json"))
    target.unlink(missing_ok=True)
    os.mkfifo(target)
    cold = run_process("check", *AS_OF, "--no-cache", "plans/retention-01.yaml", cwd=repo)
    warm = run_process("check", *AS_OF, "plans/retention-01.yaml", "plans/company.yaml", cwd=repo)  # a hang fails at the timeout
    alone = run_process("check", *AS_OF, "plans/retention-01.yaml", cwd=repo)
    assert alone.stdout == cold.stdout and alone.returncode == cold.returncode
    assert "Traceback" not in warm.stderr + alone.stderr
