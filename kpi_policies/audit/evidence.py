"""Evidence an auditor can verify: sha256 of every file, the policy's sources and digest, git history."""

from __future__ import annotations

import hashlib
import os

from kpi_policies.audit import evidence_git as audit_git
from kpi_policies.result import FileResult


def sha256_of(path: str) -> tuple[str | None, int | None]:
    """``(sha256 hex, size in bytes)`` of the file's bytes, or ``(None, None)`` when it cannot be read."""
    from kpi_policies.load import read_bytes

    raw, _why = read_bytes(path)  # never a device, a pipe or a link out of the repository
    if raw is None:
        return None, None
    return hashlib.sha256(raw).hexdigest(), len(raw)


def _policy_evidence(engine, display) -> dict:
    """Id, digest, source files (with sha256) and the rules turned off of the effective policy."""
    from kpi_policies.resources import data_dir

    policy = engine.policy
    builtin = os.path.realpath(str(data_dir("rules")))
    sources = []
    for path in policy.sources:
        real = os.path.realpath(path)
        is_builtin = os.path.dirname(real) == builtin
        digest, _size = sha256_of(path)
        sources.append({"path": f"built-in:{os.path.basename(real)}" if is_builtin else display(path),
                        "builtin": is_builtin, "sha256": digest,
                        "git": None if is_builtin or digest is None else audit_git.last_change(path)})
    return {"id": policy.id, "digest": f"sha256:{policy.digest}", "sources": sources, "plugins": list(policy.plugins),
            "rules_off": [r for r in engine.rules if not engine.view(r).enabled]}


def _file_evidence(fr: FileResult) -> dict:
    """sha256, size and git history of one file of the run."""
    # files of the run are hashed from the very bytes that were judged; only policy and baseline files are read here
    digest, size = (fr.sha256, fr.size) if fr.kind not in ("Policy", "Baseline") else sha256_of(fr.path)
    return {"path": fr.path, "kind": fr.kind, "id": fr.doc_id, "sha256": digest, "size": size,
            "git": audit_git.last_change(fr.path) if digest else None}


def _baseline_evidence(path: str | None, display) -> dict | None:
    """sha256 and git history of the baseline file a run used, or ``None`` without one."""
    if not path:
        return None
    digest, size = sha256_of(path)
    return {"path": display(path), "sha256": digest, "size": size, "git": audit_git.last_change(path) if digest else None}
