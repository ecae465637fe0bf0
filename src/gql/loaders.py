"""Per-request dataloaders, so statements per query do not grow with the rows returned."""

from __future__ import annotations

import uuid

from strawberry.dataloader import DataLoader

from domain.groups import service as groups
from domain.groups.models import ChargingGroup
from gql.station_loaders import StationLoaders
from gql.user_loaders import UserLoaders
from tenancy.actor import Actor


class Loaders:
    def __init__(self, actor: Actor) -> None:
        self.actor = actor
        self.group = DataLoader[uuid.UUID, ChargingGroup | None](load_fn=self._groups)
        self.station_count = DataLoader[uuid.UUID, int](load_fn=self._station_counts)
        self.stations = StationLoaders(actor)  # charging stations, points, sockets
        self.users = UserLoaders(actor)  # charging users, tokens, user groups

    async def _groups(self, ids: list[uuid.UUID]) -> list[ChargingGroup | None]:
        found = await groups.get_many(principal=self.actor, group_ids=ids)
        return [found.get(i) for i in ids]

    async def _station_counts(self, ids: list[uuid.UUID]) -> list[int]:
        counts = await groups.subtree_station_counts(ids)
        return [counts.get(i, 0) for i in ids]
