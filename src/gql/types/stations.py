"""GraphQL types for charging stations, charging points, sockets and the EVSE id pool."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal

import strawberry

from domain.stations.evse import EvseIdStatus as DomainEvseIdStatus
from domain.stations.models import ChargingPoint as PointRow
from domain.stations.models import ChargingStation as StationRow
from domain.stations.models import EvseId as EvseIdRow
from domain.stations.models import PowerType as DomainPowerType
from domain.stations.models import Socket as SocketRow
from domain.stations.models import SocketFormat as DomainSocketFormat
from domain.stations.models import SocketType as DomainSocketType
from domain.stations.models import StationState as DomainStationState
from domain.stations.service import StationSort
from gql.errors import UserError
from gql.types.common import SortDirection
from gql.types.groups import ChargingGroup
from gql.types.pricing import AccessPolicy, Tariff

StationState = strawberry.enum(
    DomainStationState,
    name="StationState",
    description="ACTIVE: in a group; DISCOVERED: connected with an unknown identifier, "
    "awaiting adoption; ORPHAN: deleted, history kept",
)
SocketType = strawberry.enum(
    DomainSocketType,
    name="SocketType",
    description="Type 1, Type 2, Type 3, Schuko, CHAdeMO, CCS1, CCS2, GB/T AC, GB/T DC, "
    "Tesla, NACS, CEE blue, CEE red, other",
)
SocketFormat = strawberry.enum(
    DomainSocketFormat, name="SocketFormat", description="A socket, or a fixed cable"
)
PowerType = strawberry.enum(
    DomainPowerType,
    name="PowerType",
    description="AC single-phase, AC three-phase, or DC",
)
ChargingStationSortField = strawberry.enum(StationSort, name="ChargingStationSortField")
EvseIdStatus = strawberry.enum(DomainEvseIdStatus, name="EvseIdStatus")


def _float(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


@strawberry.type(name="Socket", description="A physical outlet or cable of a charging point")
class Socket:
    id: strawberry.ID
    number: int
    type: SocketType  # type: ignore[valid-type]
    format: SocketFormat  # type: ignore[valid-type]
    power_type: PowerType  # type: ignore[valid-type]
    max_power_kw: Decimal
    max_voltage: int
    max_amperage: int

    @classmethod
    def from_row(cls, row: SocketRow) -> Socket:
        return cls(
            id=strawberry.ID(str(row.id)),
            number=row.number,
            type=row.type,
            format=row.format,
            power_type=row.power_type,
            max_power_kw=row.max_power_kw,
            max_voltage=row.max_voltage,
            max_amperage=row.max_amperage,
        )


@strawberry.type(description="The latest status a charging point reported over OCPP")
class PointLiveStatus:
    status: str = strawberry.field(description="As defined by OCPP, such as Charging")
    error_code: str = strawberry.field(description="OCPP error type, such as NoError")
    updated_at: datetime = strawberry.field(description="When, as the station says")


@strawberry.type(
    name="ChargingPoint",
    description="One charging position of a station (OCPP 1.6 connectorId, 2.0.1 EVSE)",
)
class ChargingPoint:
    id: strawberry.ID
    number: int = strawberry.field(description="From 1; 0 means the whole station in events")
    evse_id: str | None = strawberry.field(description="eMI3 form, such as FI*ABC*E000123")
    row_id: strawberry.Private[uuid.UUID]
    station_id: strawberry.Private[uuid.UUID]

    @classmethod
    def from_row(cls, row: PointRow) -> ChargingPoint:
        return cls(
            id=strawberry.ID(str(row.id)),
            number=row.number,
            evse_id=row.evse_id,
            row_id=row.id,
            station_id=row.station_id,  # type: ignore[arg-type]
        )

    @strawberry.field(description="At most 4, by number")
    async def sockets(self, info: strawberry.Info) -> list[Socket]:
        rows = await info.context.loaders.stations.sockets.load(self.row_id)
        return [Socket.from_row(r) for r in rows]

    @strawberry.field
    async def station(self, info: strawberry.Info) -> ChargingStation | None:
        row = await info.context.loaders.stations.station.load(self.station_id)
        return ChargingStation.from_row(row) if row else None

    @strawberry.field(description="Null until the point reports a status")
    async def live_status(self, info: strawberry.Info) -> PointLiveStatus | None:
        row = await info.context.loaders.stations.point_status.load(self.row_id)
        if row is None:
            return None
        return PointLiveStatus(
            status=row.status, error_code=row.error_code, updated_at=row.updated_at
        )


@strawberry.type(name="ChargingStation", description="A physical device")
class ChargingStation:
    id: strawberry.ID
    name: str
    identifier: str = strawberry.field(
        description="Links the station to the physical device; never changes"
    )
    state: StationState  # type: ignore[valid-type]
    address: str
    latitude: float | None
    longitude: float | None
    owner_account: str = strawberry.field(description="The account that owns the station")
    allow_roaming: bool = strawberry.field(description="Roaming cards may charge here")
    free_charging: bool = strawberry.field(
        description="Any card charges free here (ignores all cost settings)"
    )
    disabled: bool = strawberry.field(description="No charging, no billing")
    access_policy: AccessPolicy | None = strawberry.field(  # type: ignore[valid-type]
        description="Null: inherited from the groups above"
    )
    vendor: str
    model: str
    serial_number: str
    firmware_version: str
    last_seen_at: datetime | None = strawberry.field(
        description="Last message from the station over OCPP"
    )
    online: bool = strawberry.field(description="Connected to the central system now")
    connected_at: datetime | None = strawberry.field(
        description="Since when it is connected; null while offline"
    )
    has_ocpp_password: bool = strawberry.field(
        description="Whether an OCPP (HTTP Basic) password is set; it is never shown again"
    )
    version: int
    created_at: datetime
    row_id: strawberry.Private[uuid.UUID]
    group_id: strawberry.Private[uuid.UUID | None]
    tariff_row_id: strawberry.Private[uuid.UUID | None]

    @classmethod
    def from_row(cls, row: StationRow) -> ChargingStation:
        return cls(
            id=strawberry.ID(str(row.id)),
            name=row.name,
            identifier=row.identifier,
            state=row.state,
            address=row.address,
            latitude=_float(row.latitude),
            longitude=_float(row.longitude),
            owner_account=row.owner_account,
            allow_roaming=row.allow_roaming,
            free_charging=row.free_charging,
            disabled=row.disabled,
            access_policy=row.access_policy,
            vendor=row.vendor,
            model=row.model,
            serial_number=row.serial_number,
            firmware_version=row.firmware_version,
            last_seen_at=row.last_seen_at,
            online=row.connected_node is not None,
            connected_at=row.connected_at if row.connected_node is not None else None,
            has_ocpp_password=bool(row.ocpp_password_hash),
            version=row.version,
            created_at=row.created_at,
            row_id=row.id,
            group_id=row.group_id,  # type: ignore[arg-type]
            tariff_row_id=row.tariff_id,  # type: ignore[arg-type]
        )

    @strawberry.field(description="Null for a discovered station, or outside your scope")
    async def group(self, info: strawberry.Info) -> ChargingGroup | None:
        if self.group_id is None:
            return None
        row = await info.context.loaders.group.load(self.group_id)
        return ChargingGroup.from_row(row) if row else None

    @strawberry.field(
        description="The station's own tariff; null: the groups' tariff applies (or the "
        "tariff is outside your scope, like `tariff`)"
    )
    async def tariff_id(self, info: strawberry.Info) -> strawberry.ID | None:
        if self.tariff_row_id is None:
            return None
        row = await info.context.loaders.stations.tariff.load(self.tariff_row_id)
        return strawberry.ID(str(row.id)) if row else None

    @strawberry.field(description="The station's own tariff (null when none or not visible)")
    async def tariff(self, info: strawberry.Info) -> Tariff | None:
        if self.tariff_row_id is None:
            return None
        row = await info.context.loaders.stations.tariff.load(self.tariff_row_id)
        return Tariff.from_row(row) if row else None

    @strawberry.field(description="Number of charging points")
    async def point_count(self, info: strawberry.Info) -> int:
        return len(await info.context.loaders.stations.points.load(self.row_id))

    @strawberry.field(description="Charging points, by number")
    async def points(self, info: strawberry.Info) -> list[ChargingPoint]:
        rows = await info.context.loaders.stations.points.load(self.row_id)
        return [ChargingPoint.from_row(r) for r in rows]


@strawberry.type
class ChargingStationPage:
    total_count: int
    items: list[ChargingStation]


@strawberry.input
class ChargingStationSort:
    field: ChargingStationSortField = StationSort.NAME  # type: ignore[valid-type]
    direction: SortDirection = SortDirection.ASC


@strawberry.input
class CreateChargingStationInput:
    name: str
    identifier: str = strawberry.field(
        description="As configured in the device: letters, digits, - and _ (1 to 64); "
        "cannot be changed afterwards. Unique in the organisation among stations not "
        "deleted, in any case (DEPOT-01 and depot-01 cannot both exist): ALREADY_EXISTS "
        "otherwise; the device must connect with exactly this identifier"
    )
    group_id: strawberry.ID | None = strawberry.field(
        default=None, description="Parent group; default: your base group"
    )


@strawberry.input(description="Omitted fields stay as they are; the identifier cannot change")
class UpdateChargingStationInput:
    id: strawberry.ID
    version: int | None = strawberry.field(
        default=None, description="The version you edited; a stale one is refused (CONFLICT)"
    )
    name: str | None = None
    group_id: strawberry.ID | None = strawberry.field(
        default=None, description="Move the station into this group"
    )
    address: str | None = None
    latitude: float | None = strawberry.field(
        default=strawberry.UNSET, description="-90 to 90; give both coordinates or neither"
    )
    longitude: float | None = strawberry.field(
        default=strawberry.UNSET, description="-180 to 180; null clears"
    )
    owner_account: str | None = None
    allow_roaming: bool | None = None
    free_charging: bool | None = None
    disabled: bool | None = None
    access_policy: AccessPolicy | None = strawberry.field(  # type: ignore[valid-type]
        default=strawberry.UNSET, description="Null: inherit from the groups above"
    )
    tariff_id: strawberry.ID | None = strawberry.field(
        default=strawberry.UNSET, description="Null: no tariff of its own"
    )


@strawberry.input
class AdoptStationInput:
    id: strawberry.ID
    group_id: strawberry.ID | None = strawberry.field(
        default=None, description="Default: your base group"
    )
    name: str | None = strawberry.field(default=None, description="Default: the identifier")


@strawberry.type
class ChargingStationPayload:
    station: ChargingStation | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class StationPasswordPayload:
    station: ChargingStation | None = None
    password: str | None = strawberry.field(
        default=None,
        description="The new OCPP password, shown this once; only its hash is stored",
    )
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.input
class AddChargingPointInput:
    station_id: strawberry.ID
    number: int | None = strawberry.field(
        default=None, description="Default: the lowest number not in use, from 1"
    )


@strawberry.input(description="A typed EVSE id, autopick, or neither to clear it")
class SetEvseIdInput:
    point_id: strawberry.ID
    evse_id: str | None = strawberry.field(
        default=None, description="eMI3 form, such as FI*ABC*E000123; unique"
    )
    autopick: bool = strawberry.field(
        default=False, description="Take the lowest free EVSE id of your organisation's pool"
    )


@strawberry.type
class ChargingPointPayload:
    point: ChargingPoint | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.input
class AddSocketInput:
    point_id: strawberry.ID
    type: SocketType  # type: ignore[valid-type]
    power_type: PowerType  # type: ignore[valid-type]
    max_power_kw: Decimal = strawberry.field(description="More than 0, at most 1000")
    max_voltage: int = strawberry.field(description="1 to 1500")
    max_amperage: int = strawberry.field(description="1 to 1000")
    format: SocketFormat = DomainSocketFormat.SOCKET  # type: ignore[valid-type]


@strawberry.input(description="Omitted fields stay as they are")
class UpdateSocketInput:
    id: strawberry.ID
    type: SocketType | None = None  # type: ignore[valid-type]
    power_type: PowerType | None = None  # type: ignore[valid-type]
    max_power_kw: Decimal | None = None
    max_voltage: int | None = None
    max_amperage: int | None = None
    format: SocketFormat | None = None  # type: ignore[valid-type]


@strawberry.type
class SocketPayload:
    socket: Socket | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.input
class GenerateEvseIdsInput:
    country_code: str = strawberry.field(description="Two letters, such as FI")
    operator_id: str = strawberry.field(description="Three letters or digits, such as ABC")
    count: int = strawberry.field(description="1 to 1000")
    start: int = strawberry.field(default=1, description="The first number")
    prefix: str = strawberry.field(default="", description="Letters and digits after the E")
    digits: int = strawberry.field(default=6, description="Numbers are zero-padded to this")


@strawberry.type
class GenerateEvseIdsPayload:
    created: int = 0
    skipped: int = strawberry.field(default=0, description="Ids that existed already")
    first: str | None = None
    last: str | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type(name="PooledEvseId", description="An EVSE id of the organisation's pool")
class PooledEvseId:
    id: strawberry.ID
    value: str
    assigned: bool
    created_at: datetime
    point_id: strawberry.Private[uuid.UUID | None]

    @classmethod
    def from_row(cls, row: EvseIdRow) -> PooledEvseId:
        return cls(
            id=strawberry.ID(str(row.id)),
            value=row.value,
            assigned=row.point_id is not None,
            created_at=row.created_at,
            point_id=row.point_id,  # type: ignore[arg-type]
        )

    @strawberry.field(description="The point that carries it (null when free or not visible)")
    async def point(self, info: strawberry.Info) -> ChargingPoint | None:
        if self.point_id is None:
            return None
        row = await info.context.loaders.stations.point.load(self.point_id)
        return ChargingPoint.from_row(row) if row else None


@strawberry.type
class PooledEvseIdPage:
    total_count: int
    items: list[PooledEvseId]
