"""What use cases refuse, in plain words, each kind with its HTTP meaning (`status_code`).

Use cases raise these without knowing about HTTP; web/errors.py answers each with its `status_code`, a
page or a JSON `detail` saying its message. A domain may subclass them for a case of its own.
"""

from __future__ import annotations

from typing import ClassVar

from web.messages import Message


class DomainError(Exception):
    """Base of the refusals below; `message` keeps the msgid and its values for translation.

    An error may also be made from another's message (`NotFound(error.message)`)."""

    status_code: ClassVar[int] = 400

    def __init__(self, text: str | Message, /, **values: object) -> None:
        self.message = text if isinstance(text, Message) else Message(text, **values)
        super().__init__(str(self.message))

    @property
    def headers(self) -> dict[str, str]:
        """Headers the answer carries besides the message."""
        return {}


class NotFound(DomainError):
    """Something asked for does not exist (unknown framework, release, proposal...)."""

    status_code = 404


class InvalidInput(DomainError):
    """Input that can never be right, whatever the state (malformed version...).

    `field` names the form field at fault, so that a page can show the message beside it.
    """

    status_code = 400

    def __init__(self, text: str | Message, field: str | None = None, /, **values: object) -> None:
        super().__init__(text, **values)
        self.field = field


class Conflict(DomainError):
    """The request does not fit the current state."""

    status_code = 409


class NotSignedIn(DomainError):
    """The action needs an account."""

    status_code = 401


class Forbidden(DomainError):
    """The account may not do this."""

    status_code = 403


class TooManyAttempts(DomainError):
    """Rate limit reached; `retry_after` in seconds."""

    status_code = 429

    def __init__(self, text: str | Message, retry_after: int, /, **values: object) -> None:
        super().__init__(text, **values)
        self.retry_after = retry_after

    @property
    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(self.retry_after)}
