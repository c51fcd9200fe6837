"""Helpers the commands share: the date type, one-line usage errors, writing reports, setting up a run."""

from __future__ import annotations

import datetime as dt
import re
import sys

import click

EXIT_OK, EXIT_FINDINGS, EXIT_USAGE = 0, 1, 2


class IsoDate(click.ParamType):
    """A calendar date written ``YYYY-MM-DD``."""

    name = "YYYY-MM-DD"

    def convert(self, value, param, ctx):
        if isinstance(value, dt.date):
            return value
        try:
            if not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", value):
                raise ValueError
            return dt.date.fromisoformat(value)
        except ValueError:
            self.fail(f"{value!r} is not a date in the form YYYY-MM-DD", param, ctx)


def fail(message: str) -> None:
    """Print one line on standard error and exit 2 (a usage or configuration error)."""
    click.echo(f"kpi-policies: {message}", err=True)
    sys.exit(EXIT_USAGE)


def emit(text: str, output: str | None) -> None:
    """Write ``text`` to the file ``output`` atomically (creating its folder), or to standard output when ``None``."""
    from kpi_policies.outputs import OutputError, write_atomic

    if not output:
        click.echo(text, nl=False)
        return
    try:
        write_atomic(output, text)
    except OutputError as exc:
        fail(str(exc))


def guard_outputs(outputs, settings=None, files=(), engine=None, baseline=None, inputs=()) -> None:
    """Exit 2 with one line when an output (``(option, path)`` pairs) is an input of the run or another output.

    The inputs are the files checked, the policy packs, the baseline read, the
    project configuration and any ``inputs`` given.
    """
    from kpi_policies.outputs import OutputError, check_outputs

    read = list(files) + list(inputs)
    if engine is not None:
        read += list(engine.policy.sources)
    if baseline is not None:
        read.append(baseline.path)
    if settings is not None and settings.config_file:
        read.append(settings.config_file)
    try:
        check_outputs(outputs, read)
    except OutputError as exc:
        fail(str(exc))


def prepare_run(paths, as_of, policy_path, baseline_path, ignore_suppressions: bool = False, use_baseline: bool = True):
    """Settings, files, engine and baseline of a run, as ``check`` and ``report`` set them up.

    Command-line values win over the project configuration. Any problem is a
    one-line usage error (exit 2).

    Returns:
        ``(settings, files, engine, baseline or None)``.
    """
    from kpi_policies.baseline import Baseline, BaselineError
    from kpi_policies.discover import DiscoveryError, default_paths, discover
    from kpi_policies.engine import Engine
    from kpi_policies.policy import PolicyError, load_policy
    from kpi_policies.settings import ConfigError, load_settings

    try:
        settings = load_settings()
        targets = list(paths) or settings.paths or default_paths()
        files = discover(targets, exclude=settings.exclude, root=settings.root, confine=not paths)
        engine = Engine(load_policy(policy_path or settings.policy), as_of or dt.date.today(),
                        ignore_suppressions=ignore_suppressions)
        baseline_file = baseline_path or (settings.baseline if use_baseline else None)
        baseline = Baseline.read(baseline_file) if baseline_file and not ignore_suppressions else None
    except (DiscoveryError, PolicyError, ConfigError, BaselineError) as exc:
        fail(str(exc))
    return settings, files, engine, baseline
