"""What a change to the framework touches, as the caches of every worker hear it (web/changes.py)."""


def release_topic(slug: str) -> str:
    """A release was published in the framework `slug`: which release is current has changed."""
    return f"release:{slug}"


# Any adaptation was made or published: the lists of adaptations and the national indicator pages
# ("adapted in N territories") change.
ADAPTATIONS = "adaptations"


def adaptation_topic(adaptation_id: int) -> str:
    """A new version of the adaptation `adaptation_id` was published (or it adopted a new base)."""
    return f"adaptation:{adaptation_id}"
