"""Abuse limits: how often an action may be done, per account and per address, counted in the
database so that every worker (and host) counts the same attempts.

Each limit is a number of attempts in a fixed window of seconds, under a name "action:scope":
scope `account` (the signed-in account), `address` (the client's address, see
web.requests.client_address) or `account-address` (the pair). Past a limit the action is refused
with 429 and Retry-After; `sign-in:account` is softer: past it, sign-ins to the account are slowed,
never refused, so that nobody can lock the owner out of their own account. Defaults below;
REFERENTIEL_RATE_LIMITS overrides some ("comment:account=30/3600,vote:address=500/3600").
"""

from __future__ import annotations

import asyncio
import re
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import cast

from proposals.tables import RateLimit
from web.batches import Batches, Waiting
from web.database import in_transaction, write_turn
from web.failures import TooManyAttempts
from web.messages import Term


@dataclass(frozen=True)
class Limit:
    count: int
    seconds: int


HOUR, QUARTER = 3600, 900
DAY = 24 * HOUR
# Generous for people (a room of trainees behind one address, a steward's busy hour), tight for
# scripts: a human does not write two comments a minute for an hour.
DEFAULT_LIMITS: dict[str, Limit] = {
    "register:address": Limit(300, HOUR),
    "sign-in:address": Limit(50, QUARTER),
    "sign-in:account-address": Limit(10, QUARTER),
    "sign-in:account": Limit(30, QUARTER),  # soft: slows, never refuses
    "token:account": Limit(100, HOUR),
    "proposal:account": Limit(60, HOUR),
    "proposal:address": Limit(300, HOUR),
    "revision:account": Limit(120, HOUR),
    "revision:address": Limit(600, HOUR),
    "comment:account": Limit(120, HOUR),
    "comment:address": Limit(600, HOUR),
    "vote:account": Limit(240, HOUR),
    "vote:address": Limit(1200, HOUR),
    # Programmes are few; many from one person would be a way to count as many voices (field evidence).
    "programme:account": Limit(10, DAY),
    "programme:address": Limit(50, DAY),
}
SOFT = {"sign-in:account"}
SLOWDOWN_SECONDS = 1.0  # per attempt past a soft limit
SLOWDOWN_MAX_SECONDS = 5.0
_SETTING = re.compile(r"([a-z-]+:[a-z-]+)=([0-9]{1,6})/([0-9]{1,7})")
# The actions as messages name them ("Too many comments: try again in 12 min.").
WHAT = {
    "register": Term("registrations"),
    "sign-in": Term("sign-in attempts"),
    "token": Term("API tokens created"),
    "proposal": Term("proposals"),
    "revision": Term("revisions"),
    "comment": Term("comments"),
    "vote": Term("votes"),
    "programme": Term("programmes created"),
}


def parse_limits(text: str) -> dict[str, Limit]:
    """ "name=count/seconds" separated by commas; ValueError naming what is wrong."""
    limits = {}
    for part in (part.strip() for part in text.split(",")):
        if not part:
            continue
        match = _SETTING.fullmatch(part)
        if match is None or match.group(1) not in DEFAULT_LIMITS:
            raise ValueError(f"{part!r}: write NAME=COUNT/SECONDS, NAME one of {', '.join(DEFAULT_LIMITS)}")
        count, seconds = int(match.group(2)), int(match.group(3))
        if count < 1 or seconds < 1:
            raise ValueError(f"{part!r}: the count and the seconds are at least 1")
        limits[match.group(1)] = Limit(count, seconds)
    return limits


_HIT = """
INSERT INTO rate_limit (key, window_start, hits) VALUES ROWS
ON CONFLICT (key) DO UPDATE SET
    hits = CASE WHEN rate_limit.window_start <= {} THEN excluded.hits
                ELSE rate_limit.hits + excluded.hits END,
    window_start = CASE WHEN rate_limit.window_start <= {} THEN {} ELSE rate_limit.window_start END
RETURNING key, hits, window_start
"""


@dataclass(eq=False)
class _Attempt(Waiting):
    """One more attempt under each key, in a window of `window`."""

    keys: list[str]
    window: timedelta


async def _count(keys: list[str], window: timedelta) -> dict[str, tuple[int, int]]:
    """One more attempt under each key: key: (attempts in the current window, seconds until it ends).
    The attempts of the requests that come at once are counted together (web/batches.py)."""
    attempt = _Attempt(sorted(key[:200] for key in keys), window)
    counted = await (_counts.write_alone(attempt) if in_transaction() else _counts.submit(attempt))
    return cast(dict[str, tuple[int, int]], counted)


async def _write_counts(batch: list[_Attempt]) -> None:
    """The attempts of a batch, one statement per window: each key's hits go up by the batch's
    attempts under it, and each attempt is told its own place among them."""
    now = datetime.now(UTC)
    counts: dict[_Attempt, dict[str, tuple[int, int]]] = {attempt: {} for attempt in batch}
    async with write_turn():
        for window in sorted({attempt.window for attempt in batch}):
            attempts = [attempt for attempt in batch if attempt.window == window]
            hits = Counter(key for attempt in attempts for key in attempt.keys)
            totals = await _hit(hits, window, now)
            told: Counter[str] = Counter()
            for attempt in attempts:
                for key in attempt.keys:
                    told[key] += 1
                    total, retry_after = totals[key]
                    counts[attempt][key] = (total - hits[key] + told[key], retry_after)
    for attempt, counted in counts.items():
        attempt.done.set_result(counted)


async def _hit(hits: Counter[str], window: timedelta, now: datetime) -> dict[str, tuple[int, int]]:
    """Add `hits` in one statement (rows locked in the keys' order, so that two of them cannot
    deadlock): key: (attempts in its current window, seconds until it ends)."""
    expired_before = now - window
    keys = sorted(hits)
    sql = _HIT.replace("ROWS", ", ".join(["({}, {}, {})"] * len(keys)))  # a key, its moment, its hits
    arguments = [value for key in keys for value in (key, now, hits[key])]
    rows = await RateLimit.raw(sql, *arguments, expired_before, expired_before, now)
    totals = {}
    for row in rows:
        started = row["window_start"]
        if isinstance(started, str):
            started = datetime.fromisoformat(started)
        remaining = (started.replace(tzinfo=started.tzinfo or UTC) + window - now).total_seconds()
        totals[row["key"]] = (row["hits"], max(1, int(remaining)))
    return totals


_counts = Batches(_write_counts)


async def _judge(limit: Limit, name: str, hits: int, retry_after: int) -> None:
    """TooManyAttempts past a hard limit, a pause past a soft one."""
    if hits <= limit.count:
        return
    if name in SOFT:
        await asyncio.sleep(min(SLOWDOWN_MAX_SECONDS, SLOWDOWN_SECONDS * (hits - limit.count)))
        return
    raise TooManyAttempts(
        "Too many %(what)s: try again in %(minutes)s min.",
        retry_after,
        what=WHAT[name.partition(":")[0]],
        minutes=retry_after // 60 + 1,
    )


async def limit_action(
    limits: dict[str, Limit], action: str, account: int | str | None = None, address: str | None = None
) -> None:
    """Count an attempt of `action` (e.g. "comment") by the account and from the address under each
    of its limits that applies, one statement for the limits of one window; then TooManyAttempts
    past a hard limit, a pause past a soft one."""
    applying = [
        (f"{action}:{scope}", str(who))
        for scope, who in (
            ("account", account),
            ("address", address),
            ("account-address", f"{account}|{address}"),
        )
        if f"{action}:{scope}" in limits
        and who is not None
        and (scope != "account-address" or (account and address))
    ]
    counts: dict[str, tuple[int, int]] = {}
    for seconds in sorted({limits[name].seconds for name, _ in applying}):
        keys = [f"{name}:{who}" for name, who in applying if limits[name].seconds == seconds]
        counts.update(await _count(keys, timedelta(seconds=seconds)))
    for name, who in applying:
        await _judge(limits[name], name, *counts[f"{name}:{who}"[:200]])
