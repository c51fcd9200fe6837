"""Worker processes for the per-file step, for runs over many files (``--jobs``).

Each worker runs the same :meth:`~kpi_policies.engine.check_file.FileChecker.check`
as a serial run, so the output is the same byte for byte. A worker that dies
(the kernel's out-of-memory killer, a crash in a C extension) loses no file:
the files it had not returned are checked again, each in a process of its own,
and a file that kills its process a second time becomes a finding on that
file while the run goes on.
"""

from __future__ import annotations

import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

from kpi_policies.engine.check_file import Outcome
from kpi_policies.result import FileResult, Location

_WORKER: dict = {}


def _context():
    return multiprocessing.get_context("fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn")


def _init(policy_request, as_of, strategy_paths, cache_args) -> None:
    """Set a worker up: inherited from the parent under ``fork``, rebuilt from the arguments under ``spawn``."""
    if _WORKER:
        return
    from kpi_policies.engine.check_file import FileChecker
    from kpi_policies.engine.resolve_policy import ResolvedPolicy
    from kpi_policies.engine.strategies import index_strategies
    from kpi_policies.policy import load_policy

    checker = FileChecker(ResolvedPolicy(load_policy(policy_request)), as_of)
    index, _ = index_strategies(checker, strategy_paths, {})
    cache = None
    if cache_args is not None:
        from kpi_policies.cache import Cache

        cache = Cache.restore(cache_args)
    _WORKER.update(checker=checker, index=index, cache=cache)


def _chunk(chunk: list[tuple[int, str]]) -> tuple[list[tuple[int, Outcome]], dict]:
    """The outcomes of a chunk of files, and the cache entries they made (written by the main process)."""
    checker, index, cache = _WORKER["checker"], _WORKER["index"], _WORKER["cache"]
    outcomes = [(i, checker.check(path, index, cache=cache)) for i, path in chunk]
    return outcomes, cache.take_new() if cache is not None else {}


def check_in_workers(engine, items: list[tuple[int, str]], strategy_paths: list[str], jobs: int, cache):
    """Check ``items`` (``(position, path)``) in ``jobs`` processes; yields ``(position, Outcome)`` in any order."""
    size = max(1, min(64, len(items) // (jobs * 4) or 1))
    chunks = [items[k:k + size] for k in range(0, len(items), size)]
    initargs = (engine.policy.request, engine.as_of, strategy_paths,
                cache.state() if cache is not None else None)
    context = _context()
    if context.get_start_method() == "fork":  # the workers inherit the parent's engine, index and cache
        _WORKER.update(checker=engine.checker, index=engine.index, cache=cache)
    lost: list[tuple[int, str]] = []
    try:
        with ProcessPoolExecutor(max_workers=jobs, mp_context=context, initializer=_init, initargs=initargs) as pool:
            futures = [(pool.submit(_chunk, chunk), chunk) for chunk in chunks]
            for future, chunk in futures:
                try:
                    outcomes, entries = future.result()
                except BrokenProcessPool:
                    lost.extend(chunk)
                    continue
                if cache is not None:
                    cache.add(entries)
                yield from outcomes
        for i, path in lost:  # once more, each alone: only the file that kills its process is lost
            yield i, _alone(engine, path, context, initargs)
    finally:
        _WORKER.clear()


def _alone(engine, path: str, context, initargs) -> Outcome:
    """Check one file in a process of its own; a finding on the file when that process dies too."""
    if context.get_start_method() == "fork":
        _WORKER.update(checker=engine.checker, index=engine.index, cache=None)
    try:
        with ProcessPoolExecutor(max_workers=1, mp_context=context, initializer=_init, initargs=initargs) as pool:
            return pool.submit(_chunk, [(0, path)]).result()[0][0][1]
    except BrokenProcessPool:
        result = FileResult(path=path)
        engine.checker.add(result, "S001", "the process checking this file died twice (out of memory, or a crash in a "
                                           "library); the file was not checked", Location())
        return Outcome(result, [], engine.checker.outcome_summary(result), cacheable=False)
