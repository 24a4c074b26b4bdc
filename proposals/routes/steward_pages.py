"""Steward pages: accounts and roles, working groups, the audit log. Also the small helpers that
proposals.routes.pages shares with them (sign-in redirect, error status, form numbers)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated
from urllib.parse import urlencode

from litestar import Request, Response, get, post
from litestar.params import FromPath, QueryParameter
from litestar.response import Redirect

from indicators.queries import list_themes
from proposals.accounts import list_accounts, set_active, set_role
from proposals.roles import Actor, Role
from proposals.routes.authentication import actor_of, require_actor, signed_in
from proposals.tables import AuditEntry
from proposals.working_groups import add_member, create_working_group, list_working_groups, remove_member
from web.failures import DomainError, InvalidInput
from web.messages import Term
from web.rendering import page
from web.requests import form_data, said

AUDIT_PER_PAGE = 50
LARGEST_ID = 2_147_483_647  # an integer column's largest value: beyond it, no row can match
PageNumber = Annotated[int, QueryParameter(name="page", ge=1, le=1_000_000)]
# The account just changed, for the page to confirm it (after the redirect that follows a change).
SavedAccount = Annotated[int | None, QueryParameter(name="saved", ge=1, le=LARGEST_ID)]


# --- helpers shared with proposals.routes.pages ---------------------------------------------------


def sign_in_first(request: Request) -> Redirect:
    """To the sign-in page, then back here with the same query (a guard would drop the query)."""
    target = request.scope["path"]
    query = request.scope.get("query_string", b"").decode("latin-1")
    if query:
        target = f"{target}?{query}"
    return Redirect(f"/sign-in?{urlencode({'next': target})}", status_code=303)


def problem(request: Request, form: str, error: DomainError, field: str | None = None) -> dict:
    """A message to show beside a form (and beside its field for bad input) when a POST fails, and at
    the top of the page, in the page's language. `field` is the form's field a bad input is about when
    the error names none."""
    # For any other error, the state of things is at fault, not a field.
    field = (error.field or field) if isinstance(error, InvalidInput) else None
    return {"form": form, "field": field, "message": said(request, error.message)}


def whole_number(value: str | None, what: Term, field: str) -> int:
    """A positive id typed in (or chosen in) a form."""
    text = (value or "").strip()
    if not text.isascii() or not text.isdigit() or not 1 <= int(text) <= LARGEST_ID:
        raise InvalidInput("The %(what)s must be a positive whole number.", field, what=what)
    return int(text)


async def submitted(request: Request) -> dict[str, str]:
    """The form's fields without the CSRF token; line endings as the stored texts have them."""
    values = await form_data(request)
    values.pop("_csrf_token", None)
    return {key: value.replace("\r\n", "\n").replace("\r", "\n") for key, value in values.items()}


def steward(request: Request) -> Actor:
    actor = require_actor(request)
    actor.require(Role.steward, Term("use the steward pages"))
    return actor


# --- the audit log --------------------------------------------------------------------------


@dataclass(frozen=True)
class AuditLine:
    id: int
    at: datetime
    actor: str | None
    action: str
    target_type: str
    target_id: int
    detail: dict
    entry_hash: str


async def audit_lines(page_number: int, per_page: int) -> tuple[list[AuditLine], int]:
    """One page of the audit log, newest first, and how many entries it holds. Two queries.

    (A read-only query of the log; it would sit well in proposals.audit.)"""
    total = await AuditEntry.count()
    rows = (
        await AuditEntry.select(
            AuditEntry.id,
            AuditEntry.at,
            AuditEntry.actor.display_name.as_alias("actor_name"),
            AuditEntry.action,
            AuditEntry.target_type,
            AuditEntry.target_id,
            AuditEntry.detail,
            AuditEntry.entry_hash,
        )
        .order_by(AuditEntry.id, ascending=False)
        .limit(per_page)
        .offset((page_number - 1) * per_page)
        .output(load_json=True)
    )
    lines = [
        AuditLine(
            id=row["id"],
            at=row["at"],
            actor=row["actor_name"],
            action=row["action"],
            target_type=row["target_type"],
            target_id=row["target_id"],
            detail=row["detail"] if isinstance(row["detail"], dict) else {},
            entry_hash=row["entry_hash"],
        )
        for row in rows
    ]
    return lines, total


# --- pages ----------------------------------------------------------------------------------


@get("/steward", name="steward")
async def steward_index(request: Request) -> Response:
    if actor_of(request) is None:
        return sign_in_first(request)
    steward(request)
    return page(request, "steward/index.html")


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
    if actor_of(request) is None:
        return sign_in_first(request)
    steward(request)
    return await _accounts_page(request, saved=saved)


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
async def steward_audit(request: Request, page_number: PageNumber = 1) -> Response:
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
