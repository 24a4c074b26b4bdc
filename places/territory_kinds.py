"""The kinds of territory a mentoring programme may serve, beyond where it is."""

from __future__ import annotations

import reprlib

from web.failures import InvalidInput
from web.messages import Term

# In the order they are shown and returned; QPV: quartiers prioritaires de la politique de la ville.
TERRITORY_KINDS = ("rural", "qpv", "overseas", "urban")

KIND_NAMES = {
    "rural": Term("rural area"),
    "qpv": Term("priority neighbourhood (QPV)"),
    "overseas": Term("overseas (DROM)"),
    "urban": Term("urban area"),
}


def territory_kinds(values: object) -> tuple[str, ...]:
    """The kinds given, without duplicates and in TERRITORY_KINDS order (none is allowed),
    or InvalidInput on the field "territory_kinds"."""
    # A string is a sequence too, but "rural" must not be read as five letters.
    if not isinstance(values, list | tuple):
        raise InvalidInput(
            'The kinds of territory must be a list, such as ["rural", "qpv"].', "territory_kinds"
        )
    for value in values:
        if not isinstance(value, str) or value not in TERRITORY_KINDS:
            raise InvalidInput(
                "Unknown kind of territory: %(kind)s. The kinds are %(kinds)s.",
                "territory_kinds",
                kind=reprlib.repr(value),
                kinds=", ".join(TERRITORY_KINDS),
            )
    return tuple(kind for kind in TERRITORY_KINDS if kind in values)
