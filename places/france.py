"""France's regions and departments, read from france.yaml (INSEE, Code officiel géographique).

The file is read once, on first use: importing this module costs nothing. Codes are taken exactly
as INSEE writes them ("01", "2A", "971"), only stripped and upper-cased, so "1" is refused rather
than guessed.
"""

from __future__ import annotations

import reprlib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml

from web.failures import InvalidInput


@dataclass(frozen=True, slots=True)
class Region:
    code: str
    name: str


@dataclass(frozen=True, slots=True)
class Department:
    code: str
    name: str
    region: Region


@dataclass(frozen=True, slots=True)
class _Geography:
    source: str
    vintage: int
    url: str
    regions: dict[str, Region]
    departments: dict[str, Department]  # in the file's order, which is INSEE's


@cache
def _geography() -> _Geography:
    data = yaml.safe_load(Path(__file__).with_name("france.yaml").read_text(encoding="utf-8"))
    by_code = {row["code"]: Region(row["code"], row["name"]) for row in data["regions"]}
    in_order = {
        row["code"]: Department(row["code"], row["name"], by_code[row["region"]])
        for row in data["departments"]
    }
    return _Geography(data["source"], data["vintage"], data["url"], by_code, in_order)


def _key(code: object) -> str | None:
    """The code as INSEE writes it, or None when it cannot be one."""
    return code.strip().upper() if isinstance(code, str) else None


def reference() -> tuple[str, int, str]:
    """Where the geography comes from: source, vintage (year of the COG) and address."""
    geography = _geography()
    return geography.source, geography.vintage, geography.url


def regions() -> tuple[Region, ...]:
    """The 18 regions, by code."""
    return tuple(sorted(_geography().regions.values(), key=lambda region: region.code))


def departments() -> tuple[Department, ...]:
    """The 101 departments in INSEE order: 01..19, 2A, 2B, 21..95, 971..976."""
    return tuple(_geography().departments.values())


def region(code: object) -> Region:
    """The region of this INSEE code ("84"), or InvalidInput on the field "region"."""
    found = _geography().regions.get(_key(code) or "")
    if found is None:
        raise InvalidInput(
            "%(code)s is not a French region: give its INSEE code, such as 11 or 84; "
            "GET /api/v1/territories lists them.",
            "region",
            code=reprlib.repr(code),
        )
    return found


def department(code: object) -> Department:
    """The department of this INSEE code ("75", "2a"), or InvalidInput on the field "department"."""
    found = _geography().departments.get(_key(code) or "")
    if found is None:
        raise InvalidInput(
            "%(code)s is not a French department: give its INSEE code, such as 75 or 2A; "
            "GET /api/v1/territories lists them.",
            "department",
            code=reprlib.repr(code),
        )
    return found
