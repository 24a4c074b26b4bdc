"""Registration, sign-in and sign-out, the account page; the accounts and tokens API."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any

import msgspec
from litestar import Request, Response, get, patch, post
from litestar.params import JSONBody, PathParameter, QueryParameter
from litestar.response import Redirect

from proposals.access import create_api_token, end_session, start_session
from proposals.accounts import (
    AccountView,
    authenticate,
    change_password,
    get_account,
    normalise_email,
    register_account,
    set_active,
    set_role,
)
from proposals.rate_limits import hit
from proposals.roles import Role
from proposals.routes.authentication import require_actor, session_secret, signed_in
from web.failures import Conflict, InvalidInput, NotSignedIn
from web.messages import Message, Term
from web.rendering import page
from web.requests import SESSION_COOKIE, form_data, local_path, said, strictly

ACCOUNT_PAGE = "/account"  # where a new account lands, unless it came from a page to go back to
SIGN_IN_WINDOW = timedelta(minutes=15)
SIGN_INS_PER_ACCOUNT = 10
SIGN_INS_PER_ADDRESS = 50
NextPath = Annotated[str | None, QueryParameter(name="next", max_length=2000)]
AccountId = Annotated[int, PathParameter(ge=1, le=2**31 - 1)]  # a row number: never 0, negative or huge


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


def _signed_in_response(request: Request, target: str, secret: str) -> Redirect:
    response = Redirect(local_path(target, ACCOUNT_PAGE), status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        secret,
        httponly=True,
        secure=request.app.state.settings.secure_cookies,
        samesite="lax",
        max_age=14 * 24 * 3600,
    )
    return response


async def _limit_sign_in(request: Request, email: str) -> None:
    """Counted before any password is hashed, by account and by address."""
    address = request.client.host if request.client else "unknown"
    attempts = Term("sign-in attempts")
    await hit(f"sign-in:address:{address}", SIGN_INS_PER_ADDRESS, SIGN_IN_WINDOW, attempts)
    await hit(f"sign-in:account:{email}", SIGN_INS_PER_ACCOUNT, SIGN_IN_WINDOW, attempts)


# --- pages -------------------------------------------------------------------------------


@get("/register", name="register_form")
async def register_form(request: Request, target: NextPath = None) -> Response:
    next_page = local_path(target, ACCOUNT_PAGE)
    return page(request, "accounts/register.html", errors={}, values={}, next=next_page)


@post("/register", name="register")
async def register(request: Request) -> Response:
    values = await form_data(request)
    try:
        account = await register_account(
            values.get("email", ""),
            values.get("password", ""),
            values.get("display_name", ""),
            values.get("organisation", ""),
            values.get("territory", ""),
        )
    except (InvalidInput, Conflict) as error:
        field = getattr(error, "field", None) or ("email" if isinstance(error, Conflict) else "_form")
        status = 409 if isinstance(error, Conflict) else 400
        values.pop("password", None)
        return page(
            request,
            "accounts/register.html",
            status,
            errors={field: said(request, error.message)},
            values=values,
            next=local_path(values.get("next"), ACCOUNT_PAGE),
        )
    return _signed_in_response(request, values.get("next") or ACCOUNT_PAGE, await start_session(account.id))


@get("/sign-in", name="sign_in_form")
async def sign_in_form(request: Request, target: NextPath = None) -> Response:
    return page(request, "accounts/sign_in.html", errors={}, values={}, next=local_path(target))


@post("/sign-in", name="sign_in")
async def sign_in(request: Request) -> Response:
    values = await form_data(request)
    values.pop("_csrf_token", None)
    target = local_path(values.get("next"))
    failure = Message("Wrong email address or password.")
    try:
        email = normalise_email(values.get("email", ""))
        await _limit_sign_in(request, email)
        account = await authenticate(email, values.get("password", ""))
    except InvalidInput as error:
        account, failure = None, error.message
    if account is None:
        return page(
            request,
            "accounts/sign_in.html",
            400,
            errors={"_form": said(request, failure)},
            values={"email": values.get("email", "")},
            next=target,
        )
    return _signed_in_response(request, target, await start_session(account.id))


@post("/sign-out", name="sign_out")
async def sign_out(request: Request) -> Redirect:
    secret = session_secret(request.scope)
    if secret:
        await end_session(secret)
    response = Redirect("/", status_code=303)
    response.delete_cookie(SESSION_COOKIE)
    return response


@get(ACCOUNT_PAGE, name="account", guards=[signed_in])
async def account_page(request: Request) -> Response:
    account = await get_account(require_actor(request).id)
    return page(request, "accounts/account.html", account=account, errors={}, values={})


@post("/account/password", name="change_password", guards=[signed_in])
async def change_password_form(request: Request) -> Response:
    actor = require_actor(request)
    values = await form_data(request)
    try:
        await change_password(actor, values.get("current_password", ""), values.get("password", ""))
    except InvalidInput as error:
        account = await get_account(actor.id)
        errors = {error.field or "password": said(request, error.message)}
        return page(request, "accounts/account.html", 400, account=account, errors=errors, values={})
    # Every session ended with the change; this browser gets a fresh one.
    return _signed_in_response(request, ACCOUNT_PAGE, await start_session(actor.id))


# --- API ---------------------------------------------------------------------------------


class RegistrationBody(msgspec.Struct, forbid_unknown_fields=True):
    email: str
    password: str
    display_name: str
    organisation: str = ""
    territory: str = ""


class TokenRequest(msgspec.Struct, forbid_unknown_fields=True):
    email: str
    password: str


class AccountChange(msgspec.Struct, forbid_unknown_fields=True):
    role: str | None = None
    is_active: bool | None = None


@post("/accounts", summary="Register as a practitioner")
async def api_register(data: JSONBody[RegistrationBody]) -> Response[dict]:
    account = await register_account(
        data.email, data.password, data.display_name, data.organisation, data.territory
    )
    return Response(account_json(account), status_code=201)


@get("/accounts/me", summary="The caller's account", guards=[signed_in])
async def api_me(request: Request) -> dict[str, Any]:
    return account_json(await get_account(require_actor(request).id))


@patch("/accounts/{account_id:int}", summary="Grant a role, or (de)activate (stewards)", guards=[signed_in])
async def api_set_role(
    request: Request, account_id: AccountId, data: JSONBody[AccountChange]
) -> dict[str, Any]:
    data = await strictly(request, data)  # is_active: true or false, not "false" or 0
    actor = require_actor(request)
    actor.require(Role.steward, Term("change accounts"))
    account = await get_account(account_id)
    if data.role is not None:
        account = await set_role(actor, account_id, data.role)
    if data.is_active is not None:
        account = await set_active(actor, account_id, data.is_active)
    return account_json(account)


@post("/tokens", summary="Exchange an email and password for an API token")
async def api_token(request: Request, data: JSONBody[TokenRequest]) -> Response[dict]:
    email = normalise_email(data.email)
    await _limit_sign_in(request, email)
    account = await authenticate(email, data.password)
    if account is None:
        raise NotSignedIn("Wrong email address or password.")
    return Response({"token": await create_api_token(account.id), "account_id": account.id}, status_code=201)


ACCOUNT_PAGES = [register_form, register, sign_in_form, sign_in, sign_out, account_page, change_password_form]
ACCOUNT_API = [api_register, api_me, api_set_role, api_token]
