"""The French catalogue covers every interface string: the templates and the domain messages.

Messages are extracted here, in-process, with the same settings as babel.cfg, web/templating.py
and the Makefile's keywords, so a string added to a template or an error without its translation
fails this test (run `make messages`, then translate the new entries in messages.po).
"""

from __future__ import annotations

import ast
import re
from collections import defaultdict
from functools import cache
from pathlib import Path

from babel.messages.catalog import Catalog, Message
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
TEMPLATES_DIR = ROOT / "templates"
PACKAGES = ("places", "indicators", "proposals", "programmes", "server")
FRENCH_PO = ROOT / "locales" / "fr" / "LC_MESSAGES" / "messages.po"
# The classes whose first argument is a message (indicators/errors.py, proposals/errors.py).
MESSAGE_KEYWORDS = ("NotFound", "InvalidInput", "Conflict", "Forbidden", "NotSignedIn", "TooManyAttempts")
MESSAGE_KEYWORDS += ("Message", "Term")

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
    """Each message of the templates and packages (a tuple for ngettext) and where it is used."""
    messages: dict[str | tuple[str, str], list[str]] = defaultdict(list)
    # Templates call gettext's own names (_, ngettext); the packages, the message classes.
    sources = [("templates", METHOD_MAP, OPTIONS_MAP, DEFAULT_KEYWORDS)]
    sources += [(package, [("**.py", "python")], {}, dict.fromkeys(MESSAGE_KEYWORDS)) for package in PACKAGES]
    for folder, method_map, options_map, keywords in sources:
        for filename, lineno, message, _comments, _context in extract_from_dir(
            ROOT / folder, method_map, options_map, keywords=keywords
        ):
            key = tuple(message) if isinstance(message, tuple | list) else message
            messages[key].append(f"{folder}/{filename}:{lineno}")
    return dict(messages)


def python_messages() -> list[str]:
    return [key for key, places in extracted().items() if any(".py:" in place for place in places)]


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


def test_domain_messages_are_extracted_with_the_makefile_keywords() -> None:
    assert len(python_messages()) > 50, "extraction found few domain messages: check MESSAGE_KEYWORDS"
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert f"MESSAGE_KEYWORDS := {' '.join(MESSAGE_KEYWORDS)}\n" in makefile


def _called_name(call: ast.Call) -> str | None:
    function = call.func
    return function.id if isinstance(function, ast.Name) else getattr(function, "attr", None)


def message_calls() -> list[tuple[str, ast.Call]]:
    """Every call of a message keyword in the packages, with where it is."""
    calls = []
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            if path.relative_to(ROOT).as_posix() == "indicators/errors.py":
                continue  # where the classes themselves are defined
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Call) and _called_name(node) in MESSAGE_KEYWORDS:
                    calls.append((f"{path.relative_to(ROOT)}:{node.lineno}", node))
    return calls


def test_every_domain_message_is_a_literal_msgid() -> None:
    """An f-string or a variable cannot be extracted nor translated; `error.message` passes one on."""
    wrong = []
    for where, call in message_calls():
        first = call.args[0] if call.args else None
        literal = isinstance(first, ast.Constant) and isinstance(first.value, str)
        passed_on = isinstance(first, ast.Attribute) and first.attr == "message"
        if not (literal or passed_on):
            wrong.append(f"{where}: {ast.unparse(call)[:80]}")
    assert not wrong, "Messages that are not a literal msgid:\n" + "\n".join(wrong)


def test_every_domain_message_gets_the_values_it_names() -> None:
    """A placeholder without its value would turn a clear 4xx into a 500 when the error is made;
    `field` and `retry_after` are positional, never values."""
    wrong = []
    for where, call in message_calls():
        first = call.args[0] if call.args else None
        if not (isinstance(first, ast.Constant) and isinstance(first.value, str)):
            continue
        if any(keyword.arg is None for keyword in call.keywords):
            continue  # values spread from a dict (**values): checked by the tests of that code
        named = {match[2:].split(")")[0] for match in placeholders(first.value) if match != "%%"}
        given = {keyword.arg for keyword in call.keywords}
        if named != given or {"field", "retry_after"} & given:
            wrong.append(f"{where}: placeholders {sorted(named)}, values {sorted(given)}")
        elif not named and stray_percent(first.value):
            wrong.append(f"{where}: a lone '%' (write '%%')")
    assert not wrong, "Messages whose values differ from their placeholders:\n" + "\n".join(wrong)


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
