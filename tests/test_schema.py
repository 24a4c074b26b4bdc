"""tables.py is the source of the schema: the database agrees with it, on both engines."""

from __future__ import annotations

import dataclasses

from tests.conftest import DATABASE_URL
from tests.schema_shapes import declared_schema, differences, live_schema


async def test_every_table_class_agrees_with_the_database(db: None):
    found = differences(declared_schema(), await live_schema(DATABASE_URL))
    assert not found, "tables.py and the database disagree:\n" + "\n".join(found)


async def test_the_parity_check_names_what_differs(db: None):
    live = await live_schema(DATABASE_URL)
    live["audit_log"].unique_columns.discard("entry_hash")
    live["framework"].columns["slug"] = dataclasses.replace(live["framework"].columns["slug"], type="text")
    del live["ballot"].named_indexes["ballot_once"]
    found = differences(declared_schema(), live)
    assert found == [
        "audit_log.entry_hash: UNIQUE in tables.py only",
        "ballot: index ballot_once UNIQUE (proposal, voter) in tables.py, none in the database",
        "framework.slug: type varchar(100) in tables.py, text in the database",
    ]
