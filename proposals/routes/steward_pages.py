"""Steward pages: accounts and roles, working groups, the audit log."""

from __future__ import annotations

from typing import Annotated

from litestar import Request, Response, get, post
from litestar.params import FromPath, QueryParameter
from litestar.response import Redirect

from indicators.queries import list_themes
from proposals.accounts import list_accounts, set_active, set_role
from proposals.audit import audit_lines
from proposals.mail import outbox_state
from proposals.roles import Actor, Role
from proposals.routes.authentication import actor_of, require_actor, signed_in
from proposals.working_groups import add_member, create_working_group, list_working_groups, remove_member
from web.failures import DomainError
from web.forms import problem, sign_in_first, submitted
from web.messages import Term
from web.numbers import whole_number
from web.params import PageText, read_page
from web.rendering import page

AUDIT_PER_PAGE = 50
# The account just changed, for the page to confirm it (after the redirect that follows a change).
SavedAccount = Annotated[str | None, QueryParameter(name="saved", pattern=r"^[1-9][0-9]{0,9}$")]


def steward(request: Request) -> Actor:
    actor = require_actor(request)
    actor.require(Role.steward, Term("use the steward pages"))
    return actor


# --- the audit log --------------------------------------------------------------------------


# --- pages ----------------------------------------------------------------------------------


@get("/steward", name="steward")
async def steward_index(request: Request) -> Response:
    if actor_of(request) is None:
        return sign_in_first(request)
    steward(request)
    mail_configured = request.app.state.settings.smtp is not None
    return page(request, "steward/index.html", mail_configured=mail_configured, outbox=await outbox_state())


async def _accounts_page(
    request: Request, status: int = 200, trouble: dict | None = None, saved: int | None = None
) -> Response:
    accounts = await list_accounts()
    return page(
        request,
        "steward/accounts.html",
        status,
        accounts=accounts,
        roles=[role.value for role in Role],
        problem=trouble,
        saved=next((account for account in accounts if account.id == saved), None),
    )


def _account_saved(account_id: int) -> Redirect:
    return Redirect(f"/steward/accounts?saved={account_id}#account-{account_id}", status_code=303)


@get("/steward/accounts", name="steward_accounts")
async def steward_accounts(request: Request, saved: SavedAccount = None) -> Response:
    saved_id = int(saved) if saved is not None else None
    if actor_of(request) is None:
        return sign_in_first(request)
    steward(request)
    return await _accounts_page(request, saved=saved_id)


@post("/steward/accounts/{account_id:int}/role", name="steward_set_role", guards=[signed_in])
async def steward_set_role(request: Request, account_id: FromPath[int]) -> Response:
    actor = steward(request)
    values = await submitted(request)
    try:
        await set_role(actor, account_id, values.get("role", ""))
    except DomainError as error:
        return await _accounts_page(
            request, error.status_code, problem(request, f"account-{account_id}", error, "role")
        )
    return _account_saved(account_id)


@post("/steward/accounts/{account_id:int}/active", name="steward_set_active", guards=[signed_in])
async def steward_set_active(request: Request, account_id: FromPath[int]) -> Response:
    actor = steward(request)
    values = await submitted(request)
    try:
        await set_active(actor, account_id, values.get("active") == "1")
    except DomainError as error:
        return await _accounts_page(
            request, error.status_code, problem(request, f"account-{account_id}", error, "active")
        )
    return _account_saved(account_id)


async def _groups_page(
    request: Request, status: int = 200, trouble: dict | None = None, values: dict | None = None
) -> Response:
    slug = request.app.state.settings.default_framework
    framework, _current = await request.app.state.releases.framework(slug)
    accounts = [account for account in await list_accounts() if account.is_active]
    return page(
        request,
        "steward/working_groups.html",
        status,
        framework=framework,
        groups=await list_working_groups(slug),
        themes=await list_themes(framework),
        accounts=accounts,
        problem=trouble,
        values=values or {},
    )


@get("/steward/working-groups", name="steward_working_groups")
async def steward_working_groups(request: Request) -> Response:
    if actor_of(request) is None:
        return sign_in_first(request)
    steward(request)
    return await _groups_page(request)


@post("/steward/working-groups", name="steward_create_group", guards=[signed_in])
async def steward_create_group(request: Request) -> Response:
    actor = steward(request)
    form = await request.form()
    themes = [value for value in form.getall("themes") if isinstance(value, str)] if "themes" in form else []
    name = form.get("name")
    name = name if isinstance(name, str) else ""
    slug = request.app.state.settings.default_framework
    try:
        group = await create_working_group(actor, slug, name, themes)
    except DomainError as error:
        values = {"name": name, "themes": themes}
        return await _groups_page(request, error.status_code, problem(request, "create", error), values)
    return Redirect(f"/steward/working-groups#group-{group.id}", status_code=303)


@post("/steward/working-groups/{group_id:int}/members", name="steward_add_member", guards=[signed_in])
async def steward_add_member(request: Request, group_id: FromPath[int]) -> Response:
    actor = steward(request)
    values = await submitted(request)
    try:
        account_id = whole_number(values.get("account"), Term("account number"), "account")
        await add_member(actor, group_id, account_id)
    except DomainError as error:
        return await _groups_page(
            request, error.status_code, problem(request, f"group-{group_id}", error, "account")
        )
    return Redirect(f"/steward/working-groups#group-{group_id}", status_code=303)


@post(
    "/steward/working-groups/{group_id:int}/members/{account_id:int}/removal",
    name="steward_remove_member",
    guards=[signed_in],
)
async def steward_remove_member(
    request: Request, group_id: FromPath[int], account_id: FromPath[int]
) -> Response:
    actor = steward(request)
    try:
        await remove_member(actor, group_id, account_id)
    except DomainError as error:
        return await _groups_page(
            request, error.status_code, problem(request, f"group-{group_id}", error, "account")
        )
    return Redirect(f"/steward/working-groups#group-{group_id}", status_code=303)


@get("/steward/audit", name="steward_audit")
async def steward_audit(request: Request, page_text: PageText = None) -> Response:
    page_number = read_page(page_text)
    if actor_of(request) is None:
        return sign_in_first(request)
    steward(request)
    lines, total = await audit_lines(page_number, AUDIT_PER_PAGE)
    pages = max(1, -(-total // AUDIT_PER_PAGE))
    return page(
        request,
        "steward/audit.html",
        lines=lines,
        total=total,
        page_number=page_number,
        pages=pages,
        prev_url=f"/steward/audit?page={page_number - 1}" if page_number > 1 else None,
        next_url=f"/steward/audit?page={page_number + 1}" if page_number < pages else None,
    )


STEWARD_PAGES = [
    steward_index,
    steward_accounts,
    steward_set_role,
    steward_set_active,
    steward_working_groups,
    steward_create_group,
    steward_add_member,
    steward_remove_member,
    steward_audit,
]
