"""What the tests of test_charging_users.py shared, now split: documents, helpers."""

from __future__ import annotations

from typing import Any

from domain.users.models import AccessRight, ChargingUser, Token, UserGroup
from tests.gqlclient import GraphQLClient

USER_FIELDS = """id firstName lastName name email active version group { name }
userGroup { name } tokenCount tokens { uid name status validFrom validTo }
accessGroups { name } accessStations { identifier }"""
CREATE = (
    """
mutation($input: CreateChargingUserInput!) {
  createChargingUser(input: $input) { user { %s } errors { code field message } }
}"""
    % USER_FIELDS
)
UPDATE = (
    """
mutation($input: UpdateChargingUserInput!) {
  updateChargingUser(input: $input) { user { %s } errors { code field message } }
}"""
    % USER_FIELDS
)
REMOVE = """
mutation($id: ID!, $version: Int) {
  removeChargingUser(id: $id, version: $version) { deletedId errors { code field message } }
}"""
ONE = """query($id: ID!) { chargingUser(id: $id) { email group { name } } }"""
LIST = """
query($search: String, $group: ID, $userGroup: ID, $sort: ChargingUserSort, $page: PageInput) {
  chargingUsers(search: $search, groupId: $group, userGroupId: $userGroup, sort: $sort,
                page: $page) {
    totalCount items { email }
  }
}"""
ROWS = """
{ chargingUsers(page: {limit: 100}) {
    totalCount
    items { name email active group { id name } userGroup { name } tokenCount tokens { uid } }
} }"""
ACCESS_DENIED = [{"code": "ACCESS_DENIED", "field": None, "message": "Access denied."}]
USER_MISSING = [{"code": "NOT_FOUND", "field": "id", "message": "Charging user not found."}]


async def snapshot() -> tuple[list[tuple[Any, ...]], ...]:
    """Every row charging users, tokens, access rights and user groups consist of."""
    users = sorted(
        (str(u.id), u.first_name, u.last_name, u.email, u.email_key, str(u.group_id),
         str(u.user_group_id), u.active, u.version, u.removed_at)
        for u in await ChargingUser.all()
    )  # fmt: skip
    tokens = sorted(
        (str(t.id), str(t.user_id), t.uid, t.uid_key, t.name, t.status, t.valid_from,
         t.valid_to, t.deleted_at)
        for t in await Token.all()
    )  # fmt: skip
    rights = sorted(
        (str(r.user_id), str(r.group_id), str(r.station_id)) for r in await AccessRight.all()
    )
    groups = sorted(
        (str(g.id), g.name, g.active, str(g.group_id), str(g.ac_tariff_id), str(g.dc_tariff_id),
         g.version)
        for g in await UserGroup.all()
    )  # fmt: skip
    return users, tokens, rights, groups


def errors(data: dict[str, Any], field: str) -> list[dict[str, Any]]:
    return list(data[field]["errors"])


def not_found(field: str, message: str) -> list[dict[str, Any]]:
    return [{"code": "NOT_FOUND", "field": field, "message": message}]


async def create(client: GraphQLClient, **fields: Any) -> dict[str, Any]:
    data = await client(CREATE, input={"email": "scrooge@duckburg.com", **fields})
    return dict(data["createChargingUser"])
