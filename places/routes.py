"""The reference geography in the JSON API."""

from __future__ import annotations

TERRITORY_API: list = []
