"""Local adaptations of a framework: their pages and JSON API (reading)."""

from __future__ import annotations

ADAPTATION_PAGES: list = []
ADAPTATION_API: list = []
