"""Programme pages: my programmes (and a form to create one), and a programme with its members, its
assessments and the improvement plan of its latest assessment.

Thin handlers, as the proposals' pages: read the form, call a use case, then redirect (303) or
re-render the page with the refusal beside its form (and field), with the error's status.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime

from litestar import Request, Response, get, post
from litestar.response import Redirect

from indicators.adaptations import list_adaptations
from indicators.queries import list_releases
from places.france import departments
from places.territory_kinds import KIND_NAMES, TERRITORY_KINDS
from programmes import urls as programme_urls
from programmes.assessments import assessment_row, assessment_view, list_assessments, start_assessment
from programmes.levels import LEVEL_NAMES
from programmes.membership import create_programme, get_programme, programmes_of, remove_member, set_member
from programmes.plan import STATUS_NAMES
from programmes.roles import ROLE_NAMES, ProgrammeRole
from proposals.identities import normalise_email
from proposals.routes.authentication import actor_of, require_actor, signed_in
from proposals.routes.limits import limit
from proposals.tables import Account
from web.failures import DomainError, InvalidInput
from web.forms import problem, sign_in_first, submitted
from web.i18n import translations
from web.messages import Term
from web.numbers import whole_number
from web.params import RowId
from web.rendering import page
from web.requests import language_of, said


def words(request: Request, names: Mapping[str, str]) -> dict[str, str]:
    """The Terms of a use case's vocabulary (levels, roles...) in the page's language, so templates
    show them without calling gettext on a variable (which extraction could not see)."""
    gettext = translations(language_of(request)).gettext
    return {key: gettext(name) for key, name in names.items()}


def vocabulary(request: Request) -> dict[str, dict[str, str]]:
    """Every word the programmes' pages say about a code."""
    return {
        "level_names": words(request, LEVEL_NAMES),
        "role_names": words(request, {role.value: name for role, name in ROLE_NAMES.items()}),
        "kind_names": words(request, KIND_NAMES),
        "action_status_names": words(request, STATUS_NAMES),
    }


def today() -> date:
    """The date actions are overdue against (UTC, as every date of the site)."""
    return datetime.now(UTC).date()


async def account_by_email(email: object) -> int:
    """The active account with this e-mail address (as accounts are stored: normalised)."""
    address = normalise_email(email)
    row = (
        await Account.select(Account.id)
        .where((Account.email == address) & (Account.is_active == True))  # noqa: E712
        .first()
    )
    if row is None:
        raise InvalidInput("There is no account with this e-mail address.", "email")
    return row["id"]


# --- my programmes -----------------------------------------------------------------------------


async def _list_page(
    request: Request, status: int = 200, errors: dict | None = None, values: dict | None = None
) -> Response:
    return page(
        request,
        "programmes/list.html",
        status,
        programmes=await programmes_of(require_actor(request).id),
        departments=departments(),
        territory_kinds=TERRITORY_KINDS,
        errors=errors or {},
        values=values or {"territory_kinds": []},
        programme_urls=programme_urls,
        **vocabulary(request),
    )


@get("/programmes", name="programmes")
async def programmes_page(request: Request) -> Response:
    if actor_of(request) is None:
        return sign_in_first(request)
    return await _list_page(request)


@post("/programmes", name="programme_create", guards=[signed_in])
async def programme_create(request: Request) -> Response:
    await limit(request, "programme", require_actor(request).id)
    values = await submitted(request)
    # Checkboxes: one field per box ticked (submitted() keeps only the last of a repeated name).
    kinds = [kind for kind in (await request.form()).getall("territory_kinds", []) if isinstance(kind, str)]
    try:
        view = await create_programme(
            require_actor(request), values.get("name", ""), values.get("department", ""), kinds
        )
    except DomainError as error:
        field = getattr(error, "field", None) or "_form"
        errors = {field: said(request, error.message)}
        return await _list_page(request, error.status_code, errors, {**values, "territory_kinds": kinds})
    return Redirect(programme_urls.programme_path(view.id), status_code=303)


# --- a programme ---------------------------------------------------------------------------------


async def _programme_page(
    request: Request,
    programme_id: int,
    status: int = 200,
    trouble: dict | None = None,
    values: dict | None = None,
) -> Response:
    actor = actor_of(request)
    programme = await get_programme(actor, programme_id)  # NotSignedIn, Forbidden for non-members
    role = programme.role_of(actor.id) if actor else None
    releases = request.app.state.releases
    framework, current = await releases.framework(request.app.state.settings.default_framework)
    assessments = await list_assessments(programme_id)
    totals = {}
    for summary in assessments:
        _framework, release, _current = await releases.release(summary.framework, summary.release)
        totals[summary.id] = len(release.indicators())
    latest = await assessment_view(await assessment_row(assessments[0].id), releases) if assessments else None
    return page(
        request,
        "programmes/programme.html",
        status,
        programme=programme,
        role=role.value if role else None,
        is_admin=role is ProgrammeRole.admin,
        may_contribute=role is not None and role.at_least(ProgrammeRole.contributor),
        roles=[r.value for r in reversed(ProgrammeRole)],
        assessments=assessments,
        totals=totals,
        latest=latest,
        framework=framework,
        current=current,
        releases=[r.version for r in await list_releases(framework)],
        # The adaptations that have a published version may be assessed against.
        adaptations=[a for a in await list_adaptations(framework.slug) if a.version > 0],
        today=today(),
        problem=trouble,
        values=values or {},
        programme_urls=programme_urls,
        **vocabulary(request),
    )


@get("/programmes/{programme_id:int}", name="programme")
async def programme_page(request: Request, programme_id: RowId) -> Response:
    if actor_of(request) is None:
        return sign_in_first(request)
    return await _programme_page(request, programme_id)


@post("/programmes/{programme_id:int}/members", name="programme_member", guards=[signed_in])
async def programme_member(request: Request, programme_id: RowId) -> Response:
    """Add a member by e-mail address, or (account_id given) change a member's role."""
    values = await submitted(request)
    account = values.get("account_id")
    form = f"member-{account}" if account else "add-member"
    try:
        if account:
            account_id = whole_number(account, Term("member's account number"), "account_id")
        else:
            account_id = await account_by_email(values.get("email", ""))
        await set_member(require_actor(request), programme_id, account_id, values.get("role", ""))
    except DomainError as error:
        trouble = problem(request, form, error)
        return await _programme_page(request, programme_id, error.status_code, trouble, {form: values})
    return Redirect(f"{programme_urls.programme_path(programme_id)}#members", status_code=303)


@post(
    "/programmes/{programme_id:int}/members/{account_id:int}/removal",
    name="programme_member_removal",
    guards=[signed_in],
)
async def programme_member_removal(request: Request, programme_id: RowId, account_id: RowId) -> Response:
    try:
        await remove_member(require_actor(request), programme_id, account_id)
    except DomainError as error:
        trouble = problem(request, f"member-{account_id}", error)
        return await _programme_page(request, programme_id, error.status_code, trouble)
    return Redirect(f"{programme_urls.programme_path(programme_id)}#members", status_code=303)


@post("/programmes/{programme_id:int}/assessments", name="programme_assessment", guards=[signed_in])
async def programme_assessment(request: Request, programme_id: RowId) -> Response:
    values = await submitted(request)
    try:
        assessment_id = await start_assessment(
            require_actor(request),
            programme_id,
            request.app.state.settings.default_framework,
            values.get("release") or "latest",
            request.app.state.releases,
            whole_number(values["adaptation"], Term("adaptation"), "adaptation")
            if values.get("adaptation")
            else None,
        )
    except DomainError as error:
        trouble = problem(request, "start", error, "release")
        return await _programme_page(request, programme_id, error.status_code, trouble, {"start": values})
    return Redirect(programme_urls.assessment_path(assessment_id), status_code=303)
