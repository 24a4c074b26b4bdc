"""The composite indexes of the Delphi tables (proposals/tables.py, UNIQUE_INDEXES and INDEXES), which
Piccolo cannot declare: one rating per member, item and criterion; one comment per member and item.

Its own migration because a migration runs its raw steps before its table changes.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-12-02T16:19:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "unique indexes of delphi_round, delphi_item, delphi_rating, delphi_comment"

# Written out rather than read from tables.py: a migration says what the schema was when it ran.
INDEXES = (
    "CREATE UNIQUE INDEX delphi_round_number ON delphi_round (process, number)",
    "CREATE UNIQUE INDEX delphi_item_once ON delphi_item (round, proposal)",
    "CREATE UNIQUE INDEX delphi_rating_once ON delphi_rating (item, rater, criterion)",
    "CREATE UNIQUE INDEX delphi_comment_once ON delphi_comment (item, rater)",
    "CREATE INDEX delphi_item_proposal ON delphi_item (proposal, round)",
)


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="proposals", description=DESCRIPTION)

    async def create_indexes() -> None:
        engine = engine_finder()
        for sql in INDEXES:
            await engine.run_ddl(sql)

    manager.add_raw(create_indexes)
    return manager
