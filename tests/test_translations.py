"""The French catalogue covers every interface string of the templates.

Messages are extracted from the templates here, in-process, with the same Jinja2 settings as
babel.cfg and server/templating.py, so a string added to a template without its translation
fails this test (run `make messages`, then translate the new entries in messages.po).
"""

from __future__ import annotations

import re
from collections import defaultdict
from functools import cache
from pathlib import Path

from babel.messages.catalog import Catalog, Message
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
TEMPLATES_DIR = ROOT / "templates"
FRENCH_PO = ROOT / "locales" / "fr" / "LC_MESSAGES" / "messages.po"

METHOD_MAP = [("**.html", "jinja2"), ("**.atom", "jinja2")]
JINJA_OPTIONS = {
    "extensions": "jinja2.ext.i18n",
    "newstyle_gettext": "true",
    "trim_blocks": "true",
    "lstrip_blocks": "true",
    # A template that does not parse must fail here, not be skipped silently.
    "silent": "false",
}
OPTIONS_MAP = {pattern: JINJA_OPTIONS for pattern, _method in METHOD_MAP}

# Named placeholders ("%(version)s") and escaped percent signs; newstyle gettext always
# %-formats the translated string, so any other "%" in a translation would break rendering.
PLACEHOLDER = re.compile(r"%\(\w+\)[#0 +-]*\d*(?:\.\d+)?[diouxXeEfFgGcrsa]|%%")


@cache
def extracted() -> dict[str | tuple[str, str], list[str]]:
    """Each message of the templates (a tuple for ngettext) and where it is used."""
    messages: dict[str | tuple[str, str], list[str]] = defaultdict(list)
    for filename, lineno, message, _comments, _context in extract_from_dir(
        TEMPLATES_DIR, METHOD_MAP, OPTIONS_MAP
    ):
        key = tuple(message) if isinstance(message, tuple | list) else message
        messages[key].append(f"templates/{filename}:{lineno}")
    return dict(messages)


@cache
def french() -> Catalog:
    with FRENCH_PO.open("rb") as file:
        return read_po(file, locale="fr")


def translated_messages() -> list[Message]:
    return [message for message in french() if message.id]


def placeholders(text: str) -> set[str]:
    return set(PLACEHOLDER.findall(text))


def stray_percent(text: str) -> bool:
    return "%" in PLACEHOLDER.sub("", text)


def test_templates_have_messages() -> None:
    assert len(extracted()) > 20, "extraction found almost nothing: check METHOD_MAP and OPTIONS_MAP"


def test_every_template_message_has_a_french_translation() -> None:
    catalog = french()
    missing = []
    for key, places in extracted().items():
        msgid = key[0] if isinstance(key, tuple) else key
        message = catalog.get(msgid)
        where = ", ".join(places)
        if message is None:
            missing.append(f"{msgid!r} (not in messages.po; used in {where})")
        elif isinstance(key, tuple) != message.pluralizable:
            missing.append(f"{msgid!r} (plural forms expected: {isinstance(key, tuple)}; used in {where})")
        elif message.pluralizable:
            forms = tuple(message.string)
            if len(forms) != catalog.num_plurals or not all(forms):
                missing.append(f"{msgid!r} (some of the {catalog.num_plurals} plural forms are empty)")
        elif not message.string:
            missing.append(f"{msgid!r} (empty translation; used in {where})")
    assert not missing, "Messages without a French translation in messages.po:\n" + "\n".join(missing)


def test_french_uses_two_plural_forms() -> None:
    assert french().num_plurals == 2
    assert french().plural_expr == "(n > 1)"


def test_no_translation_is_fuzzy() -> None:
    catalog = french()
    fuzzy = [message.id for message in catalog if message.fuzzy]
    assert not catalog.fuzzy, "the header of messages.po is marked fuzzy"
    assert not fuzzy, "Fuzzy translations to review in messages.po:\n" + "\n".join(map(repr, fuzzy))


def test_translations_keep_the_placeholders_of_their_msgid() -> None:
    wrong = []
    for message in translated_messages():
        if message.pluralizable:
            expected = placeholders(message.id[0]) | placeholders(message.id[1])
            forms = [form for form in message.string if form]
        else:
            expected = placeholders(message.id)
            forms = [message.string] if message.string else []
        for form in forms:
            found = placeholders(form)
            if found != expected:
                wrong.append(f"{form!r}: {sorted(found)} instead of {sorted(expected)}")
            elif stray_percent(form):
                wrong.append(f"{form!r}: a lone '%' (write '%%')")
    assert not wrong, "Translations whose placeholders differ from their msgid:\n" + "\n".join(wrong)
