"""Baselines: accept today's findings, report only new ones.

``kpi-policies check --write-baseline FILE`` records the active findings of a
run; ``--baseline FILE`` then waives the findings it records and reports the
rest. An entry is keyed by file (relative to the repository root), plan id,
the id of the goal, objective, KPI or initiative the finding is in, the rule
id and the place inside that object (``target/value``), never by line or list
position, so moving lines or reordering KPIs keeps entries matched, while a
finding on another object, another field or of another rule is new. Each
entry waives at most as many findings as it counted. Entries that match
nothing any more are reported as SU005 (info), so the baseline only shrinks.

File format (JSON)::

    {"tool": "kpi-policies", "version": 1, "entries": [
      {"file": "plans/a.yaml", "plan_id": "a", "object_id": "KPI-X",
       "rule_id": "FE005", "where": "target/value", "count": 1, "message": "..."}]}
"""

from __future__ import annotations

import json
import os
from collections import Counter
from dataclasses import dataclass

from kpi_policies.i18n import _
from kpi_policies.paths import repo_relative, workspace_root
from kpi_policies.result import FileResult, Finding, RunResult, Waiver

VERSION = 1
MAX_BYTES = 64_000_000
MAX_COUNT = 1_000_000_000


def _one_line(value) -> str:
    return " ".join(str(value).split())[:200]


class BaselineError(Exception):
    """The baseline file cannot be read (a configuration error: exit 2)."""


def _where(finding: Finding) -> str:
    """The place of a finding inside its object: its path without the ``kpis/3`` prefix."""
    location = finding.location
    return location.within if finding.object_id else "/".join(str(p) for p in location.path)


def key(finding: Finding, root: str) -> tuple:
    """The identity of a finding in a baseline."""
    return (repo_relative(finding.file, root), finding.plan_id or "", finding.object_id or "", finding.rule_id, _where(finding))


@dataclass
class Baseline:
    """Recorded findings, as counts per key.

    Attributes:
        path: The baseline file.
        counts: key -> number of findings accepted.
        messages: key -> message recorded (for stale-entry reports).
    """

    path: str
    counts: Counter
    messages: dict

    @classmethod
    def read(cls, path: str) -> "Baseline":
        """Read a baseline file.

        Raises:
            BaselineError: when it is missing, not JSON, or not a kpi-policies baseline.
        """
        import stat

        try:
            if not stat.S_ISREG(os.stat(path).st_mode):  # checked before opening: opening a pipe would wait forever
                raise BaselineError(f"cannot read baseline {path}: not a regular file (a device, pipe or folder)")
            with open(path, "rb", buffering=0) as fh:
                info = os.fstat(fh.fileno())
                if not stat.S_ISREG(info.st_mode):
                    raise BaselineError(f"cannot read baseline {path}: not a regular file (a device, pipe or folder)")
                if info.st_size > MAX_BYTES:
                    raise BaselineError(f"cannot read baseline {path}: larger than {MAX_BYTES // 1_000_000} MB")
                raw = fh.read(MAX_BYTES + 1)
            data = json.loads(raw.decode("utf-8"))
        except OSError as exc:
            raise BaselineError(f"cannot read baseline {path}: {exc.strerror or exc}") from None
        except (ValueError, RecursionError) as exc:  # UnicodeDecodeError, JSON errors, numbers of more than 4300 digits
            what = "nested too deeply" if isinstance(exc, RecursionError) else _one_line(exc)
            raise BaselineError(f"{path}: not a kpi-policies baseline (invalid JSON: {what})") from None
        if not isinstance(data, dict) or data.get("tool") != "kpi-policies" or data.get("version") != VERSION:
            raise BaselineError(f"{path}: not a kpi-policies baseline of version {VERSION}; write it with --write-baseline")
        counts: Counter = Counter()
        messages = {}
        try:
            for entry in data["entries"]:
                k = (entry["file"], entry["plan_id"], entry["object_id"], entry["rule_id"], entry["where"])
                if not all(isinstance(part, str) for part in k):
                    raise TypeError("file, plan_id, object_id, rule_id and where must be texts")
                count = entry.get("count", 1)
                if type(count) is not int or not 0 < count <= MAX_COUNT:
                    raise ValueError(f"count must be a whole number from 1 to {MAX_COUNT:,}, found {_one_line(repr(count))[:40]}")
                counts[k] += count
                messages[k] = str(entry.get("message", ""))
        except (KeyError, TypeError, ValueError) as exc:
            raise BaselineError(f"{path}: a baseline entry is malformed ({type(exc).__name__}: {_one_line(exc)})") from None
        return cls(path, counts, messages)

    def apply(self, files: list[FileResult], resolved) -> list[FileResult]:
        """Mark the findings this baseline records as suppressed; report stale entries.

        Returns:
            Extra file results: the baseline file with its SU005 findings, if any.
        """
        import dataclasses

        root = workspace_root()
        left = Counter(self.counts)
        for fr in files:
            kept = []
            for f in fr.findings:
                k = key(f, root)
                if f.active and not f.rule_id.startswith("SU") and left[k] > 0:
                    left[k] -= 1
                    f = dataclasses.replace(f, suppression=Waiver(
                        "baseline", (f.rule_id,), f"accepted in baseline {self.path}", None, self.path, 1))
                kept.append(f)
            fr.findings = kept
        checked = {repo_relative(fr.path, root) for fr in files}
        stale = [k for k, n in left.items() if n > 0 and k[0] in checked]
        if not stale:
            return []
        result = FileResult(path=self.path, kind="Baseline")
        view = resolved.view("SU005", self.path)
        if view.enabled:
            for k in sorted(stale):
                what = (_("{rule} on {where} at {at}") if k[4] else _("{rule} on {where}")).format(
                    rule=k[3], where=k[2] or k[1] or k[0], at=k[4])
                result.findings.append(Finding(
                    rule_id="SU005", severity=view.severity, file=self.path, line=1, column=1, plan_id=k[1] or None,
                    message=_("baseline entry {entry} in {file} matches no finding any more; write the baseline again").format(
                        entry=what, file=k[0]),
                    rule_name="baseline.stale-entry", enforcement=view.enforcement))
        return [result] if result.findings else []


def write(result: RunResult, path: str, previous: "Baseline | None" = None) -> int:
    """Write a baseline of ``result`` (atomically); returns the number of findings recorded.

    It records the active findings and those an earlier baseline still
    matched (so ``--baseline F --write-baseline F`` updates ``F``: matched
    entries stay, entries that match nothing any more go, new findings are
    added). With ``previous``, its entries for files this run did not check
    are kept as they were.

    Raises:
        OutputError: when the file cannot be written.
    """
    root = workspace_root()
    counts: Counter = Counter()
    messages = {}
    for f in result.findings:
        if f.rule_id.startswith("SU") or not (f.active or (f.suppression is not None and f.suppression.kind == "baseline")):
            continue
        k = key(f, root)
        counts[k] += 1
        messages.setdefault(k, f.message)
    if previous is not None:
        checked = {repo_relative(fr.path, root) for fr in result.files}
        for k, n in previous.counts.items():
            if k[0] not in checked:
                counts[k] += n
                messages.setdefault(k, previous.messages.get(k, ""))
    entries = [{"file": k[0], "plan_id": k[1], "object_id": k[2], "rule_id": k[3], "where": k[4], "count": n,
                "message": messages[k]} for k, n in sorted(counts.items())]
    from kpi_policies.outputs import write_atomic

    text = json.dumps({"tool": "kpi-policies", "version": VERSION, "entries": entries}, ensure_ascii=False, indent=2)
    write_atomic(path, text + "\n")
    return sum(counts.values())
