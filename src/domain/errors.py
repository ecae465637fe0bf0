"""Expected failures: each has a stable code, the field it concerns and the seed's message."""

from __future__ import annotations

from enum import Enum


class ErrorCode(Enum):
    NOT_FOUND = "NOT_FOUND"
    ACCESS_DENIED = "ACCESS_DENIED"
    INVALID_INPUT = "INVALID_INPUT"
    REQUIRED = "REQUIRED"
    TOO_LONG = "TOO_LONG"
    ALREADY_EXISTS = "ALREADY_EXISTS"
    INVALID_EMAIL = "INVALID_EMAIL"
    PASSWORD_POLICY = "PASSWORD_POLICY"
    WRONG_CREDENTIALS = "WRONG_CREDENTIALS"
    OPERATOR_INACTIVE = "OPERATOR_INACTIVE"
    THROTTLED = "THROTTLED"
    CONFLICT = "CONFLICT"
    NOT_EMPTY = "NOT_EMPTY"
    INVALID_MOVE = "INVALID_MOVE"
    INVALID_STATE = "INVALID_STATE"
    INVALID_TOKEN = "INVALID_TOKEN"
    STATION_OFFLINE = "STATION_OFFLINE"
    COMMAND_FAILED = "COMMAND_FAILED"
    COMMAND_TIMED_OUT = "COMMAND_TIMED_OUT"
    COMMAND_REJECTED = "COMMAND_REJECTED"


class DomainError(Exception):
    """A failure the caller can act on; transports turn it into a user error."""

    def __init__(self, code: ErrorCode, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = field


class NotFound(DomainError):
    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(ErrorCode.NOT_FOUND, message, field)


# Seed 003's catalogue of messages, in one place.
ACCESS_DENIED = "Access denied."
WRONG_CREDENTIALS = "Wrong credentials."
OPERATOR_INACTIVE = "Operator is inactive."
OPERATOR_NOT_FOUND = "Operator not found."
USERNAME_EXISTS = "Username already exists."
EMAIL_PROBLEM = "Problem with email address."
PASSWORD_POLICY = "Password does not conform to password policy."
PARENT_REQUIRED = "Adding a new group failed. Parent group is required."
GROUP_NOT_FOUND = "Charging group does not exist."
USER_GROUP_NOT_FOUND = "Charging user group does not exist."
CONFLICT = "Someone else changed this in the meantime. Reload and try again."
THROTTLED = "Too many failed login attempts. Try again later."
INVALID_TOKEN = "The link is invalid or has expired."
CONTROL_CHARACTERS = "Text must not contain control characters."


def require_text(value: str, field: str, *, max_length: int, label: str) -> str:
    """Strip a required text input and check its length."""
    text = value.strip()
    if not text:
        raise DomainError(ErrorCode.REQUIRED, f"{label} is required.", field)
    if len(text) > max_length:
        raise DomainError(
            ErrorCode.TOO_LONG, f"{label} is longer than {max_length} characters.", field
        )
    return text
