"""The conclusion of a Delphi process: its retained proposals are accepted and published, its
rejected ones closed with the rounds' figures as their record, the rest returned to discussion.

The retained proposals are published together as ONE release, through the same publication function
as a vote: the panel decided them together, so one version carries the batch (cited, compared and
reported as one outcome with the process's report), rather than a string of releases that would
each look like a separate decision. Each indicator revision still names the proposal that made it.
A retained proposal that can no longer be published as written (its indicator was revised since its
base, or another retained proposal changes the same indicator) is returned to discussion instead,
for its author to update: the rest of the batch is not held back by it.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple

from indicators.publication import Change, ChangeKind, publish_release
from indicators.queries import current_revisions, texts_in_release
from indicators.versions import Bump
from proposals.audit import record
from proposals.delphi import last_round, process_row
from proposals.notifications import about, emit, emit_release
from proposals.roles import Actor, Role
from proposals.services import PUBLISHED_AS, moment, proposed_text, signed_in
from proposals.tables import DelphiProcess, DelphiRound, Proposal
from proposals.topics import PROPOSALS, delphi_topic, proposal_topic
from proposals.working_groups import get_working_group
from web.changes import announce
from web.database import lock_row, lock_rows
from web.failures import Conflict
from web.messages import Term

# The largest change class of the batch numbers the release.
BUMP_ORDER = (Bump.patch, Bump.minor, Bump.major)


@dataclass(frozen=True)
class Conclusion:
    process_id: int
    release_version: str | None
    retained: tuple[int, ...]  # accepted and published
    rejected: tuple[int, ...]
    returned: tuple[int, ...]  # back to discussion: to re-rate, or no longer publishable as written
    outrun: tuple[int, ...]  # those of `returned` retained by the panel but outrun (see the module)


class Final(NamedTuple):
    """A proposal's last closed round: its number, the outcome and the panel's figures there."""

    round: int
    outcome: str
    figures: dict


def final_outcomes(rounds: list[dict]) -> dict[int, Final]:
    """Each proposal's outcome in the last closed round that rated it."""
    final: dict[int, Final] = {}
    for round_ in sorted(rounds, key=lambda r: r["number"]):
        for proposal_id, result in (round_["results"] or {}).items():
            final[int(proposal_id)] = Final(round_["number"], result["outcome"], result["figures"])
    return final


async def conclude_process(actor: Actor | None, process_id: int, now: datetime | None = None) -> Conclusion:
    """A steward concludes a process after any closed round (module docstring)."""
    actor = signed_in(actor, Term("conclude a Delphi process"))
    actor.require(Role.steward, Term("conclude a Delphi process"))
    now = moment(now)
    async with DelphiProcess._meta.db.transaction():
        await lock_row(DelphiProcess, process_id)
        process = await process_row(process_id)
        if process["concluded_at"] is not None:
            raise Conflict("This Delphi process is already concluded.")
        last = await last_round(process_id)
        if last["closed_at"] is None:
            raise Conflict(
                "Round %(number)s is still open: close it before concluding.", number=last["number"]
            )
        rounds = await DelphiRound.select().where(DelphiRound.process == process_id).output(load_json=True)
        final = final_outcomes(rounds)
        await lock_rows(Proposal, list(final))
        rows = await _proposal_rows(sorted(final))
        chosen = sorted(p for p, last in final.items() if last.outcome == "retained")
        publishable, outrun = await _publishable([rows[p] for p in chosen])
        rejected = sorted(p for p, last in final.items() if last.outcome == "rejected")
        returned = sorted(set(final) - set(publishable) - set(rejected))
        group = await get_working_group(process["working_group"])
        release = None
        if publishable:
            release = await _publish(group.framework, process["title"], [rows[p] for p in publishable])
        await _decide(publishable, "accepted", process_id, final, now, release.id if release else None)
        await _decide(rejected, "rejected", process_id, final, now, None)
        outcome = {"retained": publishable, "rejected": rejected, "returned": returned, "outrun": outrun}
        await DelphiProcess.update(
            {
                DelphiProcess.concluded_at: now,
                DelphiProcess.outcome: outcome,
                DelphiProcess.release: release.id if release else None,
            }
        ).where(DelphiProcess.id == process_id)
        version = release.version if release else None
        for status, ids in (("accepted", publishable), ("rejected", rejected)):
            for proposal_id in ids:
                detail = {
                    "status": status,
                    "delphi": process_id,
                    "round": final[proposal_id].round,
                    "release": version,
                }
                await record(actor.id, "proposal.decided", "proposal", proposal_id, detail)
        await record(
            actor.id, "delphi.concluded", "delphi_process", process_id, {**outcome, "release": version}
        )
        for status, ids in (("accepted", publishable), ("rejected", rejected)):
            for proposal_id in ids:
                data = {**about(rows[proposal_id]), "status": status}
                await emit("decision", actor=actor.id, proposal=proposal_id, data=data)
        if release is not None:
            await emit_release(group.framework, release.version, [rows[p] for p in publishable])
        await announce(PROPOSALS, delphi_topic(process_id), *(proposal_topic(p) for p in final))
    return Conclusion(
        process_id, version, tuple(publishable), tuple(rejected), tuple(returned), tuple(outrun)
    )


async def _proposal_rows(ids: list[int]) -> dict[int, dict]:
    rows = (
        await Proposal.select(
            *Proposal.all_columns(),
            Proposal.theme.code.as_alias("theme_code"),
        )
        .where(Proposal.id.is_in(ids or [0]))
        .output(load_json=True)
    )
    return {row["id"]: row for row in rows}


async def _publishable(rows: list[dict]) -> tuple[list[int], list[int]]:
    """Of the retained proposals (by number), those that can be published together, and the others:
    outrun since their base, or changing an indicator that an earlier one of the batch changes."""
    touched = {(row["framework"], row["indicator_code"]) for row in rows if row["kind"] != "add"}
    current = await current_revisions(touched)
    publishable, outrun, seen = [], [], set()
    for row in rows:
        key = (row["framework"], row["indicator_code"])
        if row["status"] not in ("discussion", "last_call") or (
            row["kind"] != "add" and (current.get(key) != row["base_revision"] or key in seen)
        ):
            outrun.append(row["id"])
            continue
        seen.add(key)
        publishable.append(row["id"])
    return publishable, outrun


async def _publish(slug: str, title: str, rows: list[dict]):
    """One release of the batch, inside the conclusion's transaction."""
    by_base: dict[int, list[str]] = defaultdict(list)
    for row in rows:
        if row["kind"] != "add":
            by_base[row["base_release"]].append(row["indicator_code"])
    base_texts = {}
    for release_id, codes in by_base.items():  # one read per base release, not per proposal
        texts = await texts_in_release(release_id, codes)
        base_texts.update({(release_id, code): text for code, (_i, _r, text) in texts.items()})
    changes = [
        Change(
            ChangeKind(PUBLISHED_AS[row["kind"]]),
            row["indicator_code"],
            proposed_text(
                row["kind"], base_texts.get((row["base_release"], row["indicator_code"])), row["content"]
            ),
            theme=row["theme_code"] if row["kind"] == "add" else None,
            base_revision=row["base_revision"],
            proposal_id=row["id"],
        )
        for row in rows
    ]
    bump = max((Bump(row["change_class"]) for row in rows), key=BUMP_ORDER.index)
    return await publish_release(slug, changes, bump, summary=title)


async def _decide(
    ids: list[int],
    status: str,
    process_id: int,
    final: dict[int, Final],
    now: datetime,
    release_id: int | None,
) -> None:
    """Accept or reject proposals; their record (`tally`) is the panel's figures in the round that
    decided, with the process and round. One update each (a process rates at most MAX_ITEMS)."""
    for proposal_id in ids:
        last = final[proposal_id]
        tally = {"method": "delphi", "process": process_id, "round": last.round, "figures": last.figures}
        await Proposal.update(
            {
                Proposal.status: status,
                Proposal.decided_at: now,
                Proposal.tally: tally,
                Proposal.release: release_id,
                Proposal.updated_at: now,
            }
        ).where((Proposal.id == proposal_id) & Proposal.status.is_in(["discussion", "last_call"]))
