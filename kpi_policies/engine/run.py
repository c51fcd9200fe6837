"""The run: every file through the one per-file step, then the run-level steps.

Strategies are read first (they are few, and plans refer to them, see
:mod:`kpi_policies.engine.strategies`); then every other file is read once,
loaded, validated and judged on its own by
:meth:`kpi_policies.engine.check_file.FileChecker.check` (in this process or
in worker processes, from the cache when it holds the same bytes) and only its
outcome is kept, so memory stays flat however many files a run has; last come
the run-level steps: duplicate ids, inline and policy waivers, and the
baseline (:mod:`kpi_policies.engine.waivers`).
"""

from __future__ import annotations

import contextlib
import gc

import datetime as dt
import os

from kpi_policies.catalog import Catalog
from kpi_policies.docs import rule_info
from kpi_policies.engine.check_file import Checked, FileChecker, Outcome
from kpi_policies.engine.resolve_policy import ResolvedPolicy
from kpi_policies.engine.strategies import index_strategies, strategies_digest
from kpi_policies.engine.waivers import apply_baseline, apply_inline, apply_policy
from kpi_policies.index import Index
from kpi_policies.load import Document
from kpi_policies.policy import Policy
from kpi_policies.result import FileResult, Finding, Location, RunResult


class Engine:
    """Rules configured by a policy, ready to judge files.

    Args:
        policy: The effective policy (selection, severities, parameters, tools, waivers).
        as_of: The day time-dependent rules and suppression expiries are judged on.
        catalog: The metric catalog (default: the built-in one plus the policy's metrics).
        ignore_suppressions: Report what a run would show without any suppression.

    Attributes:
        resolved: The policy resolved against the rules (:class:`ResolvedPolicy`).
        checker: The per-file step (:class:`FileChecker`).
        checked: After a run with ``keep=True``: the loaded documents and models by path.

    Raises:
        PolicyError: when the policy names an unknown rule or plugin, gives a
            rule parameters that do not fit it, or extends the catalog badly.
    """

    def __init__(self, policy: Policy, as_of: dt.date, catalog: Catalog | None = None, ignore_suppressions: bool = False):
        self.resolved = ResolvedPolicy(policy, catalog)
        self.checker = FileChecker(self.resolved, as_of)
        self.as_of = as_of
        self.ignore_suppressions = ignore_suppressions
        self.checked: dict[str, Checked] = {}
        self.index = Index()

    #: The git revision the change rules compare with (``check --base``), for the audit report's evidence.
    base_label: str | None = None

    @property
    def base_lookup(self):
        """``(path, model) -> kpi_policies.history.Base | None``: the earlier version change rules compare with."""
        return self.checker.base_lookup

    @base_lookup.setter
    def base_lookup(self, lookup) -> None:
        self.checker.base_lookup = lookup

    @property
    def policy(self) -> Policy:
        """The effective policy."""
        return self.resolved.policy

    @property
    def rules(self) -> dict:
        """Rule id -> rule class, built-in and plugin."""
        return self.resolved.rules

    @property
    def catalog(self) -> Catalog:
        """The metric catalog of the run."""
        return self.resolved.catalog

    def view(self, rule_id: str, file: str | None = None):
        """The effective settings of a rule for a file."""
        return self.resolved.view(rule_id, file)

    # --- the run -----------------------------------------------------------------
    def run(self, paths: list[str], documents: dict[str, Document] | None = None, baseline=None,
            jobs: int = 1, cache=None, keep: bool = False) -> RunResult:
        """Check ``paths`` (files, already discovered) together.

        Args:
            paths: Files to check and report on, in order.
            documents: Already-loaded documents by path (from text in tests and editors); those files are not read.
            baseline: A :class:`kpi_policies.baseline.Baseline` whose entries waive known findings.
            jobs: Worker processes for the per-file work (1: this process; capped by cores and by files).
            cache: A :class:`kpi_policies.cache.Cache`, or ``None``.
            keep: Keep every document and model in :attr:`checked` (the audit report reads them
                instead of reading the files again); no cache and no workers then.

        Returns:
            A :class:`RunResult` with one :class:`FileResult` per path (plus the
            policy and baseline files when their waivers have findings); the
            same whatever ``jobs`` and ``cache`` are.
        """
        from kpi_policies.index import remembering_plans

        store = cache.plan_facts() if cache is not None and cache.enabled else None
        with remembering_plans(store), _fewer_collections():
            result = self._run(paths, documents or {}, baseline, jobs, cache, keep)
        if cache is not None:
            cache.flush()
        return result

    def _run(self, paths, documents, baseline, jobs, cache, keep) -> RunResult:
        checker = self.checker
        index, strategies = index_strategies(checker, paths, documents)
        self.index = index
        index.note_run(paths, documents)
        if cache is not None:
            cache.context = f"{cache.context}\x1f{strategies_digest(index)}"
        outcomes: list[Outcome | None] = [None] * len(paths)
        todo = []
        for i, path in enumerate(paths):
            if path in strategies:
                outcomes[i] = checker.judged(strategies[path], index, keep=keep)
            elif path in documents or keep:
                outcomes[i] = checker.check(path, index, document=documents.get(path), keep=keep)
            else:
                todo.append(i)
        workers = worker_count(jobs, len(todo))
        if workers > 1:
            from kpi_policies.engine.pool import check_in_workers

            for i, outcome in check_in_workers(self, [(i, paths[i]) for i in todo], list(strategies), workers, cache):
                outcomes[i] = outcome
        else:
            for i in todo:
                outcomes[i] = checker.check(paths[i], index, cache=cache)
        if keep:
            self.checked = {o.result.path: o.checked for o in outcomes if o.checked is not None}
        return self._finish(outcomes, baseline)

    def _finish(self, outcomes: list[Outcome], baseline) -> RunResult:
        """The run-level steps: duplicate ids, waivers (inline, policy, baseline), sorting."""
        checker, ignore = self.checker, self.ignore_suppressions
        results = [o.result for o in outcomes]
        self._run_level(results, [o.summary for o in outcomes])
        for outcome in outcomes:
            apply_inline(checker, outcome.result, outcome.waivers, ignore)
        files = results + apply_policy(checker, results, ignore)
        if baseline is not None and not ignore:
            files += apply_baseline(checker, baseline, files)
        for fr in files:
            fr.findings.sort(key=Finding.sort_key)
        return RunResult(files=files, as_of=self.as_of.isoformat(), rules_run=self.resolved.enabled_rules(),
                         rules={r: rule_info(c) for r, c in self.rules.items()})

    def _run_level(self, results: list[FileResult], summaries: list) -> None:
        """Rules that need every document of the run (duplicate ids)."""
        for rule in self.resolved.rules.values():
            if not rule.run_level or not self.view(rule.id).enabled:
                continue
            for i, violation in rule.check_run(summaries, self.resolved.settings(rule)):
                path = tuple(violation.path)
                line, column = violation.position or (summaries[i].id_position if path == ("metadata", "id") else (1, 1))
                self.checker.add(results[i], rule.id, violation.message, Location(path, line, column))


@contextlib.contextmanager
def _fewer_collections():
    """Python's cycle collector, tuned for a run: what exists before it (modules, the policy, the catalog) is set
    aside, and the young generation is collected every 20,000 allocations rather than 700.

    Loading a plan allocates tens of thousands of short-lived objects that reference counting frees at once;
    the default threshold made the collector walk every live object again and again (about a tenth of a
    cold run). Settings are restored afterwards.
    """
    threshold = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(20_000, 50, 1_000)
    try:
        yield
    finally:
        gc.set_threshold(*threshold)
        gc.unfreeze()


def worker_count(jobs: int, files: int) -> int:
    """Worker processes worth starting: at most ``jobs`` (0: one per core), the machine's cores, and the files."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return max(1, min(jobs or cores, cores, files))
