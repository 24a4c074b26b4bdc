"""Who someone is to the co-design loop: practitioner < member < steward."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from web.failures import Forbidden
from web.messages import Term


class Role(StrEnum):
    practitioner = "practitioner"
    member = "member"
    steward = "steward"

    @property
    def rank(self) -> int:
        return list(Role).index(self)

    def at_least(self, other: Role) -> bool:
        return self.rank >= other.rank


# The roles as messages name them ("Only a steward or above may...").
ROLE_NAMES = {
    Role.practitioner: Term("practitioner"),
    Role.member: Term("working-group member"),
    Role.steward: Term("steward"),
}


@dataclass(frozen=True)
class Actor:
    """The signed-in account acting, as use cases need it."""

    id: int
    role: Role
    display_name: str

    def require(self, role: Role, doing: Term) -> None:
        if not self.role.at_least(role):
            raise Forbidden("Only a %(role)s or above may %(doing)s.", role=ROLE_NAMES[role], doing=doing)
