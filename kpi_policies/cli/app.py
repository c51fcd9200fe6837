"""The ``kpi-policies`` command line.

Exit codes (as SQLFluff and Ruff): 0 no error finding, 1 at least one error
finding, 2 usage or configuration error (unknown option, missing path, broken
policy), always with a one-line message and never a traceback.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sys

import click

from kpi_policies import __version__
from kpi_policies.i18n import _, language

from kpi_policies.cli.common import EXIT_FINDINGS, EXIT_OK, EXIT_USAGE, FAIL_ON, IsoDate, emit as _emit, fail as _fail, guard_outputs, pair_outputs, prepare_run, choose_language, translate_help


class LazyGroup(click.Group):
    """The command group: the commands that live in modules of their own are imported only when run or listed,
    so a plain ``check`` (as pre-commit runs it) does not pay for ``report``, ``diff`` or ``init``."""

    #: Command name -> ``module:attribute`` of the click command.
    LAZY = {
        "report": "kpi_policies.cli.report:report_command",
        "diff": "kpi_policies.cli.diff:diff_command",
        "merge": "kpi_policies.cli.merge:merge_command",
        "metrics": "kpi_policies.cli.metrics:metrics_command",
        "init": "kpi_policies.cli.init:init_command",
    }

    def list_commands(self, ctx):
        return sorted(set(super().list_commands(ctx)) | set(self.LAZY))

    def get_command(self, ctx, name):
        if name in self.LAZY and name not in self.commands:
            import importlib

            module, attribute = self.LAZY[name].split(":")
            self.add_command(getattr(importlib.import_module(module), attribute), name)
            translate_help(self.commands[name])  # its help in the run's language, as for the commands loaded before --lang
        return super().get_command(ctx, name)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", "-V", prog_name="kpi-policies")
@click.option("--lang", type=click.Choice(["en", "vi"]), default=None, expose_value=False, is_eager=True, callback=choose_language,
              help="Language of messages and reports: en (English) or vi (tiếng Việt). Default: the project configuration's lang, else the locale (LANG), else en.")
def cli() -> None:
    """Validate KPI plans kept as YAML: schema plus goal-linkage, feasibility,
    measurement, review-cadence and KPI-fit rules, with the exact line and
    column of every finding."""


@cli.command()
@click.argument("paths", nargs=-1, type=click.Path(readable=False))
@click.option("--as-of", type=IsoDate(), default=None, help="Judge time-dependent rules (overdue reviews, expiring suppressions) as of this day. Default: today.")
@click.option("--policy", "policy_path", default=None, help="A policy pack (kind: Policy) or built-in pack name (recommended, strict, vietnam). Default: the project configuration's, else recommended.")
@click.option("--format", "formats", multiple=True, type=click.Choice(["text", "json", "github", "sarif", "junit", "markdown"]),
              help="Report format (default: text). Repeat with --output to write several reports in one run.")
@click.option("--output", "-o", "outputs", multiple=True, type=click.Path(dir_okay=False),
              help="File for the report of the --format in the same position ('-': standard output); a format without one goes to standard output.")
@click.option("--fail-on", type=click.Choice(list(FAIL_ON)), default="error", show_default=True,
              help="Lowest severity that makes the exit code 1; 'never' always exits 0 after a completed check.")
@click.option("--ignore-suppressions", is_flag=True, help="Report what the run would show without inline, policy and baseline suppressions.")
@click.option("--baseline", "baseline_path", type=click.Path(dir_okay=False), default=None, help="Report only findings not recorded in this baseline file.")
@click.option("--write-baseline", "write_baseline", type=click.Path(dir_okay=False), default=None, help="Record this run's findings in a baseline file, then exit 0. With --baseline (even the same file) "
                   "the findings it still matches stay recorded, so `--baseline F --write-baseline F` updates F.")
@click.option("--jobs", "-j", type=click.IntRange(min=0), default=1, show_default=True, help="Worker processes for many files (0: one per CPU).")
@click.option("--no-cache", is_flag=True, help="Do not read or write the result cache (.kpi-policies-cache/ at the repository root).")
@click.option("--base", "base_ref", default=None, help="Compare each plan with its version at this git revision (change rules CH; e.g. origin/main, HEAD).")
@click.option("--shard", default=None, metavar="I/N", help="Check only shard I of N (a fixed share of the files, by path), "
              "for a CI job matrix; cross-file rules still see every file. Merge the shards' JSON with `kpi-policies merge`.")
def check(paths, as_of, policy_path, formats, outputs, fail_on, ignore_suppressions, baseline_path, write_baseline, jobs, no_cache, base_ref, shard) -> None:
    """Check KPI plans and strategies.

    PATHS are files or folders (folders are searched for *.yaml and *.yml);
    with none, the project configuration's paths, else the repository's
    plans/ folder. Exit 0 when no active, enforced finding reaches --fail-on
    (default: error), 1 when one does, 2 on a usage or configuration error.

    \b
    Examples:
      kpi-policies check plans/ --as-of 2027-04-10
      kpi-policies check --format sarif --output results.sarif --format github
      kpi-policies check --write-baseline .kpi-baseline.json
      kpi-policies check --baseline .kpi-baseline.json --write-baseline .kpi-baseline.json
    """
    from kpi_policies.baseline import write
    from kpi_policies.outputs import OutputError
    from kpi_policies.report import render
    from kpi_policies.result import Severity

    from kpi_policies.cli.common import absolute

    pairs = [(fmt, absolute(out)) for fmt, out in pair_outputs(formats, outputs)]
    shown_baseline, write_baseline = write_baseline, absolute(write_baseline)
    run = prepare_run(paths, as_of, policy_path, baseline_path, ignore_suppressions, use_baseline=not write_baseline)
    engine, files, baseline = run.engine, run.files, run.baseline
    if base_ref:  # change rules compare with git: one process, no cache
        from kpi_policies.cli.diff import attach_base, removed_plans

        attach_base(engine, base_ref, files)
        jobs, no_cache = 1, True
    # outputs never overwrite an input; the baseline read may be updated in place by --write-baseline (see its help)
    guard_outputs([("--output", out) for _, out in pairs if out not in (None, "-")], run.settings, files, engine, baseline)
    guard_outputs([("--write-baseline", write_baseline)] + [("--output", out) for _, out in pairs if out not in (None, "-")],
                  run.settings, files, engine)
    cache = None
    if not no_cache:
        from kpi_policies.cache import Cache

        cache = Cache(run.settings.root, f"{engine.policy.digest}\x1f{engine.as_of}\x1f{ignore_suppressions}")
    shard_info = None
    if shard:
        from kpi_policies import shard as sharding

        try:
            index, count = sharding.parse(shard)
        except sharding.ShardError as exc:
            raise click.UsageError(str(exc)) from None
        if write_baseline:
            raise click.UsageError("--write-baseline records a whole run; it cannot be used with --shard")
        result, shard_info = sharding.run(engine, files, index, count, baseline=baseline,
                                          jobs=jobs, cache=cache)
    else:
        result = engine.run(files, baseline=baseline, jobs=jobs, cache=cache)
    if base_ref:  # plans in force deleted since the base (CH005)
        result.files += removed_plans(engine, run.targets or [], result)
    for fmt, output in pairs:
        _emit(render(fmt, result, **({"shard": shard_info} if fmt == "json" and shard_info else {})), output)
    if write_baseline:
        try:
            count = write(result, write_baseline, previous=baseline)
        except OutputError as exc:
            _fail(str(exc))
        click.echo(f"kpi-policies: recorded {count} finding(s) in {shown_baseline}", err=True)
        sys.exit(EXIT_OK)
    threshold = FAIL_ON[fail_on]
    failing = threshold is not None and any(f.severity.rank >= threshold for f in result.blocking(Severity.INFO))
    sys.exit(EXIT_FINDINGS if failing else EXIT_OK)


@cli.group(name="cache")
def cache_group() -> None:
    """The result cache (.kpi-policies-cache/ at the repository root)."""


@cache_group.command(name="clean")
def cache_clean() -> None:
    """Delete the result cache of this repository."""
    from kpi_policies.cache import cache_dir, clean
    from kpi_policies.settings import ConfigError, load_settings

    try:
        root = load_settings().root
    except ConfigError as exc:
        _fail(str(exc))
    count = clean(root)
    click.echo(f"removed {count} cache file(s) from {cache_dir(root)}")


@cli.command(name="config")
@click.option("--show", is_flag=True, help="Print the effective settings and where each came from.")
@click.option("--policy", "policy_path", default=None, help="A policy pack to show instead of the configured one.")
def config_command(show, policy_path) -> None:
    """Show the project configuration (kpi-policies.yaml or [tool.kpi-policies] in pyproject.toml) and the effective policy."""
    from kpi_policies.engine import Engine
    from kpi_policies.policy import PolicyError, load_policy
    from kpi_policies.settings import ConfigError, load_settings

    try:
        settings = load_settings()
        policy = load_policy(policy_path or settings.policy)
        engine = Engine(policy, dt.date.today())
    except (ConfigError, PolicyError) as exc:
        _fail(str(exc))
    if policy_path:
        settings.sources["policy"] = "--policy"
    lines = [
        f"configuration file: {settings.config_file or '(none)'}",
        f"repository root:    {settings.root}",
        f"policy:   {policy_path or settings.policy or 'recommended'}    <- {settings.sources['policy']}",
        f"paths:    {' '.join(settings.paths) if settings.paths else 'plans/ of the repository'}    <- {settings.sources['paths']}",
        f"exclude:  {' '.join(settings.exclude) or '(nothing)'}    <- {settings.sources['exclude']}",
        f"baseline: {settings.baseline or '(none)'}    <- {settings.sources['baseline']}",
        f"lang:     {language()}    <- {click.get_current_context().find_root().meta.get('kpi_policies.lang_source', 'default')}",
        f"policy packs (applied in this order): {', '.join(policy.sources)}",
        f"policy digest: sha256:{policy.digest}",
        f"plugins: {', '.join(policy.plugins) or '(none)'}",
        f"approved tools: {', '.join(policy.tools)}",
        "rules (id, enabled, severity, enforcement, parameters, set in):",
    ]
    for rule_id, rule in engine.rules.items():
        view = engine.view(rule_id)
        params = engine.resolved.params(rule, view.params).model_dump()
        origin = policy.where("rules", rule_id) if ("rules", rule_id) in policy.origins else "default"
        lines.append(f"  {rule_id:<6} {'on ' if view.enabled else 'off'} {view.severity.value:<7} {view.enforcement:<7} "
                     f"{params or ''}    <- {origin}")
    for i, layer in enumerate(policy.overrides):
        lines.append(f"override {i + 1} for {', '.join(layer.files)}: select {layer.select or '-'}, ignore {layer.ignore or '-'}, "
                     f"rules {', '.join(f'{k} {v.model_dump(exclude_none=True, exclude_defaults=True)}' for k, v in layer.rules.items()) or '-'}"
                     f"    <- {layer.origin[0]}")
    for s in policy.suppressions:
        lines.append(f"suppression {','.join(s.rules)} for {s.plan}{'/' + s.kpi if s.kpi else ''}{s.pointer or ''}: "
                     f"{s.reason!r} until {s.until or 'no expiry'}    <- {s.file}:{s.line}")
    click.echo("\n".join(lines))


def _plugins(policy_path: str | None) -> tuple[str, ...]:
    """The plugins the given or configured policy loads."""
    from kpi_policies.policy import PolicyError, load_policy
    from kpi_policies.settings import ConfigError, load_settings

    try:
        return tuple(load_policy(policy_path or load_settings().policy).plugins)
    except (ConfigError, PolicyError) as exc:
        _fail(str(exc))


@cli.command(name="rules")
@click.option("--format", "fmt", type=click.Choice(["text", "json", "markdown"]), default="text", show_default=True,
              help="markdown: the full documentation of every rule (docs/rules.md).")
@click.option("--policy", "policy_path", default=None, help="Also list the rules of the plugins this policy loads.")
def rules_command(fmt, policy_path) -> None:
    """List every rule (built-in and of the plugins the policy loads): id, default severity, name and summary."""
    from kpi_policies.rules.registry import FAMILIES, PluginError, all_rules

    try:
        rules = all_rules(_plugins(policy_path))
    except PluginError as exc:
        _fail(exc.args[0])
    if fmt == "markdown":
        from kpi_policies.docs import rules_markdown

        click.echo(rules_markdown(rules), nl=False)
        return
    if fmt == "json":
        click.echo(json.dumps([
            {"id": r.id, "name": r.name, "severity": r.severity.value, "family": r.family(), "summary": r.summary()}
            for r in rules], indent=2))
        return
    family = None
    for rule in rules:
        if rule.family() != family:
            family = rule.family()
            title = FAMILIES.get(family, (None, f"Plugin rules ({rule.__module__.split('.')[0]})"))[1]
            click.echo(f"{'' if rule is rules[0] else chr(10)}{family}: {_(title)}")
        click.echo(f"  {rule.id:<6} {rule.severity.value:<7}  {rule.name:<38}  {_(rule.summary())}")


@cli.command()
@click.argument("rule_id", required=False)
@click.option("--reference", is_flag=True, help="Print the reference plan that rule examples are written against.")
@click.option("--policy", "policy_path", default=None, help="Also explain the rules of the plugins this policy loads.")
def explain(rule_id, reference, policy_path) -> None:
    """Print the documentation of RULE_ID: why it matters, parameters, an example that fails and one that passes.

    Given a metric id of the catalog instead (e.g. `cost_per_lead`), print the metric's definition.
    """
    from kpi_policies.docs import explain_text
    from kpi_policies.rules.registry import UnknownRuleError, get_rule

    if reference:
        from kpi_policies.rules.examples import reference_text

        click.echo(reference_text(), nl=False)
        return
    if not rule_id:
        _fail("name a rule id (e.g. `kpi-policies explain GL001`) or pass --reference")
    from kpi_policies.rules.registry import PluginError

    try:
        rule = get_rule(rule_id, _plugins(policy_path))
    except (UnknownRuleError, PluginError) as exc:
        from kpi_policies.cli.metrics import explain_metric

        explain_metric(rule_id, policy_path) or _fail(exc.args[0])
        return
    click.echo(explain_text(rule))


@cli.group(name="import")
def import_group() -> None:
    """Convert KPI files of other formats into kpi-policies plans."""


@import_group.command(name="gitlab-pi")
@click.argument("source", type=click.Path(dir_okay=False))
@click.option("-o", "--output", type=click.Path(dir_okay=False), default=None, help="Write the plan here (default: standard output).")
@click.option("--id", "plan_id", default=None, help="metadata.id of the plan (default: gitlab-<file name>).")
def import_gitlab(source, output, plan_id) -> None:
    """Convert a GitLab performance-indicator file (data/performance_indicators/*.yml) into a KpiPlan.

    What the source says is kept (names, definitions, free-text targets, health,
    owners, dashboards); nothing is invented, so checking the result shows the
    source's real gaps.
    """
    from kpi_policies.importers.gitlab_pi import ImportError_, convert_file

    guard_outputs([("--output", output)], inputs=[source])
    try:
        text = convert_file(source, plan_id=plan_id)
    except ImportError_ as exc:
        _fail(str(exc))
    _emit(text, output)
    if output and output != "-":
        click.echo(f"wrote {output}", err=True)
