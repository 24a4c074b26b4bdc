"""Word-level differences between two texts, for showing what a revision changed."""

from __future__ import annotations

import re
from difflib import SequenceMatcher

# (op, text), op being "equal", "insert" or "delete".
Segment = tuple[str, str]

# Words, runs of whitespace, or any other single character (punctuation, Markdown marks).
TOKEN = re.compile(r"\w+|\s+|[^\w\s]")


def tokenise(text: str | None) -> list[str]:
    return TOKEN.findall(text or "")


def word_diff(before: str | None, after: str | None) -> list[Segment]:
    """Segments (op, text) turning `before` into `after`; None counts as an empty text.

    Joining the "equal" and "delete" texts gives `before`; the "equal" and "insert" texts give `after`.
    """
    a, b = tokenise(before), tokenise(after)
    segments: list[Segment] = []
    for tag, i1, i2, j1, j2 in SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if tag == "equal":
            _append(segments, "equal", "".join(a[i1:i2]))
            continue
        if tag in ("delete", "replace"):
            _append(segments, "delete", "".join(a[i1:i2]))
        if tag in ("insert", "replace"):
            _append(segments, "insert", "".join(b[j1:j2]))
    return segments


def _append(segments: list[Segment], op: str, text: str) -> None:
    if not text:
        return
    if segments and segments[-1][0] == op:
        segments[-1] = (op, segments[-1][1] + text)
    else:
        segments.append((op, text))


def as_text(segments: list[Segment]) -> str:
    """Render segments readably without colour, like `git diff --word-diff=plain`."""
    marks = {"equal": ("", ""), "delete": ("[-", "-]"), "insert": ("{+", "+}")}
    return "".join(f"{marks[op][0]}{text}{marks[op][1]}" for op, text in segments)
