"""Making local adaptations and proposing changes to them (territorial networks)."""

from __future__ import annotations

NETWORK_PAGES: list = []
NETWORK_API: list = []
