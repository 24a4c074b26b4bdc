"""Jinja2 environment: autoescaping on, gettext, and the filters pages need.

Pages are rendered to strings here (not through Litestar's template response) so that
immutable pages can be rendered once and served as bytes.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from babel.dates import format_date, format_datetime
from babel.numbers import format_decimal
from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markdown_it import MarkdownIt
from markupsafe import Markup

from indicators import urls
from server.i18n import current_language, gettext_, ngettext_

TEMPLATES_DIR = Path(__file__).resolve().parent.parent / "templates"

# "js-default": raw HTML is escaped and javascript:/vbscript:/data: links are refused.
_markdown = MarkdownIt("js-default")


def markdown(text: str | None) -> Markup:
    # Safe: "js-default" escapes raw HTML and refuses script URLs (tests/hostile/test_markdown.py).
    html = _markdown.render(text or "")
    return Markup(html)  # nosec B704


def date(moment: datetime, form: str = "long") -> str:
    return format_date(moment, format=form, locale=current_language.get())


def date_time(moment: datetime) -> str:
    return format_datetime(moment, format="medium", tzinfo=moment.tzinfo, locale=current_language.get())


def number(value: int | float) -> str:
    return format_decimal(value, locale=current_language.get())


def _environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES_DIR),
        autoescape=True,
        undefined=StrictUndefined,
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.install_gettext_callables(gettext_, ngettext_, newstyle=True)  # type: ignore[attr-defined]
    env.filters.update(markdown=markdown, date=date, date_time=date_time, number=number)
    env.globals["urls"] = urls
    return env


environment = _environment()


def render(template: str, language: str, **context: object) -> str:
    token = current_language.set(language)
    try:
        return environment.get_template(template).render(lang=language, **context)
    finally:
        current_language.reset(token)
