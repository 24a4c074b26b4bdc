"""Who someone says they are: email addresses and names that cannot be confused with another's.

An email address is compared on its normal form: the part before @ in Unicode normal form NFKC
(composed accents, full-width letters made plain) and lower case, the domain through IDNA (UTS 46:
the same mapping browsers and mail servers use), and no invisible or control character anywhere.
Names and organisations refuse control characters, direction controls and invisible characters,
and a name must show something.
"""

from __future__ import annotations

import re
import unicodedata

import idna

from web.failures import InvalidInput
from web.messages import Term
from web.text import describe, has_visible_character, refused_character

EMAIL_MAX = 254
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


def _refuse_hidden(text: str, label: Term, field: str) -> None:
    hidden = refused_character(text, invisible=True)
    if hidden is not None:
        raise InvalidInput(
            "%(label)s contains %(character)s, which is not allowed: remove it.",
            field,
            label=label,
            character=describe(hidden),
        )


def person_text(value: object, field: str, label: Term, max_length: int, required: bool = True) -> str:
    """A display name, an organisation or a territory, cleaned; InvalidInput naming what is wrong."""
    if not isinstance(value, str):
        raise InvalidInput("%(label)s must be text.", field, label=label)
    text = unicodedata.normalize("NFC", value.strip())
    _refuse_hidden(text, label, field)
    if required and not text:
        raise InvalidInput("%(label)s is required.", field, label=label)
    if text and not has_visible_character(text):
        raise InvalidInput("%(label)s must show at least one letter, digit or sign.", field, label=label)
    if len(text) > max_length:
        raise InvalidInput(
            "%(label)s must have at most %(maximum)s characters.", field, label=label, maximum=max_length
        )
    return text


def normalise_email(value: object) -> str:
    """The normal form of an email address, under which accounts are stored and found."""
    label = Term("The email address")
    if not isinstance(value, str):
        raise InvalidInput("%(label)s must be text.", "email", label=label)
    text = value.strip()
    _refuse_hidden(text, label, "email")
    if not _EMAIL.fullmatch(text) or len(text) > EMAIL_MAX:
        raise InvalidInput("%(email)r is not an email address.", "email", email=text[:EMAIL_MAX])
    local, _, domain = text.rpartition("@")
    try:
        domain = idna.decode(idna.encode(domain, uts46=True))
    except idna.IDNAError:
        raise InvalidInput(
            "The domain of %(email)r is not a valid domain name.", "email", email=text[:EMAIL_MAX]
        ) from None
    email = f"{unicodedata.normalize('NFKC', local).lower()}@{domain}"
    if not _EMAIL.fullmatch(email) or len(email) > EMAIL_MAX:
        raise InvalidInput("%(email)r is not an email address.", "email", email=text[:EMAIL_MAX])
    return email
