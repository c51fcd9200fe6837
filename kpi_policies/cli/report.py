"""``kpi-policies report``: write the audit report of a run."""

from __future__ import annotations

import click

from kpi_policies.cli.common import IsoDate, emit, guard_outputs, prepare_run


@click.command(name="report")
@click.argument("paths", nargs=-1, type=click.Path())
@click.option("--format", "fmt", type=click.Choice(["html", "json", "markdown"]), default=None,
              help="html: one self-contained page with pictures; json: the same as data "
                   "(schemas/audit-report.schema.json); markdown: a short version for a wiki or pull request. "
                   "Default: from the --output file's extension (.json, .md), else html.")
@click.option("--output", "-o", type=click.Path(dir_okay=False), default=None,
              help="Write the report to this file (default or '-': standard output).")
@click.option("--as-of", type=IsoDate(), default=None,
              help="Judge time-dependent rules and waiver expiries as of this day. Default: today.")
@click.option("--policy", "policy_path", default=None,
              help="A policy pack (kind: Policy) or built-in pack name (recommended, strict, vietnam). "
                   "Default: the project configuration's, else recommended.")
@click.option("--baseline", "baseline_path", type=click.Path(dir_okay=False), default=None,
              help="Count the findings recorded in this baseline file as waived (default: the configured baseline).")
@click.option("--reproducible", is_flag=True,
              help="Leave the generation time out, so the same inputs give a byte-identical report.")
@click.option("--base", "base_ref", default=None,
              help="Also judge the change rules (CH) against this git revision; the evidence names it.")
def report_command(paths, fmt, output, as_of, policy_path, baseline_path, reproducible, base_ref) -> None:
    """Write an audit report: evidence, rule outcomes, findings, waivers and KPI progress.

    PATHS are files or folders as for `check` (default: the project
    configuration's paths, else the repository's plans/ folder). The report
    names the kpi-policies version, the policy and its digest, the as-of date,
    each file's sha256 and last commit; every rule's outcome on every plan;
    each finding with the lines around it; every waiver with who wrote it and
    when it expires; the goal tree and the progress of every KPI.

    Exit 0 when the report is written (whatever it found), 2 on a usage or
    configuration error.

    \b
    Examples:
      kpi-policies report plans/ --format html --output report.html
      kpi-policies report --format json --reproducible --output audit.json
    """
    from kpi_policies.audit import render
    from kpi_policies.audit.collect import build_report
    from kpi_policies.cli.common import absolute

    fmt = fmt or format_of(output)
    shown, output = output, absolute(output)
    run = prepare_run(paths, as_of, policy_path, baseline_path)
    guard_outputs([("--output", output)], run.settings, run.files, run.engine, run.baseline)
    if base_ref:
        from kpi_policies.cli.diff import attach_base

        attach_base(run.engine, base_ref, run.files)
    result = run.engine.run(run.files, baseline=run.baseline, keep=True)
    text = render(build_report(result, run.engine, reproducible=reproducible,
                               baseline=run.baseline.path if run.baseline else None), fmt)
    emit(text, output)
    if output and output != "-":
        click.echo(f"wrote {shown}", err=True)


#: Report format by output file extension, when --format is not given.
EXTENSIONS = {".json": "json", ".md": "markdown", ".markdown": "markdown", ".html": "html", ".htm": "html"}


def format_of(output: str | None) -> str:
    """The report format an output file's extension asks for; html when it asks for none."""
    import os

    return EXTENSIONS.get(os.path.splitext(output or "")[1].lower(), "html")
