"""Who took part, by region and kind of territory: on each proposal, and over a release cycle."""

from __future__ import annotations

PARTICIPATION_PAGES: list = []
PARTICIPATION_API: list = []
