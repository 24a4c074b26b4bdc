"""Tables of the co-design loop: accounts, working groups, proposals, comments, ballots, audit log.

The source of this app's schema (a parity test compares them with the database). The first
migration wrote it in raw SQL, as for indicators; the baseline migration after it records these
classes for Piccolo's `--auto`. What Piccolo cannot express stays in raw SQL: composite indexes
(declared below, in UNIQUE_INDEXES and INDEXES) and the append-only triggers.
"""

from piccolo.columns import (
    JSON,
    Boolean,
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

from indicators.tables import Adaptation, Framework, Release, Theme


# No ON UPDATE action, as in the SQL: primary keys never change.
def _required(table: type[Table] | str, unique: bool = False, index: bool = False) -> ForeignKey:
    return ForeignKey(
        references=table,
        null=False,
        unique=unique,
        index=index,
        on_delete=OnDelete.restrict,
        on_update=OnUpdate.no_action,
    )


def _optional(table: type[Table] | str) -> ForeignKey:
    return ForeignKey(
        references=table, null=True, default=None, on_delete=OnDelete.restrict, on_update=OnUpdate.no_action
    )


class Account(Table, tablename="account"):
    id = Serial(primary_key=True)
    email = Varchar(length=254, unique=True)
    password_hash = Text()
    display_name = Varchar(length=100)
    organisation = Varchar(length=200, default="")
    territory = Varchar(length=100, default="")
    department = Varchar(length=3, default="")  # INSEE code (places/france.yaml), or none
    territory_kinds = JSON(default="[]")  # places.territory_kinds, self-declared
    role = Varchar(length=20, default="practitioner")
    language = Varchar(length=5, default="fr")  # of the e-mails it is sent (web/i18n.py)
    is_active = Boolean(default=True)
    created_at = Timestamptz()


class Session(Table, tablename="account_session"):
    """A signed-in browser. The cookie holds a random token; only its hash is stored."""

    id = Serial(primary_key=True)
    token_hash = Varchar(length=64, unique=True)
    account = _required(Account, index=True)
    created_at = Timestamptz()
    expires_at = Timestamptz()


class ApiToken(Table, tablename="api_token"):
    """An API client's bearer token; only its hash is stored. It works until `expires_at` (always
    set: the migration that added it set it for the tokens made before) or until it is revoked."""

    id = Serial(primary_key=True)
    token_hash = Varchar(length=64, unique=True)
    account = _required(Account)
    created_at = Timestamptz()
    expires_at = Timestamptz(null=True, default=None)
    last_used_at = Timestamptz(null=True, default=None)


class RateLimit(Table, tablename="rate_limit"):
    """Counters shared by every worker: one row per key (e.g. sign-in by address) and window."""

    key = Varchar(length=200, primary_key=True)
    window_start = Timestamptz()
    hits = Integer()


class DecisionRule(Table, tablename="decision_rule"):
    id = Serial(primary_key=True)
    framework = _required(Framework, unique=True)  # one rule per framework
    min_discussion_days = Integer(default=7)
    voting_days = Integer(default=7)
    quorum = Varchar(length=20, default="1/2")
    retire_threshold = Varchar(length=20, default="2/3")
    last_call_days = Integer(default=0)
    review_months = Integer(default=24)


class WorkingGroup(Table, tablename="working_group"):
    id = Serial(primary_key=True)
    framework = _required(Framework)
    name = Varchar(length=200)
    created_at = Timestamptz()


class WorkingGroupTheme(Table, tablename="working_group_theme"):
    id = Serial(primary_key=True)
    working_group = _required(WorkingGroup)
    theme = _required(Theme, unique=True)  # a theme belongs to one working group at most


class WorkingGroupMember(Table, tablename="working_group_member"):
    id = Serial(primary_key=True)
    working_group = _required(WorkingGroup)
    account = _required(Account)


class Proposal(Table, tablename="proposal"):
    id = Serial(primary_key=True)
    framework = _required(Framework)
    kind = Varchar(length=10)  # add | amend | retire
    status = Varchar(length=12, default="discussion")
    change_class = Varchar(length=10)  # major | minor | patch
    author = _required(Account)
    base_release = _required(Release)
    theme = _required(Theme)
    indicator_code = Varchar(length=20, null=True, default=None)
    base_revision = Integer(null=True, default=None)
    title = Varchar(length=200)
    rationale = Text()
    rationale_html = Text()
    content = JSON(null=True, default=None)
    revision = Integer(default=1)
    created_at = Timestamptz()
    updated_at = Timestamptz()
    vote_opened_at = Timestamptz(null=True, default=None)
    # While in last call (before the vote): when it ends (proposals/last_call.py).
    last_call_ends_at = Timestamptz(null=True, default=None)
    # A proposal to a territory's adaptation (decided by its network) rather than to the framework.
    adaptation = _optional(Adaptation)
    closes_at = Timestamptz(null=True, default=None)
    decided_at = Timestamptz(null=True, default=None)
    tally = JSON(null=True, default=None)
    release = _optional(Release)


class ProposalRevision(Table, tablename="proposal_revision"):
    id = Serial(primary_key=True)
    proposal = _required(Proposal)
    number = Integer()
    title = Varchar(length=200)
    rationale = Text()
    content = JSON(null=True, default=None)
    created_at = Timestamptz()


class Comment(Table, tablename="comment"):
    id = Serial(primary_key=True)
    proposal = _required(Proposal)
    author = _required(Account)
    parent = _optional("self")
    body = Text()
    body_html = Text()
    created_at = Timestamptz()
    hidden_at = Timestamptz(null=True, default=None)
    hidden_by = _optional(Account)
    hidden_reason = Text(null=True, default=None)


class Concern(Table, tablename="concern"):
    """A blocking concern raised during a proposal's last call, and its written answer: the vote
    opens only when every concern of the proposal has one."""

    id = Serial(primary_key=True)
    proposal = _required(Proposal, index=True)
    author = _required(Account)
    body = Text()
    body_html = Text()
    created_at = Timestamptz()
    answer = Text(null=True, default=None)
    answer_html = Text(null=True, default=None)
    answered_by = _optional(Account)
    answered_at = Timestamptz(null=True, default=None)


class Ballot(Table, tablename="ballot"):
    id = Serial(primary_key=True)
    proposal = _required(Proposal)
    voter = _required(Account)
    choice = Varchar(length=10)  # for | against | abstain
    reason = Text(default="")
    cast_at = Timestamptz()


class AuditEntry(Table, tablename="audit_log"):
    """Append-only: who did what, when, to what. Each entry carries the hash of the previous one of
    its stream, where it is number `seq` (proposals/audit.py); stream 0, seq None: the single chain
    written before streams."""

    id = Serial(primary_key=True)
    at = Timestamptz()
    actor = _optional(Account)
    action = Varchar(length=50)
    target_type = Varchar(length=30)
    target_id = Integer()
    detail = JSON(default="{}")
    prev_hash = Varchar(length=64)
    entry_hash = Varchar(length=64, unique=True)
    stream = Integer(default=0)
    seq = Integer(null=True, default=None)


class DelphiProcess(Table, tablename="delphi_process"):
    """A working group's Delphi rating of a batch of proposals, in rounds (proposals/delphi.py).
    `outcome` once concluded: {retained, rejected, returned} lists of proposal numbers."""

    id = Serial(primary_key=True)
    working_group = _required(WorkingGroup)
    title = Varchar(length=200)
    instructions = Text(default="")
    instructions_html = Text(default="")
    criteria = JSON()  # ["relevance", "feasibility"] by default
    created_by = _required(Account)
    created_at = Timestamptz()
    concluded_at = Timestamptz(null=True, default=None)
    outcome = JSON(null=True, default=None)
    release = _optional(Release)  # the release that published its retained proposals


class DelphiRound(Table, tablename="delphi_round"):
    """What the close finds is kept with the round: `panel_size` (the group's voters then),
    `respondents` (those of them who rated something), `completed` (who rated every item on every
    criterion) and `results`, {proposal number: {"figures": {criterion: figures or null}, "outcome"}}
    (proposals/delphi_statistics.py)."""

    id = Serial(primary_key=True)
    process = _required(DelphiProcess)
    number = Integer()
    opened_at = Timestamptz()
    closes_at = Timestamptz()
    closed_at = Timestamptz(null=True, default=None)
    panel_size = Integer(null=True, default=None)
    respondents = Integer(null=True, default=None)
    completed = Integer(null=True, default=None)
    results = JSON(null=True, default=None)


class DelphiItem(Table, tablename="delphi_item"):
    """A proposal rated in a round."""

    id = Serial(primary_key=True)
    round = _required(DelphiRound)
    proposal = _required(Proposal)


class DelphiRating(Table, tablename="delphi_rating"):
    """One member's rating of one item on one criterion. Never shown to anyone but its rater."""

    id = Serial(primary_key=True)
    item = _required(DelphiItem)
    rater = _required(Account)
    criterion = Varchar(length=40)
    value = Integer()
    rated_at = Timestamptz()


class DelphiComment(Table, tablename="delphi_comment"):
    """A member's comment on an item in a round, shown without its author in the next round."""

    id = Serial(primary_key=True)
    item = _required(DelphiItem)
    rater = _required(Account)
    body = Text()
    written_at = Timestamptz()


class Follow(Table, tablename="follow"):
    """An account follows a proposal, an indicator or a theme. `key`: the proposal's number, or
    "<framework slug>/<code>" for an indicator or a theme."""

    id = Serial(primary_key=True)
    account = _required(Account)
    target = Varchar(length=10)  # proposal | indicator | theme
    key = Varchar(length=130)
    created_at = Timestamptz()


class NotificationEvent(Table, tablename="notification_event"):
    """Something that happened, written in the same transaction as it (so none is lost), then turned
    into notifications and e-mails off the request path (proposals/notifications.py). `dedupe`: a key
    that makes a repeated event (a vote closing soon) a no-op."""

    id = Serial(primary_key=True)
    kind = Varchar(length=20)
    actor = _optional(Account)
    proposal = _optional(Proposal)
    data = JSON(default="{}")
    created_at = Timestamptz()
    dedupe = Varchar(length=120, null=True, default=None, unique=True)
    dispatched_at = Timestamptz(null=True, default=None)


class Notification(Table, tablename="notification"):
    """One event for one account. `mail`: how it is e-mailed (immediate, daily, weekly, never);
    `mailed_at`: when it was put in an e-mail (for digests: the digest's)."""

    id = Serial(primary_key=True)
    account = _required(Account)
    event = _required(NotificationEvent)
    kind = Varchar(length=20)
    created_at = Timestamptz()
    read_at = Timestamptz(null=True, default=None)
    mail = Varchar(length=10, default="never")
    mailed_at = Timestamptz(null=True, default=None)


class NotificationSetting(Table, tablename="notification_setting"):
    """How an account wants one kind of event by e-mail (immediate when there is no row)."""

    id = Serial(primary_key=True)
    account = _required(Account)
    kind = Varchar(length=20)
    mode = Varchar(length=10)  # immediate | daily | weekly | never


class MailOutbox(Table, tablename="mail_outbox"):
    """An e-mail to send, written with what made it; sent by the mailer with retries. `token` makes
    its Message-ID, the same at every attempt; `sent_at` is set once the SMTP server accepted it."""

    id = Serial(primary_key=True)
    account = _required(Account)
    to_address = Varchar(length=254)
    subject = Text()
    text_body = Text()
    html_body = Text()
    unsubscribe_url = Text()
    token = Varchar(length=40, unique=True)
    created_at = Timestamptz()
    attempts = Integer(default=0)
    next_attempt_at = Timestamptz()
    claimed_until = Timestamptz(null=True, default=None)
    sent_at = Timestamptz(null=True, default=None)
    last_error = Text(default="")


# Indexes on several columns, by name. Piccolo's composite Unique emits ALTER TABLE ... ADD CONSTRAINT,
# which SQLite refuses: raw SQL creates them with CREATE [UNIQUE] INDEX, and the parity test
# (tests/test_schema.py) checks them.
UNIQUE_INDEXES: dict[str, tuple[Column, ...]] = {
    "working_group_name": (WorkingGroup.framework, WorkingGroup.name),
    "working_group_member_once": (WorkingGroupMember.working_group, WorkingGroupMember.account),
    "proposal_revision_number": (ProposalRevision.proposal, ProposalRevision.number),
    "ballot_once": (Ballot.proposal, Ballot.voter),
    "audit_log_stream_seq": (AuditEntry.stream, AuditEntry.seq),  # two writers cannot fork a stream
    "delphi_round_number": (DelphiRound.process, DelphiRound.number),
    "delphi_item_once": (DelphiItem.round, DelphiItem.proposal),
    "delphi_rating_once": (DelphiRating.item, DelphiRating.rater, DelphiRating.criterion),
    "delphi_comment_once": (DelphiComment.item, DelphiComment.rater),
    "follow_once": (Follow.account, Follow.target, Follow.key),
    "notification_setting_once": (NotificationSetting.account, NotificationSetting.kind),
}
INDEXES: dict[str, tuple[Column, ...]] = {
    "proposal_listing": (Proposal.framework, Proposal.status, Proposal.id),
    # The list, newest first, after each of its filters (proposals/reading.py list_proposals).
    "proposal_recent": (Proposal.created_at, Proposal.id),
    "proposal_framework_recent": (Proposal.framework, Proposal.created_at, Proposal.id),
    "proposal_framework_status_recent": (
        Proposal.framework,
        Proposal.status,
        Proposal.created_at,
        Proposal.id,
    ),
    "proposal_status_recent": (Proposal.status, Proposal.created_at, Proposal.id),
    "proposal_theme_recent": (Proposal.theme, Proposal.created_at, Proposal.id),
    "proposal_adaptation_recent": (Proposal.adaptation, Proposal.created_at, Proposal.id),
    "comment_proposal": (Comment.proposal, Comment.id),
    "audit_log_target": (AuditEntry.target_type, AuditEntry.target_id, AuditEntry.id),
    "delphi_item_proposal": (DelphiItem.proposal, DelphiItem.round),
    "follow_target": (Follow.target, Follow.key),
    "notification_inbox": (Notification.account, Notification.id),
    "notification_of_event": (Notification.event, Notification.mail),
    "notification_event_pending": (NotificationEvent.dispatched_at, NotificationEvent.id),
    "mail_outbox_due": (MailOutbox.sent_at, MailOutbox.next_attempt_at),
}
