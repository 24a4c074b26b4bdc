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
from jinja2 import BytecodeCache, Environment, FileSystemBytecodeCache, FileSystemLoader, StrictUndefined
from markupsafe import Markup

from web.i18n import current_language, gettext_, load_translations, ngettext_, translated
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


def compiled_templates() -> BytecodeCache | None:
    """Where compiled templates are kept between starts (a folder of the temporary directory that only
    this user may write; Jinja checks its source's checksum): compiling the templates of a page takes
    0.15 to 0.3 s, which its first visitor after a restart would wait for."""
    try:
        return FileSystemBytecodeCache()
    except (OSError, RuntimeError):  # no temporary directory of our own: compile in memory only
        return None


class Templates:
    def __init__(self, globals: Mapping[str, object]) -> None:
        self.environment = Environment(
            loader=FileSystemLoader(TEMPLATES_DIR),
            bytecode_cache=compiled_templates(),
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
        load_translations()

    def render(self, template: str, language: str, **context: object) -> str:
        token = current_language.set(language)
        try:
            return self.environment.get_template(template).render(lang=language, **context)
        finally:
            current_language.reset(token)
