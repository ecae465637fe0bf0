"""Expected failures: each has a stable code, the field it concerns and the seed's message.

This module is the message catalogue: every user-facing message, seed 003's table of error
messages and ours, is defined here once, with the code it is answered with
(tests/domain/test_messages.py checks both)."""

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
        self.message = str(message)
        self.field = field


class NotFound(DomainError):
    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(ErrorCode.NOT_FOUND, message, field)


class Message(str):
    """A catalogued message: its text (a `str`, so it reads and compares as one) and the
    code it is answered with. `{name}` placeholders are filled by `.error(...)` or
    `.format(...)`. A code of None: not a user error (the masked system error, and seed
    003's transient failures, which we answer with it)."""

    code: ErrorCode | None

    def __new__(cls, code: ErrorCode | None, text: str) -> Message:
        message = super().__new__(cls, text)
        message.code = code
        return message

    def error(self, field: str | None = None, **values: object) -> DomainError:
        """The DomainError (NotFound for NOT_FOUND) with this text, filled with `values`."""
        assert self.code is not None, f"not a user error: {self}"
        text = self.format(**values) if values else str(self)
        if self.code is ErrorCode.NOT_FOUND:
            return NotFound(text, field)
        return DomainError(self.code, text, field)


# --- the catalogue ------------------------------------------------------------------------
C = ErrorCode

# Seed 003's table, in its order. Messages we never answer with are kept so that the table
# is here whole: "Operator is not active." (we say "Operator is inactive."), "Operator access
# forbidden." (we say "Access denied."), and the transient failures (code None), which are
# answered with SYSTEM_ERROR and a reference in the server log.
SYSTEM_ERROR = Message(
    None,
    "Error #{reference} encountered. If this error persists, "
    "please consult user manual for further actions.",
)
OPERATOR_EMAIL_NOT_FOUND = Message(C.NOT_FOUND, "Operator with given email does not exist.")
INVALID_IDENTIFIER = Message(C.INVALID_INPUT, "Invalid charging station identifier.")
IDENTIFIER_CHARACTERS = Message(C.INVALID_INPUT, "Identifier contains forbidden characters.")
STATION_EXISTS = Message(C.ALREADY_EXISTS, "Charging station already exists for that identifier.")
CONFIGURATION_ERROR = Message(C.COMMAND_REJECTED, "Charging point configuration error.")
TOKEN_EXISTS = Message(C.ALREADY_EXISTS, "Token already exists.")
EXECUTION_FAILED = Message(C.COMMAND_FAILED, "Remote command execution failed.")
OPERATOR_INACTIVE = Message(C.OPERATOR_INACTIVE, "Operator is inactive.")
OPERATOR_NOT_ACTIVE = Message(C.OPERATOR_INACTIVE, "Operator is not active.")
ACCESS_DENIED = Message(C.ACCESS_DENIED, "Access denied.")
WRONG_CREDENTIALS = Message(C.WRONG_CREDENTIALS, "Wrong credentials.")
OPERATOR_UPDATE_FAILED = Message(None, "Error while updating operator.")
USER_CREATE_FAILED = Message(None, "Adding a new charging user failed.")
USER_UPDATE_FAILED = Message(None, "Charging user updating failed.")
PARENT_REQUIRED = Message(C.REQUIRED, "Adding a new group failed. Parent group is required.")
STATION_DELETE_FAILED = Message(None, "Charging station deletion failed.")
STATION_NOT_FOUND = Message(C.NOT_FOUND, "Charging station does not exist.")
USERNAME_EXISTS = Message(C.ALREADY_EXISTS, "Username already exists.")
PASSWORD_POLICY = Message(C.PASSWORD_POLICY, "Password does not conform to password policy.")
EMAIL_PROBLEM = Message(C.INVALID_EMAIL, "Problem with email address.")
OPERATOR_NOT_FOUND = Message(C.NOT_FOUND, "Operator not found.")
OPERATOR_FORBIDDEN = Message(C.ACCESS_DENIED, "Operator access forbidden.")
USER_NOT_FOUND = Message(C.NOT_FOUND, "Charging user not found.")
INVITATION_FAILED = Message(None, "Operator invitation failed.")

# Shared by every area.
CONFLICT = Message(C.CONFLICT, "Someone else changed this in the meantime. Reload and try again.")
CONTROL_CHARACTERS = Message(C.INVALID_INPUT, "Text must not contain control characters.")
TEXT_REQUIRED = Message(C.REQUIRED, "{label} is required.")
TEXT_TOO_LONG = Message(C.TOO_LONG, "{label} is longer than {max_length} characters.")
NAME_REQUIRED = Message(C.REQUIRED, "Name is required.")
NOT_A_NUMBER = Message(C.INVALID_INPUT, "Give a number.")
OFFSET_NEGATIVE = Message(C.INVALID_INPUT, "Offset cannot be negative.")
LIMIT_RANGE = Message(C.INVALID_INPUT, "Limit must be between 1 and {max_page_size}.")

# Operators, sign-in and organisations.
THROTTLED = Message(C.THROTTLED, "Too many failed login attempts. Try again later.")
OPERATOR_EMAIL_EXISTS = Message(
    C.ALREADY_EXISTS, "Another operator of the organisation already has this e-mail address."
)
INVALID_TOKEN = Message(C.INVALID_TOKEN, "The link is invalid or has expired.")
USERNAME_RULE = Message(
    C.INVALID_INPUT, "Username may contain only letters, digits and . _ - @ +, 2 to 64 characters."
)
NOT_YOURSELF = Message(C.INVALID_STATE, "You cannot {what} yourself.")
REMINDER_ONLY_INVITED = Message(
    C.INVALID_STATE, "A reminder can be sent only while the operator has not activated the account."
)
STATUS_ONLY_ACCEPTED = Message(
    C.INVALID_STATE,
    "Only an operator who has accepted the invitation can be set active or inactive.",
)
RESET_ONLY_ACTIVE = Message(C.INVALID_STATE, "Only an active operator can reset the password.")
SLUG_RULE = Message(
    C.INVALID_INPUT,
    "Slug may contain only lower-case letters, digits and dashes, 1 to 50 characters.",
)
SLUG_EXISTS = Message(C.ALREADY_EXISTS, "An organisation with slug {slug!r} already exists.")
UNKNOWN_TIME_ZONE = Message(C.INVALID_INPUT, "Unknown time zone.")

# Charging groups.
GROUP_NOT_FOUND = Message(C.NOT_FOUND, "Charging group does not exist.")
GROUP_NOT_MOVABLE = Message(
    C.INVALID_MOVE, "The root group or your own base group cannot be moved."
)
GROUP_INTO_OWN_SUBTREE = Message(C.INVALID_MOVE, "A group cannot be moved into its own subtree.")
GROUP_NOT_DELETABLE = Message(
    C.INVALID_STATE, "The root group or your own base group cannot be deleted."
)
GROUP_HAS_SUBGROUPS = Message(
    C.NOT_EMPTY, "The group has subgroups. Move them under some other group first."
)
GROUP_HAS_STATIONS = Message(C.NOT_EMPTY, "The group has charging stations.")
GROUP_IS_BASE = Message(C.NOT_EMPTY, "The group is the base group of an operator.")
GROUP_NAME_EXISTS = Message(
    C.ALREADY_EXISTS, "The parent group already has a subgroup with this name (in any case)."
)

# Charging stations, points, sockets and EVSE ids.
LATITUDE_RANGE = Message(C.INVALID_INPUT, "Latitude must be between -90 and 90.")
LONGITUDE_RANGE = Message(C.INVALID_INPUT, "Longitude must be between -180 and 180.")
COORDINATES_PAIR = Message(C.INVALID_INPUT, "Give both latitude and longitude, or neither.")
POINT_NOT_FOUND = Message(C.NOT_FOUND, "Charging point does not exist.")
SOCKET_NOT_FOUND = Message(C.NOT_FOUND, "Socket does not exist.")
POINT_EXISTS = Message(
    C.ALREADY_EXISTS, "The charging station already has a charging point with that number."
)
POINT_NUMBER = Message(C.INVALID_INPUT, "Charging point numbers start from 1.")
TOO_MANY_SOCKETS = Message(C.INVALID_STATE, "A charging point can have at most 4 sockets.")
POWER_RANGE = Message(C.INVALID_INPUT, "Max power must be more than 0 and at most 1000 kW.")
POWER_DECIMALS = Message(C.INVALID_INPUT, "Max power can have at most 2 decimals.")
VOLTAGE_RANGE = Message(C.INVALID_INPUT, "Max voltage must be between 1 and 1500 V.")
AMPERAGE_RANGE = Message(C.INVALID_INPUT, "Max amperage must be between 1 and 1000 A.")
EVSE_ID_IN_USE = Message(C.ALREADY_EXISTS, "EVSE ID already in use.")
INVALID_EVSE_ID = Message(C.INVALID_INPUT, "Invalid EVSE ID. Use the form FI*ABC*E000123.")
NO_FREE_EVSE_ID = Message(
    C.INVALID_STATE, "No free EVSE IDs left for autopick. Generate more EVSE IDs first."
)
EVSE_BOTH_GIVEN = Message(C.INVALID_INPUT, "Give either an EVSE ID or autopick, not both.")
EVSE_COUNTRY = Message(C.INVALID_INPUT, "Country code must be two letters, such as FI.")
EVSE_OPERATOR = Message(
    C.INVALID_INPUT, "Operator id must be three letters or digits, such as ABC."
)
EVSE_PREFIX = Message(C.INVALID_INPUT, "Prefix can contain only letters and digits.")
EVSE_COUNT_RANGE = Message(C.INVALID_INPUT, "Count must be between 1 and 1000.")
EVSE_START_RANGE = Message(C.INVALID_INPUT, "Start must be 0 or more.")
EVSE_DIGITS_RANGE = Message(C.INVALID_INPUT, "Digits must be between 1 and 20.")
EVSE_ID_TOO_LONG = Message(
    C.INVALID_INPUT, "The EVSE IDs would be too long: at most 30 characters after E."
)

# Charging users, tokens, user groups and driver invitations.
EMAIL_REQUIRED = Message(C.REQUIRED, "E-mail address is required.")
INVALID_EMAIL = Message(C.INVALID_EMAIL, "Invalid e-mail address.")
EMAIL_EXISTS = Message(C.ALREADY_EXISTS, "A charging user with this e-mail already exists.")
TOKEN_NOT_FOUND = Message(C.NOT_FOUND, "Token not found.")
UID_REQUIRED = Message(C.REQUIRED, "Token id is required.")
UID_TOO_LONG = Message(C.TOO_LONG, "Token id is longer than 36 characters.")
UID_CHARACTERS = Message(
    C.INVALID_INPUT, "Token id may contain only printable characters and no spaces."
)
TOKEN_NAME_TOO_LONG = Message(C.TOO_LONG, "Token name is longer than 100 characters.")
ENDS_BEFORE_START = Message(C.INVALID_INPUT, "Token validity ends before it starts.")
USER_GROUP_NOT_FOUND = Message(C.NOT_FOUND, "Charging user group does not exist.")
HAS_MEMBERS = Message(C.NOT_EMPTY, "The charging user group has members. Remove them first.")
NOTHING_TO_INVITE = Message(C.REQUIRED, "Give at least one e-mail address.")
TOO_MANY_ADDRESSES = Message(
    C.INVALID_INPUT, "At most {count} e-mail addresses can be invited at once."
)
FILE_TOO_LARGE = Message(C.INVALID_INPUT, "The file is too large: at most {megabytes} MB.")
NOT_A_CSV = Message(
    C.INVALID_INPUT,
    "The file is not a CSV or text file. "
    "Upload a UTF-8 CSV file with e-mail addresses in the first column.",
)
NOT_A_FILE = Message(C.INVALID_INPUT, "Upload the CSV file as a file (GraphQL multipart request).")
NOT_AN_ADDRESS = Message(C.INVALID_EMAIL, "Not an e-mail address.")
ALREADY_A_USER = Message(
    C.ALREADY_EXISTS, "A charging user with this e-mail address already exists."
)
LISTED_BEFORE = Message(C.ALREADY_EXISTS, "Listed more than once.")

# Tariffs, group pricing, price exceptions and applying user groups to stations.
TARIFF_NOT_FOUND = Message(C.NOT_FOUND, "Tariff does not exist.")
TARIFF_NAME_EXISTS = Message(
    C.ALREADY_EXISTS, "The group already owns a tariff with this name (in any case)."
)
EXCEPTION_NOT_FOUND = Message(C.NOT_FOUND, "Price exception does not exist.")
NEGATIVE_PRICE = Message(C.INVALID_INPUT, "Prices cannot be negative.")
PRICE_DECIMALS = Message(C.INVALID_INPUT, "Prices can have at most 4 decimals.")
PRICE_TOO_LARGE = Message(C.INVALID_INPUT, "Prices must be less than 100000000.")
VAT_RANGE = Message(C.INVALID_INPUT, "VAT rate must be between 0 and 100 %.")
VAT_DECIMALS = Message(C.INVALID_INPUT, "VAT rate can have at most 2 decimals.")
BAD_CURRENCY = Message(
    C.INVALID_INPUT, "Currency must be an ISO 4217 code of three upper-case letters, such as EUR."
)
ONE_TARGET = Message(
    C.INVALID_INPUT, "Give either a charging group or a charging station, not both."
)
TARIFF_REQUIRED = Message(C.REQUIRED, "A tariff exception needs a tariff.")
FREE_TAKES_NO_TARIFF = Message(C.INVALID_INPUT, "A free exception takes no tariff.")
EXCEPTION_EXISTS = Message(
    C.ALREADY_EXISTS, "The user already has a price exception here. Remove it first."
)
TARIFF_IN_USE = Message(C.NOT_EMPTY, "The tariff is in use by {uses}. Remove it from them first.")
TYPE_THE_COUNT = Message(C.INVALID_INPUT, "Type the number of stations to be modified: {count}.")
NOTHING_TO_APPLY = Message(
    C.INVALID_STATE, "Nothing to change: the user group is already applied to every station."
)
NO_STATIONS = Message(C.REQUIRED, "Choose at least one charging station.")
NOT_APPLIED = Message(
    C.INVALID_STATE, "The user group is not applied to any of these charging stations."
)

# Charging sessions, station events and the event feed.
SESSION_NOT_FOUND = Message(C.NOT_FOUND, "Charging session does not exist.")
SESSION_SEARCH_TOO_LONG = Message(C.TOO_LONG, "Search is too long.")
SESSION_ENDED = Message(C.INVALID_STATE, "The charging session has ended.")
UNKNOWN_ERROR_CODE = Message(C.INVALID_INPUT, "Unknown OCPP error type.")
UNKNOWN_STATUS = Message(C.INVALID_INPUT, "Unknown OCPP status.")
DAY_RANGE = Message(C.INVALID_INPUT, "Give a day between the years {first} and {last}.")
SEARCH_TOO_LONG = Message(C.TOO_LONG, "Search is longer than {max_length} characters.")

# Remote commands and auto configuration.
OFFLINE = Message(C.STATION_OFFLINE, "Charging station is offline.")
TIMED_OUT = Message(C.COMMAND_TIMED_OUT, "Charging station did not answer in time.")
REJECTED_WITH_STATUS = Message(
    C.COMMAND_REJECTED, "Charging station refused the command ({status})."
)
DISCONNECTED = Message(C.COMMAND_FAILED, "Station disconnected before answering.")
NODE_LOST = Message(C.COMMAND_FAILED, "The server node holding the station's connection stopped")
CONNECTOR_RANGE = Message(C.INVALID_INPUT, "Connector must be between 1 and 100.")
KEY_RULE = Message(C.INVALID_INPUT, "Configuration key must be 1 to 50 characters.")
VALUE_RULE = Message(C.INVALID_INPUT, "Configuration value must be at most 500 characters.")
LOCATION_RULE = Message(C.INVALID_INPUT, "Location must be an http(s), ftp(s) or sftp URL.")
RETRIES_RANGE = Message(C.INVALID_INPUT, "Retries must be between 0 and 100.")
RETRY_INTERVAL_RANGE = Message(
    C.INVALID_INPUT, "Retry interval must be between 0 and 86400 seconds."
)
STOP_BEFORE_START = Message(C.INVALID_INPUT, "Stop time must not be before start time.")
AMPS_NOT_A_NUMBER = Message(C.INVALID_INPUT, "Maximum current must be a number of amperes.")
AMPS_RANGE = Message(C.INVALID_INPUT, "Maximum current must be 0.1 to 1000 A in steps of 0.1 A.")
LIST_TOO_LONG = Message(
    C.INVALID_STATE, "The list has {length} entries; the station takes at most {limit}."
)
ALREADY_RUNNING = Message(
    C.INVALID_STATE, "Auto configuration is already running on this charging station."
)
NO_PROFILE = Message(C.INVALID_STATE, "The organisation has no auto configuration profile.")
PROFILE_TOO_LONG = Message(C.INVALID_INPUT, "A profile has at most {max_keys} keys.")
KEY_LISTED_TWICE = Message(C.ALREADY_EXISTS, "Configuration key {key} is listed twice.")
NOT_SENT_OFFLINE = Message(C.STATION_OFFLINE, "Not sent: the charging station went offline.")
NOT_SENT_INTERRUPTED = Message(C.COMMAND_FAILED, "Not sent: the run was interrupted.")
KEY_NOT_APPLIED_YET = Message(C.INVALID_STATE, "Not applied yet.")

# GraphQL errors (the `errors` array: what a client cannot act on).
NOT_AUTHENTICATED = Message(None, "Not authenticated. Log in first.")


def require_text(value: str, field: str, *, max_length: int, label: str) -> str:
    """Strip a required text input and check its length."""
    text = value.strip()
    if not text:
        raise TEXT_REQUIRED.error(field, label=label)
    if len(text) > max_length:
        raise TEXT_TOO_LONG.error(field, label=label, max_length=max_length)
    return text
