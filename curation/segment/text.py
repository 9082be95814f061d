"""Text dumps: one segment per non-empty line, offsets exact into the page text."""

from __future__ import annotations

import re

# A line with at least one non-space character; \S+ ... \S keeps the offsets on the stripped line.
_LINE = re.compile(r"[^\S\n]*(\S(?:[^\n]*\S)?)")


def split_text(text: str) -> list[tuple[int, int]]:
    """(start, end) of every non-empty line, stripped; text[start:end] is the segment.

    >>> split_text("a b\\n\\n  c  \\n")
    [(0, 3), (7, 8)]
    """
    return [m.span(1) for m in _LINE.finditer(text)]
