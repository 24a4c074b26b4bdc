"""Reading Delphi processes: the process with its rounds and the panel's figures, what a member sees
of their own ratings and of the panel's feedback, what a steward sees of who has not answered.
Never anyone's rating but the reader's own."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from piccolo.query.functions.aggregate import Count

from proposals.delphi import process_row
from proposals.tables import (
    Account,
    DelphiComment,
    DelphiItem,
    DelphiProcess,
    DelphiRating,
    DelphiRound,
    Proposal,
    WorkingGroupTheme,
)
from proposals.working_groups import get_working_group, group_voters


@dataclass(frozen=True)
class ItemView:
    proposal_id: int
    title: str
    kind: str
    indicator_code: str | None
    theme_code: str
    status: str  # the proposal's status now
    # Once the round is closed: per criterion, the figures (delphi_statistics, with "ratings", the
    # number of ratings) or {"ratings": n, "too_few": True}; and the item's outcome.
    figures: dict[str, dict] | None
    outcome: str | None


@dataclass(frozen=True)
class RoundView:
    number: int
    opened_at: datetime
    closes_at: datetime
    closed_at: datetime | None
    panel_size: int | None  # these three once closed
    respondents: int | None
    completed: int | None
    items: tuple[ItemView, ...]

    @property
    def response_rate(self) -> float | None:
        """Who rated every item on every criterion, of the panel."""
        if not self.panel_size or self.completed is None:
            return None
        return round(self.completed / self.panel_size, 3)


@dataclass(frozen=True)
class ProcessView:
    id: int
    working_group_id: int
    working_group: str
    framework: str
    title: str
    instructions: str
    instructions_html: str
    criteria: tuple[str, ...]
    created_at: datetime
    concluded_at: datetime | None
    outcome: dict | None  # {retained, rejected, returned, outrun}: proposal numbers
    release_version: str | None
    rounds: tuple[RoundView, ...]

    @property
    def open_round(self) -> RoundView | None:
        last = self.rounds[-1]
        return last if last.closed_at is None and self.concluded_at is None else None

    @property
    def status(self) -> str:
        """rating (a round is open) | between_rounds | concluded"""
        if self.concluded_at is not None:
            return "concluded"
        return "rating" if self.open_round else "between_rounds"

    @property
    def items_to_re_rate(self) -> tuple[int, ...]:
        last = self.rounds[-1]
        return tuple(i.proposal_id for i in last.items if last.closed_at and i.outcome == "re_rate")


async def get_process(process_id: int) -> ProcessView:
    row = await process_row(process_id)
    group = await get_working_group(row["working_group"])
    release = (
        await DelphiProcess.select(DelphiProcess.release.version.as_alias("version"))
        .where(DelphiProcess.id == process_id)
        .first()
    )
    rounds = (
        await DelphiRound.select()
        .where(DelphiRound.process == process_id)
        .order_by(DelphiRound.number)
        .output(load_json=True)
    )
    item = DelphiItem
    items = (
        await item.select(
            item.round,
            item.proposal,
            item.proposal.title.as_alias("title"),
            item.proposal.kind.as_alias("kind"),
            item.proposal.indicator_code.as_alias("indicator_code"),
            item.proposal.theme.code.as_alias("theme_code"),
            item.proposal.status.as_alias("status"),
        )
        .where(item.round.is_in([r["id"] for r in rounds]))
        .order_by(item.proposal)
    )
    by_round: dict[int, list[dict]] = defaultdict(list)
    for entry in items:
        by_round[entry["round"]].append(entry)
    return ProcessView(
        id=row["id"],
        working_group_id=group.id,
        working_group=group.name,
        framework=group.framework,
        title=row["title"],
        instructions=row["instructions"],
        instructions_html=row["instructions_html"],
        criteria=tuple(row["criteria"]),
        created_at=row["created_at"],
        concluded_at=row["concluded_at"],
        outcome=row["outcome"],
        release_version=release["version"] if release else None,
        rounds=tuple(_round_view(r, by_round[r["id"]]) for r in rounds),
    )


def _round_view(row: dict, items: list[dict]) -> RoundView:
    results = row["results"] or {}
    return RoundView(
        number=row["number"],
        opened_at=row["opened_at"],
        closes_at=row["closes_at"],
        closed_at=row["closed_at"],
        panel_size=row["panel_size"],
        respondents=row["respondents"],
        completed=row["completed"],
        items=tuple(
            ItemView(
                proposal_id=i["proposal"],
                title=i["title"],
                kind=i["kind"],
                indicator_code=i["indicator_code"],
                theme_code=i["theme_code"],
                status=i["status"],
                figures=results.get(str(i["proposal"]), {}).get("figures"),
                outcome=results.get(str(i["proposal"]), {}).get("outcome"),
            )
            for i in items
        ),
    )


@dataclass(frozen=True)
class MyRating:
    round: int
    proposal_id: int
    ratings: dict[str, int]
    comment: str


async def my_ratings(account_id: int, process_id: int) -> list[MyRating]:
    """An account's own ratings and comments in a process, by round and proposal."""
    rows = await DelphiRating.select(
        DelphiRating.item.round.number.as_alias("round"),
        DelphiRating.item.proposal.as_alias("proposal"),
        DelphiRating.criterion,
        DelphiRating.value,
    ).where((DelphiRating.rater == account_id) & (DelphiRating.item.round.process == process_id))
    comments = await DelphiComment.select(
        DelphiComment.item.round.number.as_alias("round"),
        DelphiComment.item.proposal.as_alias("proposal"),
        DelphiComment.body,
    ).where((DelphiComment.rater == account_id) & (DelphiComment.item.round.process == process_id))
    ratings: dict[tuple[int, int], dict[str, int]] = defaultdict(dict)
    for row in rows:
        ratings[(row["round"], row["proposal"])][row["criterion"]] = row["value"]
    said = {(c["round"], c["proposal"]): c["body"] for c in comments}
    keys = sorted(set(ratings) | set(said))
    return [MyRating(r, p, ratings.get((r, p), {}), said.get((r, p), "")) for r, p in keys]


async def panel_comments(process_id: int, round_number: int) -> dict[int, list[str]]:
    """The comments of a closed round, per proposal, without their authors and in an order that says
    nothing of who wrote first (alphabetical)."""
    rows = await DelphiComment.select(
        DelphiComment.item.proposal.as_alias("proposal"), DelphiComment.body
    ).where(
        (DelphiComment.item.round.process == process_id)
        & (DelphiComment.item.round.number == round_number)
        & DelphiComment.item.round.closed_at.is_not_null()
    )
    comments: dict[int, list[str]] = defaultdict(list)
    for row in rows:
        comments[row["proposal"]].append(row["body"])
    return {proposal: sorted(bodies, key=str.casefold) for proposal, bodies in comments.items()}


@dataclass(frozen=True)
class Progress:
    """Of the open round: the panel's size, how many rated every item on every criterion, and who has
    not yet (for stewards to remind them; never what anyone rated)."""

    panel_size: int
    completed: int
    pending: tuple[tuple[int, str], ...]  # (account id, display name), by name


async def round_progress(view: ProcessView) -> Progress | None:
    current = view.open_round
    if current is None:
        return None
    panel = await group_voters(view.working_group_id)
    counts = (
        await DelphiRating.select(DelphiRating.rater, Count())
        .where(
            (DelphiRating.item.round.process == view.id) & (DelphiRating.item.round.number == current.number)
        )
        .group_by(DelphiRating.rater)
    )
    every = len(current.items) * len(view.criteria)
    done = {row["rater"] for row in counts if row["count"] == every}
    waiting = [account for account in panel if account not in done]
    names = await Account.select(Account.id, Account.display_name).where(Account.id.is_in(waiting or [0]))
    pending = sorted(((n["id"], n["display_name"]) for n in names), key=lambda n: n[1].casefold())
    return Progress(len(panel), len(set(panel) & done), tuple(pending))


@dataclass(frozen=True)
class ProcessSummary:
    id: int
    title: str
    working_group: str
    status: str  # as ProcessView.status
    created_at: datetime
    release_version: str | None


async def list_processes() -> list[ProcessSummary]:
    """Every process, newest first."""
    process = DelphiProcess
    rows = await process.select(
        process.id,
        process.title,
        process.created_at,
        process.concluded_at,
        process.working_group.name.as_alias("group"),
        process.release.version.as_alias("version"),
    ).order_by(process.id, ascending=False)
    rating = {
        row["process"]
        for row in await DelphiRound.select(DelphiRound.process).where(DelphiRound.closed_at.is_null())
    }

    def status(row: dict) -> str:
        if row["concluded_at"] is not None:
            return "concluded"
        return "rating" if row["id"] in rating else "between_rounds"

    return [
        ProcessSummary(row["id"], row["title"], row["group"], status(row), row["created_at"], row["version"])
        for row in rows
    ]


async def proposals_to_rate(group_id: int) -> list[dict]:
    """The proposals a process of the group may rate: in discussion, to the framework, in the group's
    themes, not rated in another process ({id, title, kind, theme, indicator})."""
    themes = await WorkingGroupTheme.select(WorkingGroupTheme.theme).where(
        WorkingGroupTheme.working_group == group_id
    )
    held = await DelphiItem.select(DelphiItem.proposal).where(DelphiItem.round.process.concluded_at.is_null())
    rows = (
        await Proposal.select(
            Proposal.id,
            Proposal.title,
            Proposal.kind,
            Proposal.theme.code.as_alias("theme"),
            Proposal.indicator_code.as_alias("indicator"),
        )
        .where(
            Proposal.status.is_in(["discussion", "last_call"])
            & Proposal.adaptation.is_null()
            & Proposal.theme.is_in([t["theme"] for t in themes] or [0])
        )
        .order_by(Proposal.id)
    )
    taken = {row["proposal"] for row in held}
    return [row for row in rows if row["id"] not in taken]


async def processes_of_release(slug: str, version: str) -> list[tuple[int, str]]:
    """(id, title) of the processes whose retained proposals a release published."""
    rows = await DelphiProcess.select(DelphiProcess.id, DelphiProcess.title).where(
        (DelphiProcess.release.version == version) & (DelphiProcess.release.framework.slug == slug)
    )
    return [(row["id"], row["title"]) for row in rows]
