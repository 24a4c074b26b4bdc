"""What the backup and restore of both engines share: their errors and table counts."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

Say = Callable[[str], None]

# Piccolo's record of the migrations applied: rows there are not data.
MIGRATIONS_TABLE = "migration"


class BackupError(Exception):
    """What stops a backup or a restore, in plain words. Exit status 2: nothing was changed."""

    exit_status = 2


class ToolFailed(BackupError):
    """pg_dump or pg_restore ran and failed."""

    exit_status = 1


@dataclass(frozen=True)
class TableCount:
    table: str
    rows: int


def not_empty(database: str, tables: int, rows: int, advice: str) -> str:
    holding = f"{rows} rows of data" if rows else "no data yet, as after `referentiel migrate`"
    return (
        f"refusing to restore into {database}: it is not empty ({tables} tables, {holding}). "
        f"A restore goes into an empty database only: {advice}, and point REFERENTIEL_DATABASE_URL at it"
    )
