"""The scope of rows that hang off the tree: charging sessions, tokens, price exceptions, the
management history and the outbox. Each is defined by the tree scope of `scope.tree`."""

from __future__ import annotations

from tortoise.expressions import Q, Subquery
from tortoise.queryset import QuerySet

from domain.charging.models import ChargingSession
from domain.history.models import ManagementRecord
from domain.mail.models import OutboxMessage
from domain.pricing.models import PriceException
from domain.principal import Principal
from domain.scope.tree import has_scope, visible_groups, visible_stations, visible_users
from domain.stations.models import StationState
from domain.users.models import Token


def visible_sessions(principal: Principal) -> QuerySet[ChargingSession]:
    """Sessions at the stations the principal sees; at the root group, every session of the
    organisation, deleted stations' included."""
    if principal.at_root:
        return ChargingSession.filter(organisation_id=principal.organisation_id)
    return ChargingSession.filter(
        organisation_id=principal.organisation_id,
        station_id__in=Subquery(visible_stations(principal).values("id")),
    )


def visible_tokens(principal: Principal) -> QuerySet[Token]:
    """Live tokens of the charging users the principal sees."""
    return Token.filter(
        deleted_at=None, user_id__in=Subquery(visible_users(principal).values("id"))
    )


def visible_exceptions(principal: Principal) -> QuerySet[PriceException]:
    """Price exceptions of visible users whose group or live station the principal also sees."""
    if not has_scope(principal):
        return PriceException.filter(id__in=[])
    base = principal.base_path
    return PriceException.filter(
        Q(group__path__startswith=base)
        | Q(station__group__path__startswith=base, station__state=StationState.ACTIVE),
        user__organisation_id=principal.organisation_id,
        user__removed_at=None,
        user__group__path__startswith=base,
    )


async def visible_records(principal: Principal) -> QuerySet[ManagementRecord]:
    """Management records of the principal's organisation that name only stations it sees.
    At the root group every record naming stations (deleted ones' included), and for an
    admin there also the organisation-wide records that name none."""
    if not has_scope(principal):
        return ManagementRecord.filter(id__in=[])
    query = ManagementRecord.filter(organisation_id=principal.organisation_id)
    if principal.at_root:
        return query if principal.is_admin else query.exclude(station_ids=[])
    # Every station named must be visible: the list is contained by the visible ids.
    visible = await visible_stations(principal).values_list("id", flat=True)
    return query.exclude(station_ids=[]).filter(
        station_ids__contained_by=sorted(str(sid) for sid in visible)
    )


async def visible_mail(principal: Principal) -> QuerySet[OutboxMessage]:
    """The organisation's outbox, for an operator who sees the root group only: mail carries
    live invitation and reset links for any operator of the organisation."""
    query = OutboxMessage.filter(organisation_id=principal.organisation_id)
    if not await visible_groups(principal).filter(parent_id=None).exists():
        return query.filter(id__in=[])
    return query
