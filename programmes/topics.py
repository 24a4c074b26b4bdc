"""What a change to programmes touches, as the caches of every worker hear it (web/changes.py)."""

# The programmes registered, as a whole: one was created (where programmes are, by region and kind).
PROGRAMMES = "programmes"


def programme_topic(programme_id: int) -> str:
    """One programme: its name, members and their roles, its assessments."""
    return f"programme:{programme_id}"


def field_topic(slug: str) -> str:
    """The field evidence of a framework's releases: an assessment was submitted."""
    return f"field:{slug}"
