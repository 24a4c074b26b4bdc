"""Writing proposals: create, preview, revise and withdraw."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from indicators.compare import FieldChange
from indicators.content import IndicatorText
from indicators.errors import Conflict, InvalidInput, NotFound, Term
from indicators.queries import FrameworkInfo, ReleaseSummary, find_release, get_framework, list_themes
from proposals.audit import record
from proposals.errors import Forbidden
from proposals.markdown import render_markdown_off_loop
from proposals.reading import ProposalView, get_proposal
from proposals.roles import Actor
from proposals.services import (
    KINDS,
    OPEN_STATUSES,
    REQUIRED_FOR_ADD,
    STATUS_NAMES,
    TEXT_MAX,
    TITLE_MAX,
    clean_text,
    field_value,
    lock_row,
    normalise_content,
    positive_id,
    proposal_diff,
    proposal_row,
    proposed_text,
    signed_in,
    texts_in_release,
)
from proposals.tables import Ballot, Proposal, ProposalRevision

# The change classes each kind allows, the default first.
CHANGE_CLASSES = {"add": ("minor",), "amend": ("minor", "patch"), "retire": ("major",)}
KIND_NAMES = {"add": Term("an addition"), "amend": Term("an amendment"), "retire": Term("a retirement")}
# The fields a new indicator needs (REQUIRED_FOR_ADD), as a message lists them.
REQUIRED_NAMES = {
    "title": Term("title"),
    "statement": Term("statement"),
    "rationale": Term("rationale"),
    "evidence_level": Term("evidence level"),
}


@dataclass(frozen=True)
class ResolvedChange:
    """A proposed change checked against its base release. `content` is what a proposal stores:
    the whole text for an addition, the fields that differ from the base for an amendment."""

    framework: FrameworkInfo
    base: ReleaseSummary
    kind: str
    change_class: str
    theme_id: int
    theme_code: str
    indicator_code: str | None
    base_revision: int | None
    base_text: IndicatorText | None
    content: dict | None
    proposed: IndicatorText | None

    @property
    def diff(self) -> list[FieldChange]:
        return proposal_diff(self.kind, self.base_text, self.proposed)


async def resolve_change(
    framework_slug: str,
    kind: str,
    base_version: str,
    indicator: str | None,
    theme: str | None,
    change_class: str | None,
    content: dict | None,
) -> ResolvedChange:
    """Check a change as create_proposal and preview_change do; reads only."""
    if kind not in KINDS:
        raise InvalidInput(
            "Unknown kind of proposal %(kind)r: use one of %(kinds)s.",
            "kind",
            kind=kind,
            kinds=", ".join(KINDS),
        )
    if not isinstance(framework_slug, str):
        raise InvalidInput("The framework must be named by its identifier.", "framework")
    if not isinstance(base_version, str):
        raise InvalidInput(
            "The base version must be a release number such as 1.0.0, or 'latest'.", "base_version"
        )
    framework = await get_framework(framework_slug)
    try:
        base = await find_release(framework, base_version.strip())
    except InvalidInput as error:
        error.field = "base_version"
        raise
    allowed = CHANGE_CLASSES[kind]
    if change_class is None:
        change_class = allowed[0]
    if change_class not in allowed:
        raise _wrong_change_class(kind, allowed, change_class)
    fields = normalise_content(content)
    common = {"framework": framework, "base": base, "kind": kind, "change_class": change_class}
    if kind == "add":
        return await _resolve_addition(common, indicator, theme, fields)
    if not isinstance(indicator, str) or not indicator.strip():
        if kind == "amend":
            raise InvalidInput("An amendment needs the code of its indicator.", "indicator")
        raise InvalidInput("A retirement needs the code of its indicator.", "indicator")
    if theme is not None:
        raise InvalidInput(
            "Only an addition names a theme: %(kind)s keeps the indicator in its own theme.",
            "theme",
            kind=KIND_NAMES[kind],
        )
    indicator = indicator.strip()
    found = await texts_in_release(base.id, [indicator])
    if indicator not in found:
        raise NotFound(
            "The indicator %(code)r is not in release %(version)s of %(slug)r.",
            code=indicator,
            version=base.version,
            slug=framework.slug,
        )
    number, theme_id, base_text = found[indicator]
    if kind == "retire":
        if fields:
            raise InvalidInput(
                "A retirement carries no content: say why in the proposal's rationale.", "content"
            )
        stored = None
    else:
        stored = {name: v for name, v in fields.items() if field_value(name, v) != getattr(base_text, name)}
        if not stored:
            raise InvalidInput(
                "This amendment changes nothing: its content is the text of %(code)s in release %(version)s.",
                "content",
                code=indicator,
                version=base.version,
            )
    themes = {t["id"]: t["code"] for t in await list_themes(framework)}
    return ResolvedChange(
        **common,
        theme_id=theme_id,
        theme_code=themes[theme_id],
        indicator_code=indicator,
        base_revision=number,
        base_text=base_text,
        content=stored,
        proposed=proposed_text(kind, base_text, stored),
    )


def _wrong_change_class(kind: str, allowed: tuple[str, ...], given: str) -> InvalidInput:
    """The error for a change class that the kind of proposal does not allow."""
    values = {"kind": KIND_NAMES[kind], "given": given}
    if len(allowed) == 2:
        return InvalidInput(
            "The change class of %(kind)s is %(first)s or %(second)s, not %(given)r.",
            "change_class",
            first=allowed[0],
            second=allowed[1],
            **values,
        )
    if given == "patch":
        return InvalidInput(
            "The change class of %(kind)s is %(allowed)s, not %(given)r: "
            "only an amendment can be an editorial fix (patch).",
            "change_class",
            allowed=allowed[0],
            **values,
        )
    return InvalidInput(
        "The change class of %(kind)s is %(allowed)s, not %(given)r.",
        "change_class",
        allowed=allowed[0],
        **values,
    )


async def _resolve_addition(common: dict, indicator: object, theme: object, fields: dict) -> ResolvedChange:
    framework: FrameworkInfo = common["framework"]
    if indicator is not None:
        raise InvalidInput(
            "An addition names no indicator: its code is given when it is accepted.", "indicator"
        )
    if not isinstance(theme, str) or not theme.strip():
        raise InvalidInput(
            "An addition needs the code of the theme that will hold the new indicator.", "theme"
        )
    theme = theme.strip()
    found = [t for t in await list_themes(framework) if t["code"] == theme]
    if not found:
        raise NotFound("The framework %(slug)r has no theme %(theme)r.", slug=framework.slug, theme=theme)
    missing = [name for name in REQUIRED_FOR_ADD if name not in fields]
    if missing:
        raise InvalidInput(
            "A new indicator needs its %(names)s.",
            f"content.{missing[0]}",
            names=tuple(REQUIRED_NAMES[name] for name in missing),
        )
    return ResolvedChange(
        **common,
        theme_id=found[0]["id"],
        theme_code=theme,
        indicator_code=None,
        base_revision=None,
        base_text=None,
        content=fields,
        proposed=proposed_text("add", None, fields),
    )


async def preview_change(
    framework_slug: str,
    kind: str,
    base_version: str,
    indicator: str | None = None,
    theme: str | None = None,
    content: dict | None = None,
    change_class: str | None = None,
) -> list[FieldChange]:
    """What a proposal would change, checked as create_proposal checks it; writes nothing."""
    change = await resolve_change(framework_slug, kind, base_version, indicator, theme, change_class, content)
    return change.diff


async def create_proposal(
    actor: Actor | None,
    framework_slug: str,
    kind: str,
    base_version: str,
    title: str,
    rationale: str,
    indicator: str | None = None,
    theme: str | None = None,
    change_class: str | None = None,
    content: dict | None = None,
) -> ProposalView:
    actor = signed_in(actor, Term("write a proposal"))
    title = clean_text(title, Term("proposal's title"), TITLE_MAX, field="title")
    rationale = clean_text(rationale, Term("proposal's rationale"), TEXT_MAX, field="rationale")
    change = await resolve_change(framework_slug, kind, base_version, indicator, theme, change_class, content)
    rationale_html = await render_markdown_off_loop(rationale)
    now = datetime.now(UTC)
    async with Proposal._meta.db.transaction():
        proposal = Proposal(
            framework=change.framework.id,
            kind=kind,
            status="discussion",
            change_class=change.change_class,
            author=actor.id,
            base_release=change.base.id,
            theme=change.theme_id,
            indicator_code=change.indicator_code,
            base_revision=change.base_revision,
            title=title,
            rationale=rationale,
            rationale_html=rationale_html,
            content=change.content,
            revision=1,
            created_at=now,
            updated_at=now,
        )
        await Proposal.insert(proposal)
        await ProposalRevision.insert(
            ProposalRevision(
                proposal=proposal.id,
                number=1,
                title=title,
                rationale=rationale,
                content=change.content,
                created_at=now,
            )
        )
        await record(
            actor.id,
            "proposal.created",
            "proposal",
            proposal.id,
            {
                "kind": kind,
                "change_class": change.change_class,
                "base_version": change.base.version,
                "theme": change.theme_code,
                "indicator": change.indicator_code,
                "title": title,
            },
        )
    return await get_proposal(proposal.id)


async def revise_proposal(
    actor: Actor | None,
    proposal_id: int,
    expected_revision: int,
    title: str | None = None,
    rationale: str | None = None,
    content: dict | None = None,
    rebase: bool = False,
) -> ProposalView:
    """The author revises a proposal in discussion. `content` fields replace those proposed so far
    (others stay). With `rebase`, the proposal is brought onto the current release: an amendment's
    changed fields are applied to the indicator's current text (after another proposal on it was
    published). `expected_revision` is the revision the author saw: if it was revised since, Conflict."""
    actor = signed_in(actor, Term("revise a proposal"))
    positive_id(expected_revision, Term("expected revision"), "expected_revision")
    if title is not None:
        title = clean_text(title, Term("proposal's title"), TITLE_MAX, field="title")
    if rationale is not None:
        rationale = clean_text(rationale, Term("proposal's rationale"), TEXT_MAX, field="rationale")
    given = normalise_content(content)
    row = await proposal_row(proposal_id)
    _check_revisable(actor, row, expected_revision, rebase)
    change = await resolve_change(
        row["framework_slug"],
        row["kind"],
        "latest" if rebase else row["base_version"],
        row["indicator_code"],
        row["theme_code"] if row["kind"] == "add" else None,
        row["change_class"],
        {**(row["content"] or {}), **given},
    )
    new = {
        "title": title if title is not None else row["title"],
        "rationale": rationale if rationale is not None else row["rationale"],
        "content": change.content,
        "base_release": change.base.id,
        "base_revision": change.base_revision,
        "theme": change.theme_id,
    }
    changed = [name for name, value in new.items() if value != row[name]]
    if not changed:
        raise InvalidInput("This revision changes nothing: give a new title, rationale or content.")
    rationale_html = (
        await render_markdown_off_loop(new["rationale"]) if "rationale" in changed else row["rationale_html"]
    )
    now = datetime.now(UTC)
    async with Proposal._meta.db.transaction():
        await lock_row(Proposal, proposal_id)
        current = await proposal_row(proposal_id)
        _check_revisable(actor, current, expected_revision, rebase)
        if current["status"] == "voting":
            if change.base_revision == current["base_revision"]:
                raise Conflict(
                    "The indicator has not changed since this proposal was written: nothing to update."
                )
            # Ballots were cast on the old text: the vote starts again after a new discussion.
            await Ballot.delete().where(Ballot.proposal == proposal_id)
            await Proposal.update(
                {Proposal.status: "discussion", Proposal.vote_opened_at: None, Proposal.closes_at: None}
            ).where(Proposal.id == proposal_id)
            await record(actor.id, "vote.cancelled", "proposal", proposal_id, {"reason": "updated"})
        number = current["revision"] + 1
        await Proposal.update(
            {
                Proposal.title: new["title"],
                Proposal.rationale: new["rationale"],
                Proposal.rationale_html: rationale_html,
                Proposal.content: new["content"],
                Proposal.base_release: new["base_release"],
                Proposal.base_revision: new["base_revision"],
                Proposal.theme: new["theme"],
                Proposal.revision: number,
                Proposal.updated_at: now,
            }
        ).where(Proposal.id == proposal_id)
        await ProposalRevision.insert(
            ProposalRevision(
                proposal=proposal_id,
                number=number,
                title=new["title"],
                rationale=new["rationale"],
                content=new["content"],
                created_at=now,
            )
        )
        detail: dict = {"revision": number, "changed": changed}
        if "base_release" in changed:
            detail["base_version"] = change.base.version
        await record(actor.id, "proposal.revised", "proposal", proposal_id, detail)
    return await get_proposal(proposal_id)


def _check_revisable(actor: Actor, row: dict, expected_revision: int, rebase: bool = False) -> None:
    if row["author"] != actor.id:
        raise Forbidden("Only the author of a proposal may revise it.")
    # A proposal outrun by another one during its vote cannot be accepted as it stands: its
    # author may still bring it onto the current text, which sends it back to discussion.
    if row["status"] != "discussion" and not (row["status"] == "voting" and rebase):
        raise Conflict(
            "Proposal %(number)s is %(status)s: only a proposal in discussion can be revised.",
            number=str(row["id"]),
            status=STATUS_NAMES[row["status"]],
        )
    if row["revision"] != expected_revision:
        raise Conflict(
            "Proposal %(number)s was revised since (now revision %(revision)s); "
            "reload it and apply your changes again.",
            number=str(row["id"]),
            revision=str(row["revision"]),
        )


async def withdraw_proposal(actor: Actor | None, proposal_id: int) -> ProposalView:
    """The author withdraws a proposal before it is decided."""
    actor = signed_in(actor, Term("withdraw a proposal"))
    positive_id(proposal_id, Term("proposal number"))
    async with Proposal._meta.db.transaction():
        await lock_row(Proposal, proposal_id)
        row = await proposal_row(proposal_id)
        if row["author"] != actor.id:
            raise Forbidden("Only the author of a proposal may withdraw it.")
        if row["status"] not in OPEN_STATUSES:
            raise Conflict(
                "Proposal %(number)s is %(status)s: it can no longer be withdrawn.",
                number=str(proposal_id),
                status=STATUS_NAMES[row["status"]],
            )
        await Proposal.update({Proposal.status: "withdrawn", Proposal.updated_at: datetime.now(UTC)}).where(
            Proposal.id == proposal_id
        )
        await record(actor.id, "proposal.withdrawn", "proposal", proposal_id, {"from": row["status"]})
    return await get_proposal(proposal_id)
