"""Fixed-window counters kept in the database, so that every worker counts the same attempts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from proposals.tables import RateLimit
from web.failures import TooManyAttempts
from web.messages import Term

_HIT = """
INSERT INTO rate_limit (key, window_start, hits) VALUES ({}, {}, 1)
ON CONFLICT (key) DO UPDATE SET
    hits = CASE WHEN rate_limit.window_start <= {} THEN 1 ELSE rate_limit.hits + 1 END,
    window_start = CASE WHEN rate_limit.window_start <= {} THEN {} ELSE rate_limit.window_start END
RETURNING hits, window_start
"""


async def hit(key: str, limit: int, window: timedelta, what: Term) -> None:
    """Count one attempt under `key`; TooManyAttempts past `limit` in the current window."""
    now = datetime.now(UTC)
    expired_before = now - window
    [row] = await RateLimit.raw(_HIT, key[:200], now, expired_before, expired_before, now)
    if row["hits"] > limit:
        started = row["window_start"]
        if isinstance(started, str):
            started = datetime.fromisoformat(started)
        retry_after = max(
            1, int((started.replace(tzinfo=started.tzinfo or UTC) + window - now).total_seconds())
        )
        raise TooManyAttempts(
            "Too many %(what)s: try again in %(minutes)s min.",
            retry_after,
            what=what,
            minutes=retry_after // 60 + 1,
        )
