"""Files a run writes: never one of its inputs, never twice, never half written.

Every output of a command (``check --output`` and ``--write-baseline``,
``report --output``, ``import --output``) is checked before the run starts:
it may not be a file the run reads (a plan, the policy packs, the baseline,
the project configuration, the source of an import), nor another output of
the same run. Then each is written atomically: the text goes to a temporary
file in the same folder, which then replaces the target in one step
(``os.replace``), so a run that is interrupted leaves either the old file or
the new one, never half a report or half a baseline.
"""

from __future__ import annotations

import os
import stat
import tempfile
from typing import Iterable


class OutputError(Exception):
    """An output cannot be used or written (a usage error: exit 2); the message is one line."""


def _identity(path: str) -> tuple:
    """What makes two paths the same file: the inode when it exists, else the resolved path."""
    try:
        st = os.stat(path)
        return ("inode", st.st_dev, st.st_ino)
    except (OSError, ValueError):
        return ("path", os.path.normcase(os.path.realpath(path)))


def _same(a: str, b: str) -> bool:
    return _identity(a) == _identity(b) or os.path.normcase(os.path.realpath(a)) == os.path.normcase(os.path.realpath(b))


def _is_special(path: str) -> bool:
    """True for an existing target that is not a regular file (``/dev/null``, ``/dev/stdout``, a pipe)."""
    try:
        return not stat.S_ISREG(os.stat(path).st_mode)
    except (OSError, ValueError):
        return False


def check_outputs(outputs: Iterable[tuple[str, str]], inputs: Iterable[str]) -> None:
    """Refuse outputs that are an input of the run or the same file as another output.

    Args:
        outputs: ``(what, path)`` pairs, e.g. ``("--output", "report.sarif")``.
        inputs: Every file the run reads.

    Raises:
        OutputError: naming the output and the input (or other output) it would overwrite.
    """
    outputs = [(what, path) for what, path in outputs if path]
    inputs = [p for p in inputs if p]
    for i, (what, path) in enumerate(outputs):
        if _is_special(path):
            continue  # /dev/null, /dev/stdout: writing there destroys nothing
        for source in inputs:
            if _same(path, source):
                raise OutputError(f"{what} {path} is also an input of this run ({source}); "
                                  f"it would be overwritten: choose another file")
        for other_what, other in outputs[:i]:
            if _same(path, other):
                raise OutputError(f"{what} {path} is the same file as {other_what} {other}; "
                                  f"one report would replace the other: give each its own file")


def write_atomic(path: str, text: str) -> None:
    """Write ``text`` (UTF-8, ``\\n`` line ends) to ``path`` through a temporary file in the same folder.

    The folder is created when missing. A target that is not a regular file
    (``/dev/stdout``, a pipe) is written directly. The new file gets the usual
    permissions (those of an existing target, else 0666 less the umask).

    Raises:
        OutputError: when the file cannot be written.
    """
    data = text.encode("utf-8", "backslashreplace")
    try:
        if _is_special(path):
            with open(path, "wb") as fh:
                fh.write(data)
            return
        folder = os.path.dirname(os.path.abspath(path))
        os.makedirs(folder, exist_ok=True)
        try:
            mode = stat.S_IMODE(os.stat(path).st_mode)
        except OSError:
            umask = os.umask(0)
            os.umask(umask)
            mode = 0o666 & ~umask
        fd, tmp = tempfile.mkstemp(dir=folder, prefix="." + os.path.basename(path) + ".", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            os.chmod(tmp, mode)
            os.replace(tmp, path)
        except BaseException:
            try:
                os.unlink(tmp)
            except OSError:
                pass
            raise
    except OSError as exc:
        raise OutputError(f"cannot write {path}: {exc.strerror or exc}") from None
