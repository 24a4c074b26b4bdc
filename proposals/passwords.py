"""Passwords: argon2id hashes, computed in a worker thread so the event loop keeps serving."""

from __future__ import annotations

import asyncio
import os
from functools import cache
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from web.failures import InvalidInput

MIN_LENGTH = 8
MAX_LENGTH = 1024  # hashing a huge "password" would be a cheap denial of service

_COMMON_FILE = Path(__file__).with_name("common_passwords.txt")



@cache
def _hasher() -> PasswordHasher:
    """Argon2id with its recommended costs; REFERENTIEL_PASSWORD_HASHING=fast (the test suite and the
    benchmark's seeding) keeps the algorithm with the cheapest costs. Made at first use."""
    if os.environ.get("REFERENTIEL_PASSWORD_HASHING") == "fast":
        return PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    return PasswordHasher()


@cache
def _dummy_hash() -> str:
    """Verifying against this when an email is unknown takes as long as a real check, so timing
    does not tell which emails have accounts."""
    return _hasher().hash("no account has this password")


@cache
def common_passwords() -> frozenset[str]:
    return frozenset(line.strip().lower() for line in _COMMON_FILE.read_text().splitlines() if line.strip())


def check_password(password: str) -> None:
    """Checked exactly as typed: no trimming, no normalisation."""
    if "\x00" in password:
        raise InvalidInput("The password contains a NUL character, which is not allowed.", "password")
    if len(password) < MIN_LENGTH:
        raise InvalidInput(
            "The password must have at least %(minimum)s characters.", "password", minimum=MIN_LENGTH
        )
    if len(password) > MAX_LENGTH:
        raise InvalidInput(
            "The password must have at most %(maximum)s characters.", "password", maximum=MAX_LENGTH
        )
    if password.lower() in common_passwords():
        raise InvalidInput("This password is among the most common ones: choose another.", "password")


async def hash_password(password: str) -> str:
    return await asyncio.to_thread(_hasher().hash, password)


async def verify_password(password_hash: str | None, password: str) -> bool:
    if len(password) > MAX_LENGTH:
        return False

    def verify() -> bool:
        try:
            return _hasher().verify(password_hash or _dummy_hash(), password) and password_hash is not None
        except (VerificationError, InvalidHashError):
            return False

    return await asyncio.to_thread(verify)
