"""Registration, sign-in and sign-out, the account page (profile, password, API tokens)."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from litestar import Request, Response, get, post
from litestar.params import FromPath, QueryParameter
from litestar.response import Redirect

from places.france import departments
from places.territory_kinds import KIND_NAMES, TERRITORY_KINDS
from proposals.access import end_session, list_tokens, revoke_token, start_session
from proposals.accounts import (
    AccountView,
    EmailTaken,
    authenticate,
    change_password,
    get_account,
    register_account,
    update_profile,
)
from proposals.identities import normalise_email
from proposals.routes.authentication import require_actor, session_secret, signed_in
from proposals.routes.limits import limit
from web.failures import InvalidInput
from web.forms import submitted
from web.i18n import translations
from web.idempotency import PASS_THROUGH
from web.messages import Message
from web.rendering import page
from web.requests import SESSION_COOKIE, language_of, local_path, said

ACCOUNT_PAGE = "/account"  # where a new account lands, unless it came from a page to go back to
SESSION_DAYS = 14
NextPath = Annotated[str | None, QueryParameter(name="next", max_length=2000)]
Registered = Annotated[str | None, QueryParameter(name="registered", max_length=1)]


def signed_in_response(request: Request, target: str, secret: str) -> Redirect:
    response = Redirect(local_path(target, ACCOUNT_PAGE), status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        secret,
        httponly=True,
        secure=request.app.state.settings.secure_cookies,
        samesite="lax",
        max_age=SESSION_DAYS * 24 * 3600,
    )
    return response


def territory_choices(request: Request) -> dict[str, object]:
    """What the forms asking for a department and kinds of territory list, in the page's language."""
    gettext = translations(language_of(request)).gettext
    return {
        "departments": departments(),
        "territory_kinds": TERRITORY_KINDS,
        "kind_names": {kind: gettext(name) for kind, name in KIND_NAMES.items()},
    }


async def ticked_kinds(request: Request) -> list[str]:
    """The kinds of territory ticked: one field per box (submitted() keeps only the last of a name)."""
    return [kind for kind in (await request.form()).getall("territory_kinds", []) if isinstance(kind, str)]


def _register_page(request: Request, status: int, errors: dict, values: dict, next_page: str) -> Response:
    context = {"errors": errors, "values": values, "next": next_page, **territory_choices(request)}
    return page(request, "accounts/register.html", status, **context)


@get("/register", name="register_form")
async def register_form(request: Request, target: NextPath = None) -> Response:
    return _register_page(request, 200, {}, {"territory_kinds": []}, local_path(target, ACCOUNT_PAGE))


@post("/register", name="register", opt=PASS_THROUGH)
async def register(request: Request) -> Response:
    """A new address and a registered one get the same answer: to the sign-in page, the address
    filled in, saying the account is ready if the address was new. Nobody learns who has an account."""
    await limit(request, "register")
    values: dict = {**await submitted(request), "territory_kinds": await ticked_kinds(request)}
    next_page = local_path(values.get("next"), ACCOUNT_PAGE)
    try:
        account = await register_account(
            values.get("email", ""),
            values.get("password", ""),
            values.get("display_name", ""),
            values.get("organisation", ""),
            values.get("territory", ""),
            department=values.get("department", ""),
            territory_kinds=values["territory_kinds"],
        )
        email = account.email
    except EmailTaken as taken:
        email = taken.registration.email
    except InvalidInput as error:
        values.pop("password", None)
        errors = {error.field or "_form": said(request, error.message)}
        return _register_page(request, 400, errors, values, next_page)
    query = urlencode({"registered": "1", "email": email, "next": next_page})
    return Redirect(f"/sign-in?{query}", status_code=303)


@get("/sign-in", name="sign_in_form")
async def sign_in_form(
    request: Request,
    target: NextPath = None,
    registered: Registered = None,
    email: Annotated[str | None, QueryParameter(max_length=254)] = None,
) -> Response:
    values = {"email": email} if email else {}
    return page(
        request,
        "accounts/sign_in.html",
        errors={},
        values=values,
        next=local_path(target),
        registered=registered == "1",
    )


@post("/sign-in", name="sign_in", opt=PASS_THROUGH)
async def sign_in(request: Request) -> Response:
    values = await submitted(request)
    target = local_path(values.get("next"))
    failure = Message("Wrong email address or password.")
    try:
        email = normalise_email(values.get("email", ""))
        await limit(request, "sign-in", email)  # before any password is hashed
        account = await authenticate(email, values.get("password", ""))
    except InvalidInput as error:
        account, failure = None, error.message
    if account is None:
        errors = {"_form": said(request, failure)}
        values = {"email": values.get("email", "")}
        return page(request, "accounts/sign_in.html", 400, errors=errors, values=values, next=target)
    return signed_in_response(request, target, await start_session(account.id))


@post("/sign-out", name="sign_out", opt=PASS_THROUGH)
async def sign_out(request: Request) -> Redirect:
    secret = session_secret(request.scope)
    if secret:
        await end_session(secret)
    response = Redirect("/", status_code=303)
    response.delete_cookie(SESSION_COOKIE)
    return response


def _profile_values(account: AccountView) -> dict[str, object]:
    return {
        "display_name": account.display_name,
        "organisation": account.organisation,
        "department": account.department,
        "territory_kinds": list(account.territory_kinds),
    }


async def _account_page(
    request: Request,
    status: int = 200,
    errors: dict | None = None,
    profile_errors: dict | None = None,
    profile_values: dict | None = None,
) -> Response:
    """The account page; a refused form is shown with its message beside its field (the profile's
    with what was typed)."""
    actor = require_actor(request)
    account, tokens = await get_account(actor.id), await list_tokens(actor.id)
    context = {
        "account": account,
        "tokens": tokens,
        "errors": errors or {},
        "values": {},
        "profile_errors": profile_errors or {},
        "profile_values": profile_values or _profile_values(account),
        **territory_choices(request),
    }
    return page(request, "accounts/account.html", status, **context)


@get(ACCOUNT_PAGE, name="account", guards=[signed_in])
async def account_page(request: Request) -> Response:
    return await _account_page(request)


@post("/account/profile", name="update_profile", guards=[signed_in])
async def update_profile_form(request: Request) -> Response:
    values: dict = {**await submitted(request), "territory_kinds": await ticked_kinds(request)}
    try:
        await update_profile(
            require_actor(request),
            display_name=values.get("display_name", ""),
            organisation=values.get("organisation", ""),
            department=values.get("department", ""),
            territory_kinds=values["territory_kinds"],
        )
    except InvalidInput as error:
        errors = {error.field or "_form": said(request, error.message)}
        return await _account_page(request, 400, profile_errors=errors, profile_values=values)
    return Redirect(ACCOUNT_PAGE, status_code=303)


@post("/account/password", name="change_password", guards=[signed_in], opt=PASS_THROUGH)
async def change_password_form(request: Request) -> Response:
    actor = require_actor(request)
    values = await submitted(request)
    try:
        await change_password(actor, values.get("current_password", ""), values.get("password", ""))
    except InvalidInput as error:
        return await _account_page(request, 400, {error.field or "password": said(request, error.message)})
    # Every session ended with the change; this browser gets a fresh one.
    return signed_in_response(request, ACCOUNT_PAGE, await start_session(actor.id))


@post("/account/tokens/{token_id:int}/revocation", name="revoke_token", guards=[signed_in])
async def revoke_token_form(request: Request, token_id: FromPath[int]) -> Redirect:
    await revoke_token(require_actor(request), token_id)
    return Redirect(f"{ACCOUNT_PAGE}#tokens", status_code=303)


ACCOUNT_PAGES = [
    register_form,
    register,
    sign_in_form,
    sign_in,
    sign_out,
    account_page,
    update_profile_form,
    change_password_form,
    revoke_token_form,
]
