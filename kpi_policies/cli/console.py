"""Standard output that never loses a run: characters the console can't show, readers that leave early.

A console that is not UTF-8 (cp1252 or Latin-1, common on Windows runners)
gets ``?`` for the characters it cannot encode instead of an error that would
lose every finding. A reader that closes the pipe early (``| head -1``) makes
the rest of the output go nowhere, quietly: the run still ends with the exit
code of its findings.
"""

from __future__ import annotations

import io
import os
import sys


class _QuietPipe(io.RawIOBase):
    """Writes to a file descriptor; once the reader has gone, every further write is dropped."""

    def __init__(self, fd: int) -> None:
        super().__init__()
        self._fd = fd
        self.reader_gone = False

    def writable(self) -> bool:
        return True

    def fileno(self) -> int:
        return self._fd

    def isatty(self) -> bool:
        return False

    def write(self, data) -> int:
        size = len(data)
        if self.reader_gone:
            return size
        try:
            return os.write(self._fd, data)
        except (BrokenPipeError, ConnectionResetError):
            self.reader_gone = True
            return size

    def close(self) -> None:  # the descriptor belongs to the process, not to this object
        self.reader_gone = True
        super().close()


def protect_stdout() -> None:
    """Make ``sys.stdout`` replace what it cannot encode and survive a closed pipe.

    A terminal keeps its own stream (only its error handling changes); a pipe
    or file gets a stream of the same encoding whose writes cannot fail. A
    stream without a file descriptor (a test capturing output) only has its
    error handling changed, when it can.
    """
    stream = sys.stdout
    if stream is None:
        return
    try:
        fd = stream.fileno()
        tty = stream.isatty()
    except (AttributeError, OSError, ValueError, io.UnsupportedOperation):
        fd, tty = None, True
    if fd is None or tty or not isinstance(stream, io.TextIOWrapper):
        try:
            stream.reconfigure(errors="replace")
        except (AttributeError, ValueError, io.UnsupportedOperation):
            pass
        return
    try:
        stream.flush()
    except OSError:
        pass
    sys.stdout = io.TextIOWrapper(io.BufferedWriter(_QuietPipe(fd)), encoding=stream.encoding, errors="replace",
                                  newline=None, line_buffering=stream.line_buffering)
