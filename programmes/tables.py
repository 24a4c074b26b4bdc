"""Tables of programmes: members, self-assessments and their answers, share links, improvement
actions, and the field evidence computed from submitted answers.

The source of this app's schema (tests/test_schema.py compares it with the database); its migrations
are generated from it, and composite indexes (UNIQUE_INDEXES below) are created by raw SQL.
"""

from piccolo.columns import (
    JSON,
    Boolean,
    Column,
    Date,
    ForeignKey,
    Integer,
    OnDelete,
    OnUpdate,
    Serial,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.table import Table

from indicators.tables import Adaptation, Framework, Release
from proposals.tables import Account


def _required(table: type[Table] | str, index: bool = False) -> ForeignKey:
    return ForeignKey(
        references=table, null=False, index=index, on_delete=OnDelete.restrict, on_update=OnUpdate.no_action
    )


def _optional(table: type[Table] | str) -> ForeignKey:
    return ForeignKey(
        references=table, null=True, default=None, on_delete=OnDelete.restrict, on_update=OnUpdate.no_action
    )


class Programme(Table, tablename="programme"):
    id = Serial(primary_key=True)
    name = Varchar(length=200)
    department = Varchar(length=3)  # INSEE code (places/france.yaml)
    territory_kinds = JSON(default="[]")  # places.territory_kinds, in their order
    created_at = Timestamptz()


class ProgrammeMember(Table, tablename="programme_member"):
    id = Serial(primary_key=True)
    programme = _required(Programme)
    account = _required(Account, index=True)
    role = Varchar(length=12)  # admin | contributor | viewer


class Assessment(Table, tablename="assessment"):
    """A programme's self-assessment against one release; frozen (with its hash) once submitted."""

    id = Serial(primary_key=True)
    programme = _required(Programme, index=True)
    framework = _required(Framework)
    release = _required(Release, index=True)
    # Made against a territory's adaptation of the release: its version (the release is its base).
    adaptation = _optional(Adaptation)
    adaptation_version = Integer(null=True, default=None)
    status = Varchar(length=12, default="draft")  # draft | submitted
    content_hash = Varchar(length=64, null=True, default=None)
    predecessor = Integer(null=True, default=None)  # the submitted assessment it was started from
    created_by = _required(Account)
    created_at = Timestamptz()
    submitted_at = Timestamptz(null=True, default=None)
    submitted_by = _optional(Account)


class Answer(Table, tablename="assessment_answer"):
    """Where the programme stands on one indicator. `archived`: the indicator is not in the
    assessment's release (retired since the predecessor); kept, read-only."""

    id = Serial(primary_key=True)
    assessment = _required(Assessment)
    indicator_code = Varchar(length=20)
    revision = Integer()  # the indicator's revision the answer was given about
    level = Varchar(length=20)
    justification = Text(default="")
    evidence = Text(default="")  # Markdown
    evidence_html = Text(default="")  # rendered when saved
    links = JSON(default="[]")
    carried = Boolean(default=False)
    needs_review = Boolean(default=False)
    archived = Boolean(default=False)
    version = Integer(default=1)  # +1 at each save: a save naming an older one is refused
    updated_at = Timestamptz()
    updated_by = _optional(Account)


class ShareLink(Table, tablename="share_link"):
    """Read access to one assessment for whoever holds the link; only the token's hash is kept."""

    id = Serial(primary_key=True)
    assessment = _required(Assessment, index=True)
    token_hash = Varchar(length=64, unique=True)
    created_by = _required(Account)
    created_at = Timestamptz()
    expires_at = Timestamptz()


class Action(Table, tablename="improvement_action"):
    """One action of an assessment's improvement plan, about one indicator."""

    id = Serial(primary_key=True)
    assessment = _required(Assessment, index=True)
    indicator_code = Varchar(length=20)
    title = Varchar(length=200)
    owner = Varchar(length=200, default="")
    due_on = Date(null=True, default=None)
    status = Varchar(length=10, default="planned")  # planned | doing | done
    carried_from = Integer(null=True, default=None)  # the action of the predecessor it continues
    created_at = Timestamptz()
    updated_at = Timestamptz()


class FieldEvidence(Table, tablename="field_evidence"):
    """How the programmes that submitted on a release answered one indicator (each programme's latest
    submission counts once), overall (territory_kind "") and per kind of territory. Written when an
    assessment is submitted, so that reading it costs one lookup."""

    id = Serial(primary_key=True)
    release = _required(Release)
    territory_kind = Varchar(length=20, default="")
    indicator_code = Varchar(length=20)
    programmes = Integer()
    counts = JSON(default="{}")  # level -> programmes
    reasons = JSON(default="[]")  # justifications of not_applicable, sorted, without names


UNIQUE_INDEXES: dict[str, tuple[Column, ...]] = {
    "programme_member_once": (ProgrammeMember.programme, ProgrammeMember.account),
    "assessment_answer_once": (Answer.assessment, Answer.indicator_code),
    "field_evidence_once": (
        FieldEvidence.release,
        FieldEvidence.territory_kind,
        FieldEvidence.indicator_code,
    ),
}
