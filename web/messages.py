"""Sentences for people, written once in English as gettext msgids and said in a page's language.

A message is an English msgid with named placeholders ("There is no proposal number %(number)s.")
and its values beside it: a page shows it in the visitor's language (web/i18n.py), the API and the
logs read it in English. `make messages` extracts the msgids.
"""

from __future__ import annotations

from collections.abc import Callable


class Term(str):
    """A word of the interface inside a message's values ("reason for your vote"), translated with it."""

    __slots__ = ()


class Message:
    """A sentence for people: an English msgid with %(name)s placeholders, and their values.

    A tuple value is a list, said with commas ("statement, rationale").
    """

    __slots__ = ("text", "values")

    def __init__(self, text: str, /, **values: object) -> None:
        self.text = text
        self.values = values

    def say(self, translate: Callable[[str], str] = str, number: Callable[[int], str] = "{:,}".format) -> str:
        """The sentence, its msgid and words through `translate`, its numbers through `number`
        (as written, in English, by default)."""

        def spoken(value: object) -> object:
            if isinstance(value, tuple):
                return ", ".join(str(spoken(item)) for item in value)
            if isinstance(value, Term):
                return translate(value)
            if isinstance(value, int) and not isinstance(value, bool):
                return number(value)
            return value

        return translate(self.text) % {name: spoken(value) for name, value in self.values.items()}

    def __str__(self) -> str:
        return self.say()

    def __repr__(self) -> str:
        return f"Message({str(self)!r})"
