"""Tables of the living framework: the source of its schema (a parity test compares them with the
database). Published rows are immutable (see the migrations' triggers).

The first migration wrote the schema in raw SQL; the baseline migration after it records these
classes for Piccolo's `--auto`. What Piccolo cannot express stays in raw SQL: composite indexes
(declared below, in UNIQUE_INDEXES) and the triggers that refuse changes to published rows.
"""

from piccolo.columns import (
    JSON,
    Column,
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


def _restrict(table: type[Table] | str, index: bool = False) -> ForeignKey:
    # Anything a release points at must never disappear with its parent. No ON UPDATE action:
    # the SQL declares none, and primary keys never change.
    return ForeignKey(
        references=table, null=False, on_delete=OnDelete.restrict, on_update=OnUpdate.no_action, index=index
    )


class Framework(Table, tablename="framework"):
    id = Serial(primary_key=True)
    slug = Varchar(length=100, unique=True)
    language = Varchar(length=10, default="fr")
    title = Text()
    title_en = Text(null=True, default=None)
    description = Text(default="")
    description_en = Text(null=True, default=None)
    revision_policy = Text(default="")
    # Labels and definitions of evidence levels, and the bibliography, as given by the starter file.
    evidence_levels = JSON(default="[]")
    bibliography = JSON(default="[]")
    created_at = Timestamptz()


class Theme(Table, tablename="theme"):
    id = Serial(primary_key=True)
    framework = _restrict(Framework)
    code = Varchar(length=20)
    title = Text()
    title_en = Text(null=True, default=None)
    description = Text(default="")
    description_en = Text(null=True, default=None)
    position = Integer()


class Indicator(Table, tablename="indicator"):
    """The stable identity of an indicator: its code is never reused."""

    id = Serial(primary_key=True)
    framework = _restrict(Framework)
    code = Varchar(length=20)
    created_at = Timestamptz()


class IndicatorRevision(Table, tablename="indicator_revision"):
    """One immutable text of one indicator."""

    id = Serial(primary_key=True)
    indicator = _restrict(Indicator)
    number = Integer()
    title = Text()
    title_en = Text(null=True, default=None)
    statement = Text()
    statement_en = Text(null=True, default=None)
    rationale = Text()
    rationale_en = Text(null=True, default=None)
    evidence_level = Varchar(length=20)
    measurement = Text(default="")
    territorial_note = Text(null=True, default=None)
    # The proposal that made this revision (None for the starter content). A plain
    # number: indicators know nothing of proposals.
    proposal_id = Integer(null=True, default=None)
    created_at = Timestamptz()


class Release(Table, tablename="framework_release"):
    """One immutable, numbered snapshot of a whole framework."""

    id = Serial(primary_key=True)
    framework = _restrict(Framework)
    version = Varchar(length=40)
    major = Integer()
    minor = Integer()
    patch = Integer()
    summary = Text(default="")
    summary_en = Text(null=True, default=None)
    content_hash = Varchar(length=64)
    proposal_id = Integer(null=True, default=None)
    published_at = Timestamptz()


class ReleaseEntry(Table, tablename="release_entry"):
    """Which revision of an indicator a release holds, in which theme and at which place."""

    id = Serial(primary_key=True)
    release = _restrict(Release)
    indicator = _restrict(Indicator)
    revision = _restrict(IndicatorRevision, index=True)
    theme = _restrict(Theme)
    position = Integer()


class Adaptation(Table, tablename="adaptation"):
    """A territory's local adaptation (déclinaison territoriale) of a framework, kept by a territorial
    network: the working group `working_group` (a plain number: indicators know nothing of groups)."""

    id = Serial(primary_key=True)
    framework = _restrict(Framework)
    name = Text()
    region = Varchar(length=3, default="")  # an INSEE region code, or
    department = Varchar(length=3, default="")  # an INSEE department code
    working_group = Integer()
    base_release = _restrict(Release)  # the national release its latest version adapts
    created_at = Timestamptz()


class AdaptationVersion(Table, tablename="adaptation_version"):
    """One immutable, numbered version of an adaptation, pinned to a national release and hashed."""

    id = Serial(primary_key=True)
    adaptation = _restrict(Adaptation)
    number = Integer()  # 1, 2, 3... the adaptation's own numbering
    base_release = _restrict(Release)
    summary = Text(default="")
    content_hash = Varchar(length=64)
    proposal_id = Integer(null=True, default=None)
    published_at = Timestamptz()


class AdaptationChange(Table, tablename="adaptation_change"):
    """What a version changes for one indicator: not_applicable (with a reason), reworded or added
    (with its text, `content`: the fields of an indicator's text)."""

    id = Serial(primary_key=True)
    version = _restrict(AdaptationVersion, index=True)
    indicator_code = Varchar(length=20)
    kind = Varchar(length=20)  # not_applicable | reworded | added
    theme_code = Varchar(length=20, default="")
    reason = Text(default="")
    content = JSON(null=True, default=None)
    position = Integer()


# Indexes on several columns, by name (UNIQUE_INDEXES, and INDEXES for plain ones). Piccolo's composite
# Unique emits ALTER TABLE ... ADD CONSTRAINT, which SQLite refuses: raw SQL creates them with
# CREATE [UNIQUE] INDEX, and the parity test (tests/test_schema.py) checks them.
UNIQUE_INDEXES: dict[str, tuple[Column, ...]] = {
    "theme_code": (Theme.framework, Theme.code),
    "indicator_code": (Indicator.framework, Indicator.code),
    "indicator_revision_number": (IndicatorRevision.indicator, IndicatorRevision.number),
    "framework_release_version": (Release.framework, Release.version),
    "framework_release_order": (Release.framework, Release.major, Release.minor, Release.patch),
    "release_entry_indicator": (ReleaseEntry.release, ReleaseEntry.indicator),
    "adaptation_version_number": (AdaptationVersion.adaptation, AdaptationVersion.number),
    "adaptation_change_once": (AdaptationChange.version, AdaptationChange.indicator_code),
}
