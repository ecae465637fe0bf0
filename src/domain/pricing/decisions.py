"""The two decisions every charge depends on: may this token charge here, and at what price.

Pure domain functions (no transport); each answers with a result, a stable reason code and a
short explanation naming the rule that decided. The first rule that matches decides.

authorize(token uid, station, point, at):
 1. station unknown, not ACTIVE (discovered, orphan) or disabled ("no charging") -> NOT_ALLOWED
 2. token uid unknown (case-insensitive; live tokens of users not removed) -> INVALID
 3. token BLOCKED -> BLOCKED
 4. outside the token's validity window (at < valid_from or at > valid_to) -> EXPIRED
 5. token INACTIVE -> INVALID
 6. user inactive -> NOT_ALLOWED
 7. the user's user group inactive -> NOT_ALLOWED
 8. a point number is given but the station has no such point -> NOT_ALLOWED
 9. effective access policy OPEN -> ACCEPTED (the station's own policy, else the nearest
    group's up the tree that sets one, else RESTRICTED: deny by default)
10. RESTRICTED: an access right on the station -> ACCEPTED
11. RESTRICTED: an access right on a group on the station's path -> ACCEPTED
12. RESTRICTED: the user's user group is applied to the station -> ACCEPTED
13. otherwise -> NOT_ALLOWED

price(user or token uid, station, point, at), after the station (and the point, when one is
given) is found (else STATION_UNKNOWN / POINT_UNKNOWN, no tariff):
 1. free-charging station -> FREE (costs nothing, "ignores all cost settings")
 2. the user's exception on the station, else on the nearest group up the tree -> FREE or
    its tariff
 3. the user's active user group is applied to the station and has a fee for the point's
    power type (DC if any of its sockets is DC, else AC; with no point given, the station's
    sockets) -> that fee's tariff
 4. the station's own tariff
 5. the nearest group tariff up the tree
 6. none anywhere above -> ZERO (seed 001: priced at zero)
An unknown token or user only skips the user's rules (2 and 3): the station is priced as for
anyone else.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from decimal import Decimal
from enum import StrEnum

from tortoise.expressions import Q
from tortoise.queryset import QuerySet

from domain import db, rows
from domain.groups.models import AccessPolicy, ChargingGroup
from domain.pricing.models import ExceptionKind, PriceException, Tariff, UserGroupApplication
from domain.pricing.service import ancestors_of, effective_policy, nearest
from domain.principal import Principal
from domain.scope import (
    organisation_rows,
    parse_id,
    path_in_scope,
    visible_stations,
    visible_tokens,
)
from domain.stations.models import ChargingPoint, ChargingStation, StationState
from domain.users.models import AccessRight, ChargingUser, Token, TokenStatus


class AuthorizationStatus(StrEnum):
    ACCEPTED = "accepted"
    INVALID = "invalid"
    BLOCKED = "blocked"
    EXPIRED = "expired"
    NOT_ALLOWED = "not_allowed"  # OCPP answers Invalid; the reason says why


class AuthorizationReason(StrEnum):
    STATION_UNKNOWN = "station_unknown"
    STATION_NOT_ACTIVE = "station_not_active"
    STATION_DISABLED = "station_disabled"
    TOKEN_UNKNOWN = "token_unknown"
    TOKEN_BLOCKED = "token_blocked"
    TOKEN_NOT_YET_VALID = "token_not_yet_valid"
    TOKEN_EXPIRED = "token_expired"
    TOKEN_INACTIVE = "token_inactive"
    USER_INACTIVE = "user_inactive"
    USER_GROUP_INACTIVE = "user_group_inactive"
    POINT_UNKNOWN = "point_unknown"
    OPEN_ACCESS = "open_access"
    STATION_ACCESS_RIGHT = "station_access_right"
    GROUP_ACCESS_RIGHT = "group_access_right"
    USER_GROUP_APPLIED = "user_group_applied"
    NO_ACCESS_RIGHT = "no_access_right"


@dataclass(frozen=True)
class Authorization:
    status: AuthorizationStatus
    reason: AuthorizationReason
    explanation: str
    expires_at: datetime | None = None  # the token's valid_to (OCPP idTagInfo expiryDate)
    user_id: uuid.UUID | None = None
    user_group_id: uuid.UUID | None = None  # OCPP idTagInfo parentIdTag material


class PriceResult(StrEnum):
    FREE = "free"  # costs nothing: free station or a free exception
    TARIFF = "tariff"
    ZERO = "zero"  # no tariff anywhere above: priced at zero
    UNKNOWN = "unknown"  # no such station or point


class PriceReason(StrEnum):
    STATION_UNKNOWN = "station_unknown"
    POINT_UNKNOWN = "point_unknown"
    FREE_STATION = "free_station"
    EXCEPTION_FREE = "exception_free"
    EXCEPTION_TARIFF = "exception_tariff"
    USER_GROUP_FEE_AC = "user_group_fee_ac"
    USER_GROUP_FEE_DC = "user_group_fee_dc"
    STATION_TARIFF = "station_tariff"
    GROUP_TARIFF = "group_tariff"
    NO_TARIFF = "no_tariff"


@dataclass(frozen=True)
class TariffSnapshot:
    """The prices as they were when decided (a later tariff edit does not change them)."""

    tariff_id: uuid.UUID
    name: str
    price_per_kwh: Decimal
    price_per_session: Decimal
    price_per_hour: Decimal
    vat_rate: Decimal
    currency: str
    prices_include_vat: bool

    @classmethod
    def of(cls, row: Tariff) -> TariffSnapshot:
        copied = ("name", "price_per_kwh", "price_per_session", "price_per_hour", "vat_rate")
        return cls(
            tariff_id=row.id,
            currency=row.currency,
            prices_include_vat=row.prices_include_vat,
            **{name: getattr(row, name) for name in copied},
        )


@dataclass(frozen=True)
class PriceDecision:
    result: PriceResult
    reason: PriceReason
    explanation: str
    tariff: TariffSnapshot | None = None


def _utc(at: datetime) -> datetime:
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at


async def _station(organisation_id: object, station_id: object) -> ChargingStation | None:
    sid = parse_id(station_id)  # type: ignore[arg-type]
    if sid is None:
        return None
    query = organisation_rows(ChargingStation, organisation_id).filter(id=sid)
    return await query.select_related("tariff", "group").first()


def _path(station: ChargingStation) -> str:
    """The materialised path of the station's group ("" when it has none)."""
    return station.group.path if station.group is not None else ""


async def _token(
    organisation_id: object, token_uid: str, *related: str, among: QuerySet[Token] | None = None
) -> Token | None:
    """A live token of a user who is not removed, with the user and user group joined in:
    of the organisation (what a station knows), or `among` the tokens an operator sees."""
    known = organisation_rows(Token, organisation_id) if among is None else among
    query = known.filter(uid_key=token_uid.upper(), deleted_at=None, user__removed_at=None)
    return await query.select_related("user__user_group", *related).first()


# --- authorize -----------------------------------------------------------------------------

S, R = AuthorizationStatus, AuthorizationReason


async def authorize(
    *,
    organisation_id: uuid.UUID,
    token_uid: str,
    station_id: uuid.UUID | str,
    point_number: int | None = None,
    at: datetime,
    tokens: QuerySet[Token] | None = None,
) -> Authorization:
    """Would this token be accepted at this station (and point) at `at`? See the module doc.
    `tokens`: the tokens that count as known (an operator's); default the organisation's."""
    station = await _station(organisation_id, station_id)
    if station is None:
        return Authorization(S.NOT_ALLOWED, R.STATION_UNKNOWN, "The station does not exist.")
    ident = station.identifier
    if station.state != StationState.ACTIVE or station.group_id is None:
        why = f"Station {ident} is {station.state.value}, not in use: no charging."
        return Authorization(S.NOT_ALLOWED, R.STATION_NOT_ACTIVE, why)
    if station.disabled:
        why = f"Station {ident} is disabled: no charging, no billing."
        return Authorization(S.NOT_ALLOWED, R.STATION_DISABLED, why)
    token = await _token(organisation_id, token_uid, among=tokens)
    if token is None:
        why = f"Token {token_uid} is not known in this organisation."
        return Authorization(S.INVALID, R.TOKEN_UNKNOWN, why)
    refused = _token_refusal(token, _utc(at))
    if refused is not None:
        return refused
    if point_number is not None and not await ChargingPoint.exists(
        station_id=station.id, number=point_number
    ):
        why = f"Station {ident} has no charging point {point_number}."
        return _decided(token, S.NOT_ALLOWED, R.POINT_UNKNOWN, why)
    return await _access(station, token)


def _decided(
    token: Token, status: AuthorizationStatus, reason: AuthorizationReason, why: str
) -> Authorization:
    """A decision about a known token: with its expiry, user and user group."""
    user: ChargingUser = token.user
    return Authorization(
        status,
        reason,
        why,
        expires_at=token.valid_to,
        user_id=user.id,
        user_group_id=user.user_group_id,  # type: ignore[arg-type]
    )


def _token_refusal(token: Token, at: datetime) -> Authorization | None:
    """Rules 3 to 7: the token's status and validity window, the user, the user's group."""
    uid, user, group = token.uid, token.user, token.user.user_group
    start, end = token.valid_from, token.valid_to
    rules = (
        (token.status == TokenStatus.BLOCKED, S.BLOCKED, R.TOKEN_BLOCKED, "is blocked"),
        (start is not None and at < start, S.EXPIRED, R.TOKEN_NOT_YET_VALID,
         f"is valid only from {start and start.isoformat()}"),
        (end is not None and at > end, S.EXPIRED, R.TOKEN_EXPIRED,
         f"expired at {end and end.isoformat()}"),
        (token.status == TokenStatus.INACTIVE, S.INVALID, R.TOKEN_INACTIVE, "is inactive"),
        (not user.active, S.NOT_ALLOWED, R.USER_INACTIVE, f"belongs to {user.email}: inactive"),
        (group is not None and not group.active, S.NOT_ALLOWED, R.USER_GROUP_INACTIVE,
         f"belongs to a member of user group {_q(group)}: the user group is inactive"),
    )  # fmt: skip
    for applies, status, reason, what in rules:
        if applies:
            return _decided(token, status, reason, f"Token {uid} {what}.")
    return None


async def _access(station: ChargingStation, token: Token) -> Authorization:
    """Rules 9 to 13: the effective access policy, then access rights and applied groups."""
    ident, user = station.identifier, token.user
    chain = await ancestors_of(station.organisation_id, _path(station))
    source = "the station's own policy" if station.access_policy else _policy_source(chain)
    if effective_policy(station.access_policy, chain) == AccessPolicy.OPEN:
        why = f"Station {ident} is open to every valid token ({source})."
        return _decided(token, S.ACCEPTED, R.OPEN_ACCESS, why)
    rights = await AccessRight.filter(
        Q(station_id=station.id) | Q(group_id__in=[g.id for g in chain]), user_id=user.id
    ).values_list("station_id", "group_id")
    restricted = f"Access to station {ident} is restricted ({source})"
    if any(station_id is not None for station_id, _ in rights):
        why = f"{restricted}; the user has an access right on the station."
        return _decided(token, S.ACCEPTED, R.STATION_ACCESS_RIGHT, why)
    if rights:
        granted = {group_id for _, group_id in rights}
        group = next(g for g in chain if g.id in granted)
        why = f"{restricted}; the user has an access right on group {_q(group)}."
        return _decided(token, S.ACCEPTED, R.GROUP_ACCESS_RIGHT, why)
    if user.user_group is not None and await UserGroupApplication.exists(
        user_group_id=user.user_group.id, station_id=station.id
    ):
        why = f"{restricted}; the user's user group {_q(user.user_group)} is applied to it."
        return _decided(token, S.ACCEPTED, R.USER_GROUP_APPLIED, why)
    why = f"{restricted} and the user has no access right here."
    return _decided(token, S.NOT_ALLOWED, R.NO_ACCESS_RIGHT, why)


def _policy_source(chain: list[ChargingGroup]) -> str:
    source = nearest(chain, "access_policy")
    if source is None:
        return "no access policy is set above it: restricted by default"
    return f"the policy of group {_q(source)}, the nearest group above that sets one"


def _q(row: object) -> str:
    """A row's name in quotes, for explanations."""
    return f'"{getattr(row, "name", row)}"'


# --- price ---------------------------------------------------------------------------------

P, PR = PriceResult, PriceReason
FEES = ("user_group__ac_tariff", "user_group__dc_tariff")


async def price(
    *,
    organisation_id: uuid.UUID,
    station_id: uuid.UUID | str,
    point_number: int | None = None,
    at: datetime,
    user_id: uuid.UUID | str | None = None,
    token_uid: str | None = None,
    tokens: QuerySet[Token] | None = None,
) -> PriceDecision:
    """The tariff that applies to the user (or token) at this station and point. See the doc."""
    del at  # Tariffs do not vary with time (yet); callers still say when they mean.
    station = await _station(organisation_id, station_id)
    if station is None:
        return PriceDecision(P.UNKNOWN, PR.STATION_UNKNOWN, "The station does not exist.")
    ident = station.identifier
    is_dc = await _is_dc(station, point_number)
    if is_dc is None:
        why = f"Station {ident} has no charging point {point_number}."
        return PriceDecision(P.UNKNOWN, PR.POINT_UNKNOWN, why)
    if station.free_charging:
        why = f"Station {ident} is a free-charging station: it ignores all cost settings."
        return PriceDecision(P.FREE, PR.FREE_STATION, why)
    chain = await ancestors_of(station.organisation_id, _path(station))
    user = await _user(organisation_id, user_id, token_uid, tokens)
    if user is not None:
        decided = await _exception(user, station, chain)
        decided = decided or await _fee(user, station, point_number, is_dc)
        if decided is not None:
            return decided
    return _tariff_of(station, chain)


async def _user(
    organisation_id: uuid.UUID,
    user_id: uuid.UUID | str | None,
    token_uid: str | None,
    tokens: QuerySet[Token] | None = None,
) -> ChargingUser | None:
    """The user (not removed) by id or by live token, with the user group's fees joined in."""
    if user_id is not None:
        uid = parse_id(user_id)
        if uid is None:
            return None
        query = organisation_rows(ChargingUser, organisation_id).filter(id=uid, removed_at=None)
        return await query.select_related(*FEES).first()
    if token_uid is not None:
        related = (f"user__{r}" for r in FEES)
        token = await _token(organisation_id, token_uid, *related, among=tokens)
        return token.user if token else None
    return None


DC_SQL = """
SELECT p.id, coalesce(bool_or(s.power_type = 'dc'), false) AS dc
FROM charging_point p LEFT JOIN socket s ON s.point_id = p.id
WHERE p.station_id = $1 AND ($2::int IS NULL OR p.number = $2)
GROUP BY p.id
"""


async def _is_dc(station: ChargingStation, point_number: int | None) -> bool | None:
    """Whether the point (with no point: any point of the station) has a DC socket; None
    when the given point does not exist."""
    rows = await db.fetch(DC_SQL, station.id, point_number)
    if point_number is not None and not rows:
        return None
    return any(row["dc"] for row in rows)


async def _exception(
    user: ChargingUser, station: ChargingStation, chain: list[ChargingGroup]
) -> PriceDecision | None:
    """Rule 2: the user's exception at the station, else on the nearest group above it."""
    rows = await PriceException.filter(
        Q(station_id=station.id) | Q(group_id__in=[g.id for g in chain]), user_id=user.id
    ).select_related("tariff")
    if not rows:
        return None
    depth = {g.id: n for n, g in enumerate(chain)}  # nearest first; the station before all
    row = min(rows, key=lambda r: -1 if r.station_id is not None else depth[r.group_id])  # type: ignore[index]
    where = f"station {station.identifier}"
    if row.station_id is None:
        where = f"group {_q(next(g for g in chain if g.id == row.group_id))}"
    if row.kind == ExceptionKind.FREE:
        why = f"The user has a free-charging exception on {where}."
        return PriceDecision(P.FREE, PR.EXCEPTION_FREE, why)
    tariff = row.tariff
    assert tariff is not None  # a TARIFF exception always has one
    why = f"The user has a price exception on {where}: tariff {_q(tariff)}."
    return PriceDecision(P.TARIFF, PR.EXCEPTION_TARIFF, why, TariffSnapshot.of(tariff))


async def _fee(
    user: ChargingUser, station: ChargingStation, point_number: int | None, is_dc: bool
) -> PriceDecision | None:
    """Rule 3: the fee of the user's active user group for AC or DC, where it is applied."""
    group = user.user_group
    if group is None or not group.active:
        return None
    tariff = group.dc_tariff if is_dc else group.ac_tariff
    if tariff is None:
        return None
    if not await UserGroupApplication.exists(user_group_id=group.id, station_id=station.id):
        return None
    what = f"point {point_number}" if point_number is not None else f"station {station.identifier}"
    kind = "has a DC socket, so the DC" if is_dc else "has no DC socket, so the AC"
    why = (
        f"The user's user group {_q(group)} is applied to the station; {what} {kind} fee "
        f"applies: tariff {_q(tariff)}."
    )
    reason = PR.USER_GROUP_FEE_DC if is_dc else PR.USER_GROUP_FEE_AC
    return PriceDecision(P.TARIFF, reason, why, TariffSnapshot.of(tariff))


def _tariff_of(station: ChargingStation, chain: list[ChargingGroup]) -> PriceDecision:
    """Rules 4 to 6: the station's tariff, the nearest group tariff, or zero."""
    if station.tariff is not None:
        why = f"Station {station.identifier} has its own tariff {_q(station.tariff)}."
        return PriceDecision(P.TARIFF, PR.STATION_TARIFF, why, TariffSnapshot.of(station.tariff))
    source = nearest(chain, "tariff_id")
    if source is not None and source.tariff is not None:
        why = (
            f"Tariff {_q(source.tariff)} of group {_q(source)}, the nearest group above the "
            "station that sets one."
        )
        return PriceDecision(P.TARIFF, PR.GROUP_TARIFF, why, TariffSnapshot.of(source.tariff))
    why = "No tariff is set on the station or on any group above it: priced at zero."
    return PriceDecision(P.ZERO, PR.NO_TARIFF, why)


# --- both, for an operator ----------------------------------------------------------------


@dataclass(frozen=True)
class AccessCheck:
    authorization: Authorization
    price: PriceDecision


async def check_access(
    *,
    principal: Principal,
    token_uid: str,
    station_id: str,
    point_number: int | None = None,
    at: datetime | None = None,
) -> AccessCheck | None:
    """Would the token be accepted at a station the principal sees, and at what price?
    None when the station is not visible; a token of a driver the principal cannot see is
    unknown (a station's own Authorize knows every token of its organisation)."""
    station = await rows.find(visible_stations(principal).select_related("group"), station_id)
    if station is None:
        return None
    when = _utc(at) if at is not None else datetime.now(UTC)
    org = principal.organisation_id
    hidden = [
        g.name
        for g in await ancestors_of(org, _path(station))
        if not path_in_scope(principal, g.path)
    ]
    known = visible_tokens(principal)
    check = AccessCheck(
        authorization=await authorize(
            organisation_id=org, token_uid=token_uid, station_id=station.id,
            point_number=point_number, at=when, tokens=known,
        ),
        price=await price(
            organisation_id=org, token_uid=token_uid, station_id=station.id,
            point_number=point_number, at=when, tokens=known,
        ),
    )  # fmt: skip
    return _without_names(check, hidden)


def _without_names(check: AccessCheck, names: list[str]) -> AccessCheck:
    """Groups above the operator's base group stay unnamed, as everywhere else."""

    def scrub(text: str) -> str:
        for name in names:
            text = text.replace(_q(name), "above your base group")
        return text

    return AccessCheck(
        authorization=replace(
            check.authorization, explanation=scrub(check.authorization.explanation)
        ),
        price=replace(check.price, explanation=scrub(check.price.explanation)),
    )
