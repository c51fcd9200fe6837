"""``kpi-policies merge``: the shards of a split check (``check --shard I/N``) as one report and one exit code.

Each shard writes its JSON report (``--format json``); merge reads them all,
checks that every shard 1..N is there exactly once and that they judged the
same day with the same rules, and rebuilds the one run's result: the same
files in the same order, the same findings, counts and exit code as one
unsharded ``check`` (see :mod:`kpi_policies.shard` for how cross-file rules
stay whole). Any ``check`` format can be written from it.
"""

from __future__ import annotations

import json
import os
import sys

import click

from kpi_policies.cli.common import EXIT_FINDINGS, EXIT_OK, FAIL_ON, absolute, emit, fail, pair_outputs
from kpi_policies.result import FileResult, Finding, RuleInfo, RunResult, Severity, Waiver, Location


def finding_of(data: dict) -> Finding:
    """A :class:`Finding` from its JSON report form."""
    return Finding(rule_id=data["rule_id"], severity=Severity(data["severity"]), message=data["message"],
                   file=data["file"], line=data["line"], column=data["column"], plan_id=data.get("plan_id"),
                   pointer=data.get("pointer", ""), rule_name=data.get("rule_name", ""), object_id=data.get("object_id"),
                   enforcement=data.get("enforcement", "enforce"), suppression=Waiver.from_dict(data["suppression"]) if data.get("suppression") else None,
                   path=Location.path_of(data.get("pointer", "")))


def _read(path: str) -> dict:
    try:
        with open(path, encoding="utf-8") as fh:
            doc = json.load(fh)
    except OSError as exc:
        fail(f"cannot read {path}: {exc.strerror or exc}")
    except ValueError as exc:
        fail(f"{path} is not a kpi-policies JSON report ({exc})")
    if not isinstance(doc, dict) or not isinstance(doc.get("shard"), dict) or "findings" not in doc:
        fail(f"{path} is not the JSON report of a shard; write each shard with "
             f"`kpi-policies check --shard I/N --format json --output FILE`")
    return doc


def merge(docs: list[tuple[str, dict]]) -> RunResult:
    """The one run's result from its shards' JSON reports (``(path, report)`` pairs).

    Raises:
        click.UsageError: when shards are missing, repeated or from different runs.
    """
    count = docs[0][1]["shard"]["count"]
    seen: dict[int, str] = {}
    for path, doc in docs:
        shard = doc["shard"]
        for key in ("count", "total_files"):
            if shard[key] != docs[0][1]["shard"][key]:
                raise click.UsageError(f"{path} is from a different split ({key} {shard[key]}, "
                                       f"not {docs[0][1]['shard'][key]} as in {docs[0][0]})")
        for key in ("as_of", "rules_run", "tool"):
            if doc[key] != docs[0][1][key]:
                raise click.UsageError(f"{path} was checked with a different {key.replace('_', ' ')} than {docs[0][0]}")
        if shard["index"] in seen:
            raise click.UsageError(f"shard {shard['index']}/{count} is given twice: {seen[shard['index']]} and {path}")
        seen[shard["index"]] = path
    missing = [str(i) for i in range(1, count + 1) if i not in seen]
    if missing:
        raise click.UsageError(f"shard(s) {', '.join(missing)} of {count} are missing: a merge of part of a run "
                               f"would hide their findings")
    files: dict[str, tuple] = {}  # path -> (position, FileResult)
    rules: dict[str, RuleInfo] = {}
    for _, doc in sorted(docs, key=lambda d: d[1]["shard"]["index"]):
        by_file: dict[str, list[Finding]] = {}
        for data in doc["findings"]:
            by_file.setdefault(data["file"], []).append(finding_of(data))
        for entry, extra in zip(doc["files"], doc["shard"]["files"]):
            path = entry["file"]
            if path not in files:
                files[path] = (extra["position"], FileResult(path=path, kind=entry["kind"], doc_id=entry["plan_id"],
                                                             rules_evaluated=list(extra["rules_evaluated"])))
            fr = files[path][1]
            for f in by_file.get(path, []):
                if extra["position"] is None and f in fr.findings:
                    continue  # a policy or baseline waiver reported by two shards
                fr.findings.append(f)
        for rule_id, data in doc["shard"]["rules"].items():
            rules.setdefault(rule_id, RuleInfo.from_dict(data))
    kinds = {"Policy": 0, "Baseline": 1}
    ordered = sorted(files.values(), key=lambda pf: (0, pf[0], "", "") if pf[0] is not None
                     else (1, kinds.get(pf[1].kind, 2), pf[1].path, ""))
    for _, fr in ordered:
        fr.findings.sort(key=Finding.sort_key)
    first = docs[0][1]
    return RunResult(files=[fr for _, fr in ordered], as_of=first["as_of"], rules_run=list(first["rules_run"]), rules=rules)


@click.command(name="merge")
@click.argument("reports", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option("--format", "formats", multiple=True, type=click.Choice(["text", "json", "github", "sarif", "junit", "markdown"]),
              help="Report format (default: text). Repeat with --output to write several reports.")
@click.option("--output", "-o", "outputs", multiple=True, type=click.Path(dir_okay=False),
              help="File for the report of the --format in the same position ('-': standard output).")
@click.option("--fail-on", type=click.Choice(["error", "warning", "info", "never"]), default="error", show_default=True,
              help="Lowest severity that makes the exit code 1, as for check.")
def merge_command(reports, formats, outputs, fail_on) -> None:
    """Merge the JSON reports of every shard of a split check into one report and one exit code.

    REPORTS are the files written by `kpi-policies check --shard I/N --format
    json --output FILE` for I = 1..N. The reports and the exit code are those
    one unsharded check would give; a missing or repeated shard is an error
    (exit 2), never a silent gap.

    \b
    Example:
      kpi-policies check --shard 1/2 --format json --output shard-1.json
      kpi-policies check --shard 2/2 --format json --output shard-2.json
      kpi-policies merge shard-*.json --format sarif --output results.sarif --format text
    """
    from kpi_policies.paths import workspace_root
    from kpi_policies.report import render

    pairs = [(fmt, absolute(out)) for fmt, out in pair_outputs(formats, outputs)]
    docs = [(path, _read(path)) for path in reports]
    result = merge(docs)
    os.chdir(workspace_root())  # report paths are relative to the repository root, as in check
    for fmt, output in pairs:
        emit(render(fmt, result), output)
    threshold = FAIL_ON[fail_on]
    failing = threshold is not None and any(f.severity.rank >= threshold for f in result.blocking(Severity.INFO))
    sys.exit(EXIT_FINDINGS if failing else EXIT_OK)
