"""What a change to the co-design loop touches, as the caches of every worker hear it
(web/changes.py). A use case announces the topics of its write; a cached value names the topics it
is made from."""

# The list of proposals: one was created, or changed its status, title or base.
PROPOSALS = "proposals"
# Working groups, their themes and members (who may vote, how large a group is).
GROUPS = "working-groups"
# The decision rules of the frameworks.
RULES = "decision-rules"


def proposal_topic(proposal_id: int) -> str:
    """One proposal and its debate: comments, revisions, ballots, status."""
    return f"proposal:{proposal_id}"


def account_topic(account_id: int) -> str:
    """One account's role, activity, sessions and tokens (who a cookie or a token is)."""
    return f"account:{account_id}"
