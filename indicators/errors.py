"""Domain errors of the living framework. Messages are for people: they say what is wrong."""


class FrameworkError(Exception):
    """Base of the errors below."""


class NotFound(FrameworkError):
    """Something asked for does not exist (unknown framework, release, indicator...)."""


class InvalidInput(FrameworkError):
    """Input that can never be right, whatever the state (malformed version...).

    `field` names the form field at fault, so that a page can show the message beside it.
    """

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class Conflict(FrameworkError):
    """The request does not fit the current state."""
