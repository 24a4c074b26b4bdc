"""Jinja2 templates: autoescaping on, gettext, and the filters pages need.

Pages are rendered to strings here (not through Litestar's template response) so that pages of
published content can be rendered once and served as bytes. Each app makes its own `Templates`
with the globals its pages share (the composition root gives them), so nothing is changed in a
shared environment.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from pathlib import Path

from babel.dates import format_date, format_datetime
from babel.numbers import format_decimal
from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup

from web.i18n import current_language, gettext_, ngettext_, translated
from web.markdown import render_markdown
from web.messages import Message

TEMPLATES_DIR = Path(__file__).resolve().parent.parent / "templates"


def markdown(text: str | None) -> Markup:
    # Safe: "js-default" escapes raw HTML and refuses script URLs (tests/hostile/test_markdown.py).
    return Markup(render_markdown(text or ""))  # nosec B704


def isolate(text: object) -> Markup:
    """Text of a person (a name, a title) isolated from the text around it, so that its direction
    never changes how the rest of the line reads."""
    return Markup("<bdi>{}</bdi>").format(text)


def date(moment: datetime, form: str = "long") -> str:
    return format_date(moment, format=form, locale=current_language.get())


def date_time(moment: datetime) -> str:
    return format_datetime(moment, format="medium", tzinfo=moment.tzinfo, locale=current_language.get())


def number(value: int | float) -> str:
    return format_decimal(value, locale=current_language.get())


def say(message: Message) -> str:
    """A domain message (web/messages.py) in the page's language."""
    return translated(message, current_language.get())


class Templates:
    def __init__(self, globals: Mapping[str, object]) -> None:
        self.environment = Environment(
            loader=FileSystemLoader(TEMPLATES_DIR),
            autoescape=True,
            undefined=StrictUndefined,
            extensions=["jinja2.ext.i18n"],
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self.environment.install_gettext_callables(gettext_, ngettext_, newstyle=True)  # type: ignore[attr-defined]
        self.environment.filters.update(
            markdown=markdown, date=date, date_time=date_time, number=number, isolate=isolate, say=say
        )
        self.environment.globals.update(globals)

    def render(self, template: str, language: str, **context: object) -> str:
        token = current_language.set(language)
        try:
            return self.environment.get_template(template).render(lang=language, **context)
        finally:
            current_language.reset(token)
