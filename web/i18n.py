"""Languages of the interface: French by default, English available.

Interface strings are gettext messages written in English and translated in
locales/<lang>/LC_MESSAGES/messages.po, read at start-up (no compilation step).
"""

from __future__ import annotations

import gettext
from contextvars import ContextVar
from functools import cache
from io import BytesIO
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal

from web.messages import Message

LOCALES_DIR = Path(__file__).resolve().parent.parent / "locales"
LANGUAGES = ("fr", "en")
DEFAULT_LANGUAGE = "fr"
LANGUAGE_COOKIE = "lang"

current_language: ContextVar[str] = ContextVar("current_language", default=DEFAULT_LANGUAGE)


@cache
def translations(language: str) -> gettext.NullTranslations:
    po_file = LOCALES_DIR / language / "LC_MESSAGES" / "messages.po"
    if not po_file.exists():
        return gettext.NullTranslations()
    with po_file.open("rb") as file:
        catalog = read_po(file, locale=language)
    buffer = BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return gettext.GNUTranslations(buffer)


def load_translations() -> None:
    """Read every language's catalogue now (when a worker starts), not during its first page (about
    0.1 s for French)."""
    for language in LANGUAGES:
        translations(language)


def gettext_(message: str) -> str:
    return translations(current_language.get()).gettext(message)


def ngettext_(singular: str, plural: str, n: int) -> str:
    return translations(current_language.get()).ngettext(singular, plural, n)


def translated(message: Message, language: str) -> str:
    """A domain message in the language of a page: its msgid, its words (Term) and its numbers."""
    return message.say(translations(language).gettext, lambda number: format_decimal(number, locale=language))


def negotiate(cookie: str | None, accept_language: str | None) -> str:
    """The language a visitor chose (cookie), else the first we have in Accept-Language, else French."""
    if cookie in LANGUAGES:
        return cookie
    for language, _quality in sorted(_parse_accept(accept_language or ""), key=lambda p: -p[1]):
        primary = language.split("-")[0].lower()
        if primary in LANGUAGES:
            return primary
    return DEFAULT_LANGUAGE


def _parse_accept(header: str) -> list[tuple[str, float]]:
    result = []
    for part in header.split(",")[:20]:
        language, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        if language and quality > 0:  # q=0 means "not this one"
            result.append((language, quality))
    return result
