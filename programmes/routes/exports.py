"""An assessment as a file: JSON (the API's shape) or CSV (one row per answer), for the same people
as its page: the programme's members, or whoever holds a valid share link."""

from __future__ import annotations

import csv
import io
import json
import re

from litestar import Request, Response
from litestar.exceptions import NotFoundException

from indicators.exports import defuse
from programmes.assessments import AssessmentView, read_assessment
from programmes.serialize import assessment_json
from proposals.routes.authentication import actor_of
from web.errors import error_response
from web.forms import sign_in_first
from web.messages import Message
from web.numbers import LARGEST_ID
from web.requests import site_base

CSV_HEADER = (
    "theme",
    "indicator",
    "title",
    "level",
    "justification",
    "evidence",
    "links",
    "carried",
    "needs_review",
)
# A programme's answers are its own: never kept by a browser's or a proxy's cache.
PRIVATE = {"Cache-Control": "private, no-store"}
# An assessment's number as written in an address: plain digits, no leading zero.
_NUMBER = re.compile(r"[1-9][0-9]{0,9}")


def split_name(name: str) -> tuple[int, str | None]:
    """'12' -> (12, None); '12.csv' -> (12, 'csv'); anything else names nothing (404).

    The page and its files share one route (/assessments/{name}): Litestar reads a path parameter
    as a whole segment, so '12.csv' cannot be an int parameter followed by a suffix."""
    stem, dot, suffix = name.rpartition(".")
    if not dot:
        stem, suffix = name, None
    elif suffix not in DOWNLOADS:
        raise NotFoundException()
    if not _NUMBER.fullmatch(stem) or int(stem) > LARGEST_ID:
        raise NotFoundException()
    return int(stem), suffix


def assessment_csv(view: AssessmentView) -> str:
    """One row per answer, the release's indicators in order, then the archived ones (no theme);
    cells defused as in the release's CSV, since the texts come from people."""
    titles = {code: indicator.text.title for code, (_theme, indicator) in view.release.indicators().items()}
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n", quoting=csv.QUOTE_NONNUMERIC)
    writer.writerow(CSV_HEADER)
    for answer in (*view.answers, *view.archived):
        row = [
            answer.theme,
            answer.indicator,
            titles.get(answer.indicator, ""),
            answer.level or "",
            answer.justification,
            answer.evidence,
            " ".join(answer.links),
            "true" if answer.carried else "false",
            "true" if answer.needs_review else "false",
        ]
        writer.writerow([defuse(cell) for cell in row])
    return buffer.getvalue()


def _json(view: AssessmentView, base: str) -> str:
    return json.dumps(assessment_json(view, base), ensure_ascii=False, indent=2) + "\n"


DOWNLOADS = {
    "csv": ("text/csv", lambda view, _base: assessment_csv(view)),
    "json": ("application/json", _json),
}


def _has_api_token(request: Request) -> bool:
    return any(name == b"authorization" for name, _value in request.scope["headers"])


async def download(request: Request, assessment_id: int, fmt: str, share: str | None) -> Response:
    actor = actor_of(request)
    if actor is None and share is None:
        if _has_api_token(request):
            # A program, not a person: no sign-in page to send it to. Pages take no API token.
            detail = Message(
                "Downloads take no API token: sign in on the site, use a share link, or read the "
                "assessment through the API (/api/v1)."
            )
            return error_response(request, 401, detail)
        return sign_in_first(request)
    view = await read_assessment(actor, assessment_id, request.app.state.releases, share)
    media_type, make = DOWNLOADS[fmt]
    headers = {**PRIVATE, "Content-Disposition": f'attachment; filename="assessment-{assessment_id}.{fmt}"'}
    return Response(make(view, site_base(request)), media_type=media_type, headers=headers)
