"""The lines of YAML around a finding, as the loader numbers them."""

from __future__ import annotations

import re

#: Lines of YAML shown before and after the line of a finding.
SNIPPET_CONTEXT = 2
#: Longest line of a snippet, in characters (longer lines end with an ellipsis).
SNIPPET_WIDTH = 160
_LINE_BREAK = re.compile(r"\r\n|\r|\n")


def _text_lines(path: str, document=None) -> list[str]:
    """The file's lines as the loader numbers them (``\\r\\n``, ``\\r`` and ``\\n`` all end a line)."""
    if document is not None and document.text:
        text = document.text
    else:
        from kpi_policies.load import decode, read_bytes

        raw, _why = read_bytes(path)  # never a device, a pipe or a link out of the repository
        if raw is None:
            return []
        text, _problem = decode(raw)
    return _LINE_BREAK.split(text)


def snippet(lines: list[str], line: int, context: int = SNIPPET_CONTEXT) -> dict | None:
    """The lines around ``line``.

    Args:
        lines: The file's lines (see :func:`_text_lines`).
        line: 1-based line of the finding.
        context: Lines to show before and after it.

    Returns:
        ``{"start": first line number shown (1-based), "focus": line,
        "lines": [text, ...]}`` with over-long lines cut to
        :data:`SNIPPET_WIDTH` characters, or ``None`` when ``line`` is not in the file.
    """
    if not lines or line < 1 or line > len(lines):
        return None
    start = max(1, line - context)
    end = min(len(lines), line + context)
    shown = [text if len(text) <= SNIPPET_WIDTH else text[: SNIPPET_WIDTH - 1] + "\u2026" for text in lines[start - 1:end]]
    while len(shown) > 1 and not shown[-1].strip() and start + len(shown) - 1 > line:
        shown.pop()
    return {"start": start, "focus": line, "lines": shown}
