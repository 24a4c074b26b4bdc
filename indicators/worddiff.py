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
    # What both share at the start and at the end is left out of the matching (a revision changes a
    # few words of a long text: the matcher's cost grows with the product of what it compares).
    start = 0
    while start < min(len(a), len(b)) and a[start] == b[start]:
        start += 1
    end = 0
    while end < min(len(a), len(b)) - start and a[-1 - end] == b[-1 - end]:
        end += 1
    segments: list[Segment] = []
    _append(segments, "equal", "".join(a[:start]))
    middle_a, middle_b = a[start : len(a) - end], b[start : len(b) - end]
    for tag, i1, i2, j1, j2 in SequenceMatcher(None, middle_a, middle_b, autojunk=False).get_opcodes():
        if tag == "equal":
            _append(segments, "equal", "".join(middle_a[i1:i2]))
            continue
        if tag in ("delete", "replace"):
            _append(segments, "delete", "".join(middle_a[i1:i2]))
        if tag in ("insert", "replace"):
            _append(segments, "insert", "".join(middle_b[j1:j2]))
    _append(segments, "equal", "".join(a[len(a) - end :]))
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
