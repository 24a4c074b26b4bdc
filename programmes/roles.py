"""Who someone is to a programme: viewer < contributor < admin."""

from __future__ import annotations

from enum import StrEnum

from web.failures import InvalidInput
from web.messages import Term


class ProgrammeRole(StrEnum):
    viewer = "viewer"
    contributor = "contributor"
    admin = "admin"

    def at_least(self, other: ProgrammeRole) -> bool:
        order = list(ProgrammeRole)
        return order.index(self) >= order.index(other)


ROLE_NAMES = {
    ProgrammeRole.viewer: Term("programme viewer"),
    ProgrammeRole.contributor: Term("programme contributor"),
    ProgrammeRole.admin: Term("programme admin"),
}


def programme_role(value: object) -> ProgrammeRole:
    if not isinstance(value, str) or value not in ProgrammeRole.__members__:
        raise InvalidInput(
            "Unknown programme role: %(role)s. The roles are admin, contributor and viewer.",
            "role",
            role=str(value)[:40],
        )
    return ProgrammeRole(value)
