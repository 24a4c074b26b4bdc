"""What a change to the co-design loop touches, as the caches of every worker hear it
(web/changes.py). A use case announces the topics of its write; a cached value names the topics it
is made from."""

# The list of proposals: one was created, or changed its status, title or base.
PROPOSALS = "proposals"
# Working groups, their themes and members (who may vote, how large a group is).
GROUPS = "working-groups"
# The decision rules of the frameworks.
RULES = "decision-rules"
# Where people say they are: an account's department or kinds of territory changed (or an account was
# registered with them). One topic for all accounts, not account_topic(id): the participation figures of
# every proposal an account took part in, and the stewards' contact lists of unheard territories, are
# made from many accounts at once, and territories change rarely. update_profile (and register_account,
# when it takes a territory) announce it.
TERRITORIES = "territories"


def proposal_topic(proposal_id: int) -> str:
    """One proposal and its debate: comments, revisions, ballots, status."""
    return f"proposal:{proposal_id}"


def account_topic(account_id: int) -> str:
    """One account's role, activity, sessions and tokens (who a cookie or a token is)."""
    return f"account:{account_id}"


def delphi_topic(process_id: int) -> str:
    """One Delphi process: its rounds, who rated, its figures and outcome."""
    return f"delphi:{process_id}"


def notifications_topic(account_id: int) -> str:
    """One account's notifications (its unread count in the header)."""
    return f"notifications:{account_id}"
