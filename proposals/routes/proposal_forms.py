"""Writing a new proposal: the form, its preview (nothing stored) and its submission, to the framework
or (with the adaptation given: proposals.routes.adaptations) to a local adaptation; the form helpers
the revision form shares."""

from __future__ import annotations

from typing import Annotated

from litestar import Request, Response, get, post
from litestar.params import QueryParameter
from litestar.response import Redirect

from indicators.adaptations import AdaptationView
from indicators.content import IndicatorText
from indicators.queries import list_themes
from proposals.discussion import (
    COMMENT_MAX,
    HIDE_REASON_MAX,
)
from proposals.proposing import create_proposal, preview_change
from proposals.routes.authentication import actor_of, require_actor, signed_in
from proposals.routes.limits import limit
from proposals.services import (
    CONTENT_FIELDS,
    KINDS,
    TEXT_MAX,
    TITLE_MAX,
)
from proposals.voting import VOTE_REASON_MAX
from web.failures import DomainError, InvalidInput, NotFound
from web.forms import sign_in_first, submitted
from web.rendering import page
from web.requests import said

Filter = Annotated[str | None, QueryParameter(max_length=50)]
LIMITS = {
    "title": TITLE_MAX,
    "text": TEXT_MAX,
    "comment": COMMENT_MAX,
    "hide_reason": HIDE_REASON_MAX,
    "vote_reason": VOTE_REASON_MAX,
}


def framework_slug(request: Request) -> str:
    return request.app.state.settings.default_framework


def content_values(text: IndicatorText | None) -> dict[str, str]:
    """The form's content fields filled with an indicator's text."""
    if text is None:
        return {}
    return {f"content_{name}": getattr(text, name) or "" for name in CONTENT_FIELDS}


def content_of(values: dict[str, str], kind: str) -> dict | None:
    """The content fields of a submitted form, as the use cases take them (all six: an amendment
    keeps those that differ from its base)."""
    if kind in ("retire", "confirm"):
        return None
    return {name: values.get(f"content_{name}", "") for name in CONTENT_FIELDS}


def form_field(error: DomainError, fields: set[str]) -> str:
    """The form field an error is about (InvalidInput.field), or '_form' for the top of the form."""
    field = getattr(error, "field", None)
    if not field:
        return "_form"
    for prefix in ("content.", "content_", "content-"):
        if field.startswith(prefix) and field[len(prefix) :] in CONTENT_FIELDS:
            return f"content_{field[len(prefix) :]}"
    if field == "change_class":
        return "editorial"
    return field if field in fields else "_form"


# --- writing a proposal --------------------------------------------------------------------

# Fields shown in the proposal form (kind, indicator, theme and base are chosen before it: their
# errors go to the top of the form).
PROPOSAL_FORM_FIELDS = {"title", "rationale", "editorial", *(f"content_{name}" for name in CONTENT_FIELDS)}


async def _release(request: Request, version: str, adaptation: AdaptationView | None):
    """The framework, a release and the current version. The release is, for an adaptation, the one
    it adapts; otherwise the given one, else the current one."""
    if adaptation is not None:
        return await request.app.state.releases.release(adaptation.framework, adaptation.base_version)
    slug = framework_slug(request)
    try:
        return await request.app.state.releases.release(slug, version or "latest")
    except (NotFound, InvalidInput):
        return await request.app.state.releases.release(slug, "latest")


def form_address(adaptation: AdaptationView | None) -> str:
    """Where the form is posted (and its steps and preview beside it)."""
    return "/proposals" if adaptation is None else f"/adaptations/{adaptation.id}/proposals"


async def _form_page(
    request: Request,
    values: dict[str, str],
    errors: dict[str, str] | None = None,
    diff: list | None = None,
    status: int = 200,
    prefill: bool = False,
    adaptation: AdaptationView | None = None,
) -> Response:
    """The proposal form: first what to change (a GET form), then the proposal itself (POST)."""
    framework, release, current = await _release(request, values.get("base_version", ""), adaptation)
    themes = await list_themes(framework)
    indicators = release.indicators()
    kind = values.get("kind", "")
    choice_error = None  # (field, reason), said in the template
    chosen_indicator = chosen_theme = None
    if kind and kind not in KINDS:
        choice_error = ("kind", "unknown_kind")
    elif kind == "add" and values.get("theme"):
        chosen_theme = next((t for t in themes if t["code"] == values["theme"]), None)
        if chosen_theme is None:
            choice_error = ("theme", "unknown_theme")
    elif kind in ("amend", "retire", "confirm") and values.get("indicator"):
        chosen_indicator = indicators.get(values["indicator"])
        if chosen_indicator is None:
            choice_error = ("indicator", "unknown_indicator")
    ready = chosen_theme is not None or chosen_indicator is not None
    if ready and prefill:
        values = {**values, "base_version": release.version}
        if kind == "amend":
            values.update(content_values(chosen_indicator[1].text))
    if choice_error and status == 200:
        status = 400
    return page(
        request,
        "proposals/new.html",
        status,
        framework=framework,
        release=release,
        current=current,
        themes=themes,
        kind=kind,
        ready=ready,
        chosen_indicator=chosen_indicator,
        chosen_theme=chosen_theme,
        choice_error=choice_error,
        values=values,
        errors=errors or {},
        diff=diff,
        limits=LIMITS,
        adaptation=adaptation,
        form_address=form_address(adaptation),
    )


async def show_form(
    request: Request,
    kind: str | None,
    indicator: str | None,
    theme: str | None,
    adaptation: AdaptationView | None = None,
) -> Response:
    """The form's first step, or its second once the change is chosen (to `adaptation` if given)."""
    if actor_of(request) is None:
        return sign_in_first(request)
    values = {"kind": kind or "", "indicator": indicator or "", "theme": theme or ""}
    return await _form_page(request, values, prefill=True, adaptation=adaptation)


@get("/proposals/new", name="proposal_form")
async def proposal_form(
    request: Request, kind: Filter = None, indicator: Filter = None, theme: Filter = None
) -> Response:
    return await show_form(request, kind, indicator, theme)


def _change_arguments(values: dict[str, str]) -> dict:
    kind = values.get("kind", "")
    return {
        "kind": kind,
        "base_version": values.get("base_version") or "latest",
        "indicator": (values.get("indicator") or None) if kind != "add" else None,
        "theme": (values.get("theme") or None) if kind == "add" else None,
        "change_class": "patch" if kind == "amend" and values.get("editorial") else None,
        "content": content_of(values, kind),
    }


def _target(request: Request, adaptation: AdaptationView | None) -> dict:
    """What the proposal is made to: the site's framework, or the local adaptation."""
    if adaptation is None:
        return {"framework_slug": framework_slug(request)}
    return {"framework_slug": None, "adaptation_id": adaptation.id}


async def preview_form(request: Request, adaptation: AdaptationView | None = None) -> Response:
    """The form again with the change it would make (nothing stored)."""
    values = await submitted(request)
    try:
        diff = await preview_change(**_target(request, adaptation), **_change_arguments(values))
    except DomainError as error:
        errors = {form_field(error, PROPOSAL_FORM_FIELDS): said(request, error.message)}
        return await _form_page(request, values, errors, status=error.status_code, adaptation=adaptation)
    return await _form_page(request, values, diff=diff, adaptation=adaptation)


async def submit_form(request: Request, adaptation: AdaptationView | None = None) -> Response:
    """The proposal made, then its page; the form again with the error beside its field."""
    await limit(request, "proposal", require_actor(request).id)
    values = await submitted(request)
    try:
        view = await create_proposal(
            require_actor(request),
            title=values.get("title", ""),
            rationale=values.get("rationale", ""),
            **_target(request, adaptation),
            **_change_arguments(values),
        )
    except DomainError as error:
        errors = {form_field(error, PROPOSAL_FORM_FIELDS): said(request, error.message)}
        return await _form_page(request, values, errors, status=error.status_code, adaptation=adaptation)
    return Redirect(f"/proposals/{view.id}", status_code=303)


@post("/proposals/preview", name="proposal_preview", guards=[signed_in])
async def proposal_preview(request: Request) -> Response:
    return await preview_form(request)


@post("/proposals", name="proposal_create", guards=[signed_in])
async def proposal_create(request: Request) -> Response:
    return await submit_form(request)


FORM_PAGES = [proposal_form, proposal_preview, proposal_create]
