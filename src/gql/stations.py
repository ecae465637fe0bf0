"""Charging stations, charging points, sockets and EVSE ids: parse, call one service, map."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import strawberry

from domain.commands import remote
from domain.inputs import KEEP, Keep
from domain.stations import evse, points, service
from domain.stations.points import SocketChanges, SocketData
from domain.stations.service import StationChanges, StationFilter
from gql.policy import Policy
from gql.types.common import PageInput, SortDirection, page_of
from gql.types.groups import DeletePayload
from gql.types.stations import (
    AddChargingPointInput,
    AddSocketInput,
    AdoptStationInput,
    ChargingPoint,
    ChargingPointPayload,
    ChargingStation,
    ChargingStationPage,
    ChargingStationPayload,
    ChargingStationSort,
    CreateChargingStationInput,
    EvseIdStatus,
    GenerateEvseIdsInput,
    GenerateEvseIdsPayload,
    PooledEvseId,
    PooledEvseIdPage,
    SetEvseIdInput,
    Socket,
    SocketPayload,
    StationPasswordPayload,
    UpdateChargingStationInput,
    UpdateSocketInput,
)


def _given(value: Any) -> Any:
    """UNSET (the field was left out) becomes KEEP; null stays None."""
    return KEEP if value is strawberry.UNSET else value


def _coordinate(value: float | None) -> Decimal | Keep | None:
    if value is strawberry.UNSET:
        return KEEP
    return None if value is None else Decimal(str(value))


@strawberry.type
class StationQuery:
    @strawberry.field(extensions=[Policy("station.read")])
    async def charging_station(
        self, info: strawberry.Info, id: strawberry.ID
    ) -> ChargingStation | None:
        row = await service.get(principal=info.context.actor, station_id=id)
        return ChargingStation.from_row(row) if row else None

    @strawberry.field(extensions=[Policy("station.read")])
    async def charging_stations(
        self,
        info: strawberry.Info,
        search: str | None = None,
        group_id: strawberry.ID | None = None,
        sort: ChargingStationSort | None = None,
        page: PageInput | None = None,
        online: bool | None = None,
    ) -> ChargingStationPage | None:
        """Live stations in your scope; search matches name or identifier; `groupId` keeps
        the stations of that group's subtree; `online` keeps the connected (true) or the
        offline (false) ones."""
        sort = sort or ChargingStationSort()
        result = await service.list_stations(
            principal=info.context.actor,
            filter=StationFilter(
                search=search,
                group_id=group_id,
                online=online,
                sort=sort.field,
                descending=sort.direction == SortDirection.DESC,
            ),
            page=page_of(page),
        )
        return ChargingStationPage(
            total_count=result.total_count,
            items=[ChargingStation.from_row(r) for r in result.items],
        )

    @strawberry.field(extensions=[Policy("station.adopt")])
    async def discovered_stations(
        self, info: strawberry.Info, search: str | None = None, page: PageInput | None = None
    ) -> ChargingStationPage | None:
        """Stations that connected with an identifier nobody created, newest first."""
        result = await service.list_discovered(
            principal=info.context.actor, search=search, page=page_of(page)
        )
        return ChargingStationPage(
            total_count=result.total_count,
            items=[ChargingStation.from_row(r) for r in result.items],
        )

    @strawberry.field(extensions=[Policy("station.update")])
    async def evse_ids(
        self,
        info: strawberry.Info,
        status: EvseIdStatus | None = None,  # type: ignore[valid-type]
        search: str | None = None,
        page: PageInput | None = None,
    ) -> PooledEvseIdPage | None:
        """Your organisation's pool of EVSE ids, by value."""
        result = await evse.list_pool(
            principal=info.context.actor,
            filter=evse.PoolFilter(status=status, search=search),
            page=page_of(page),
        )
        return PooledEvseIdPage(
            total_count=result.total_count,
            items=[PooledEvseId.from_row(r) for r in result.items],
        )


def _socket_fields(input: AddSocketInput | UpdateSocketInput) -> dict[str, Any]:
    return {
        "type": input.type,
        "power_type": input.power_type,
        "format": input.format,
        "max_power_kw": input.max_power_kw,
        "max_voltage": input.max_voltage,
        "max_amperage": input.max_amperage,
    }


@strawberry.type
class StationMutation:
    @strawberry.mutation(extensions=[Policy("station.create")])
    async def create_charging_station(
        self, info: strawberry.Info, input: CreateChargingStationInput
    ) -> ChargingStationPayload:
        row = await service.create(
            principal=info.context.actor,
            name=input.name,
            identifier=input.identifier,
            group_id=input.group_id,
        )
        return ChargingStationPayload(station=ChargingStation.from_row(row))

    @strawberry.mutation(extensions=[Policy("station.update")])
    async def update_charging_station(
        self, info: strawberry.Info, input: UpdateChargingStationInput
    ) -> ChargingStationPayload:
        row = await service.update(
            principal=info.context.actor,
            station_id=input.id,
            changes=StationChanges(
                name=input.name,
                group_id=input.group_id,
                address=input.address,
                latitude=_coordinate(input.latitude),
                longitude=_coordinate(input.longitude),
                owner_account=input.owner_account,
                allow_roaming=input.allow_roaming,
                free_charging=input.free_charging,
                disabled=input.disabled,
                access_policy=_given(input.access_policy),
                tariff_id=_given(input.tariff_id),
                version=input.version,
            ),
        )
        return ChargingStationPayload(station=ChargingStation.from_row(row))

    @strawberry.mutation(
        extensions=[Policy("station.delete")],
        description="The station becomes an orphan: out of its group and every list, its "
        "history kept, its identifier free again",
    )
    async def delete_charging_station(
        self, info: strawberry.Info, id: strawberry.ID, version: int | None = None
    ) -> DeletePayload:
        await service.delete(principal=info.context.actor, station_id=id, version=version)
        return DeletePayload(deleted_id=id)

    @strawberry.mutation(extensions=[Policy("station.adopt")])
    async def adopt_station(
        self, info: strawberry.Info, input: AdoptStationInput
    ) -> ChargingStationPayload:
        ctx = info.context
        row = await service.adopt(
            principal=ctx.actor, station_id=input.id, group_id=input.group_id, name=input.name
        )
        target = remote.Target(ctx.actor, row.id, ctx.services.dispatch)
        ctx.in_background_after_commit(lambda: remote.boot_if_online(target))
        return ChargingStationPayload(station=ChargingStation.from_row(row))

    @strawberry.mutation(
        extensions=[Policy("station.update")],
        description="Set or rotate the station's OCPP password; the new one is shown once",
    )
    async def set_station_password(
        self, info: strawberry.Info, id: strawberry.ID
    ) -> StationPasswordPayload:
        row, password = await service.set_password(principal=info.context.actor, station_id=id)
        return StationPasswordPayload(station=ChargingStation.from_row(row), password=password)

    @strawberry.mutation(extensions=[Policy("station.update")])
    async def add_charging_point(
        self, info: strawberry.Info, input: AddChargingPointInput
    ) -> ChargingPointPayload:
        row = await points.add_point(
            principal=info.context.actor, station_id=input.station_id, number=input.number
        )
        return ChargingPointPayload(point=ChargingPoint.from_row(row))

    @strawberry.mutation(extensions=[Policy("station.update")])
    async def remove_charging_point(
        self, info: strawberry.Info, id: strawberry.ID
    ) -> DeletePayload:
        await points.remove_point(principal=info.context.actor, point_id=id)
        return DeletePayload(deleted_id=id)

    @strawberry.mutation(extensions=[Policy("station.update")])
    async def set_charging_point_evse_id(
        self, info: strawberry.Info, input: SetEvseIdInput
    ) -> ChargingPointPayload:
        row = await evse.set_point_evse_id(
            principal=info.context.actor,
            point_id=input.point_id,
            evse_id=input.evse_id,
            autopick=input.autopick,
        )
        return ChargingPointPayload(point=ChargingPoint.from_row(row))

    @strawberry.mutation(extensions=[Policy("station.update")])
    async def add_socket(self, info: strawberry.Info, input: AddSocketInput) -> SocketPayload:
        row = await points.add_socket(
            principal=info.context.actor,
            point_id=input.point_id,
            data=SocketData(**_socket_fields(input)),
        )
        return SocketPayload(socket=Socket.from_row(row))

    @strawberry.mutation(extensions=[Policy("station.update")])
    async def update_socket(self, info: strawberry.Info, input: UpdateSocketInput) -> SocketPayload:
        row = await points.update_socket(
            principal=info.context.actor,
            socket_id=input.id,
            changes=SocketChanges(**_socket_fields(input)),
        )
        return SocketPayload(socket=Socket.from_row(row))

    @strawberry.mutation(extensions=[Policy("station.update")])
    async def remove_socket(self, info: strawberry.Info, id: strawberry.ID) -> DeletePayload:
        await points.remove_socket(principal=info.context.actor, socket_id=id)
        return DeletePayload(deleted_id=id)

    @strawberry.mutation(
        extensions=[Policy("station.update")],
        description="Add EVSE ids to your organisation's pool for autopick",
    )
    async def generate_evse_ids(
        self, info: strawberry.Info, input: GenerateEvseIdsInput
    ) -> GenerateEvseIdsPayload:
        result = await evse.generate(
            principal=info.context.actor,
            country_code=input.country_code,
            operator_id=input.operator_id,
            count=input.count,
            start=input.start,
            prefix=input.prefix,
            digits=input.digits,
        )
        return GenerateEvseIdsPayload(
            created=result.created, skipped=result.skipped, first=result.first, last=result.last
        )
