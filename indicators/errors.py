"""Domain errors of the living framework. Messages are for people: they say what is wrong.

A message is written in English as a gettext msgid with named placeholders ("There is no
proposal number %(number)s.") and its values beside it: a page shows it in the visitor's language
(server/i18n.py), the API and the logs read it in English. `make messages` extracts the msgids.
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


class FrameworkError(Exception):
    """Base of the errors below; `message` keeps the msgid and its values for translation.

    An error may also be made from another's message (`NotFound(error.message)`)."""

    def __init__(self, text: str | Message, /, **values: object) -> None:
        self.message = text if isinstance(text, Message) else Message(text, **values)
        super().__init__(str(self.message))


class NotFound(FrameworkError):
    """Something asked for does not exist (unknown framework, release, indicator...)."""


class InvalidInput(FrameworkError):
    """Input that can never be right, whatever the state (malformed version...).

    `field` names the form field at fault, so that a page can show the message beside it.
    """

    def __init__(self, text: str | Message, field: str | None = None, /, **values: object) -> None:
        super().__init__(text, **values)
        self.field = field


class Conflict(FrameworkError):
    """The request does not fit the current state."""
