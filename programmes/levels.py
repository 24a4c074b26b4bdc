"""Where a programme stands on an indicator: the scale of a self-assessment."""

from __future__ import annotations

from web.failures import InvalidInput
from web.messages import Term

# In the order of the scale; `not_applicable` stands outside it and needs a justification.
LEVELS = ("not_started", "in_progress", "in_place", "exemplary", "not_applicable")
NOT_APPLICABLE = "not_applicable"

LEVEL_NAMES = {
    "not_started": Term("not started"),
    "in_progress": Term("in progress"),
    "in_place": Term("in place"),
    "exemplary": Term("exemplary"),
    "not_applicable": Term("not applicable"),
}


def level(value: object) -> str:
    """A level of the scale, or InvalidInput naming the levels."""
    if not isinstance(value, str) or value not in LEVELS:
        raise InvalidInput(
            "Unknown level: %(level)s. The levels are %(levels)s.",
            "level",
            level=str(value)[:40],
            levels=", ".join(LEVELS),
        )
    return value
