"""The form that answers one theme of a draft: each indicator's texts beside its answer, what changed
in a carried answer's indicator, and no typed answer ever lost to a refusal or a conflict."""

from __future__ import annotations

import hashlib
import json

from litestar import Request, Response, get, post
from litestar.params import FromPath
from litestar.response import Redirect

from indicators.compare import field_changes
from indicators.content import ReleasedTheme
from programmes import urls as programme_urls
from programmes.answers import AnswerInput, clean_answer, save_answers
from programmes.assessments import (
    DRAFT,
    AnswerView,
    AssessmentView,
    assessment_row,
    assessment_view,
    open_assessment,
    read_assessment,
)
from programmes.roles import ProgrammeRole
from programmes.routes.programme_pages import vocabulary
from proposals.routes.authentication import actor_of, require_actor, signed_in
from web.failures import Conflict, InvalidInput, NotFound
from web.forms import sign_in_first, submitted
from web.messages import Term
from web.numbers import DIGITS, LARGEST_ID
from web.params import RowId
from web.rendering import page
from web.requests import said

ANSWERING = Term("answer this assessment")
ANSWER_FIELDS = ("level", "justification", "evidence", "links", "version")


def _theme(view: AssessmentView, code: str) -> ReleasedTheme:
    found = next((theme for theme in view.release.themes if theme.code == code), None)
    if found is None:
        raise NotFound(
            "The release %(version)s has no theme %(code)r.", version=view.release.version, code=code[:40]
        )
    return found


def _answer_values(answer: AnswerView) -> dict[str, str]:
    """One saved answer as the form's fields show it, with the version and a digest of it as read."""
    code = answer.indicator
    values = {
        f"level-{code}": answer.level or "",
        f"justification-{code}": answer.justification,
        f"evidence-{code}": answer.evidence,
        f"links-{code}": "\n".join(answer.links),
        f"version-{code}": str(answer.version),
    }
    return {**values, f"read-{code}": _digest(code, values)}


def _digest(code: str, values: dict[str, str]) -> str:
    """What an answer says in the form (its texts trimmed, its links one per line): saving a form
    leaves alone the answers its visitor did not change, whoever changed them since."""
    links = [line.strip() for line in values.get(f"links-{code}", "").split("\n") if line.strip()]
    fields = [values.get(f"{name}-{code}", "").strip() for name in ("level", "justification", "evidence")]
    return hashlib.sha256(json.dumps([*fields, links]).encode("utf-8", "surrogatepass")).hexdigest()[:32]


def _stored_values(view: AssessmentView, theme: ReleasedTheme) -> dict[str, str]:
    """The form filled with the saved answers."""
    answers = {answer.indicator: answer for answer in view.answers}
    return {key: value for i in theme.indicators for key, value in _answer_values(answers[i.code]).items()}


def _input(code: str, values: dict[str, str]) -> AnswerInput:
    version = values.get(f"version-{code}", "").strip()
    if not DIGITS.fullmatch(version) or int(version) > LARGEST_ID:
        raise InvalidInput(
            "The form lost track of the answer to %(code)s: reload the page, then answer again.",
            "version",
            code=code,
        )
    return AnswerInput(
        code,
        values[f"level-{code}"],
        values.get(f"justification-{code}", ""),
        values.get(f"evidence-{code}", ""),
        values.get(f"links-{code}", "").split("\n"),  # one per line; blank lines are dropped
        int(version),
    )


def _given(view: AssessmentView, theme: ReleasedTheme, values: dict[str, str]) -> list[AnswerInput]:
    """The answers the visitor wrote or changed in the form (or confirmed, when they were to review);
    an indicator with no level chosen, or as it was read, is left as it is."""
    answers = {answer.indicator: answer for answer in view.answers}
    return [
        _input(i.code, values)
        for i in theme.indicators
        if values.get(f"level-{i.code}")
        and (answers[i.code].needs_review or _digest(i.code, values) != values.get(f"read-{i.code}"))
    ]


def _field_errors(request: Request, theme: ReleasedTheme, values: dict[str, str]) -> dict[str, dict]:
    """Each indicator's bad input, beside its field: save_answers stops at the first and does not
    say which indicator it was about, so every answer is checked again, as it would be."""
    errors = {}
    for indicator in theme.indicators:
        if values.get(f"level-{indicator.code}"):
            try:
                clean_answer(_input(indicator.code, values))
            except InvalidInput as error:
                field = error.field if error.field in ANSWER_FIELDS else "level"
                errors[indicator.code] = {"field": field, "message": said(request, error.message)}
    return errors


def _conflicts(view: AssessmentView, given: list[AnswerInput], values: dict[str, str]) -> dict:
    """The answers saved by someone else since the visitor read them, shown beside theirs. Their
    form now names the current versions: saving again replaces those answers, knowingly. The answers
    they did not touch show what is saved now."""
    current = {answer.indicator: answer for answer in view.answers}
    written = {a.indicator for a in given}
    conflicts = {
        code: current[code] for code in written if current[code].version != int(values[f"version-{code}"])
    }
    values.update({f"version-{code}": str(answer.version) for code, answer in conflicts.items()})
    for code, answer in current.items():
        if code not in written and f"read-{code}" in values:
            values.update(_answer_values(answer))
    return conflicts


async def _reviews(request: Request, view: AssessmentView, theme: ReleasedTheme) -> dict[str, list]:
    """For each carried answer to review, what changed in its indicator since the release of the
    assessment it was carried from."""
    answers = {answer.indicator: answer for answer in view.answers}
    flagged = [i for i in theme.indicators if answers[i.code].needs_review]
    if not flagged or view.predecessor is None:
        return {}
    version = (await assessment_row(view.predecessor))["release_version"]
    _framework, before, _current = await request.app.state.releases.release(view.framework, version)
    old = before.indicators()
    return {i.code: field_changes(old[i.code][1], i) for i in flagged if i.code in old}


async def _theme_page(
    request: Request, view: AssessmentView, theme: ReleasedTheme, values: dict, status: int = 200, **shown
) -> Response:
    framework, _current = await request.app.state.releases.framework(view.framework)
    context = {"problem": None, "errors": {}, "conflicts": {}, **shown}
    return page(
        request,
        "programmes/theme.html",
        status,
        view=view,
        theme=theme,
        framework=framework,
        answers={answer.indicator: answer for answer in view.answers},
        reviews=await _reviews(request, view, theme),
        values=values,
        programme_urls=programme_urls,
        **context,
        **vocabulary(request),
    )


@get("/assessments/{assessment_id:int}/themes/{code:str}", name="assessment_theme")
async def theme_form(request: Request, assessment_id: RowId, code: FromPath[str]) -> Response:
    if actor_of(request) is None:
        return sign_in_first(request)
    row, _role = await open_assessment(actor_of(request), assessment_id, ProgrammeRole.contributor, ANSWERING)
    if row["status"] != DRAFT:  # frozen: its answers are read on its page
        return Redirect(programme_urls.assessment_path(assessment_id), status_code=303)
    view = await assessment_view(row, request.app.state.releases)
    theme = _theme(view, code)
    return await _theme_page(request, view, theme, _stored_values(view, theme))


@post("/assessments/{assessment_id:int}/themes/{code:str}", name="assessment_theme_save", guards=[signed_in])
async def theme_save(request: Request, assessment_id: RowId, code: FromPath[str]) -> Response:
    actor, releases = require_actor(request), request.app.state.releases
    values = await submitted(request)
    row, _role = await open_assessment(actor, assessment_id, ProgrammeRole.contributor, ANSWERING)
    view = await assessment_view(row, releases)
    theme = _theme(view, code)
    try:
        given = _given(view, theme, values)
        await save_answers(actor, assessment_id, given, releases)
    except InvalidInput as error:
        trouble = {"message": said(request, error.message)}
        errors = _field_errors(request, theme, values)
        return await _theme_page(request, view, theme, values, 400, problem=trouble, errors=errors)
    except Conflict as error:
        trouble = {"message": said(request, error.message)}
        view = await read_assessment(actor, assessment_id, releases)
        conflicts = _conflicts(view, given, values)
        return await _theme_page(request, view, theme, values, 409, problem=trouble, conflicts=conflicts)
    codes = [t.code for t in view.release.themes]
    following = codes.index(theme.code) + 1
    if values.get("then") == "return" or following == len(codes):
        return Redirect(f"{programme_urls.assessment_path(assessment_id)}#themes", status_code=303)
    return Redirect(programme_urls.theme_path(assessment_id, codes[following]), status_code=303)
