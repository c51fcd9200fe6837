"""``kpi-policies metrics [SEARCH]``: list the metric catalog; ``explain METRIC_ID`` shows one metric."""

from __future__ import annotations

import json

import click

from kpi_policies.cli.common import fail


def load_catalog(policy_path: str | None):
    """The built-in catalog plus the metrics of the given (or configured) policy.

    Exits with 2 and a one-line message when the policy cannot be used.
    """
    from pydantic import ValidationError

    from kpi_policies.catalog import Catalog, Metric, builtin_catalog
    from kpi_policies.policy import PolicyError, load_policy
    from kpi_policies.settings import ConfigError, load_settings

    try:
        if policy_path is None:
            policy_path = load_settings().policy
        policy = load_policy(policy_path)
    except (PolicyError, ConfigError) as exc:
        fail(str(exc))
    base = builtin_catalog()
    extra = {}
    for metric_id, data in policy.metrics.items():
        try:
            extra[metric_id] = Metric.model_validate(data)
        except ValidationError as exc:
            fail(f"{policy.where('metrics', metric_id)}: metric {metric_id}: {exc.errors()[0]['msg']}")
    return Catalog(metrics={**base.metrics, **extra}), policy


def _names(metric) -> str:
    return f"{metric.name} / {metric.name_vi}" if metric.name_vi else metric.name


def _extra(metric, key: str):
    """A field other parts of the catalog may add (``aggregation``, ``relations``), when present."""
    value = getattr(metric, key, None)
    return value if value not in (None, [], {}) else None


def metric_line(metric) -> str:
    """Two lines for the listing: id and names; unit, better direction, role, aggregation and tools."""
    facts = [metric.unit, f"{metric.better} is better"]
    if metric.role:
        facts.append(metric.role)
    if _extra(metric, "aggregation"):
        facts.append(f"aggregation: {_extra(metric, 'aggregation')}")
    return f"{metric.id:<28} {_names(metric)}\n{'':<28} {', '.join(facts)}; tools: {', '.join(metric.tools) or 'none'}"


def metric_text(metric, goal_types: dict | None = None) -> str:
    """Everything the catalog knows about one metric, as ``explain`` prints it."""
    from kpi_policies.catalog import ROLES

    lines = [f"{metric.id} (metric): {_names(metric)}", ""]
    lines.append(f"Formula:        {metric.formula}")
    rng = ""
    if metric.range.min is not None or metric.range.max is not None:
        low = "" if metric.range.min is None else f"{metric.range.min:g}"
        high = "" if metric.range.max is None else f"{metric.range.max:g}"
        rng = f" (values {low}..{high})"
    lines.append(f"Unit:           {metric.unit}{rng}" + ("; write an ISO 4217 code such as VND or USD in the KPI" if metric.unit == "currency" else ""))
    lines.append(f"Better:         {metric.better} (a KPI on it has `direction: {'increase' if metric.better == 'higher' else 'decrease'}`)")
    if metric.role:
        lines.append(f"Role:           {metric.role}: {ROLES[metric.role]}")
    if _extra(metric, "aggregation"):
        lines.append(f"Aggregation:    {_extra(metric, 'aggregation')}")
    names = goal_types or {}
    served = [f"{t} ({names[t][0]})" if t in names else t for t in metric.goal_types]
    lines.append(f"Goal types:     {', '.join(served)}")
    lines.append(f"Tools:          {', '.join(metric.tools)}")
    if metric.synonyms:
        lines.append(f"Also called:    {', '.join(metric.synonyms)}")
    lines.append(f"Definition:     {metric.source}")
    if metric.notes:
        lines.append(f"Watch out:      {metric.notes}")
    for change in metric.definition_changes:
        lines.append(f"Changed {change.date}: {change.change}")
    relations = _extra(metric, "relations")
    if relations:
        lines.append(f"Relations:      {relations}")
    return "\n".join(lines) + "\n"


@click.command(name="metrics")
@click.argument("search", required=False)
@click.option("--policy", "policy_path", default=None,
              help="Also list the metrics this policy pack adds (a file or a built-in pack name). Default: the project configuration's.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True, help="Output format.")
def metrics_command(search, policy_path, fmt) -> None:
    """List the metric catalog: id, name in English and Vietnamese, unit, better direction, role and tools.

    SEARCH keeps the metrics whose id, names, other names, formula, tools or
    goal types contain it (accents ignored: `doanh thu`, `chi phi`, `ga4`).
    `kpi-policies explain METRIC_ID` shows one metric in full.

    \b
    Examples:
      kpi-policies metrics
      kpi-policies metrics "tỷ lệ"
      kpi-policies metrics tiktok --format json
    """
    catalog, _ = load_catalog(policy_path)
    found = catalog.search(search) if search else list(catalog.metrics.values())
    if fmt == "json":
        click.echo(json.dumps([m.model_dump(mode="json") for m in found], ensure_ascii=False, indent=2))
        return
    if not found:
        guess = catalog.suggest(search)
        hint = f"; did you mean '{guess}'?" if guess else ""
        click.echo(f"no metric of the catalog matches '{search}'{hint}")
        return
    click.echo("\n".join(metric_line(m) for m in found))
    click.echo(f"\n{len(found)} metric(s). `kpi-policies explain METRIC_ID` shows one in full.")


def explain_metric(metric_id: str, policy_path: str | None) -> bool:
    """Print one metric for ``explain``; ``False`` when ``metric_id`` is not a metric of the catalog."""
    catalog, policy = load_catalog(policy_path)
    metric = catalog.get(metric_id) or catalog.get(metric_id.lower())
    if metric is None:
        guess = catalog.suggest(metric_id)
        if guess:
            fail(f"'{metric_id}' is neither a rule nor a metric id; did you mean the metric '{guess}'? (`kpi-policies explain {guess}`)")
        return False
    click.echo(metric_text(metric, policy.known_goal_types()), nl=False)
    return True
