"""What a change to the framework touches, as the caches of every worker hear it (web/changes.py)."""


def release_topic(slug: str) -> str:
    """A release was published in the framework `slug`: which release is current has changed."""
    return f"release:{slug}"
