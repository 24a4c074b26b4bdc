"""A page of a longer list (proposals, comments): its items, and where it stands among them."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar, overload

Item = TypeVar("Item")


@dataclass(frozen=True)
class Paged(Sequence[Item], Generic[Item]):
    """Read as the sequence of its items."""

    items: list[Item]
    total: int
    page: int | None  # None for a page found by a cursor: where it stands is not counted
    per_page: int
    # Opaque positions of the pages after (older) and before (newer) this one, for lists read by cursor.
    next_cursor: str | None = None
    previous_cursor: str | None = None

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.per_page))

    @overload
    def __getitem__(self, index: int) -> Item: ...
    @overload
    def __getitem__(self, index: slice) -> list[Item]: ...
    def __getitem__(self, index: int | slice) -> Item | list[Item]:
        return self.items[index]

    def __len__(self) -> int:
        return len(self.items)
