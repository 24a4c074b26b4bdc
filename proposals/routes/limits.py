"""Abuse limits as the routes apply them: per account, and per address of the client."""

from __future__ import annotations

from litestar import Request

from proposals.rate_limits import limit_action
from web.requests import client_address


def address_of(request: Request) -> str:
    return client_address(request.scope, request.app.state.settings.trusted_proxies)


async def limit(request: Request, action: str, account: int | str | None = None) -> None:
    """Count an attempt of `action` (proposals/rate_limits.py): TooManyAttempts (429, Retry-After)
    past a limit, before anything is done."""
    await limit_action(request.app.state.settings.rate_limits, action, account, address_of(request))
