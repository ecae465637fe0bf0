"""Dataloaders for charging stations, their points (and their live status) and sockets,
and their tariffs.

Attached to the request's `Loaders` as `loaders.stations`. Station rows reach the types only
from scoped queries, so the per-station and per-point loaders (points, sockets, point
statuses) take those ids as given; the by-id loaders (station, point, tariff) filter by the
actor's scope themselves.
"""

from __future__ import annotations

import uuid

from strawberry.dataloader import DataLoader

from domain.events import feed as events
from domain.events.models import PointStatus
from domain.pricing.models import Tariff
from domain.stations import points as points_service
from domain.stations import service as stations_service
from domain.stations.models import ChargingPoint, ChargingStation, Socket
from tenancy.actor import Actor


class StationLoaders:
    def __init__(self, actor: Actor) -> None:
        self.actor = actor
        self.station = DataLoader[uuid.UUID, ChargingStation | None](load_fn=self._stations)
        self.point = DataLoader[uuid.UUID, ChargingPoint | None](load_fn=self._points)
        self.points = DataLoader[uuid.UUID, list[ChargingPoint]](load_fn=self._points_of)
        self.sockets = DataLoader[uuid.UUID, list[Socket]](load_fn=self._sockets_of)
        self.tariff = DataLoader[uuid.UUID, Tariff | None](load_fn=self._tariffs)
        self.point_status = DataLoader[uuid.UUID, PointStatus | None](load_fn=self._point_statuses)

    async def _stations(self, ids: list[uuid.UUID]) -> list[ChargingStation | None]:
        found = await stations_service.get_many(principal=self.actor, station_ids=ids)
        return [found.get(i) for i in ids]

    async def _points(self, ids: list[uuid.UUID]) -> list[ChargingPoint | None]:
        found = await points_service.get_points(principal=self.actor, point_ids=ids)
        return [found.get(i) for i in ids]

    async def _points_of(self, ids: list[uuid.UUID]) -> list[list[ChargingPoint]]:
        found = await points_service.points_of(ids)
        return [found[i] for i in ids]

    async def _sockets_of(self, ids: list[uuid.UUID]) -> list[list[Socket]]:
        found = await points_service.sockets_of(ids)
        return [found[i] for i in ids]

    async def _tariffs(self, ids: list[uuid.UUID]) -> list[Tariff | None]:
        found = await stations_service.tariffs_by_id(principal=self.actor, tariff_ids=ids)
        return [found.get(i) for i in ids]

    async def _point_statuses(self, ids: list[uuid.UUID]) -> list[PointStatus | None]:
        found = await events.point_statuses(ids)
        return [found.get(i) for i in ids]
