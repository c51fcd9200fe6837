"""Earlier versions of plans, read from git: the base a change is judged against, and each plan's history.

Git is run as a program (``git show``, ``git cat-file --batch``, ``git diff -M
--name-status``, ``git log --follow``), with argument lists and never a shell;
nothing here writes to the repository or touches the network
(``GIT_OPTIONAL_LOCKS=0``, no fetch).

A document is matched with its earlier version by its ``metadata.id``, not by
its file name: a plan renamed or moved to another file is the same plan, and
its KPIs are compared one by one. The base defaults to the merge base of
``HEAD`` with the repository's default branch (``origin/HEAD``, ``main`` or
``master``), else ``HEAD`` itself (then the working tree is compared with the
last commit).
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
from dataclasses import dataclass, field
from typing import Any, Iterator

#: Seconds one git command may take before it is given up on.
TIMEOUT = 60
_YAML = (".yaml", ".yml")


class GitError(Exception):
    """Git cannot answer: not a repository, an unknown revision, git not installed. One line, for a person."""


def git(args: list[str], cwd: str, input: str | None = None, check: bool = True) -> str:
    """Standard output of ``git ARGS`` run in ``cwd``.

    Raises:
        GitError: when git is missing or the command fails and ``check`` is set.
    """
    env = dict(os.environ, GIT_OPTIONAL_LOCKS="0", LC_ALL="C", GIT_PAGER="cat", GIT_TERMINAL_PROMPT="0")
    try:
        proc = subprocess.run(["git", *args], cwd=cwd or ".", capture_output=True, text=True, input=input,
                              encoding="utf-8", errors="surrogateescape", timeout=TIMEOUT, env=env)
    except FileNotFoundError:
        raise GitError("git is not installed; install git to compare plans with an earlier version") from None
    except (OSError, subprocess.SubprocessError) as exc:
        raise GitError(f"git could not run: {exc}") from None
    if check and proc.returncode != 0:
        first = (proc.stderr.strip().splitlines() or ["failed"])[0]
        raise GitError(f"git {args[0]}: {first}")
    return proc.stdout


def repository_root(path: str = ".") -> str:
    """The top folder of the git repository holding ``path``.

    Raises:
        GitError: when ``path`` is not inside a git repository.
    """
    folder = path if os.path.isdir(path) else os.path.dirname(os.path.abspath(path))
    try:
        return git(["rev-parse", "--show-toplevel"], folder).strip()
    except GitError:
        raise GitError(f"{path} is not inside a git repository, so there is no earlier version to compare with") from None


def has_commits(root: str) -> bool:
    """False in a repository whose first commit is not made yet."""
    return bool(git(["rev-parse", "--verify", "--quiet", "HEAD^{commit}"], root, check=False).strip())


def resolve(ref: str, root: str) -> str:
    """The full commit id of ``ref``.

    Raises:
        GitError: when ``ref`` names no commit (with a hint about shallow clones).
    """
    if ref.startswith("-"):
        raise GitError(f"'{ref}' is not a git revision")
    out = git(["rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}"], root, check=False).strip()
    if not out:
        raise GitError(f"git knows no commit '{ref}' in {root}; in a CI checkout fetch the history "
                       f"(actions/checkout with fetch-depth: 0)")
    return out


def default_base(root: str) -> str:
    """The merge base of ``HEAD`` with the default branch, else ``HEAD``.

    The default branch is ``origin/HEAD`` when the clone knows it, else the
    first of ``origin/main``, ``origin/master``, ``main``, ``master`` that exists.

    Raises:
        GitError: when the repository has no commit yet.
    """
    head = resolve("HEAD", root)
    candidates = []
    symbolic = git(["symbolic-ref", "--quiet", "refs/remotes/origin/HEAD"], root, check=False).strip()
    if symbolic:
        candidates.append(symbolic)
    candidates += ["refs/remotes/origin/main", "refs/remotes/origin/master", "refs/heads/main", "refs/heads/master"]
    for name in candidates:
        if git(["rev-parse", "--verify", "--quiet", f"{name}^{{commit}}"], root, check=False).strip():
            base = git(["merge-base", "HEAD", name], root, check=False).strip()
            if base:
                return base
    return head


@dataclass(frozen=True)
class CommitInfo:
    """A commit as a report names it."""

    commit: str
    author: str
    date: str  # ISO 8601 author date with offset

    @property
    def short(self) -> str:
        return self.commit[:7]

    @property
    def day(self) -> dt.date:
        return dt.date.fromisoformat(self.date[:10])


def commit_info(ref: str, root: str) -> CommitInfo:
    """Id, author and author date of one commit."""
    out = git(["log", "-1", "--format=%H%x1f%an%x1f%aI", ref, "--"], root).strip()
    commit, author, date = out.split("\x1f")
    return CommitInfo(commit, author, date)


def read_blobs(root: str, specs: list[str]) -> list[str | None]:
    """Texts of ``REV:path`` specs in one ``git cat-file --batch`` (``None`` for each missing one)."""
    if not specs:
        return []
    env = dict(os.environ, GIT_OPTIONAL_LOCKS="0", LC_ALL="C")
    try:
        proc = subprocess.run(["git", "cat-file", "--batch"], cwd=root, input="".join(s + "\n" for s in specs).encode("utf-8"),
                              capture_output=True, timeout=TIMEOUT, env=env)
    except (OSError, subprocess.SubprocessError) as exc:
        raise GitError(f"git could not run: {exc}") from None
    out, pos, texts = proc.stdout, 0, []
    for _ in specs:
        end = out.index(b"\n", pos)
        header = out[pos:end].split(b" ")
        pos = end + 1
        if len(header) < 3 or header[1] != b"blob":  # "<spec> missing" or a tree
            texts.append(None)
            continue
        size = int(header[2])
        texts.append(out[pos:pos + size].decode("utf-8", "replace"))
        pos += size + 1
    return texts


def show(ref: str, relpath: str, root: str) -> str | None:
    """``git show REF:path``: the file's text at ``ref``, or ``None`` when it did not exist there."""
    return read_blobs(root, [f"{ref}:{relpath}"])[0]


def yaml_files_at(ref: str, root: str, under: list[str] | None = None) -> list[str]:
    """Repository-relative paths of every YAML file in ``ref`` (only below the folders ``under``, when given)."""
    out = git(["ls-tree", "-r", "--name-only", "-z", ref, "--", *[u for u in (under or []) if u not in (".", "")]], root)
    return [p for p in out.split("\0") if p.endswith(_YAML)]


def renames(base: str, root: str, staged: bool = False) -> dict[str, str]:
    """New path -> old path of files git sees renamed between ``base`` and the working tree (or the index)."""
    args = ["diff", "-M", "--name-status", "-z"] + (["--cached"] if staged else []) + [base, "--"]
    parts = git(args, root).split("\0")
    out: dict[str, str] = {}
    i = 0
    while i < len(parts) and parts[i]:
        status = parts[i]
        if status.startswith(("R", "C")):
            out[parts[i + 2]] = parts[i + 1]
            i += 3
        else:
            i += 2
    return out


def inside(path: str, folders: list[str]) -> bool:
    """True when the repository-relative ``path`` is one of ``folders`` or below one (``.``: everything)."""
    return any(f in (".", "") or path == f.rstrip("/") or path.startswith(f.rstrip("/") + "/") for f in folders)


# --- documents at a revision ------------------------------------------------
@dataclass
class Version:
    """One document as it stood at a revision: its loaded file and its model."""

    path: str  # repository-relative
    doc_id: str | None
    kind: str | None
    document: Any
    model: Any


class Base:
    """What a rule gets as ``Context.base``: the earlier version's model and which revision it is.

    Attributes:
        model: The document's model at the base revision.
        label: How a person names the base, e.g. ``HEAD~1 (abc1234, 2026-11-02)``.
        day: The base commit's date: a change-log entry approved before it predates the change.
        path: The file the document was in at the base (it may have been renamed since).

    ``label`` and ``day`` ask git only when a rule needs them (most plans do not change).
    """

    def __init__(self, model: Any, label: str = "the base version", day: dt.date | None = None, path: str | None = None,
                 source: "BaseVersions | None" = None):
        self.model, self.path, self._label, self._day, self._source = model, path, label, day, source

    @property
    def label(self) -> str:
        return self._source.describe() if self._source is not None else self._label

    @property
    def day(self) -> dt.date | None:
        return self._source.info.day if self._source is not None else self._day


def text_base(text: str, label: str = "the base version", day: dt.date | None = None) -> "Base | None":
    """A :class:`Base` made from a document's text (two files compared directly, rule examples)."""
    version = parse(text, "<base>")
    return Base(version.model, label, day) if version.model is not None else None


def parse(text: str, path: str) -> Version:
    """Load, schema-check and model a document's text (findings are not kept: this is an earlier version)."""
    from kpi_policies import models
    from kpi_policies.load import load_text
    from kpi_policies.schema import prune, validate

    doc = load_text(text, path)
    model = kind = doc_id = None
    if doc.usable and isinstance(doc.data, dict):
        meta = doc.data.get("metadata")
        if isinstance(meta, dict) and isinstance(meta.get("id"), str):
            doc_id = meta["id"]
        kind, errors = validate(doc.data)
        if kind in models.MODELS:
            try:
                model = models.build(kind, prune(doc.data, errors), pruned=bool(errors))
            except models.ModelBuildError:
                model = None
    return Version(path, doc_id, kind, doc, model)


class BaseVersions:
    """The documents of one base revision, found by id for the files of a run.

    Args:
        root: The repository's top folder.
        ref: Revision to compare with (any name git knows: ``HEAD~1``, a branch, a commit id).
        staged: Compare the index (``git diff --cached``), as a pre-commit hook sees it.

    Raises:
        GitError: when ``ref`` is unknown.
    """

    def __init__(self, root: str, ref: str, staged: bool = False):
        self.root = root
        self.ref = ref
        self.commit = resolve(ref, root)
        self._staged = staged
        self._info: CommitInfo | None = None
        self._renames: dict[str, str] | None = None
        self._by_id: dict[str, Version] | None = None
        self._by_path: dict[str, Version | None] = {}

    @property
    def info(self) -> CommitInfo:
        """Author and date of the base commit (read when first needed)."""
        if self._info is None:
            self._info = commit_info(self.commit, self.root)
        return self._info

    def renamed_from(self, relpath: str) -> str | None:
        """The path the file now at ``relpath`` had at the base, when git sees it renamed."""
        if self._renames is None:
            self._renames = renames(self.commit, self.root, self._staged)
        return self._renames.get(relpath)

    def candidates(self, doc_id: str) -> list[str]:
        """YAML files of the base whose text names ``doc_id`` (``git grep``), the only ones worth reading."""
        out = git(["grep", "-l", "-F", "-z", "-e", doc_id, self.commit, "--", "*.yaml", "*.yml"], self.root, check=False)
        prefix = self.commit + ":"
        return [p[len(prefix):] if p.startswith(prefix) else p for p in out.split("\0") if p]

    def relative(self, path: str) -> str:
        return os.path.relpath(os.path.abspath(path), self.root).replace(os.sep, "/")

    def at_path(self, relpath: str) -> Version | None:
        if relpath not in self._by_path:
            text = show(self.commit, relpath, self.root)
            self._by_path[relpath] = parse(text, relpath) if text is not None else None
        return self._by_path[relpath]

    def all(self, under: list[str] | None = None) -> dict[str, Version]:
        """Every document of the base by id (read in one git call); ``under``: only those below these folders."""
        if under is None:
            if self._by_id is None:
                self._by_id = self._read(None)
            return self._by_id
        source = self._by_id if self._by_id is not None else self._read(under)
        return {i: v for i, v in source.items() if inside(v.path, under)}

    def _read(self, under: list[str] | None) -> dict[str, Version]:
        paths = yaml_files_at(self.commit, self.root, under)
        by_id: dict[str, Version] = {}
        todo = [p for p in paths if p not in self._by_path]
        for p, text in zip(todo, read_blobs(self.root, [f"{self.commit}:{p}" for p in todo])):
            self._by_path[p] = parse(text, p) if text is not None else None
        for p in paths:
            v = self._by_path.get(p)
            if v is not None and v.doc_id and v.model is not None:
                by_id.setdefault(v.doc_id, v)
        return by_id

    def find(self, path: str, doc_id: str | None) -> Version | None:
        """The base version of the document now in ``path`` with id ``doc_id``.

        Looked for first where git says the file came from (same path or a
        rename), then, when the id differs there, in every YAML file of the base.
        """
        rel = self.relative(path)

        def matching(candidate):
            version = self.at_path(candidate) if candidate else None
            if version is not None and version.model is not None and (doc_id is None or version.doc_id == doc_id):
                return version
            return None

        found = matching(rel) or matching(self.renamed_from(rel))
        if found is not None or doc_id is None:
            return found
        if self._by_id is not None:
            return self._by_id.get(doc_id)
        for candidate in self.candidates(doc_id):
            found = matching(candidate)
            if found is not None:
                return found
        return None

    def lookup(self, path: str, model) -> "Base | None":
        """The base of the document now in ``path`` (for :class:`kpi_policies.rules.base.Context`), or ``None``."""
        doc_id = getattr(getattr(model, "metadata", None), "id", None)
        version = self.find(path, doc_id)
        if version is None:
            return None
        return Base(version.model, path=version.path, source=self)

    def describe(self) -> str:
        """``HEAD~1 (abc1234, 2026-11-02)``."""
        if self.ref == self.commit:
            return f"{self.info.short} ({self.info.date[:10]})"
        return f"{self.ref} ({self.info.short}, {self.info.date[:10]})"


# --- each plan's history across commits ------------------------------------
@dataclass
class Snapshot:
    """A document at one commit that changed its file."""

    info: CommitInfo
    version: Version


@dataclass
class FileHistory:
    """The versions of one document, oldest first."""

    path: str
    snapshots: list[Snapshot] = field(default_factory=list)


def file_history(path: str, root: str | None = None, max_commits: int = 500) -> FileHistory:
    """Every committed version of the file ``path`` (following renames), oldest first.

    One ``git log --first-parent --follow --name-only`` lists the commits and the name the
    file had in each; one ``git cat-file --batch`` reads all the versions.
    """
    root = root or repository_root(path)
    rel = os.path.relpath(os.path.abspath(path), root).replace(os.sep, "/")
    # --first-parent: the branch's own history, each change at the commit (or merge) that brought it in, never a
    # side branch's commits interleaved by date (they would show changes back and forth that the branch never had)
    out = git(["log", "--first-parent", "--follow", f"--max-count={max_commits}", "--format=%x1e%H%x1f%an%x1f%aI", "--name-only", "--", rel],
              root, check=False)
    entries: list[tuple[CommitInfo, str]] = []
    for block in out.split("\x1e")[1:]:
        lines = [l for l in block.split("\n") if l.strip()]
        if not lines:
            continue
        commit, author, date = lines[0].split("\x1f")
        name = lines[1] if len(lines) > 1 else rel
        entries.append((CommitInfo(commit, author, date), name))
    entries.reverse()
    texts = read_blobs(root, [f"{c.commit}:{name}" for c, name in entries])
    history = FileHistory(rel)
    for (info, name), text in zip(entries, texts):
        if text is not None:
            history.snapshots.append(Snapshot(info, parse(text, name)))
    return history


def iter_pairs(history: FileHistory) -> Iterator[tuple[Snapshot, Snapshot]]:
    """Consecutive versions ``(older, newer)`` of a file whose documents could both be read."""
    readable = [s for s in history.snapshots if s.version.model is not None]
    return zip(readable, readable[1:])
