"""Errors of the co-design loop, beside the framework's own (NotFound, InvalidInput, Conflict)."""

from indicators.errors import FrameworkError, Message


class NotSignedIn(FrameworkError):
    """The action needs an account."""


class Forbidden(FrameworkError):
    """The account may not do this."""


class TooManyAttempts(FrameworkError):
    """Rate limit reached; `retry_after` in seconds."""

    def __init__(self, text: str | Message, retry_after: int, /, **values: object) -> None:
        super().__init__(text, **values)
        self.retry_after = retry_after
