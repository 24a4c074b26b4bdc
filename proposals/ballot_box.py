"""Ballots written together: the ballots a worker receives at once go to the database in one
transaction (web/batches.py), with their audit entries and one change announcement.

A ballot alone took a transaction of eight statements, among them its audit entry's and a `NOTIFY`,
which PostgreSQL serialises from the pre-commit to the flush of the WAL: under many voters the
workers' CPU and that lock set the rate. Here whoever has the turn writes every ballot waiting (one
per proposal and voter, at most `MOST`).

Each ballot is checked in the transaction (the proposal exists, the vote is open, the voter is one of
its voters) in one statement for the batch, the proposals read under a shared lock (a decision
waits for the ballots being written; those written after it see its status). Each request keeps its
own answer: a ballot refused there, or whose request's `before_commit` hook refuses it (an
Idempotency-Key taken over by a retry), is left out and the others are written without it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime

from proposals.audit import Entry, record_many
from proposals.services import STATUS_NAMES
from proposals.tables import Ballot, Proposal
from proposals.topics import proposal_topic
from proposals.working_groups import vote_states
from web.batches import Batches, Waiting
from web.changes import announce
from web.database import before_commit_hook, in_transaction
from web.failures import Conflict, DomainError, Forbidden, NotFound

MOST = 64  # ballots in one transaction
# Written by hand: Piccolo took longer to build an insert of many rows than the database to run it.
_INSERT = """
INSERT INTO ballot (proposal, voter, choice, reason, cast_at) VALUES ROWS
ON CONFLICT (proposal, voter) DO UPDATE
SET choice = excluded.choice, reason = excluded.reason, cast_at = excluded.cast_at
"""


@dataclass(eq=False)
class _Ballot(Waiting):
    proposal: int
    voter: int
    choice: str
    reason: str
    cast_at: datetime
    hook: Callable[[], Awaitable[None]] | None


def _take(waiting: list[_Ballot]) -> tuple[list[_Ballot], list[_Ballot]]:
    """The ballots of the next transaction, in the order they came: one per proposal and voter (the
    next one replaces it, in a transaction of its own), at most MOST."""
    batch: list[_Ballot] = []
    keys: set[tuple[int, int]] = set()
    left: list[_Ballot] = []
    for ballot in waiting:
        key = (ballot.proposal, ballot.voter)
        if len(batch) < MOST and key not in keys:
            batch.append(ballot)
            keys.add(key)
        else:
            left.append(ballot)
    return batch, left


def _check(state: dict | None, ballot: _Ballot) -> None:
    """The refusal of a ballot, if any, from the state of its proposal (working_groups.vote_states)."""
    if state is None:
        raise NotFound("There is no proposal number %(number)s.", number=str(ballot.proposal))
    if not state["voter"]:
        if state["local"]:
            raise Forbidden(
                "Only members of the territorial network of this local adaptation may vote on it."
            )
        raise Forbidden("Only members of the working group responsible for this theme may vote on it.")
    if state["status"] != "voting" or not state["vote_opened_at"] <= ballot.cast_at < state["closes_at"]:
        raise Conflict(
            "The vote is not open: proposal %(number)s is %(status)s.",
            number=str(state["id"]),
            status=STATUS_NAMES[state["status"]],
        )


async def write_ballot(proposal: int, voter: int, choice: str, reason: str, cast_at: datetime) -> None:
    """Write (or replace) a voter's ballot, with its audit entry, once its turn comes; NotFound,
    Forbidden or Conflict if the checks made then refuse it (`_check`)."""
    if in_transaction():  # the caller's: the ballot is written in it, alone
        await _ballots.write_alone(_Ballot(proposal, voter, choice, reason, cast_at, hook=None))
    else:
        await _ballots.submit(_Ballot(proposal, voter, choice, reason, cast_at, before_commit_hook()))


class _Refused(Exception):
    def __init__(self, ballot: _Ballot, error: Exception) -> None:
        self.ballot, self.error = ballot, error


async def _write_batch(batch: list[_Ballot]) -> None:
    """Each ballot's answer: written, or the error that kept it out."""
    while batch:
        try:
            refused = await _write(batch)
        except _Refused as refusal:  # rolled back: the others again, without it
            refusal.ballot.done.set_exception(refusal.error)
            batch.remove(refusal.ballot)
            continue
        for ballot in batch:
            if ballot in refused:
                ballot.done.set_exception(refused[ballot])
            else:
                ballot.done.set_result(None)
        return


_ballots = Batches(_write_batch, _take)


async def _write(batch: list[_Ballot]) -> dict[_Ballot, Exception]:
    """One transaction for the batch; the ballots refused there (the vote closed meanwhile)."""
    refused: dict[_Ballot, Exception] = {}
    async with Proposal._meta.db.transaction():
        states = await vote_states([(ballot.proposal, ballot.voter) for ballot in batch])
        for ballot in batch:
            try:
                _check(states.get((ballot.proposal, ballot.voter)), ballot)
            except DomainError as error:
                refused[ballot] = error
        cast = sorted((b for b in batch if b not in refused), key=lambda b: (b.proposal, b.voter))
        if not cast:
            return refused
        # In the order of their keys, so that two transactions writing the same ones cannot deadlock.
        values = [value for b in cast for value in (b.proposal, b.voter, b.choice, b.reason, b.cast_at)]
        await Ballot.raw(_INSERT.replace("ROWS", ", ".join(["({}, {}, {}, {}, {})"] * len(cast))), *values)
        # The choice stays out of the log: tallies are hidden until the decision.
        await record_many([Entry(b.voter, "vote.cast", "proposal", b.proposal) for b in cast])
        await announce(*sorted({proposal_topic(b.proposal) for b in cast}))
        for ballot in cast:
            if ballot.hook is not None:
                try:
                    await ballot.hook()
                except Exception as error:
                    raise _Refused(ballot, error) from error
    return refused
