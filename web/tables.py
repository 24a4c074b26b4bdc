"""The kernel's table: the change log that tells every worker which cached views went stale.

Plain Piccolo (its migrations come from `piccolo migrations new web --auto`): nothing here needs raw SQL.
"""

from piccolo.columns import Serial, Text, Timestamptz
from piccolo.table import Table


class ChangeEvent(Table, tablename="change_event"):
    """One committed change: SQLite workers poll for ids above the last one they saw."""

    id = Serial(primary_key=True)
    topics = Text()  # space-separated topics
    at = Timestamptz()
