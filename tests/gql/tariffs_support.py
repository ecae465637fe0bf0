"""What the tests of test_tariffs.py shared, now split: documents, helpers."""

from __future__ import annotations

from typing import Any

from domain.groups.models import ChargingGroup
from domain.pricing.models import PriceException, Tariff

FIELDS = """id name pricePerKwh pricePerSession pricePerHour vatRate currency
pricesIncludeVat version group { name }"""
CREATE = (
    """
mutation($input: CreateTariffInput!) {
  createTariff(input: $input) { tariff { %s } errors { code field message } }
}"""
    % FIELDS
)
UPDATE = (
    """
mutation($input: UpdateTariffInput!) {
  updateTariff(input: $input) { tariff { %s } errors { code field message } }
}"""
    % FIELDS
)
DELETE = """
mutation($id: ID!, $version: Int) {
  deleteTariff(id: $id, version: $version) { deletedId errors { code field message } }
}"""
ONE = """query($id: ID!) { tariff(id: $id) { name group { name } } }"""
LIST = """
query($search: String, $sort: TariffSortInput, $page: PageInput) {
  tariffs(search: $search, sort: $sort, page: $page) { totalCount items { name group { name } } }
}"""
SET_PRICING = """
mutation($group: ID!, $tariff: ID, $policy: AccessPolicy, $roaming: Boolean) {
  setGroupPricing(groupId: $group, tariffId: $tariff, accessPolicy: $policy,
                  allowRoaming: $roaming) {
    pricing { group { name } tariff { name } accessPolicy allowRoaming
              effectiveTariff { name } effectiveAccessPolicy effectiveAllowRoaming }
    errors { code field message }
  }
}"""
GROUP_PRICING = """
query($group: ID!) {
  groupPricing(groupId: $group) {
    tariff { name } accessPolicy allowRoaming
    effectiveTariff { name } effectiveAccessPolicy effectiveAllowRoaming
  }
}"""
ACCESS_DENIED = [{"code": "ACCESS_DENIED", "field": None, "message": "Access denied."}]
TARIFF_MISSING = [{"code": "NOT_FOUND", "field": "id", "message": "Tariff does not exist."}]


async def tariffs() -> list[tuple[Any, ...]]:
    return sorted(
        (str(t.id), t.name, str(t.group_id), t.price_per_kwh, t.price_per_session,
         t.price_per_hour, t.vat_rate, t.currency, t.prices_include_vat, t.version)
        for t in await Tariff.all()
    )  # fmt: skip


async def pricing_settings() -> list[tuple[Any, ...]]:
    return sorted(
        (str(g.id), str(g.tariff_id), g.access_policy, g.allow_roaming, g.version)
        for g in await ChargingGroup.all()
    )


async def everything() -> tuple[Any, ...]:
    exceptions = sorted(str(e.id) for e in await PriceException.all())
    return await tariffs(), await pricing_settings(), exceptions


def errors(data: dict[str, Any], field: str) -> list[dict[str, Any]]:
    result: list[dict[str, Any]] = data[field]["errors"]
    return result


ADD_EXCEPTION = """
mutation($input: AddPriceExceptionInput!) {
  addPriceException(input: $input) {
    exception { id kind group { name } stationIdentifier tariff { name } }
    errors { code field message }
  }
}"""
