"""Per-request dataloaders for charging users, their tokens and access rights, user groups
and their members and fees: one statement per loader, however many rows are shown."""

from __future__ import annotations

import uuid

from strawberry.dataloader import DataLoader

from domain.groups.models import ChargingGroup
from domain.pricing.models import Tariff
from domain.principal import Principal
from domain.stations.models import ChargingStation
from domain.users import service as users
from domain.users import tokens, user_groups
from domain.users.models import ChargingUser, Token, UserGroup


class UserLoaders:
    def __init__(self, principal: Principal) -> None:
        self.principal = principal
        self.tokens = DataLoader[uuid.UUID, list[Token]](load_fn=self._tokens)
        self.token_count = DataLoader[uuid.UUID, int](load_fn=self._token_counts)
        self.access_groups = DataLoader[uuid.UUID, list[ChargingGroup]](load_fn=self._groups)
        self.access_stations = DataLoader[uuid.UUID, list[ChargingStation]](load_fn=self._stations)
        self.user_group = DataLoader[uuid.UUID, UserGroup | None](load_fn=self._user_groups)
        self.member_count = DataLoader[uuid.UUID, int](load_fn=self._member_counts)
        self.members = DataLoader[uuid.UUID, list[ChargingUser]](load_fn=self._members)
        self.tariff = DataLoader[uuid.UUID, Tariff | None](load_fn=self._tariffs)

    async def _tokens(self, ids: list[uuid.UUID]) -> list[list[Token]]:
        found = await tokens.tokens_of(ids)
        return [found[i] for i in ids]

    async def _token_counts(self, ids: list[uuid.UUID]) -> list[int]:
        found = await tokens.token_counts(ids)
        return [found.get(i, 0) for i in ids]

    async def _groups(self, ids: list[uuid.UUID]) -> list[list[ChargingGroup]]:
        found = await users.access_groups_of(principal=self.principal, user_ids=ids)
        return [found[i] for i in ids]

    async def _stations(self, ids: list[uuid.UUID]) -> list[list[ChargingStation]]:
        found = await users.access_stations_of(principal=self.principal, user_ids=ids)
        return [found[i] for i in ids]

    async def _user_groups(self, ids: list[uuid.UUID]) -> list[UserGroup | None]:
        found = await user_groups.get_many(principal=self.principal, user_group_ids=ids)
        return [found.get(i) for i in ids]

    async def _member_counts(self, ids: list[uuid.UUID]) -> list[int]:
        found = await user_groups.member_counts(principal=self.principal, user_group_ids=ids)
        return [found.get(i, 0) for i in ids]

    async def _members(self, ids: list[uuid.UUID]) -> list[list[ChargingUser]]:
        found = await user_groups.members_of(principal=self.principal, user_group_ids=ids)
        return [found[i] for i in ids]

    async def _tariffs(self, ids: list[uuid.UUID]) -> list[Tariff | None]:
        found = await user_groups.tariffs_many(principal=self.principal, tariff_ids=ids)
        return [found.get(i) for i in ids]
