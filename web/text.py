"""What people may type: text without the characters that hide, reorder or fake what others read.

Control characters, and the Unicode controls that change the direction of what follows (overrides,
embeddings, isolates), let one person's text reverse the rest of a line or hide itself; names made
only of invisible characters impersonate nobody and everybody. They are refused with the name of
the character (`describe`), so that the person can find and remove it.
"""

from __future__ import annotations

import unicodedata

# Bidirectional embeddings, overrides and isolates: they reorder the text after them.
BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
# Invisible characters that look like nothing (they separate look-alike names).
INVISIBLE = frozenset("\u200b\u200c\u200d\u2060\ufeff\u00ad\u180e")


# Control characters have no Unicode name: the names people know them by.
CONTROL_NAMES = {"\x00": "NUL", "\t": "TAB", "\n": "LINE FEED", "\r": "CARRIAGE RETURN", "\x1b": "ESCAPE"}


def describe(character: str) -> str:
    """U+202E (RIGHT-TO-LEFT OVERRIDE): how a message names a character one cannot see."""
    name = unicodedata.name(character, None) or CONTROL_NAMES.get(character, "control character")
    return f"U+{ord(character):04X} ({name})"


def refused_character(text: str, *, multiline: bool = False, invisible: bool = False) -> str | None:
    """The first character of `text` that is refused: a control character (line breaks and tabs
    allowed when `multiline`), a direction control, and, with `invisible`, an invisible one."""
    for character in text:
        if multiline and character in "\n\t":
            continue
        if unicodedata.category(character) == "Cc" or character in BIDI_CONTROLS:
            return character
        if invisible and character in INVISIBLE:
            return character
    return None


def has_visible_character(text: str) -> bool:
    """Whether anything of `text` shows: a letter, digit, punctuation or symbol."""
    return any(unicodedata.category(character)[0] in "LNPS" for character in text)
