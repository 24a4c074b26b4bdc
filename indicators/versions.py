"""Release numbers: semantic versions, parsed strictly, compared as numbers."""

from __future__ import annotations

import re
from enum import StrEnum
from typing import NamedTuple

from web.failures import InvalidInput

LATEST = "latest"
# ASCII digits only: without re.ASCII, \d also matches "１" or "١", which int() reads as 1.
_VERSION = re.compile(r"(0|[1-9]\d{0,5})\.(0|[1-9]\d{0,5})\.(0|[1-9]\d{0,5})", re.ASCII)


class Bump(StrEnum):
    major = "major"
    minor = "minor"
    patch = "patch"


class Version(NamedTuple):
    major: int
    minor: int
    patch: int

    def __str__(self) -> str:
        return f"{self.major}.{self.minor}.{self.patch}"

    def bump(self, part: Bump) -> Version:
        if part is Bump.major:
            return Version(self.major + 1, 0, 0)
        if part is Bump.minor:
            return Version(self.major, self.minor + 1, 0)
        return Version(self.major, self.minor, self.patch + 1)


def parse_version(text: str) -> Version:
    match = _VERSION.fullmatch(text)
    if match is None:
        shown = text if len(text) <= 40 else text[:40] + "…"
        raise InvalidInput(
            "%(given)r is not a release number: write MAJOR.MINOR.PATCH (e.g. 1.0.0) or 'latest'", given=shown
        )
    return Version(*(int(part) for part in match.groups()))
