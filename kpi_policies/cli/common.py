"""Helpers the commands share: the date type, one-line usage errors, writing reports, setting up a run."""

from __future__ import annotations

import datetime as dt
import os
import re
import sys
from dataclasses import dataclass
from typing import Any

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
    """Write ``text`` to the file ``output`` (creating its folder), or to standard output when ``None``."""
    if not output:
        click.echo(text, nl=False)
        return
    try:
        os.makedirs(os.path.dirname(output) or ".", exist_ok=True)
        with open(output, "w", encoding="utf-8", errors="backslashreplace", newline="\n") as fh:
            fh.write(text)
    except OSError as exc:
        fail(f"cannot write {output}: {exc.strerror or exc}")


@dataclass
class RunSetup:
    """Everything a run needs, as ``check`` and ``report`` set it up.

    Attributes:
        settings: The project configuration (:class:`kpi_policies.settings.Settings`).
        files: The files to check, discovered from the command line or the configuration.
        engine: The engine, with the policy resolved.
        baseline: The baseline whose entries waive known findings, or ``None``.
    """

    settings: Any
    files: list[str]
    engine: Any
    baseline: Any = None


def prepare_run(paths, as_of, policy_path, baseline_path, ignore_suppressions: bool = False, use_baseline: bool = True) -> RunSetup:
    """Settings, files, engine and baseline of a run, as ``check`` and ``report`` set them up.

    Command-line values win over the project configuration. Any problem is a
    one-line usage error (exit 2).
    """
    from kpi_policies.baseline import Baseline, BaselineError
    from kpi_policies.discover import DiscoveryError, default_paths, discover
    from kpi_policies.engine import Engine
    from kpi_policies.policy import PolicyError, load_policy
    from kpi_policies.settings import ConfigError, load_settings

    try:
        settings = load_settings()
        targets = list(paths) or settings.paths or default_paths()
        files = discover(targets, exclude=settings.exclude, root=settings.root)
        engine = Engine(load_policy(policy_path or settings.policy), as_of or dt.date.today(),
                        ignore_suppressions=ignore_suppressions)
        baseline_file = baseline_path or (settings.baseline if use_baseline else None)
        baseline = Baseline.read(baseline_file) if baseline_file and not ignore_suppressions else None
    except (DiscoveryError, PolicyError, ConfigError, BaselineError) as exc:
        fail(str(exc))
    return RunSetup(settings, files, engine, baseline)
