"""Delphi rating rounds (RAND/UCLA method): a steward opens a process on a batch of proposals of a
working group; its members rate each item 1-9 on each criterion, anonymously; at each round's close
the panel's figures classify the items; the items to re-rate go to the next round.

Ratings are kept with their rater (to let a member change them and see their own), never shown to
anyone else: reads give figures of the panel only, and only from MIN_RATINGS ratings on. The audit log
says that a member rated, never the value. The conclusion is in delphi_conclusion.py.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from datetime import datetime, timedelta

from proposals.audit import record
from proposals.delphi_statistics import SCALE, Classification, figures, outcome
from proposals.roles import Actor, Role
from proposals.services import STATUS_NAMES, clean_text, moment, positive_id, signed_in
from proposals.tables import DelphiComment, DelphiItem, DelphiProcess, DelphiRating, DelphiRound, Proposal
from proposals.topics import PROPOSALS, delphi_topic, proposal_topic
from proposals.working_groups import get_working_group, group_voters
from web.changes import announce
from web.database import lock_row, lock_rows
from web.failures import Conflict, Forbidden, InvalidInput, NotFound
from web.markdown import render_markdown_off_loop
from web.messages import Term

log = logging.getLogger(__name__)

DEFAULT_CRITERIA = ("relevance", "feasibility")
MAX_CRITERIA = 5
CRITERION_MAX = 40
MAX_ITEMS = 100
MIN_PANEL = 3  # the method's smallest panel
# Figures of an item on a criterion need this many ratings: with fewer, whoever knows who answered
# (a steward sees it) could read one member's rating in the distribution.
MIN_RATINGS = 3
TITLE_MAX = 200
INSTRUCTIONS_MAX = 10_000
COMMENT_MAX = 2_000
LONGEST_ROUND = timedelta(days=90)


def _clean_criteria(criteria: object) -> tuple[str, ...]:
    if criteria is None:
        return DEFAULT_CRITERIA
    if not isinstance(criteria, list | tuple) or not criteria:
        raise InvalidInput("Give the criteria as a list of one to %(n)s names.", "criteria", n=MAX_CRITERIA)
    names = tuple(
        clean_text(c, Term("criterion"), CRITERION_MAX, line=True, field="criteria") for c in criteria
    )
    if len(names) > MAX_CRITERIA:
        raise InvalidInput("At most %(n)s criteria may be rated.", "criteria", n=MAX_CRITERIA)
    if len(set(names)) != len(names):
        raise InvalidInput("Each criterion may be named once only.", "criteria")
    return names


def _clean_closing(closes_at: object, now: datetime) -> datetime:
    if not isinstance(closes_at, datetime) or closes_at.tzinfo is None:
        raise InvalidInput(
            "Give the closing time as a date and time with its time zone, e.g. 2027-01-31T18:00:00Z.",
            "closes_at",
        )
    if closes_at <= now:
        raise InvalidInput("The closing time must be in the future.", "closes_at")
    if closes_at > now + LONGEST_ROUND:
        raise InvalidInput("A round lasts at most %(days)s days.", "closes_at", days=LONGEST_ROUND.days)
    return closes_at


def _clean_proposals(proposals: object) -> list[int]:
    if not isinstance(proposals, list | tuple) or not proposals:
        raise InvalidInput("Choose at least one proposal to rate.", "proposals")
    ids = [positive_id(p, Term("proposal number"), "proposals") for p in proposals]
    if len(set(ids)) != len(ids):
        raise InvalidInput("Each proposal may be listed once only.", "proposals")
    if len(ids) > MAX_ITEMS:
        raise InvalidInput("A process rates at most %(n)s proposals.", "proposals", n=MAX_ITEMS)
    return ids


async def holding_process(proposal_id: int) -> int | None:
    """The process, not yet concluded, in which a proposal is rated (None if there is none)."""
    row = (
        await DelphiItem.select(DelphiItem.round.process.as_alias("process"))
        .where((DelphiItem.proposal == proposal_id) & DelphiItem.round.process.concluded_at.is_null())
        .first()
    )
    return row["process"] if row else None


async def refuse_if_rated(proposal_id: int) -> None:
    """A proposal being rated in a Delphi process is decided by it: no vote, revision or withdrawal."""
    process = await holding_process(proposal_id)
    if process is not None:
        raise Conflict(
            "Proposal %(number)s is being rated by its working group (Delphi process %(process)s): "
            "it may change again once the process concludes.",
            number=str(proposal_id),
            process=str(process),
        )


async def open_process(
    actor: Actor | None,
    group_id: int,
    title: object,
    proposals: object,
    closes_at: object,
    criteria: object = None,
    instructions: object = "",
    now: datetime | None = None,
) -> int:
    """A steward opens a Delphi process and its first round on proposals in discussion of the themes
    of a working group of three voters at least. Returns its id."""
    actor = signed_in(actor, Term("open a Delphi process"))
    actor.require(Role.steward, Term("open a Delphi process"))
    positive_id(group_id, Term("working group number"))
    now = moment(now)
    title = clean_text(title, Term("title"), TITLE_MAX, line=True, field="title")
    instructions = clean_text(
        instructions or "",
        Term("instructions"),
        INSTRUCTIONS_MAX,
        required=False,
        field="instructions",
        markdown=True,
    )
    ids = _clean_proposals(proposals)
    closes_at = _clean_closing(closes_at, now)
    names = _clean_criteria(criteria)
    group = await get_working_group(group_id)
    instructions_html = await render_markdown_off_loop(instructions)
    async with DelphiProcess._meta.db.transaction():
        await lock_rows(Proposal, ids)
        await _check_items(group.id, group.themes, ids)
        if len(await group_voters(group.id)) < MIN_PANEL:
            raise Conflict(
                "A Delphi panel needs %(n)s members who may vote at least: the working group %(group)r "
                "has fewer.",
                n=MIN_PANEL,
                group=group.name,
            )
        process = DelphiProcess(
            working_group=group.id,
            title=title,
            instructions=instructions,
            instructions_html=instructions_html,
            criteria=list(names),
            created_by=actor.id,
            created_at=now,
        )
        await DelphiProcess.insert(process)
        await _open_round(process.id, 1, ids, now, closes_at)
        detail = {"working_group": group.id, "proposals": ids, "criteria": list(names)}
        await record(actor.id, "delphi.opened", "delphi_process", process.id, detail)
        await announce(PROPOSALS, delphi_topic(process.id), *(proposal_topic(p) for p in ids))
    return process.id


async def _check_items(group_id: int, themes: tuple[str, ...], ids: list[int]) -> None:
    rows = await Proposal.select(
        Proposal.id, Proposal.status, Proposal.adaptation, Proposal.theme.code.as_alias("theme")
    ).where(Proposal.id.is_in(ids))
    found = {row["id"]: row for row in rows}
    for proposal_id in ids:
        row = found.get(proposal_id)
        if row is None:
            raise NotFound("There is no proposal number %(number)s.", number=str(proposal_id))
        if row["adaptation"] is not None:
            raise Conflict(
                "Proposal %(number)s is to a local adaptation: its territorial network decides it by a vote.",
                number=str(proposal_id),
            )
        if row["theme"] not in themes:
            raise Conflict(
                "Proposal %(number)s is in the theme %(theme)s, which this working group does not "
                "answer for.",
                number=str(proposal_id),
                theme=row["theme"],
            )
        if row["status"] not in ("discussion", "last_call"):
            raise Conflict(
                "Proposal %(number)s is %(status)s: only proposals in discussion or in last call are rated.",
                number=str(proposal_id),
                status=STATUS_NAMES[row["status"]],
            )
    held = (
        await DelphiItem.select(DelphiItem.proposal)
        .where(DelphiItem.proposal.is_in(ids) & DelphiItem.round.process.concluded_at.is_null())
        .order_by(DelphiItem.proposal)
        .first()
    )
    if held is not None:
        raise Conflict(
            "Proposal %(number)s is already rated in another Delphi process.", number=str(held["proposal"])
        )


async def _open_round(
    process_id: int, number: int, ids: list[int], now: datetime, closes_at: datetime
) -> None:
    round_ = DelphiRound(process=process_id, number=number, opened_at=now, closes_at=closes_at)
    await DelphiRound.insert(round_)
    await DelphiItem.insert(*(DelphiItem(round=round_.id, proposal=p) for p in ids))


async def process_row(process_id: int) -> dict:
    positive_id(process_id, Term("Delphi process number"))
    row = await DelphiProcess.select().where(DelphiProcess.id == process_id).output(load_json=True).first()
    if row is None:
        raise NotFound("There is no Delphi process number %(number)s.", number=str(process_id))
    return row


async def last_round(process_id: int) -> dict | None:
    return (
        await DelphiRound.select()
        .where(DelphiRound.process == process_id)
        .order_by(DelphiRound.number, ascending=False)
        .output(load_json=True)
        .first()
    )


async def _open_round_of(process: dict, now: datetime) -> dict:
    """The round open for ratings now, or Conflict."""
    last = await last_round(process["id"])
    if process["concluded_at"] is not None or last is None or last["closed_at"] is not None:
        raise Conflict("No round of this Delphi process is open for ratings.")
    if now >= last["closes_at"]:
        raise Conflict(
            "Round %(number)s closed at its closing time: ratings are no longer taken.", number=last["number"]
        )
    return last


def _clean_ratings(ratings: object, criteria: list[str]) -> dict[str, int]:
    if not isinstance(ratings, dict) or not ratings:
        raise InvalidInput(
            "Rate the item on its criteria: %(criteria)s.", "ratings", criteria=", ".join(criteria)
        )
    for criterion, value in ratings.items():
        if criterion not in criteria:
            raise InvalidInput(
                "Unknown criterion %(criterion)r: this process rates %(criteria)s.",
                "ratings",
                criterion=criterion,
                criteria=", ".join(criteria),
            )
        if isinstance(value, bool) or not isinstance(value, int) or value not in SCALE:
            raise InvalidInput(
                "The rating of %(criterion)s must be a whole number from 1 to 9.",
                "ratings",
                criterion=criterion,
            )
    return dict(ratings)


async def rate_item(
    actor: Actor | None,
    process_id: int,
    proposal_id: int,
    ratings: object,
    comment: object = None,
    now: datetime | None = None,
) -> int:
    """A member of the panel rates an item of the open round; rating it again replaces the ratings
    and the comment (a criterion left out is no longer rated). Returns the round's number."""
    actor = signed_in(actor, Term("rate in a Delphi process"))
    positive_id(proposal_id, Term("proposal number"))
    now = moment(now)
    process = await process_row(process_id)
    ratings = _clean_ratings(ratings, process["criteria"])
    comment = clean_text(comment or "", Term("comment"), COMMENT_MAX, required=False, field="comment")
    async with DelphiProcess._meta.db.transaction():
        # Ratings and a round's close take the process in turn: a close counts every rating taken.
        await lock_row(DelphiProcess, process_id)
        round_ = await _open_round_of(await process_row(process_id), now)
        if actor.id not in await group_voters(process["working_group"]):
            raise Forbidden("Only members of the working group may rate in its Delphi process.")
        item = (
            await DelphiItem.select(DelphiItem.id)
            .where((DelphiItem.round == round_["id"]) & (DelphiItem.proposal == proposal_id))
            .first()
        )
        if item is None:
            raise NotFound(
                "Proposal %(number)s is not rated in round %(round)s of this process.",
                number=str(proposal_id),
                round=round_["number"],
            )
        mine = (DelphiRating.item == item["id"]) & (DelphiRating.rater == actor.id)
        await DelphiRating.delete().where(mine)
        await DelphiRating.insert(
            *(
                DelphiRating(item=item["id"], rater=actor.id, criterion=c, value=v, rated_at=now)
                for c, v in ratings.items()
            )
        )
        await DelphiComment.delete().where(
            (DelphiComment.item == item["id"]) & (DelphiComment.rater == actor.id)
        )
        if comment:
            await DelphiComment.insert(
                DelphiComment(item=item["id"], rater=actor.id, body=comment, written_at=now)
            )
        # That the member rated in this round: never which item, the values nor the comment (the
        # log's readers see who rated; the figures need not be matched with them item by item).
        detail = {"round": round_["number"]}
        await record(actor.id, "delphi.rated", "delphi_process", process_id, detail)
        await announce(delphi_topic(process_id))
    return round_["number"]


async def close_round(actor: Actor | None, process_id: int, now: datetime | None = None) -> int:
    """Close the open round and classify its items: by a steward at any time, or automatically
    (actor None) once its closing time has passed. Returns the round's number."""
    if actor is not None:
        actor.require(Role.steward, Term("close a Delphi round"))
    now = moment(now)
    async with DelphiProcess._meta.db.transaction():
        await lock_row(DelphiProcess, process_id)
        process = await process_row(process_id)
        last = await last_round(process_id)
        if process["concluded_at"] is not None or last is None or last["closed_at"] is not None:
            raise Conflict("No round of this Delphi process is open: there is nothing to close.")
        if actor is None and now < last["closes_at"]:
            raise Conflict("Round %(number)s is not due to close yet.", number=last["number"])
        panel = await group_voters(process["working_group"])
        summary = await _classify(last["id"], process["criteria"], panel)
        await DelphiRound.update(
            {DelphiRound.closed_at: now, **{getattr(DelphiRound, k): v for k, v in summary.items()}}
        ).where(DelphiRound.id == last["id"])
        outcomes = {pid: result["outcome"] for pid, result in summary["results"].items()}
        detail = {
            "round": last["number"],
            "panel_size": len(panel),
            "completed": summary["completed"],
            "outcomes": outcomes,
        }
        await record(actor.id if actor else None, "delphi.round_closed", "delphi_process", process_id, detail)
        await announce(delphi_topic(process_id))
    return last["number"]


async def _classify(round_id: int, criteria: list[str], panel: tuple[int, ...]) -> dict:
    """What a round's close keeps (DelphiRound): the panel's figures per item, criterion and outcome,
    counting only the ratings of the panel as it is at the close (as votes count only voters)."""
    items = await DelphiItem.select(DelphiItem.id, DelphiItem.proposal).where(DelphiItem.round == round_id)
    ratings = await DelphiRating.select(
        DelphiRating.item, DelphiRating.rater, DelphiRating.criterion, DelphiRating.value
    ).where(
        DelphiRating.item.is_in([item["id"] for item in items]) & DelphiRating.rater.is_in(list(panel) or [0])
    )
    values: dict[tuple[int, str], list[int]] = defaultdict(list)
    given: dict[int, int] = defaultdict(int)
    for rating in ratings:
        values[(rating["item"], rating["criterion"])].append(rating["value"])
        given[rating["rater"]] += 1
    results = {}
    for item in items:
        per_criterion: dict[str, dict] = {}
        classes = []
        for criterion in criteria:
            rated = values[(item["id"], criterion)]
            if len(rated) < MIN_RATINGS:
                per_criterion[criterion] = {"ratings": len(rated), "too_few": True}
                classes.append(Classification.uncertain)
                continue
            found = figures(rated)
            per_criterion[criterion] = {"ratings": len(rated), **found.as_dict()}
            classes.append(found.classification)
        results[str(item["proposal"])] = {"figures": per_criterion, "outcome": str(outcome(classes))}
    every = len(items) * len(criteria)
    return {
        "panel_size": len(panel),
        "respondents": len(given),
        "completed": sum(1 for count in given.values() if count == every),
        "results": results,
    }


async def next_round(
    actor: Actor | None, process_id: int, closes_at: object = None, now: datetime | None = None
) -> int:
    """A steward opens the next round on the items the last one left to re-rate; it lasts as long as
    the last one unless `closes_at` says otherwise. Returns its number."""
    actor = signed_in(actor, Term("open a Delphi round"))
    actor.require(Role.steward, Term("open a Delphi round"))
    now = moment(now)
    async with DelphiProcess._meta.db.transaction():
        await lock_row(DelphiProcess, process_id)
        process = await process_row(process_id)
        last = await last_round(process_id)
        if process["concluded_at"] is not None:
            raise Conflict("This Delphi process is concluded.")
        if last["closed_at"] is None:
            raise Conflict("Round %(number)s is still open: close it first.", number=last["number"])
        ids = [int(pid) for pid, result in last["results"].items() if result["outcome"] == "re_rate"]
        if not ids:
            raise Conflict("No item is left to re-rate: conclude the process.")
        default = now + (last["closes_at"] - last["opened_at"])
        closes_at = _clean_closing(closes_at if closes_at is not None else default, now)
        await _open_round(process_id, last["number"] + 1, sorted(ids), now, closes_at)
        detail = {"round": last["number"] + 1, "proposals": sorted(ids)}
        await record(actor.id, "delphi.round_opened", "delphi_process", process_id, detail)
        await announce(delphi_topic(process_id))
    return last["number"] + 1


async def close_due_rounds(now: datetime | None = None) -> int:
    """Close every round past its closing time (the decision loop calls it). Returns how many."""
    now = moment(now)
    due = (
        await DelphiRound.select(DelphiRound.process)
        .where(DelphiRound.closed_at.is_null() & (DelphiRound.closes_at <= now))
        .order_by(DelphiRound.closes_at)
    )
    closed = 0
    for row in due:
        try:
            await close_round(None, row["process"], now)
        except Conflict as error:  # closed meanwhile by a steward or another worker
            log.info("Delphi process %s: %s", row["process"], error)
            continue
        closed += 1
    return closed
