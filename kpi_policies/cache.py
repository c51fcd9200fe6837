"""A content-hash cache of per-file results, so an unchanged repository is checked in a blink.

An entry holds what checking one file produced before the run-level steps
(duplicate ids, policy suppressions, baselines): its findings, the rules
evaluated, its inline waivers and its id. The key is the sha256 of the file's
bytes, its path, the tool version, the effective policy digest, the as-of
date, the ``--ignore-suppressions`` flag, the language of the messages and
the digest of the strategies the run knows (so a changed strategy
invalidates the plans that may use it).
Results that depended on a strategy found by searching the repository are not
cached. The entries of one run context (everything above but the file) are
one JSON index (a cache can never make kpi-policies run code), read once and
written once per run, kept in ``.kpi-policies-cache/`` at the repository root,
which ignores itself in git. Each index is signed (HMAC-SHA256) with a key kept outside the
repository, in the user's cache folder, so entries written elsewhere (a cache
committed to the repository, say) are never trusted; a key that would land
inside a git repository (a home folder kept in git, ``XDG_CACHE_HOME`` set to
a folder of the checkout) is not made, and the cache is then not used. Every
folder and file below the repository root is opened one component at a time
without following symbolic links (``O_NOFOLLOW``, relative to the folder
above), so links committed anywhere inside ``.kpi-policies-cache/`` can never
make a run read or write outside it. ``--no-cache`` bypasses it;
``kpi-policies cache clean`` empties it.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
import shutil
import stat
from dataclasses import asdict

from kpi_policies import __version__
from kpi_policies.result import FileResult, Finding, Location, Severity, Waiver
from kpi_policies.rules.base import DocumentSummary

CACHE_DIR = ".kpi-policies-cache"
FORMAT = 3  # 2: summaries keep the facts run-level rules need; 3: one index per run context


def code_digest() -> str:
    """A digest of the code and data that judge a file: every file of this package (its modules, bundled
    schemas, catalog and packs) and of every rule plugin loaded, by name, size and modification time.

    A rule whose message changed in a development install, or a plugin upgraded without a new version,
    never gets findings from a cache filled by the code before it (reading sizes and times, not contents,
    costs a millisecond).
    """
    import sys

    roots = {os.path.dirname(os.path.abspath(__file__))}
    for name, module in list(sys.modules.items()):  # plugins: loaded only when a policy names them
        file = getattr(module, "__file__", None)
        if file and name.split(".")[0] != "kpi_policies" and _defines_rules(module):
            roots.add(os.path.dirname(os.path.abspath(file)))
    digest = hashlib.sha256()
    for root in sorted(roots):
        for folder, dirs, files in os.walk(root):
            dirs[:] = sorted(d for d in dirs if d != "__pycache__")
            for name in sorted(files):
                if name.endswith((".pyc", ".pyo")):
                    continue
                try:
                    info = os.stat(os.path.join(folder, name))
                except OSError:
                    continue
                digest.update(f"{os.path.relpath(os.path.join(folder, name), root)}\x1f{info.st_size}\x1f{info.st_mtime_ns}\x1e".encode(
                    "utf-8", "surrogateescape"))
    return digest.hexdigest()


def _defines_rules(module) -> bool:
    """True for a module that offers kpi-policies rules (a plugin)."""
    from kpi_policies.rules.base import Rule

    declared = getattr(module, "RULES", None)
    return isinstance(declared, (list, tuple)) and any(isinstance(r, type) and issubclass(r, Rule) for r in declared)


def _inside_a_repository(path: str) -> bool:
    """True when ``path`` (or a folder above it) holds ``.git``: a key there could be committed or planted."""
    folder = os.path.realpath(path)
    while True:
        if os.path.lexists(os.path.join(folder, ".git")):
            return True
        parent = os.path.dirname(folder)
        if parent == folder:
            return False
        folder = parent


def _signing_key() -> bytes | None:
    """This user's cache signing key, created on first use (``None`` when it cannot be kept safely)."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    path = os.path.join(base, "kpi-policies", "signing-key")
    if _inside_a_repository(os.path.dirname(path)):
        return None
    try:
        fd = os.open(path, os.O_RDONLY | _NOFOLLOW | _NONBLOCK)
        with os.fdopen(fd, "rb") as fh:
            key = fh.read(64) if stat.S_ISREG(os.fstat(fh.fileno()).st_mode) else b""
        if len(key) >= 32:
            return key
    except OSError:
        pass
    try:
        os.makedirs(os.path.dirname(path), mode=0o700, exist_ok=True)
        key = secrets.token_bytes(32)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | _NOFOLLOW | _NONBLOCK, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(key)
        return key
    except OSError:
        return None


_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_NONBLOCK = getattr(os, "O_NONBLOCK", 0)
_DIRECTORY = getattr(os, "O_DIRECTORY", 0)
_SAFE = _NOFOLLOW != 0 and os.open in os.supports_dir_fd and os.mkdir in os.supports_dir_fd


def _open_dir(parent_fd: int | None, name: str, create: bool) -> int:
    """Open the folder ``name`` inside ``parent_fd`` without following a link (creating it when asked).

    Raises:
        OSError: when it is missing (and not created), a link, or not a folder.
    """
    try:
        return os.open(name, os.O_RDONLY | _DIRECTORY | _NOFOLLOW, dir_fd=parent_fd)
    except FileNotFoundError:
        if not create:
            raise
        try:
            os.mkdir(name, 0o755, dir_fd=parent_fd)
        except FileExistsError:
            pass
        return os.open(name, os.O_RDONLY | _DIRECTORY | _NOFOLLOW, dir_fd=parent_fd)


class _Folders:
    """File descriptors of the folders on a path below the repository root, opened one by one without links."""

    def __init__(self, root: str, parts: list[str], create: bool):
        self.fds: list[int] = []
        try:
            self.fds.append(os.open(root, os.O_RDONLY | _DIRECTORY))
            for part in parts:
                self.fds.append(_open_dir(self.fds[-1], part, create))
        except BaseException:
            self.close()
            raise

    @property
    def fd(self) -> int:
        return self.fds[-1]

    def close(self) -> None:
        for fd in reversed(self.fds):
            os.close(fd)
        self.fds = []

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def _write_new(dir_fd: int, name: str, text: str) -> None:
    """Create ``name`` in ``dir_fd`` with ``text`` unless something (a file, a link) is there already."""
    try:
        fd = os.open(name, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW, 0o644, dir_fd=dir_fd)
    except FileExistsError:
        return
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text)


def cache_dir(root: str) -> str:
    """The cache folder of the repository at ``root``."""
    return os.path.join(root, CACHE_DIR)


def clean(root: str) -> int:
    """Delete the cache of the repository at ``root``; returns the number of entries removed."""
    folder = cache_dir(root)
    if os.path.islink(folder):  # never walk or delete through a link: remove the link itself
        os.unlink(folder)
        return 0
    if not os.path.isdir(folder):
        return 0
    count = sum(len(files) for _, _, files in os.walk(folder))
    shutil.rmtree(folder, ignore_errors=True)
    return count


class Cache:
    """Per-file results keyed by content and everything else they depend on, in one signed index per run context.

    A run reads its index once (one file, one signature check, one JSON parse)
    and writes it once at the end (:meth:`flush`) when it learnt something, so
    a warm run over a thousand unchanged plans opens one cache file, not a thousand.

    Args:
        root: Repository root; the index lives in ``root/.kpi-policies-cache``.
        context: The run's settings that every entry depends on (policy digest,
            as-of date, flags, strategies digest), as a string.
    """

    #: Most entries one index keeps (those of the last run first).
    MAX_ENTRIES = 50_000
    #: Indexes kept for other contexts (another as-of date, policy or language), the most recently written first.
    KEEP_INDEXES = 4

    def __init__(self, root: str, context: str):
        self.folder = os.path.join(cache_dir(root), f"v{FORMAT}")
        from kpi_policies.i18n import LOCALE_DIR, language

        # Messages are stored in the language of the run that wrote them, and of its catalog as it was.
        lang = language()
        try:
            catalog = hashlib.sha256((LOCALE_DIR / lang / "LC_MESSAGES" / "kpi_policies.mo").read_bytes()).hexdigest() if lang != "en" else ""
        except OSError:
            catalog = ""
        self.context = hashlib.sha256(f"{__version__}\x1f{FORMAT}\x1f{code_digest()}\x1f{context}\x1f{lang}\x1f{catalog}".encode()).hexdigest()
        self.hits = 0
        self.misses = 0
        self.secret = _signing_key()
        # without no-follow opens relative to a folder, links inside the cache could send writes anywhere: use none
        self.enabled = self.secret is not None and _SAFE
        self._entries: dict | None = None
        self._new: dict = {}

    @property
    def root(self) -> str:
        """The repository root (worker processes rebuild a cache from its folder)."""
        return os.path.dirname(os.path.dirname(self.folder))

    def _mac(self, body: str) -> str:
        return hmac.new(self.secret, body.encode("utf-8", "surrogateescape"), hashlib.sha256).hexdigest()

    def key(self, path: str, raw: bytes) -> str:
        """The entry key of one file's bytes at one path, spelt as the run names it.

        The spelling is part of the key (``./plans/x.yaml`` and ``plans/x.yaml``
        are two entries), because the stored findings name the file: a warm run
        prints exactly what a cold run would.
        """
        digest = hashlib.sha256()
        digest.update(path.encode("utf-8", "surrogateescape"))
        digest.update(b"\x00")
        digest.update(raw)
        return digest.hexdigest()

    def _index_name(self) -> str:
        """The index file of this run's context (the context may grow until the first entry is read)."""
        return f"index-{hashlib.sha256(self.context.encode()).hexdigest()[:32]}.json"

    def state(self) -> tuple:
        """What a worker process needs to use the same cache (see :meth:`restore`)."""
        return (self.folder, self.context, self.secret, self.enabled)

    @classmethod
    def restore(cls, state: tuple) -> "Cache":
        """The cache a :meth:`state` describes, in another process (its new entries go back with :meth:`take_new`)."""
        cache = cls.__new__(cls)
        cache.folder, cache.context, cache.secret, cache.enabled = state
        cache.hits = cache.misses = 0
        cache._entries, cache._new = None, {}
        return cache

    def _load(self) -> dict:
        if self._entries is None:
            data = _read_signed(self, self._index_name()) if self.enabled else None
            entries = data.get("entries") if isinstance(data, dict) and data.get("context") == self.context else None
            self._entries = entries if isinstance(entries, dict) else {}
        return self._entries

    def get(self, key: str):
        """The cached outcome ``(FileResult, waivers, DocumentSummary)``, or ``None`` (also for an unsigned index or a link)."""
        if not self.enabled:
            return None
        data = self._new.get(key) or self._load().get(key)
        try:
            if data is None:
                raise KeyError(key)
            outcome = _decode(data)
        except (ValueError, KeyError, TypeError, AttributeError, RecursionError):
            self.misses += 1
            return None
        self.hits += 1
        return outcome

    def put(self, key: str, result: FileResult, waivers: list, summary: DocumentSummary) -> None:
        """Keep one file's outcome for :meth:`flush`."""
        if self.enabled:
            self._new[key] = _encode(result, waivers, summary)

    def take_new(self) -> dict:
        """The entries made since the last call (a worker process hands them to the main one)."""
        new, self._new = self._new, {}
        return new

    def add(self, entries: dict) -> None:
        """Take entries made by a worker process."""
        if self.enabled:
            self._new.update(entries)

    def flush(self) -> None:
        """Write the index when the run made entries; a cache that cannot be written (or holds links) is skipped.

        The run's new entries come first, then the index's others, up to
        :attr:`MAX_ENTRIES`; indexes of other contexts beyond the
        :attr:`KEEP_INDEXES` most recent are deleted.
        """
        if not self.enabled or not self._new:
            return
        entries = dict(self._new)
        for key, value in self._load().items():
            if len(entries) >= self.MAX_ENTRIES:
                break
            entries.setdefault(key, value)
        body = json.dumps({"context": self.context, "entries": entries}, ensure_ascii=False, separators=(",", ":"))
        try:
            _write_atomic(self.root, [CACHE_DIR, f"v{FORMAT}"], self._index_name(),
                          (self._mac(body) + "\n" + body).encode("utf-8", "surrogateescape"))
            _drop_old_indexes(self.root, self._index_name(), self.KEEP_INDEXES)
        except OSError:
            pass
        self._entries, self._new = entries, {}

    def plan_facts(self) -> "PlanFacts":
        """The store of plan summaries kept beside the index (see :class:`PlanFacts`)."""
        return PlanFacts(self)


def _read_signed(cache: "Cache", name: str):
    """The JSON data of the signed file ``name`` in the cache's version folder, or ``None`` (missing, a link, not
    a regular file, unreadable, or not signed by this user's key)."""
    try:
        with _Folders(cache.root, [CACHE_DIR, f"v{FORMAT}"], create=False) as dirs:
            # without blocking: a named pipe planted here is refused by the check below, not waited on
            fd = os.open(name, os.O_RDONLY | _NOFOLLOW | _NONBLOCK, dir_fd=dirs.fd)
        with os.fdopen(fd, encoding="utf-8", errors="surrogateescape") as fh:
            if not stat.S_ISREG(os.fstat(fh.fileno()).st_mode):
                return None
            mac, _, body = fh.read().partition("\n")
        if not hmac.compare_digest(mac, cache._mac(body)):
            return None
        return json.loads(body)
    except (OSError, ValueError, RecursionError):
        return None


def _drop_old_indexes(root: str, current: str, keep: int) -> None:
    """Delete the indexes of other contexts beyond the ``keep`` most recently written (never following a link)."""
    with _Folders(root, [CACHE_DIR, f"v{FORMAT}"], create=False) as dirs:
        found = []
        for name in os.listdir(dirs.fd):
            if name.startswith("index-") and name.endswith(".json") and name != current:
                try:
                    found.append((os.stat(name, dir_fd=dirs.fd, follow_symlinks=False).st_mtime_ns, name))
                except OSError:
                    continue
        for _mtime, name in sorted(found, reverse=True)[keep:]:
            try:
                os.unlink(name, dir_fd=dirs.fd)
            except OSError:
                pass


def _write_atomic(root: str, folders: list[str], name: str, data: bytes) -> None:
    """Write ``data`` to ``root/folders.../name`` through a temporary file, never following a link.

    The cache's top folder gets its ``.gitignore`` and ``CACHEDIR.TAG`` first.

    Raises:
        OSError: when the cache cannot be written (the caller skips it).
    """
    with _Folders(root, folders[:1], create=True) as top:
        _write_new(top.fd, ".gitignore", "# created by kpi-policies\n*\n")
        _write_new(top.fd, "CACHEDIR.TAG", "Signature: 8a477f597d28d172789f06886806bc55\n# kpi-policies cache\n")
    with _Folders(root, folders, create=True) as dirs:
        tmp = f".{name}.{secrets.token_hex(8)}.tmp"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW, 0o644, dir_fd=dirs.fd)
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
            os.replace(tmp, name, src_dir_fd=dirs.fd, dst_dir_fd=dirs.fd)  # replaces a link, never follows it
        except BaseException:
            try:
                os.unlink(tmp, dir_fd=dirs.fd)
            except OSError:
                pass
            raise


_SEVERITIES = {severity.value: severity for severity in Severity}


def _encode(result: FileResult, waivers: list, summary: DocumentSummary) -> dict:
    return {
        "result": {"path": result.path, "kind": result.kind, "doc_id": result.doc_id,
                   "rules_evaluated": result.rules_evaluated, "sha256": result.sha256, "size": result.size,
                   # one array per finding, fields in a fixed order (file and pointer follow from the entry and the path)
                   "findings": [[f.rule_id, f.rule_name, f.severity.value, f.message, f.line, f.column, f.plan_id, f.object_id,
                                 f.enforcement, list(f.path), f.suppression.to_dict() if f.suppression else None]
                                for f in result.findings]},
        "waivers": [dict(asdict(w), until=w.until.isoformat() if w.until else None, lines=sorted(w.lines),
                         used=False) for w in waivers],
        "summary": asdict(summary),
    }


def _decode(data: dict):
    import datetime as dt

    from kpi_policies.suppressions import Suppression

    r = data["result"]
    file = r["path"]
    findings = []
    for rule_id, rule_name, severity, message, line, column, plan_id, object_id, enforcement, path, waiver in r["findings"]:
        path = tuple(path)
        findings.append(Finding(rule_id, _SEVERITIES[severity], message, file, line, column, plan_id, Location(path).pointer,
                                rule_name, object_id, enforcement, Waiver.from_dict(waiver) if waiver else None, path))
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


class PlanFacts:
    """What the roll-ups across plans need of each plan file of the repository, remembered between runs.

    A plan checked alone (pre-commit) or a strategy checked without its plans
    still needs the other plans of its strategy (DR010, DR011); reading and
    validating every one of them on every commit would cost seconds in a
    repository of many plans. This store keeps, per file, the summary a run
    made of it (see ``kpi_policies.index.plan_facts_of``) with the sha256 of
    its bytes and its ``stat`` fields, in one signed JSON file beside the
    per-file entries. A file whose size, inode, modification and change times
    match what was stored (and were stored more than two seconds after the
    last of them, as git trusts its index) is not read again; any other file is read, and its
    summary is reused only when its content hash matches. The key covers this
    package's code (:func:`code_digest`), so a changed rule never reuses a
    summary made by the code before it.
    """

    NAME = "plans.json"
    #: Seconds a file's modification must precede the recording of its summary for its stat fields to be trusted.
    RACY_NS = 2_000_000_000

    def __init__(self, cache: "Cache"):
        self.cache = cache
        self.context = hashlib.sha256(f"{__version__}\x1f{FORMAT}\x1f{code_digest()}".encode()).hexdigest()
        self.entries: dict[str, dict] | None = None
        self.dirty = False

    def _load(self) -> dict:
        if self.entries is not None:
            return self.entries
        data = _read_signed(self.cache, self.NAME) if self.cache.enabled else None
        files = data.get("files") if isinstance(data, dict) and data.get("context") == self.context else None
        self.entries = files if isinstance(files, dict) else {}
        return self.entries

    def get(self, name: str, info: os.stat_result, raw: bytes | None = None):
        """``(True, facts)`` when the stored summary of ``name`` still holds, else ``(False, None)``.

        Without ``raw`` only the stat fields are compared; with it, the content hash.
        """
        entry = self._load().get(name)
        if not isinstance(entry, dict) or "facts" not in entry:
            return False, None
        if raw is None:
            fresh = (entry.get("stat") == _stat_fields(info) and isinstance(entry.get("at"), int)
                     and max(info.st_mtime_ns, info.st_ctime_ns) < entry["at"] - self.RACY_NS)
            return (True, entry["facts"]) if fresh else (False, None)
        if entry.get("sha256") == hashlib.sha256(raw).hexdigest():
            self.put(name, info, raw, entry["facts"])
            return True, entry["facts"]
        return False, None

    def put(self, name: str, info: os.stat_result, raw: bytes, facts) -> None:
        """Remember the summary of the file ``name`` (relative to the repository root) made from ``raw``."""
        import time

        self._load()[name] = {"stat": _stat_fields(info), "at": time.time_ns(),
                              "sha256": hashlib.sha256(raw).hexdigest(), "facts": facts}
        self.dirty = True

    def save(self) -> None:
        """Write the store when it changed, without the entries of files that are gone."""
        cache = self.cache
        if not self.dirty or not cache.enabled or self.entries is None:
            return
        files = {name: entry for name, entry in self.entries.items() if os.path.isfile(os.path.join(cache.root, name))}
        try:
            body = json.dumps({"context": self.context, "files": files}, ensure_ascii=False, separators=(",", ":"))
        except (TypeError, ValueError):  # a summary JSON cannot hold: keep nothing rather than stop the run
            self.dirty = False
            return
        try:
            _write_atomic(cache.root, [CACHE_DIR, f"v{FORMAT}"], self.NAME, (cache._mac(body) + "\n" + body).encode("utf-8", "surrogateescape"))
        except OSError:
            pass
        self.dirty = False


def _stat_fields(info: os.stat_result) -> list[int]:
    """What tells that a file changed without reading it (as git's index does; the change time moves on every write)."""
    return [info.st_size, info.st_ino, info.st_mtime_ns, info.st_ctime_ns]
