"""Following and notifications: the API of the contract, the notifications page with its settings,
and the one-click unsubscribe link of every e-mail."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from litestar import Request, Response, delete, get, post, put
from litestar.params import FromPath, JSONBody, QueryParameter
from litestar.response import Redirect

from indicators.queries import list_themes
from indicators.serialize import timestamp
from proposals.following import follow, follows_of, target_key, unfollow
from proposals.mail import outbox_state, read_unsubscribe_token, unsubscribe
from proposals.notifications import (
    KINDS,
    MODES,
    list_notifications,
    mail_language,
    mark_read,
    notification_settings,
    set_mail_language,
    set_notification_settings,
)
from proposals.routes.api import Strict
from proposals.routes.authentication import actor_of, require_actor, signed_in
from web.failures import DomainError, InvalidInput
from web.forms import problem, sign_in_first, submitted
from web.numbers import DIGITS
from web.rendering import page
from web.requests import refuse_unknown_query, said, site_base, strictly

UnreadOnly = Annotated[str | None, QueryParameter(name="unread", pattern=r"^[01]$")]


class FollowBody(Strict):
    target: Literal["proposal", "indicator", "theme"]
    id: int | None = None
    framework: str | None = None
    code: str | None = None


class ReadBody(Strict):
    ids: list[int] | None = None
    all: bool = False


async def _key(body: FollowBody) -> str:
    return await target_key(body.target, body.id, body.framework, body.code)


@put("/follows", guards=[signed_in], summary="Follow a proposal, an indicator or a theme (idempotent)")
async def api_follow(request: Request, data: JSONBody[FollowBody]) -> dict[str, Any]:
    key = await _key(data)
    await follow(require_actor(request), data.target, key)
    return {"target": data.target, "key": key, "following": True}


@delete("/follows", guards=[signed_in], status_code=200, summary="Stop following")
async def api_unfollow(request: Request, data: JSONBody[FollowBody]) -> dict[str, Any]:
    key = await _key(data)
    await unfollow(require_actor(request), data.target, key)
    return {"target": data.target, "key": key, "following": False}


@get("/notifications", guards=[signed_in], summary="The caller's notifications, newest first")
async def api_notifications(request: Request, unread: UnreadOnly = None) -> list[dict[str, Any]]:
    refuse_unknown_query(request, {"unread"})
    actor = require_actor(request)
    base = site_base(request)
    return [
        {
            "id": item.id,
            "kind": item.kind,
            "created_at": timestamp(item.created_at),
            "read": item.read,
            "html_url": base + item.path,
            "text": said(request, item.text),
        }
        for item in await list_notifications(actor.id, unread_only=unread == "1")
    ]


@post("/notifications/read", guards=[signed_in], status_code=200, summary="Mark notifications as read")
async def api_mark_read(request: Request, data: JSONBody[ReadBody]) -> dict[str, Any]:
    data = await strictly(request, data)
    changed = await mark_read(require_actor(request), data.ids, every=data.all)
    return {"marked": changed}


@get(
    "/accounts/me/notification-settings",
    guards=[signed_in],
    summary="How the caller gets each kind by e-mail",
)
async def api_get_settings(request: Request) -> dict[str, str]:
    return await notification_settings(require_actor(request).id)


@put(
    "/accounts/me/notification-settings",
    guards=[signed_in],
    summary="Immediate, daily, weekly or never, per kind",
)
async def api_set_settings(request: Request, data: JSONBody[dict[str, Any]]) -> dict[str, str]:
    return await set_notification_settings(require_actor(request), data)


# --- pages --------------------------------------------------------------------------------------


async def _inbox(request: Request, status: int = 200, trouble: dict | None = None) -> Response:
    actor = require_actor(request)
    slug = request.app.state.settings.default_framework
    framework, _current = await request.app.state.releases.framework(slug)
    return page(
        request,
        "proposals/notifications.html",
        status,
        items=await list_notifications(actor.id),
        settings=await notification_settings(actor.id),
        mail_lang=await mail_language(actor.id),
        kinds=KINDS,
        modes=MODES,
        follows=await follows_of(actor.id),
        themes=await list_themes(framework),
        framework=framework,
        mail_configured=request.app.state.settings.smtp is not None,
        outbox=await outbox_state() if actor.role.value == "steward" else None,
        problem=trouble,
    )


@get("/notifications", name="notifications")
async def notifications_page(request: Request) -> Response:
    if actor_of(request) is None:
        return sign_in_first(request)
    return await _inbox(request)


@post("/notifications/read", name="notifications_read", guards=[signed_in])
async def notifications_read(request: Request) -> Response:
    form = await request.form()
    ids = [v for v in form.getall("id") if isinstance(v, str)] if "id" in form else []
    try:
        if not all(DIGITS.fullmatch(v) for v in ids):
            raise InvalidInput("Choose notifications from the list.", "ids")
        await mark_read(require_actor(request), [int(v) for v in ids] or None, every=form.get("all") == "1")
    except DomainError as error:
        return await _inbox(request, error.status_code, problem(request, "read", error))
    return Redirect("/notifications", status_code=303)


@post("/notifications/settings", name="notification_settings", guards=[signed_in])
async def notifications_settings(request: Request) -> Response:
    values = await submitted(request)
    try:
        await set_notification_settings(
            require_actor(request), {k: values.get(k) for k in KINDS if k in values}
        )
        if "language" in values:
            await set_mail_language(require_actor(request), values["language"])
    except DomainError as error:
        return await _inbox(request, error.status_code, problem(request, "settings", error))
    return Redirect("/notifications#settings", status_code=303)


@post("/notifications/follows", name="notification_follows", guards=[signed_in])
async def notifications_follows(request: Request) -> Response:
    """Follow or stop following (action=follow|unfollow) a proposal, an indicator or a theme."""
    values = await submitted(request)
    target = values.get("target", "")
    try:
        number = values.get("id", "")
        proposal = int(number) if DIGITS.fullmatch(number) else None
        key = await target_key(target, proposal, values.get("framework"), values.get("code"))
        if values.get("action") == "unfollow":
            await unfollow(require_actor(request), target, key)
        else:
            await follow(require_actor(request), target, key)
    except DomainError as error:
        return await _inbox(request, error.status_code, problem(request, "follow", error))
    return Redirect("/notifications#follows", status_code=303)


@get("/notifications/unsubscribe/{token:str}", name="unsubscribe_form")
async def unsubscribe_form(request: Request, token: FromPath[str]) -> Response:
    found = read_unsubscribe_token(request.app.state.settings.secret_key, token)
    return page(
        request,
        "proposals/unsubscribe.html",
        200 if found else 404,
        valid=found is not None,
        done=False,
        token=token,
    )


@post("/notifications/unsubscribe/{token:str}", name="unsubscribe")
async def unsubscribe_now(request: Request, token: FromPath[str]) -> Response:
    """One click (RFC 8058): the signed token is the proof, no session or CSRF token is needed."""
    found = read_unsubscribe_token(request.app.state.settings.secret_key, token)
    if found is None:
        return page(request, "proposals/unsubscribe.html", 404, valid=False, done=False, token=token)
    await unsubscribe(*found)
    return page(request, "proposals/unsubscribe.html", valid=True, done=True, token=token)


NOTIFICATION_API = [
    api_follow,
    api_unfollow,
    api_notifications,
    api_mark_read,
    api_get_settings,
    api_set_settings,
]
NOTIFICATION_PAGES = [
    notifications_page,
    notifications_read,
    notifications_settings,
    notifications_follows,
    unsubscribe_form,
    unsubscribe_now,
]
