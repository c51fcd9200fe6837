"""Shared test helpers: run the real command line (in this process or in its own), check YAML text through the engine, find shared inputs."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from kpi_policies.engine import Engine
from kpi_policies.load import load_text
from kpi_policies.policy import load_policy

ROOT = Path(__file__).resolve().parents[1]
#: Inputs handed to the project's developers; absent in a user's clone.
SHARED = ROOT.parent / "shared"
AS_OF = dt.date(2027, 4, 10)


def shared(*parts: str) -> Path:
    """A path under the shared inputs, or skip the test when they are absent."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"shared input {'/'.join(parts)} is not available in this checkout")
    return path


def run_cli(*args: str, cwd: str | Path | None = None, input: str | None = None, env: dict | None = None) -> subprocess.CompletedProcess:
    """Run ``kpi-policies ARGS`` in this process, the path the installed command takes; text output.

    ``cwd`` is the working folder for the run only; ``env`` adds environment
    variables for the run only. What one run caches per process and what
    depends on the environment or on the files is forgotten first, so no run
    sees what an earlier test left behind. :func:`run_process` runs a real process.
    """
    from kpi_policies.cli.entry import execute

    forget_process_state(env)
    here = os.getcwd()
    try:
        if cwd is not None:
            os.chdir(cwd)
        code, out, err = execute(list(args), stdin=input, env=env)
    finally:
        os.chdir(here)
    return subprocess.CompletedProcess(["kpi-policies", *args], code, out, err)


#: ``KPI_POLICIES_NO_FAST_SCHEMA`` as it was when the schema validators were last chosen (a new process chooses again).
_fast_schema_setting: list = [object()]


def forget_process_state(env: dict | None = None) -> None:
    """Clear what a process keeps between runs and a new process would not have: the repository roots
    found for folders, and the schema validators when ``KPI_POLICIES_NO_FAST_SCHEMA`` changed since they were chosen."""
    from kpi_policies import index, schema

    index._root_of.cache_clear()
    setting = (env or {}).get("KPI_POLICIES_NO_FAST_SCHEMA", os.environ.get("KPI_POLICIES_NO_FAST_SCHEMA"))
    if setting != _fast_schema_setting[0]:
        schema.fast_validator_for.cache_clear()
        _fast_schema_setting[0] = setting


def run_process(*args: str, cwd: str | Path | None = None, input: str | None = None, env: dict | None = None) -> subprocess.CompletedProcess:
    """Run ``python -m kpi_policies ARGS`` in a process of its own, as a user would; text output."""
    full_env = dict(os.environ, **(env or {}))
    return subprocess.run([sys.executable, "-m", "kpi_policies", *args], cwd=cwd, capture_output=True,
                          text=True, input=input, timeout=300, env=full_env)


def replace(text: str, changes: dict[str, str], count: int = -1) -> str:
    """``text`` with each ``old: new`` of ``changes`` replaced in turn (at most ``count`` times each).

    A variant of a plan that silently stayed the original would test nothing,
    so a text to replace that is not there fails the test.
    """
    for old, new in changes.items():
        assert old in text, f"the text to replace is not there: {old!r}"
        text = text.replace(old, new, count)
    return text


#: The YAML parsers every loading test runs with: ruamel.yaml's C parser and its pure-Python one.
PARSERS = {"c-parser": {}, "pure-parser": {"KPI_POLICIES_PURE_YAML": "1"}}


def check_json(*args: str, cwd=None) -> tuple[int, dict]:
    """``check --format json ARGS`` -> (exit code, parsed report)."""
    proc = run_cli("check", "--format", "json", *args, cwd=cwd)
    assert "Traceback" not in proc.stderr + proc.stdout
    return proc.returncode, json.loads(proc.stdout)


def check_texts(files: dict[str, str], as_of: dt.date = AS_OF, policy=None, base: str | None = None):
    """Run the engine on in-memory files ``{name: yaml_text}``; returns the RunResult.

    ``base``: the text every plan is compared with as its earlier version (change rules, CH).
    """
    engine = Engine(policy or load_policy(), as_of)
    if base is not None:
        from kpi_policies.history import text_base

        engine.base_lookup = lambda path, model, _base=text_base(base): _base
    docs = {name: load_text(text, name) for name, text in files.items()}
    return engine.run(list(files), documents=docs)


def rule_ids(result) -> list[str]:
    """Rule ids of all findings, in report order."""
    return [f.rule_id for f in result.findings]
