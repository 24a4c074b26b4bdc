"""HTML pages of the co-design loop (being written)."""

PROPOSAL_PAGES: list = []
