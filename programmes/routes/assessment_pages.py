"""The assessment page (and its files), and its forms: submit, carry over, share, plan (the form
that answers a theme is in theme_form.py).

Thin handlers: the rules are the use cases'. A refusal re-renders the page with its message beside
the form at fault, with the error's status; what the visitor typed is never lost.
"""

from __future__ import annotations

from typing import Annotated

from litestar import Request, Response, get, post
from litestar.params import FromPath, QueryParameter
from litestar.response import Redirect

from indicators.content import ReleasedTheme
from indicators.queries import list_releases
from indicators.topics import release_topic
from indicators.versions import parse_version
from programmes import urls as programme_urls
from programmes.assessments import (
    READING,
    AssessmentView,
    Lookups,
    assessment_row,
    assessment_view,
    open_assessment,
    share_digest,
    share_link_expiry,
)
from programmes.chart import ThemeBar, summary_svg
from programmes.membership import role_in
from programmes.plan import ACTION_STATUSES, add_action, update_action
from programmes.roles import ProgrammeRole
from programmes.routes.exports import download, split_name
from programmes.routes.programme_pages import today, vocabulary
from programmes.sharing import DAYS_MAX, create_share_link, list_share_links, revoke_share_link
from programmes.submission import start_successor, submit_assessment
from programmes.topics import programme_topic
from proposals.routes.authentication import actor_of, require_actor, signed_in
from web.failures import DomainError
from web.forms import problem, sign_in_first, submitted
from web.messages import Message, Term
from web.numbers import whole_number
from web.params import RowId
from web.rendering import page, page_for_many
from web.requests import language_of, refuse_unknown_query, said, site_base

ShareText = Annotated[str | None, QueryParameter(name="share", max_length=100)]


# What the chart says of itself (its <title> and <desc>) and of indicators not answered yet.
CHART_TITLE = Message("Answers per theme")
CHART_DESCRIPTION = Message(
    "For each theme, how many indicators are at each level; the table gives the same figures."
)
UNANSWERED = Message("not answered yet")


def theme_label(theme: ReleasedTheme, language: str) -> str:
    title = theme.title_en if language == "en" and theme.title_en else theme.title
    return f"{theme.code} — {title}"


def _chart(request: Request, view: AssessmentView, level_names: dict[str, str]) -> str:
    language = language_of(request)
    bars = [ThemeBar(theme_label(theme, language), counts) for theme, counts in view.by_theme()]
    names = {**level_names, "unanswered": said(request, UNANSWERED)}
    title, description = said(request, CHART_TITLE), said(request, CHART_DESCRIPTION)
    return summary_svg(bars, names, title, description, id_prefix="summary")


def cached_lookups(request: Request) -> Lookups:
    """The access rules' reads through the worker's cache: every write to a programme announces its
    topic, which ends them in every worker."""
    reads = request.app.state.reads

    def of_programme(row: dict) -> tuple[str, ...]:
        return (programme_topic(row["programme"]),)

    async def row(assessment_id: int) -> dict:
        return await reads.get(
            ("assessment", assessment_id), lambda: assessment_row(assessment_id), topics=of_programme
        )

    async def role(programme_id: int, account_id: int) -> ProgrammeRole | None:
        found = lambda: role_in(programme_id, account_id)  # noqa: E731
        return await reads.get(
            ("programme-role", programme_id, account_id), found, topics=(programme_topic(programme_id),)
        )

    async def share_expiry(assessment_id: int, token: str) -> object:
        programme = (await row(assessment_id))["programme"]
        found = lambda: share_link_expiry(assessment_id, token)  # noqa: E731
        key = ("share-link", assessment_id, share_digest(token))
        return await reads.get(key, found, topics=(programme_topic(programme),))

    return Lookups(row=row, role=role, share_expiry=share_expiry)


async def _assessment_page(
    request: Request,
    assessment_id: int,
    status: int = 200,
    trouble: dict | None = None,
    values: dict | None = None,
    share: str | None = None,
    new_link: str | None = None,
) -> Response:
    """Read-only through a share link, whoever holds it. Viewers with the same role see the same
    page: rendered once for them all until the programme changes (a refusal's page, or the one that
    shows a new share link, is made for its request)."""
    releases, reads = request.app.state.releases, request.app.state.reads
    row, role = await open_assessment(
        actor_of(request), assessment_id, ProgrammeRole.viewer, READING, share, cached_lookups(request)
    )
    if role is not None:  # a member who came through a share link reads as a member
        share = None
    topics = (programme_topic(row["programme"]), release_topic(row["framework_slug"]))
    may_contribute = role is not None and role.at_least(ProgrammeRole.contributor)
    day = today()

    async def load() -> dict:
        view = await reads.get(
            ("assessment-view", assessment_id), lambda: assessment_view(row, releases), topics=topics
        )
        framework, current = await releases.framework(view.framework)
        later = []
        if may_contribute and not view.is_draft:
            base = parse_version(view.release.version)
            later = [r.version for r in await list_releases(framework) if parse_version(r.version) >= base]
        words = vocabulary(request)
        return {
            "view": view,
            "framework": framework,
            "current": current,
            # summary_svg escapes every text it is given (chart.py): its output is safe as it is.
            "chart": _chart(request, view, words["level_names"]),
            "share_links": await list_share_links(assessment_id) if role is ProgrammeRole.admin else [],
            "later_releases": later,
            **words,
        }

    context = {
        "role": role.value if role else None,
        "is_admin": role is ProgrammeRole.admin,
        "may_contribute": may_contribute,
        "share": share,
        "days_max": DAYS_MAX,
        "action_statuses": ACTION_STATUSES,
        "today": day,
        "programme_urls": programme_urls,
    }
    template = "programmes/assessment.html"
    if trouble is not None or new_link is not None:
        extra = {"problem": trouble, "values": values or {}, "new_link": new_link}
        return page(request, template, status, **context, **extra, **await load())
    key = (assessment_id, context["role"], share, day)
    return await page_for_many(
        request,
        key,
        template,
        topics,
        load,
        keep_query=True,
        problem=None,
        values={},
        new_link=None,
        **context,
    )


@get("/assessments/{name:str}", name="assessment")
async def assessment_page(request: Request, name: FromPath[str], share: ShareText = None) -> Response:
    """The assessment (/assessments/12) and its files (/assessments/12.csv, .json)."""
    refuse_unknown_query(request, {"share"})  # the kept page's links keep the query: nothing else in it
    assessment_id, fmt = split_name(name)
    if fmt is not None:
        return await download(request, assessment_id, fmt, share)
    if share is None and actor_of(request) is None:
        return sign_in_first(request)
    return await _assessment_page(request, assessment_id, share=share)


def _back(assessment_id: int, anchor: str) -> Redirect:
    return Redirect(f"{programme_urls.assessment_path(assessment_id)}#{anchor}", status_code=303)


async def _refused(
    request: Request,
    assessment_id: int,
    form: str,
    error: DomainError,
    values: dict,
    field: str | None = None,
) -> Response:
    trouble = problem(request, form, error, field)
    return await _assessment_page(request, assessment_id, error.status_code, trouble, {form: values})


@post("/assessments/{assessment_id:int}/submission", name="assessment_submission", guards=[signed_in])
async def assessment_submission(request: Request, assessment_id: RowId) -> Response:
    try:
        state = request.app.state
        await submit_assessment(
            require_actor(request), assessment_id, state.releases, state.settings.aggregate_min
        )
    except DomainError as error:
        return await _refused(request, assessment_id, "submit", error, {})
    return _back(assessment_id, "status")


@post("/assessments/{assessment_id:int}/successor", name="assessment_successor", guards=[signed_in])
async def assessment_successor(request: Request, assessment_id: RowId) -> Response:
    values = await submitted(request)
    try:
        successor = await start_successor(
            require_actor(request),
            assessment_id,
            values.get("release") or "latest",
            request.app.state.releases,
        )
    except DomainError as error:
        return await _refused(request, assessment_id, "successor", error, values, "release")
    return Redirect(programme_urls.assessment_path(successor), status_code=303)


@post("/assessments/{assessment_id:int}/share-links", name="assessment_share", guards=[signed_in])
async def assessment_share(request: Request, assessment_id: RowId) -> Response:
    """The new link is shown once, on the page answering this POST: a redirect would put its
    token in an address (history, logs)."""
    values = await submitted(request)
    try:
        days = whole_number(values.get("expires_in_days"), Term("number of days"), "expires_in_days")
        link = await create_share_link(require_actor(request), assessment_id, days)
    except DomainError as error:
        return await _refused(request, assessment_id, "share", error, values, "expires_in_days")
    url = f"{site_base(request)}{programme_urls.assessment_path(assessment_id)}?share={link.token}"
    return await _assessment_page(request, assessment_id, new_link=url)


@post("/share-links/{link_id:int}/revocation", name="share_link_revocation", guards=[signed_in])
async def share_link_revocation(request: Request, link_id: RowId) -> Response:
    assessment_id = await revoke_share_link(require_actor(request), link_id)
    return _back(assessment_id, "share-links")


@post("/assessments/{assessment_id:int}/actions", name="assessment_action", guards=[signed_in])
async def assessment_action(request: Request, assessment_id: RowId) -> Response:
    values = await submitted(request)
    try:
        await add_action(
            require_actor(request),
            assessment_id,
            values.get("indicator", ""),
            values.get("title", ""),
            request.app.state.releases,
            owner=values.get("owner", ""),
            due_on=values.get("due_on") or None,
        )
    except DomainError as error:
        return await _refused(request, assessment_id, "add-action", error, values, "title")
    return _back(assessment_id, "plan")


@post("/actions/{action_id:int}", name="action_update", guards=[signed_in])
async def action_update(request: Request, action_id: RowId) -> Response:
    """A new status for an action; the form says which assessment page it comes from."""
    values = await submitted(request)
    assessment_id = whole_number(values.get("assessment"), Term("assessment number"), "assessment")
    try:
        await update_action(require_actor(request), action_id, status=values.get("status", ""))
    except DomainError as error:
        return await _refused(request, assessment_id, f"action-{action_id}", error, values, "status")
    return _back(assessment_id, f"action-{action_id}")
