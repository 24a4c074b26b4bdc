"""The accounts and tokens endpoints of the JSON API v1."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Request, Response, delete, get, patch, post
from litestar.params import JSONBody

from indicators.serialize import timestamp
from proposals.access import TokenView, create_api_token, describe_token, list_tokens, revoke_token
from proposals.accounts import (
    AccountView,
    EmailTaken,
    authenticate,
    get_account,
    register_account,
    set_active,
    set_role,
    update_profile,
)
from proposals.identities import normalise_email
from proposals.roles import Role
from proposals.routes.authentication import require_actor, signed_in
from proposals.routes.limits import limit
from web.failures import NotSignedIn
from web.idempotency import NO_REPLAY
from web.messages import Term
from web.params import RowId
from web.requests import strictly


class RegistrationBody(msgspec.Struct, forbid_unknown_fields=True):
    email: str
    password: str
    display_name: str
    organisation: str = ""
    territory: str = ""
    department: str = ""  # an INSEE code (GET /api/v1/territories), or none
    territory_kinds: list[str] = []


class ProfileChange(msgspec.Struct, forbid_unknown_fields=True):
    """Only the fields given change (null is the same as absent); department "" says none."""

    display_name: str | None = None
    organisation: str | None = None
    department: str | None = None
    territory_kinds: list[str] | None = None


class TokenRequest(msgspec.Struct, forbid_unknown_fields=True):
    email: str
    password: str


class AccountChange(msgspec.Struct, forbid_unknown_fields=True):
    role: str | None = None
    is_active: bool | None = None


def account_json(account: AccountView) -> dict[str, Any]:
    return {
        "id": account.id,
        "email": account.email,
        "display_name": account.display_name,
        "organisation": account.organisation,
        "territory": account.territory,
        "role": account.role.value,
        "working_groups": [{"id": gid, "name": name} for gid, name in account.working_groups],
    }


def me_json(account: AccountView) -> dict[str, Any]:
    """The caller's own account: with the territory they said, which only they see."""
    place = account.place
    return {
        **account_json(account),
        "department": account.department or None,
        "region": place.region.code if place else None,
        "territory_kinds": list(account.territory_kinds),
    }


def token_json(token: TokenView) -> dict[str, Any]:
    return {
        "id": token.id,
        "created_at": timestamp(token.created_at),
        "expires_at": timestamp(token.expires_at),
        "last_used_at": timestamp(token.last_used_at) if token.last_used_at else None,
    }


REGISTERED = (
    "If no account had this address, it is ready: get a token with POST /api/v1/tokens. "
    "If one had it already, nothing changed."
)


@post("/accounts", summary="Register as a practitioner (the same answer whether the address was new)")
async def api_register(request: Request, data: JSONBody[RegistrationBody]) -> Response[dict]:
    await limit(request, "register")
    try:
        registration: Any = await register_account(
            data.email,
            data.password,
            data.display_name,
            data.organisation,
            data.territory,
            department=data.department,
            territory_kinds=data.territory_kinds,
        )
    except EmailTaken as taken:
        registration = taken.registration
    body = {
        "email": registration.email,
        "display_name": registration.display_name,
        "organisation": registration.organisation,
        "territory": registration.territory,
        "department": registration.department or None,
        "territory_kinds": list(registration.territory_kinds),
        "role": Role.practitioner.value,
        "detail": REGISTERED,
    }
    return Response(body, status_code=201)


@get("/accounts/me", summary="The caller's account", guards=[signed_in])
async def api_me(request: Request) -> dict[str, Any]:
    return me_json(await get_account(require_actor(request).id))


@patch("/accounts/me", summary="Change what the caller says about themself", guards=[signed_in])
async def api_update_me(request: Request, data: JSONBody[ProfileChange]) -> dict[str, Any]:
    data = await strictly(request, data)  # a kind is a string, not a number read as one
    account = await update_profile(
        require_actor(request),
        display_name=data.display_name,
        organisation=data.organisation,
        department=data.department,
        territory_kinds=data.territory_kinds,
    )
    return me_json(account)


@patch("/accounts/{account_id:int}", summary="Grant a role, or (de)activate (stewards)", guards=[signed_in])
async def api_set_role(request: Request, account_id: RowId, data: JSONBody[AccountChange]) -> dict[str, Any]:
    data = await strictly(request, data)  # is_active: true or false, not "false" or 0
    actor = require_actor(request)
    actor.require(Role.steward, Term("change accounts"))
    account = await get_account(account_id)
    if data.role is not None:
        account = await set_role(actor, account_id, data.role)
    if data.is_active is not None:
        account = await set_active(actor, account_id, data.is_active)
    return account_json(account)


# A retry with the same Idempotency-Key is refused rather than shown the token again.
@post("/tokens", summary="Exchange an email and password for an API token (it expires)", opt=NO_REPLAY)
async def api_token(request: Request, data: JSONBody[TokenRequest]) -> Response[dict]:
    email = normalise_email(data.email)
    await limit(request, "sign-in", email)  # before any password is hashed
    account = await authenticate(email, data.password)
    if account is None:
        raise NotSignedIn("Wrong email address or password.")
    await limit(request, "token", account.id)
    secret = await create_api_token(account.id)
    body = {"token": secret, "account_id": account.id, **token_json(await describe_token(secret))}
    return Response(body, status_code=201)


@get("/tokens", summary="The caller's API tokens (never the tokens themselves)", guards=[signed_in])
async def api_tokens(request: Request) -> list[dict[str, Any]]:
    return [token_json(token) for token in await list_tokens(require_actor(request).id)]


@delete("/tokens/{token_id:int}", summary="Revoke one of the caller's API tokens", guards=[signed_in])
async def api_revoke_token(request: Request, token_id: RowId) -> None:
    await revoke_token(require_actor(request), token_id)


ACCOUNT_API = [api_register, api_me, api_update_me, api_set_role, api_token, api_tokens, api_revoke_token]
