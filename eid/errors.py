"""The one error hierarchy: actions raise these, views turn them into 4xx answers."""


class ApplicationError(Exception):
    """A rule was broken by the caller's input; the message is safe to show to the user."""

    def __init__(self, message: str, *, code: str = "invalid", extra: dict | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.extra = extra or {}


class PermissionDeniedError(ApplicationError):
    pass
