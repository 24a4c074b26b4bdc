"""Progress of the long commands (verify, backup, restore, publish-site): a line now and then, never
a flood."""

from __future__ import annotations

import time
from typing import TextIO

PROGRESS_EVERY_SECONDS = 1.0


class Throttle:
    """`due()` is true at most once every `seconds`, the first time `seconds` after it was made."""

    def __init__(self, seconds: float = PROGRESS_EVERY_SECONDS) -> None:
        self.seconds = seconds
        self.last = time.monotonic()

    def due(self) -> bool:
        now = time.monotonic()
        if now - self.last < self.seconds:
            return False
        self.last = now
        return True


class Counter:
    """'WHAT: N of TOTAL (DETAIL)' rewritten in place on a terminal, at most ten times a second and
    once more at the end; nothing at all when `stream` is not a terminal (piped, redirected, a log)."""

    def __init__(self, what: str, stream: TextIO, seconds: float = 0.1) -> None:
        self.what, self.stream = what, stream
        self.shown = stream.isatty()
        self.throttle = Throttle(seconds)
        self.line = ""

    def update(self, done: int, total: int, detail: str = "") -> None:
        self.line = f"{self.what}: {done:,} of {total:,}" + (f" ({detail})" if detail else "")
        if self.shown and self.throttle.due():
            self._show()

    def close(self) -> None:
        if self.shown and self.line:
            self._show()
            self.stream.write("\n")
            self.stream.flush()

    def _show(self) -> None:
        self.stream.write(f"\r\033[K{self.line}")
        self.stream.flush()
