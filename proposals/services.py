"""The shared core of the co-design loop's use cases: checks, locks, and the change a proposal makes.

The use cases that write live beside it: proposals.proposing (create, revise, withdraw, preview),
proposals.discussion (comments, revisions, timeline), proposals.voting (votes and decisions),
proposals.working_groups and proposals.rules; proposals.reading reads proposals. Every function
here runs a fixed number of queries.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from indicators.compare import FieldChange
from indicators.content import EVIDENCE_LEVELS, TEXT_FIELDS, IndicatorText
from indicators.worddiff import word_diff
from proposals.roles import Actor
from proposals.tables import Proposal
from web.failures import InvalidInput, NotFound, NotSignedIn
from web.markdown import refuse_costly_markdown
from web.messages import Term
from web.text import describe, has_visible_character, refused_character

STATUSES = ("discussion", "last_call", "voting", "accepted", "rejected", "withdrawn")
# The statuses as messages say them ("Proposal 3 is being voted on: ...").
STATUS_NAMES = {
    "discussion": Term("in discussion"),
    "last_call": Term("in last call"),
    "voting": Term("being voted on"),
    "accepted": Term("accepted"),
    "rejected": Term("rejected"),
    "withdrawn": Term("withdrawn"),
}
OPEN_STATUSES = ("discussion", "last_call", "voting")
KINDS = ("add", "amend", "retire", "confirm")
# What each kind of proposal does to the framework when published (publication.ChangeKind): a
# confirmation republishes the indicator's text unchanged, as a new revision dated by the review.
PUBLISHED_AS = {"add": "add", "amend": "amend", "retire": "retire", "confirm": "amend"}
CONTENT_FIELDS = ("title", "statement", "rationale", "evidence_level", "measurement", "territorial_note")
REQUIRED_FOR_ADD = ("title", "statement", "rationale", "evidence_level")
# A changed French text makes its English translation wrong: it is dropped with the change.
TRANSLATED = {"title": "title_en", "statement": "statement_en", "rationale": "rationale_en"}

# The content fields as messages name them ("The indicator's title is empty...").
CONTENT_NAMES = {
    "title": Term("indicator's title"),
    "statement": Term("indicator's statement"),
    "rationale": Term("indicator's rationale"),
    "evidence_level": Term("indicator's evidence level"),
    "measurement": Term("indicator's measurement"),
    "territorial_note": Term("indicator's territorial note"),
}

TITLE_MAX = 200
TEXT_MAX = 50_000


# --- Helpers shared by the use cases -------------------------------------------------------------


def signed_in(actor: Actor | None, doing: Term) -> Actor:
    if actor is None:
        raise NotSignedIn("Sign in to %(doing)s.", doing=doing)
    return actor


def moment(now: datetime | None) -> datetime:
    """`now`, or the current time; a naive datetime is read as UTC."""
    if now is None:
        return datetime.now(UTC)
    return now if now.tzinfo is not None else now.replace(tzinfo=UTC)


def clean_text(
    value: object,
    what: Term,
    max_length: int,
    *,
    required: bool = True,
    field: str | None = None,
    line: bool = False,
    markdown: bool = False,
) -> str:
    """`value` stripped; InvalidInput (naming `field`) if it is not text, holds a NUL, a control or
    direction character (a `line`, such as a title, also no line break and no invisible character,
    and something visible), is empty (when required) or too long, or is Markdown too costly to show."""
    if not isinstance(value, str):
        raise InvalidInput("The %(what)s must be text.", field, what=what)
    if "\x00" in value:
        raise InvalidInput("The %(what)s contains a NUL character, which is not allowed.", field, what=what)
    value = value.strip()
    hidden = refused_character(value, multiline=not line, invisible=line)
    if hidden is not None:
        raise InvalidInput(
            "The %(what)s contains %(character)s, which is not allowed: remove it.",
            field,
            what=what,
            character=describe(hidden),
        )
    if required and not value:
        raise InvalidInput("The %(what)s is empty: write at least one character.", field, what=what)
    if line and value and not has_visible_character(value):
        raise InvalidInput("The %(what)s must show at least one letter, digit or sign.", field, what=what)
    if len(value) > max_length:
        raise InvalidInput(
            "The %(what)s is too long: %(length)s characters where at most %(maximum)s are allowed.",
            field,
            what=what,
            length=len(value),
            maximum=max_length,
        )
    if markdown:
        refuse_costly_markdown(value, what, field)
    return value


def refuse_unknown_theme(theme: str | None, codes: list[str]) -> None:
    """A theme filter naming no theme is refused, as an unknown status is, rather than matching nothing."""
    if theme is not None and theme not in codes:
        raise InvalidInput(
            "Unknown theme %(theme)r: use one of %(themes)s.", "theme", theme=theme, themes=", ".join(codes)
        )


def positive_id(value: object, what: Term, field: str | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise InvalidInput("The %(what)s must be a positive whole number.", field, what=what)
    return value


async def proposal_row(proposal_id: int) -> dict:
    """The proposal's columns (content and tally decoded) with its framework_slug, base_version and
    theme_code, and for a proposal to an adaptation its `network` (the working group that decides
    it) and `adaptation_base` (the release the adaptation adapts now); NotFound if there is none."""
    positive_id(proposal_id, Term("proposal number"))
    row = (
        await Proposal.select(
            *Proposal.all_columns(),
            Proposal.framework.slug.as_alias("framework_slug"),
            Proposal.base_release.version.as_alias("base_version"),
            Proposal.theme.code.as_alias("theme_code"),
            Proposal.adaptation.working_group.as_alias("network"),
            Proposal.adaptation.base_release.as_alias("adaptation_base"),
        )
        .where(Proposal.id == proposal_id)
        .output(load_json=True)
        .first()
    )
    return _found(row, proposal_id)


def _found(row: dict | None, proposal_id: int) -> dict:
    if row is None:
        raise NotFound("There is no proposal number %(number)s.", number=str(proposal_id))
    return row


# --- The change a proposal makes --------------------------------------------------------------------


def normalise_content(content: object) -> dict:
    """The content fields given, cleaned. A None value means "not given"; an empty territorial note
    means none."""
    if content is None:
        return {}
    if not isinstance(content, dict):
        raise InvalidInput(
            "The content must be an object with some of the fields %(fields)s.",
            "content",
            fields=", ".join(CONTENT_FIELDS),
        )
    unknown = sorted(str(key) for key in content if key not in CONTENT_FIELDS)
    if unknown:
        names = {"names": ", ".join(unknown), "fields": ", ".join(CONTENT_FIELDS)}
        if len(unknown) == 1:
            raise InvalidInput(
                "Unknown content field: %(names)s. The fields are %(fields)s.", "content", **names
            )
        raise InvalidInput(
            "Unknown content fields: %(names)s. The fields are %(fields)s.", "content", **names
        )
    result: dict = {}
    for name in CONTENT_FIELDS:
        value = content.get(name)
        if value is None:
            continue
        what, field = CONTENT_NAMES[name], f"content.{name}"
        if name == "title":
            result[name] = clean_text(value, what, TITLE_MAX, field=field, line=True)
        elif name in ("statement", "rationale"):
            result[name] = clean_text(value, what, TEXT_MAX, field=field, markdown=True)
        elif name == "evidence_level":
            level = clean_text(value, what, 20, field=field, line=True)
            if level not in EVIDENCE_LEVELS:
                raise InvalidInput(
                    "Unknown evidence level %(level)r: use one of %(levels)s.",
                    field,
                    level=level,
                    levels=", ".join(EVIDENCE_LEVELS),
                )
            result[name] = level
        else:  # measurement and territorial_note may be empty ('' removes a territorial note)
            result[name] = clean_text(value, what, TEXT_MAX, required=False, field=field, markdown=True)
    return result


def field_value(name: str, value: str) -> str | None:
    """A normalised content value as the indicator's text holds it (no territorial note is None)."""
    return (value or None) if name == "territorial_note" else value


def proposed_text(kind: str, base: IndicatorText | None, content: dict | None) -> IndicatorText | None:
    """The indicator's text once the change is made (None for a retirement).

    add: `content` holds the whole text; amend: `content` holds the fields that differ from `base`;
    confirm: the text stays `base`.
    """
    if kind == "retire":
        return None
    if kind == "confirm":
        return base
    content = content or {}
    if kind == "add":
        return IndicatorText(
            title=content["title"],
            statement=content["statement"],
            rationale=content["rationale"],
            evidence_level=content["evidence_level"],
            measurement=content.get("measurement") or "",
            territorial_note=content.get("territorial_note") or None,
        )
    # For the type checker: an amendment always has its base text (asserts vanish only under -O).
    assert base is not None  # nosec B101
    changes = {name: field_value(name, value) for name, value in content.items()}
    for name in content:
        if name in TRANSLATED:
            changes[TRANSLATED[name]] = None
    return replace(base, **changes)


def proposal_diff(kind: str, base: IndicatorText | None, proposed: IndicatorText | None) -> list[FieldChange]:
    """Field by field, what the change does to the indicator: every field inserted for an addition,
    removed for a retirement, the changed ones for an amendment (word by word)."""
    before = None if kind == "add" else base
    after = None if kind == "retire" else proposed
    changes = []
    for name in TEXT_FIELDS:
        old = getattr(before, name) if before is not None else None
        new = getattr(after, name) if after is not None else None
        if old == new or (not old and not new):
            continue
        changes.append(FieldChange(name, old, new, word_diff(old, new)))
    return changes


def is_stale(row: dict, current: dict[tuple[int, str], int]) -> bool:
    """An undecided amendment or retirement whose indicator was revised or retired since its base; an
    undecided proposal to an adaptation whose network adopted another national release since its base
    (`adaptation_base`: it was written against a text the adaptation no longer adapts)."""
    if row["status"] not in OPEN_STATUSES:
        return False
    if row["adaptation"] is not None:
        return row["base_release"] != row["adaptation_base"]
    if row["kind"] == "add":
        return False
    return current.get((row["framework"], row["indicator_code"])) != row["base_revision"]
