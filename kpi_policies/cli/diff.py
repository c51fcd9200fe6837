"""``kpi-policies diff``: what changed in each plan since a base version, and how much it matters.

Also :func:`attach_base`, which gives ``check --base REF`` its base versions.
"""

from __future__ import annotations

import json
import os

import click

from kpi_policies import changes as ch
from kpi_policies.i18n import _
from kpi_policies.cli.common import EXIT_FINDINGS, EXIT_OK, IsoDate, emit, fail

SCHEMA_ID = "urn:kpi-policies:v1:Diff"


def attach_base(engine, ref: str, files: list[str], staged: bool = False) -> None:
    """Make ``engine`` compare each plan with its version at ``ref`` (``check --base``); exit 2 on a git problem.

    In a repository without any commit yet, ``HEAD`` has no earlier version:
    nothing is compared (every plan is new) and a note says so.
    """
    from kpi_policies.history import BaseVersions, GitError, has_commits, repository_root

    try:
        root = repository_root(files[0] if files else ".")
        try:
            versions = BaseVersions(root, ref, staged=staged)
        except GitError:
            if ref == "HEAD" and not has_commits(root):
                click.echo("kpi-policies: no commit yet, so every plan is new; nothing to compare with", err=True)
                return
            raise
    except GitError as exc:
        fail(str(exc))

    def lookup(path, model, _versions=versions):
        try:
            return _versions.lookup(path, model)
        except GitError as exc:  # never pass a plan unjudged because git failed on it
            fail(f"{path}: {exc}")

    engine.base_lookup = lookup
    engine.base_label = versions.describe()
    engine.base_versions = versions


def removed_plans(engine, paths, result) -> list:
    """``check --base`` with folders: a finding (CH005) for each plan in force at the base that is gone now.

    Reported where the file was, on line 1; policy suppressions naming the plan waive it.
    """
    from kpi_policies.engine.waivers import apply_policy
    from kpi_policies.result import FileResult, Location

    from kpi_policies.discover import default_paths
    from kpi_policies.settings import load_settings

    versions = getattr(engine, "base_versions", None)
    if versions is None:
        return []
    targets = list(paths) or load_settings().paths or default_paths()
    folders = [versions.relative(p) for p in targets if os.path.isdir(p)]
    if not folders or not engine.view("CH005").enabled:
        return []
    present = {fr.doc_id for fr in result.files if fr.doc_id}
    out = []
    for doc_id, old in sorted(versions.all(folders).items()):
        period = getattr(old.model.metadata, "period", None)
        if doc_id in present or old.kind != "KpiPlan" or period is None or not period.contains(engine.as_of):
            continue
        path = os.path.relpath(os.path.join(versions.root, old.path))
        removed = FileResult(path=path, kind="KpiPlan", doc_id=doc_id)
        engine.checker.add(removed, "CH005", _("plan {plan} ({start} to {end}) is in force but was deleted since {base}; restore it, "
                                               "or waive this with a policy suppression for plan {plan} giving the reason and who "
                                               "approved the deletion").format(plan=doc_id, start=period.start, end=period.end,
                                                                               base=versions.describe()), Location())
        removed.rules_evaluated.append("CH005")
        out.append(removed)
    return out + apply_policy(engine.checker, out, engine.ignore_suppressions)


# --- computing the diff ------------------------------------------------------
def _diff_pair(old, new, file, base_file, today) -> ch.DocumentDiff:
    doc_id = new.doc_id or old.doc_id
    found = ch.locate(ch.compare(old.model, new.model, doc_id, today), new.document)
    return ch.DocumentDiff(doc_id, new.kind, file, base_file, "changed" if found else "unchanged", found)


def _new_only(version, file, status) -> ch.DocumentDiff:
    return ch.DocumentDiff(version.doc_id, version.kind, file, None, status, [])


def diff_files(old_path: str, new_path: str, today) -> tuple[str, list[ch.DocumentDiff]]:
    """Two files compared directly."""
    from kpi_policies.history import parse
    from kpi_policies.load import read_bytes

    versions = []
    for path in (old_path, new_path):
        raw, problem = read_bytes(path)
        if raw is None:
            fail(f"cannot read {path}: {problem or 'not a readable file'}")
        version = parse(raw.decode("utf-8", "replace"), path)
        if version.model is None:
            fail(f"{path} is not a readable KPI plan or strategy; `kpi-policies check {path}` says why")
        versions.append(version)
    old, new = versions
    if old.kind != new.kind:
        fail(f"{old_path} is a {old.kind} and {new_path} a {new.kind}; compare two versions of the same document")
    return old_path, [_diff_pair(old, new, new_path, old_path, today)]


def diff_repository(targets: list[str], ref: str | None, today) -> tuple[str, list[ch.DocumentDiff]]:
    """Every plan and strategy under ``targets`` compared with its version at ``ref`` (matched by id)."""
    from kpi_policies.discover import DiscoveryError, default_paths, discover
    from kpi_policies.history import BaseVersions, GitError, default_base, parse, repository_root
    from kpi_policies.load import read_bytes
    from kpi_policies.settings import ConfigError, load_settings

    try:
        settings = load_settings()
        targets = targets or settings.paths or default_paths()
        files = discover(targets, exclude=settings.exclude, root=settings.root)
        root = repository_root(targets[0])
        versions = BaseVersions(root, ref or default_base(root))
    except (DiscoveryError, ConfigError, GitError) as exc:
        fail(str(exc))
    out: list[ch.DocumentDiff] = []
    seen: set[str] = set()
    for path in files:
        raw, _ = read_bytes(path)
        if raw is None:
            continue
        new = parse(raw.decode("utf-8", "replace"), path)
        if new.model is None:
            continue  # `check` reports what is wrong with it
        if new.doc_id:
            seen.add(new.doc_id)
        old = versions.find(path, new.doc_id)
        if old is None or old.model is None or old.kind != new.kind:
            out.append(_new_only(new, path, "added"))
        else:
            out.append(_diff_pair(old, new, path, old.path, today))
    scope = [versions.relative(t).rstrip("/") for t in targets]
    for doc_id, old in sorted(versions.all(scope).items()):
        if doc_id not in seen and old.kind in ("KpiPlan", "Strategy"):
            removed = ch.Change(ch.BREAKING, f"{old.kind.lower()}-removed", doc_id, None, (),
                                f"{'plan' if old.kind == 'KpiPlan' else 'strategy'} {doc_id} (was {old.path}) was removed",
                                doc_id, None, getattr(old.model.metadata, "owner", None), 1, 1)
            out.append(ch.DocumentDiff(doc_id, old.kind, None, old.path, "removed", [removed]))
    return versions.describe(), out


# --- output formats ------------------------------------------------------------
def to_json(base: str, diffs: list[ch.DocumentDiff]) -> dict:
    return {
        "$schema": SCHEMA_ID,
        "base": base,
        "summary": ch.summary(diffs),
        "documents": [{"plan_id": d.doc_id, "kind": d.kind, "file": d.file, "base_file": d.base_file, "status": d.status,
                       "changes": [c.to_json() for c in d.changes]} for d in diffs],
    }


def to_text(base: str, diffs: list[ch.DocumentDiff]) -> str:
    lines = []
    for d in diffs:
        if not d.changes and d.status == "unchanged":
            continue
        where = d.file or d.base_file
        lines.append(f"{where} ({d.doc_id}): {d.status}" + (f", was {d.base_file}" if d.base_file and d.file and d.base_file != d.file else ""))
        for c in d.changes:
            lines.append(f"  {c.line}:{c.column} {c.cls:<9} {c.message}")
    counts = ch.summary(diffs)
    total = sum(counts.values())
    lines.append(f"{len(diffs)} document(s) compared with {base}: {total} change(s), "
                 f"{counts['breaking']} breaking, {counts['dangerous']} dangerous, {counts['safe']} safe")
    return "\n".join(lines) + "\n"


_ICONS = {ch.BREAKING: "🔴 breaking", ch.DANGEROUS: "🟠 dangerous", ch.SAFE: "🟢 safe"}


def _cell(text) -> str:
    """Plan text in a Markdown table cell, escaped as every Markdown report escapes it (a plan's ``@team`` pings nobody)."""
    from kpi_policies.report.markdown import _cell as cell

    return cell(str(text if text is not None else ""))


def to_markdown(base: str, diffs: list[ch.DocumentDiff]) -> str:
    counts = ch.summary(diffs)
    out = [f"### KPI plan changes since {base}", "",
           f"**{counts['breaking']} breaking**, {counts['dangerous']} dangerous, {counts['safe']} safe. "
           "Each breaking change must be recorded in the plan's `revisions:` (reason, and an approver other than the owner); "
           "`kpi-policies check --base` says which are not.", ""]
    for d in diffs:
        if not d.changes:
            continue
        out += [f"#### `{d.doc_id}` ({d.file or d.base_file}, {d.status})", "", "| | Line | Change |", "|---|---|---|"]
        for c in d.changes:
            out.append(f"| {_ICONS[c.cls]} | {c.line} | {_cell(c.message)} |")
        out.append("")
    if not any(d.changes for d in diffs):
        out += ["No plan changed.", ""]
    return "\n".join(out)


def to_sarif(base: str, diffs: list[ch.DocumentDiff]) -> dict:
    from kpi_policies import __version__
    from kpi_policies.paths import uri_of, workspace_root

    root = workspace_root()
    kinds: list[str] = []
    results = []
    for d in diffs:
        for c in d.changes:
            if c.cls == ch.SAFE:
                continue
            if c.kind not in kinds:
                kinds.append(c.kind)
            results.append({
                "ruleId": f"change/{c.kind}", "ruleIndex": kinds.index(c.kind),
                "level": "error" if c.cls == ch.BREAKING else "warning",
                "message": {"text": f"{c.cls} change since {base}: {c.message}"},
                "locations": [{"physicalLocation": {
                    "artifactLocation": {"uri": uri_of(d.file or d.base_file, root), "uriBaseId": "%SRCROOT%"},
                    "region": {"startLine": max(1, c.line or 1), "startColumn": max(1, c.column or 1)}}}],
                "properties": {"class": c.cls, "plan_id": c.doc_id, "object_id": c.object_id},
            })
    rules = [{"id": f"change/{k}", "name": k, "shortDescription": {"text": k.replace("-", " ")}} for k in kinds]
    return {"$schema": "https://json.schemastore.org/sarif-2.1.0.json", "version": "2.1.0", "runs": [{
        "tool": {"driver": {"name": "kpi-policies diff", "version": __version__,
                            "informationUri": "https://github.com/kpi-policies/kpi-policies", "rules": rules}},
        "originalUriBaseIds": {"%SRCROOT%": {"uri": "file://" + os.path.abspath(root).rstrip("/") + "/"}},
        "results": results}]}


FAIL_ON = {"breaking": (ch.BREAKING,), "dangerous": (ch.BREAKING, ch.DANGEROUS), "never": ()}


@click.command(name="diff")
@click.argument("paths", nargs=-1, type=click.Path())
@click.option("--base", "base_ref", default=None,
              help="Git revision to compare with (a branch, HEAD~1, a commit). Default: the merge base with the "
                   "default branch, else HEAD.")
@click.option("--format", "fmt", type=click.Choice(["text", "json", "markdown", "sarif"]), default="text", show_default=True,
              help="json: schemas/diff.schema.json; markdown: for a pull-request comment or the job summary; "
                   "sarif: each breaking or dangerous change at its line.")
@click.option("--output", "-o", type=click.Path(dir_okay=False), default=None, help="Write to this file (default: standard output).")
@click.option("--fail-on", type=click.Choice(list(FAIL_ON)), default="never", show_default=True,
              help="Exit 1 when a change of this class (or worse) is found.")
@click.option("--as-of", type=IsoDate(), default=None,
              help="Day \"mid-period\" is judged on (a target tightened after the plan started). Default: today.")
def diff_command(paths, base_ref, fmt, output, fail_on, as_of) -> None:
    """Show what changed in each plan since a base version, classified breaking, dangerous or safe.

    PATHS are files or folders as for `check` (default: the project
    configuration's paths, else plans/). Each plan and strategy is matched
    with its version at the base by its id, so a renamed file is the same
    plan; goals, objectives, KPIs and initiatives are matched by id, review
    entries by date, so reordering changes nothing. Given exactly two files
    and no --base, compares the first (old) with the second (new).

    \b
    Examples:
      kpi-policies diff --base origin/main
      kpi-policies diff --base HEAD~1 --format markdown plans/
      kpi-policies diff old/marketing-2026.yaml plans/marketing-2026.yaml
    """
    import datetime as dt

    today = as_of or dt.date.today()
    if base_ref is None and len(paths) == 2 and all(os.path.isfile(p) for p in paths):
        base, diffs = diff_files(paths[0], paths[1], today)
    else:
        base, diffs = diff_repository(list(paths), base_ref, today)
    if fmt == "json":
        text = json.dumps(to_json(base, diffs), indent=2, ensure_ascii=False) + "\n"
    elif fmt == "sarif":
        text = json.dumps(to_sarif(base, diffs), indent=2, ensure_ascii=False) + "\n"
    elif fmt == "markdown":
        text = to_markdown(base, diffs)
    else:
        text = to_text(base, diffs)
    emit(text, output)
    failing = any(c.cls in FAIL_ON[fail_on] for d in diffs for c in d.changes)
    raise SystemExit(EXIT_FINDINGS if failing else EXIT_OK)
