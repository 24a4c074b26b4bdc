"""What the pages' forms share: reading a submitted form, showing a refusal beside the form (and
field) it is about, and sending a visitor to sign in first."""

from __future__ import annotations

from urllib.parse import urlencode

from litestar import Request
from litestar.response import Redirect

from web.failures import DomainError, InvalidInput
from web.requests import said


async def form_data(request: Request) -> dict[str, str]:
    """A submitted form as plain strings (a repeated field keeps its last value)."""
    form = await request.form()
    return {key: value for key, value in form.items() if isinstance(value, str)}


async def submitted(request: Request) -> dict[str, str]:
    """The form's fields without the CSRF token and idempotency key; line endings as the stored texts
    have them."""
    values = await form_data(request)
    values.pop("_csrf_token", None)
    values.pop("_idempotency_key", None)
    return {key: value.replace("\r\n", "\n").replace("\r", "\n") for key, value in values.items()}


def problem(request: Request, form: str, error: DomainError, field: str | None = None) -> dict:
    """A message to show beside a form (and beside its field for bad input) when a POST fails, and at
    the top of the page, in the page's language. `field` is the form's field a bad input is about when
    the error names none."""
    # For any other error, the state of things is at fault, not a field.
    field = (error.field or field) if isinstance(error, InvalidInput) else None
    return {"form": form, "field": field, "message": said(request, error.message)}


def sign_in_first(request: Request) -> Redirect:
    """To the sign-in page, then back here with the same query (a guard would drop the query)."""
    target = request.scope["path"]
    query = request.scope.get("query_string", b"").decode("latin-1")
    if query:
        target = f"{target}?{query}"
    return Redirect(f"/sign-in?{urlencode({'next': target})}", status_code=303)
