"""The kernel's tables: the change log that tells every worker which cached views went stale, and
the requests sent with an idempotency key (web/idempotency.py).

Plain Piccolo (its migrations come from `piccolo migrations new web --auto`), but for the index on
two columns below, which Piccolo cannot declare (created by raw SQL in a migration of its own).
"""

from piccolo.columns import Boolean, Column, Integer, Serial, Text, Timestamptz
from piccolo.table import Table


class ChangeEvent(Table, tablename="change_event"):
    """One committed change: SQLite workers poll for ids above the last one they saw."""

    id = Serial(primary_key=True)
    topics = Text()  # space-separated topics
    at = Timestamptz()


class IdempotentRequest(Table, tablename="idempotent_request"):
    """A write sent with an idempotency key: claimed before it runs, marked `applied` in the
    transaction of its change, then its answer, which a retry with the same key gets again."""

    id = Serial(primary_key=True)
    owner = Text()  # whose key: "account:12", "address:192.0.2.1", "form:account:12"
    key = Text()
    fingerprint = Text()  # SHA-256 of the method, address and body
    holder = Text()  # a random token of the request running it: a takeover changes it
    lease_until = Timestamptz()  # after it, a request not applied is run again by its next retry
    applied = Boolean(default=False)
    status = Integer(null=True, default=None)  # the answer, once it is stored
    headers = Text(default="")  # the answer's headers kept, as JSON [[name, value], ...]
    body = Text(null=True, default=None)  # base64; None when the answer is not kept (a secret)
    created_at = Timestamptz(index=True)  # keys are forgotten 48 hours later


UNIQUE_INDEXES: dict[str, tuple[Column, ...]] = {
    "idempotent_request_key": (IdempotentRequest.owner, IdempotentRequest.key),
}
