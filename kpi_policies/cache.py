"""A content-hash cache of per-file results, so an unchanged repository is checked in a blink.

An entry holds what checking one file produced before the run-level steps
(duplicate ids, policy suppressions, baselines): its findings, the rules
evaluated, its inline waivers and its id. The key is the sha256 of the file's
bytes, its path, the tool version, the effective policy digest, the as-of
date, the ``--ignore-suppressions`` flag and the digest of the strategies the
run knows (so a changed strategy invalidates the plans that may use it).
Results that depended on a strategy found by searching the repository are not
cached. Entries are JSON (a cache can never make kpi-policies run code), kept
in ``.kpi-policies-cache/`` at the repository root, which ignores itself in
git. Each entry is signed (HMAC-SHA256) with a key kept outside the
repository, in the user's cache folder, so entries written elsewhere (a cache
committed to the repository, say) are never trusted. A cache folder that is a
symbolic link is not used. ``--no-cache`` bypasses it; ``kpi-policies cache
clean`` empties it.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
import shutil
import tempfile
from dataclasses import asdict

from kpi_policies import __version__
from kpi_policies.result import FileResult, Finding, Severity, Waiver
from kpi_policies.rules.base import DocumentSummary

CACHE_DIR = ".kpi-policies-cache"
FORMAT = 2  # 2: summaries keep the facts run-level rules need


def _signing_key() -> bytes | None:
    """This user's cache signing key, created on first use (``None`` when it cannot be kept)."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    path = os.path.join(base, "kpi-policies", "signing-key")
    try:
        with open(path, "rb") as fh:
            key = fh.read()
        if len(key) >= 32:
            return key
    except OSError:
        pass
    try:
        os.makedirs(os.path.dirname(path), mode=0o700, exist_ok=True)
        key = secrets.token_bytes(32)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(key)
        return key
    except OSError:
        return None


def cache_dir(root: str) -> str:
    """The cache folder of the repository at ``root``."""
    return os.path.join(root, CACHE_DIR)


def clean(root: str) -> int:
    """Delete the cache of the repository at ``root``; returns the number of entries removed."""
    folder = cache_dir(root)
    if not os.path.isdir(folder):
        return 0
    count = sum(len(files) for _, _, files in os.walk(folder))
    shutil.rmtree(folder, ignore_errors=True)
    return count


class Cache:
    """Per-file results keyed by content and everything else they depend on.

    Args:
        root: Repository root; entries live in ``root/.kpi-policies-cache``.
        context: The run's settings that every entry depends on (policy digest,
            as-of date, flags, strategies digest), as a string.
    """

    def __init__(self, root: str, context: str):
        self.folder = os.path.join(cache_dir(root), f"v{FORMAT}")
        self.context = hashlib.sha256(f"{__version__}\x1f{FORMAT}\x1f{context}".encode()).hexdigest()
        self.hits = 0
        self.misses = 0
        self.secret = _signing_key()
        # a cache folder that is a link could send writes anywhere: use none
        self.enabled = self.secret is not None and not os.path.islink(cache_dir(root)) and not os.path.islink(self.folder)

    def _mac(self, body: str) -> str:
        return hmac.new(self.secret, body.encode("utf-8", "surrogateescape"), hashlib.sha256).hexdigest()

    def key(self, path: str, raw: bytes) -> str:
        """The entry key of one file's bytes at one path."""
        digest = hashlib.sha256()
        digest.update(self.context.encode())
        digest.update(os.path.normpath(path).encode("utf-8", "surrogateescape"))
        digest.update(b"\x00")
        digest.update(raw)
        return digest.hexdigest()

    def _file(self, key: str) -> str:
        return os.path.join(self.folder, key[:2], key[2:] + ".json")

    def state(self) -> tuple:
        """What a worker process needs to use the same cache (see :meth:`restore`)."""
        return (self.folder, self.context, self.secret, self.enabled)

    @classmethod
    def restore(cls, state: tuple) -> "Cache":
        """The cache a :meth:`state` describes, in another process."""
        cache = cls.__new__(cls)
        cache.folder, cache.context, cache.secret, cache.enabled = state
        cache.hits = cache.misses = 0
        return cache

    def get(self, key: str):
        """The cached outcome ``(FileResult, waivers, DocumentSummary)``, or ``None`` (also for unsigned entries)."""
        if not self.enabled:
            return None
        try:
            with open(self._file(key), encoding="utf-8", errors="surrogateescape") as fh:
                mac, _, body = fh.read().partition("\n")
            if not hmac.compare_digest(mac, self._mac(body)):
                raise ValueError("entry not signed by this user's key")
            outcome = _decode(json.loads(body))
        except (OSError, ValueError, KeyError, TypeError):
            self.misses += 1
            return None
        self.hits += 1
        return outcome

    def put(self, key: str, result: FileResult, waivers: list, summary: DocumentSummary) -> None:
        """Store one file's outcome; a cache that cannot be written is silently skipped."""
        if not self.enabled:
            return
        try:
            if not os.path.isdir(self.folder):
                os.makedirs(self.folder, exist_ok=True)
                top = os.path.dirname(self.folder)
                with open(os.path.join(top, ".gitignore"), "w", encoding="utf-8") as fh:
                    fh.write("# created by kpi-policies\n*\n")
                with open(os.path.join(top, "CACHEDIR.TAG"), "w", encoding="utf-8") as fh:
                    fh.write("Signature: 8a477f597d28d172789f06886806bc55\n# kpi-policies cache\n")
            target = self._file(key)
            os.makedirs(os.path.dirname(target), exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=os.path.dirname(target), suffix=".tmp")
            body = json.dumps(_encode(result, waivers, summary), ensure_ascii=False, separators=(",", ":"))
            with os.fdopen(fd, "w", encoding="utf-8", errors="surrogateescape") as fh:
                fh.write(self._mac(body) + "\n" + body)
            os.replace(tmp, target)
        except OSError:
            pass


def _encode(result: FileResult, waivers: list, summary: DocumentSummary) -> dict:
    return {
        "result": {"path": result.path, "kind": result.kind, "doc_id": result.doc_id,
                   "rules_evaluated": result.rules_evaluated, "sha256": result.sha256, "size": result.size,
                   "findings": [dict(f.to_dict(), severity=f.severity.value, path=list(f.path)) for f in result.findings]},
        "waivers": [dict(asdict(w), until=w.until.isoformat() if w.until else None, lines=sorted(w.lines),
                         used=False) for w in waivers],
        "summary": asdict(summary),
    }


def _decode(data: dict):
    import datetime as dt

    from kpi_policies.suppressions import Suppression

    r = data["result"]
    findings = []
    for f in r["findings"]:
        f = dict(f)
        f["severity"] = Severity(f["severity"])
        f["path"] = tuple(f["path"])
        f["suppression"] = Waiver.from_dict(f["suppression"]) if f["suppression"] else None
        findings.append(Finding(**f))
    result = FileResult(path=r["path"], kind=r["kind"], doc_id=r["doc_id"], findings=findings,
                        rules_evaluated=list(r["rules_evaluated"]), sha256=r["sha256"], size=r["size"])
    waivers = []
    for w in data["waivers"]:
        w = dict(w)
        w["rule_ids"] = tuple(w["rule_ids"])
        w["until"] = dt.date.fromisoformat(w["until"]) if w["until"] else None
        w["lines"] = frozenset(w["lines"])
        w["problem"] = tuple(w["problem"]) if w["problem"] else None
        waivers.append(Suppression(**w))
    s = data["summary"]
    summary = DocumentSummary(s["file"], s["kind"], s["doc_id"], tuple(s["id_position"]), s.get("facts"))
    return result, waivers, summary
