"""Inviting drivers (seed 000): by e-mail, pasted list or CSV upload; confirming the account."""

from __future__ import annotations

import asyncio
import hashlib
import json
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from domain.mail.models import OutboxMessage
from domain.users.models import ChargingUser, DriverInvitation
from tests import factories
from tests.gqlclient import GraphQLClient

INVITE = """
mutation($input: InviteDriversInput!) {
  inviteDrivers(input: $input) {
    lines { email source line outcome message userId }
    invitedCount invalidCount alreadyPresentCount
    errors { code field message }
  }
}
"""
CONFIRM = """
mutation($t: String!, $f: String!, $l: String!) {
  confirmDriverAccount(token: $t, firstName: $f, lastName: $l) {
    driver { email firstName lastName } errors { code field message }
  }
}
"""
INVALID_TOKEN = [
    {"code": "INVALID_TOKEN", "field": "token", "message": "The link is invalid or has expired."}
]
LINK_RE = re.compile(r"(http://evcms\.test/confirm-driver\?token=([A-Za-z0-9_-]+))")


async def invite(as_who: GraphQLClient, **input: Any) -> dict:
    data = await as_who(INVITE, input=input)
    return dict(data["inviteDrivers"])


async def upload(
    as_who: GraphQLClient,
    content: bytes,
    *,
    filename: str = "drivers.csv",
    content_type: str = "text/csv",
    **input: Any,
) -> dict:
    """A GraphQL multipart request (operations, map, the file part) as a browser sends it."""
    operations = {"query": INVITE, "variables": {"input": {**input, "csv": None}}}
    response = await as_who.http.post(
        "/graphql",
        data={
            "operations": json.dumps(operations),
            "map": json.dumps({"0": ["variables.input.csv"]}),
        },
        files={"0": (filename, content, content_type)},
        headers={"Authorization": f"Bearer {as_who.token}"},
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert not body.get("errors"), body
    return dict(body["data"]["inviteDrivers"])


async def snapshot() -> tuple[list, list, list]:
    users = await ChargingUser.all().order_by("email").values_list("email", "group_id")
    invitations = await DriverInvitation.all().values_list("user_id", "accepted_at")
    mail = await OutboxMessage.all().values_list("recipient", flat=True)
    return sorted(users), sorted(invitations, key=str), sorted(mail)


def line(email: str, source: str, n: int, outcome: str, message: str = "") -> dict:
    return {"email": email, "source": source, "line": n, "outcome": outcome, "message": message}


def without_ids(lines: list[dict]) -> list[dict]:
    return [{k: v for k, v in row.items() if k != "userId"} for row in lines]


async def token_for(address: str) -> str:
    message = await OutboxMessage.get(recipient=address)
    match = LINK_RE.search(message.body)
    assert match, message.body
    return match.group(2)


NOT_AN_ADDRESS = "Not an e-mail address."
ALREADY_A_USER = "A charging user with this e-mail address already exists."
LISTED_BEFORE = "Listed more than once."


# --- a single address --------------------------------------------------------------------


@pytest.mark.actors("admin", "basic")
async def test_invite_one_driver_creates_the_user_invitation_and_mail(
    as_actor, world, redis, actor_role
):
    payload = await invite(as_actor, emails=["Daisy.Duck@Duckburg.example"])
    assert payload["errors"] == []
    assert without_ids(payload["lines"]) == [
        line("Daisy.Duck@Duckburg.example", "EMAILS", 1, "INVITED")
    ]
    assert (payload["invitedCount"], payload["invalidCount"], payload["alreadyPresentCount"]) == (
        1,
        0,
        0,
    )
    user = await ChargingUser.get(id=payload["lines"][0]["userId"])
    base = world.admin.base_group_id if actor_role == "admin" else world.basic.base_group_id
    assert (user.email, user.email_key, user.group_id, user.user_group_id) == (
        "Daisy.Duck@Duckburg.example",
        "daisy.duck@duckburg.example",
        base,
        None,
    )
    assert (user.active, user.confirmed_at, user.organisation_id) == (True, None, world.org.id)

    [message] = await OutboxMessage.all()
    assert message.recipient == "Daisy.Duck@Duckburg.example"
    assert message.subject == "Confirm your charging account at ACME Shopping Malls"
    assert "The link is valid for 14 days." in message.body
    token = await token_for(message.recipient)
    [invitation] = await DriverInvitation.all()
    # Only the hash of the token is stored.
    assert invitation.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in invitation.token_hash
    assert invitation.user_id == user.id and invitation.accepted_at is None
    expected = datetime.now(UTC) + timedelta(days=14)
    assert abs((invitation.expires_at - expected).total_seconds()) < 60
    # Delivery was queued after the commit.
    assert await redis.exists(f"arq:job:send_email:{message.id}")


async def test_invite_into_a_group_and_user_group(as_admin, world):
    staff = await factories.user_group(world.g1, name="Staff")
    payload = await invite(
        as_admin, emails=["huey@duckburg.example"], groupId=str(world.g1a.id),
        userGroupId=str(staff.id),
    )  # fmt: skip
    assert payload["invitedCount"] == 1
    user = await ChargingUser.get(email_key="huey@duckburg.example")
    assert (user.group_id, user.user_group_id) == (world.g1a.id, staff.id)


@pytest.mark.parametrize(
    ("who", "field", "message"),
    [
        ("g2 group for basic at g1", "groupId", "Charging group does not exist."),
        ("other organisation's group", "groupId", "Charging group does not exist."),
        ("malformed group id", "groupId", "Charging group does not exist."),
        ("g2 user group for basic at g1", "userGroupId", "Charging user group does not exist."),
        ("other organisation's user group", "userGroupId", "Charging user group does not exist."),
    ],
)
async def test_out_of_scope_targets_are_like_missing_and_create_nothing(
    as_basic, world, who, field, message
):
    other_group = await factories.user_group(world.root_b)
    g2_group = await factories.user_group(world.g2)
    ids = {
        "g2 group for basic at g1": {"groupId": str(world.g2.id)},
        "other organisation's group": {"groupId": str(world.root_b.id)},
        "malformed group id": {"groupId": "not-a-uuid"},
        "g2 user group for basic at g1": {"userGroupId": str(g2_group.id)},
        "other organisation's user group": {"userGroupId": str(other_group.id)},
    }[who]
    before = await snapshot()
    payload = await invite(as_basic, emails=["louie@duckburg.example"], **ids)
    assert payload["errors"] == [{"code": "NOT_FOUND", "field": field, "message": message}]
    assert payload["lines"] == []
    assert await snapshot() == before


async def test_nothing_to_invite_is_refused(as_admin):
    empty: list[dict[str, Any]] = [{}, {"emails": []}, {"emails": ["  "], "text": "\n \n"}]
    for given in empty:
        payload = await invite(as_admin, **given)
        assert payload["errors"] == [
            {"code": "REQUIRED", "field": "emails", "message": "Give at least one e-mail address."}
        ]
    assert await snapshot() == ([], [], [])


async def test_signed_out_cannot_invite(client, world):
    body = await client.raw(INVITE, {"input": {"emails": ["x@duckburg.example"]}})
    assert body["errors"][0]["message"] == "Not authenticated. Log in first."
    assert await snapshot() == ([], [], [])


# --- a pasted list --------------------------------------------------------------------------


async def test_pasted_list_reports_invalid_duplicate_and_existing_addresses(as_admin, world):
    await factories.charging_user(world.g1, email="Scrooge@Duckburg.example")
    # A removed user does not count: the address may be invited again.
    removed = await factories.charging_user(world.g1, email="gone@duckburg.example")
    removed.removed_at = datetime.now(UTC)
    await removed.save()
    # Another organisation's user with the same address does not count either.
    await factories.charging_user(world.root_b, email="gyro@duckburg.example")
    text = "\n".join(
        [
            "donald@duckburg.example",
            "",
            "not an address",
            "  scrooge@DUCKBURG.example  ",
            "DONALD@duckburg.example",
            "gone@duckburg.example",
            "gyro@duckburg.example",
            "two@@duckburg.example",
            "   ",
            "gladstone@duckburg.example",
        ]
    )
    payload = await invite(as_admin, text=text, emails=["gladstone@duckburg.example"])
    assert payload["errors"] == []
    assert without_ids(payload["lines"]) == [
        line("gladstone@duckburg.example", "EMAILS", 1, "INVITED"),
        line("donald@duckburg.example", "TEXT", 1, "INVITED"),
        line("not an address", "TEXT", 3, "INVALID", NOT_AN_ADDRESS),
        line("scrooge@DUCKBURG.example", "TEXT", 4, "ALREADY_PRESENT", ALREADY_A_USER),
        line("DONALD@duckburg.example", "TEXT", 5, "ALREADY_PRESENT", LISTED_BEFORE),
        line("gone@duckburg.example", "TEXT", 6, "INVITED"),
        line("gyro@duckburg.example", "TEXT", 7, "INVITED"),
        line("two@@duckburg.example", "TEXT", 8, "INVALID", NOT_AN_ADDRESS),
        line("gladstone@duckburg.example", "TEXT", 10, "ALREADY_PRESENT", LISTED_BEFORE),
    ]
    assert (payload["invitedCount"], payload["invalidCount"], payload["alreadyPresentCount"]) == (
        4,
        2,
        3,
    )
    invited = {"gladstone", "donald", "gone", "gyro"}
    mail = await OutboxMessage.filter(organisation_id=world.org.id).values_list(
        "recipient", flat=True
    )
    assert sorted(mail) == sorted(f"{name}@duckburg.example" for name in invited)
    assert await DriverInvitation.all().count() == 4
    assert await ChargingUser.filter(organisation_id=world.org.id, removed_at=None).count() == 1 + 4


async def test_inviting_the_same_list_again_invites_nobody(as_admin):
    await invite(as_admin, text="a@duckburg.example\nb@duckburg.example")
    before = await snapshot()
    payload = await invite(as_admin, text="A@duckburg.example\nb@duckburg.example")
    assert [row["outcome"] for row in payload["lines"]] == ["ALREADY_PRESENT"] * 2
    assert payload["invitedCount"] == 0
    assert await snapshot() == before


async def test_concurrent_invitations_of_one_address_create_one_user(as_admin, as_basic):
    results = await asyncio.gather(
        *(
            invite(who, emails=[f"{prefix}@duckburg.example", "Race@duckburg.example"])
            for who, prefix in ((as_admin, "a"), (as_basic, "b"), (as_admin, "c"))
        )
    )
    outcomes = sorted(payload["lines"][1]["outcome"] for payload in results)
    assert outcomes == ["ALREADY_PRESENT", "ALREADY_PRESENT", "INVITED"]
    assert await ChargingUser.filter(email_key="race@duckburg.example").count() == 1
    assert await OutboxMessage.filter(recipient__iexact="race@duckburg.example").count() == 1


async def test_more_than_5000_addresses_are_refused(as_admin):
    text = "\n".join(f"driver{n}@duckburg.example" for n in range(5001))
    payload = await invite(as_admin, text=text)
    assert payload["errors"] == [
        {
            "code": "INVALID_INPUT",
            "field": "emails",
            "message": "At most 5000 e-mail addresses can be invited at once.",
        }
    ]
    assert await snapshot() == ([], [], [])


# --- an uploaded CSV file ---------------------------------------------------------------


CSV_WITH_JUNK = (
    "\ufeffEmail,Name\r\n"
    "mickey@mouse.example,Mickey\r\n"
    "junk line without address,\r\n"
    "\r\n"
    ",only a second column\r\n"
    '"minnie@mouse.example","Minnie, the mouse"\r\n'
    "goofy at mouse.example,Goofy\r\n"
    "MICKEY@mouse.example,Again\r\n"
    "pluto@mouse.example\r\n"
).encode()


async def test_csv_upload_invites_good_lines_and_reports_junk(as_admin, world):
    payload = await upload(as_admin, CSV_WITH_JUNK)
    assert payload["errors"] == []
    assert without_ids(payload["lines"]) == [
        line("mickey@mouse.example", "CSV", 2, "INVITED"),
        line("junk line without address", "CSV", 3, "INVALID", NOT_AN_ADDRESS),
        line("minnie@mouse.example", "CSV", 6, "INVITED"),
        line("goofy at mouse.example", "CSV", 7, "INVALID", NOT_AN_ADDRESS),
        line("MICKEY@mouse.example", "CSV", 8, "ALREADY_PRESENT", LISTED_BEFORE),
        line("pluto@mouse.example", "CSV", 9, "INVITED"),
    ]
    users = await ChargingUser.all().order_by("email").values_list("email", flat=True)
    assert users == ["mickey@mouse.example", "minnie@mouse.example", "pluto@mouse.example"]
    assert sorted(await OutboxMessage.all().values_list("recipient", flat=True)) == users
    assert await DriverInvitation.all().count() == 3


async def test_csv_without_header_semicolons_and_text_together(as_basic, world):
    content = b"scrooge@duckburg.example;McDuck\nbeagle@duckburg.example;Boys\n"
    payload = await upload(
        as_basic, content, filename="list.txt", content_type="text/plain",
        text="daisy@duckburg.example", groupId=str(world.g1a.id),
    )  # fmt: skip
    assert without_ids(payload["lines"]) == [
        line("daisy@duckburg.example", "TEXT", 1, "INVITED"),
        line("scrooge@duckburg.example", "CSV", 1, "INVITED"),
        line("beagle@duckburg.example", "CSV", 2, "INVITED"),
    ]
    groups = await ChargingUser.all().values_list("group_id", flat=True)
    assert groups == [world.g1a.id] * 3


async def test_excel_labels_csv_files_as_ms_excel(as_admin):
    payload = await upload(
        as_admin, b"email\nx@mouse.example\n", content_type="application/vnd.ms-excel"
    )
    assert payload["invitedCount"] == 1


BAD_FILE = (
    "The file is not a CSV or text file. "
    "Upload a UTF-8 CSV file with e-mail addresses in the first column."
)


@pytest.mark.parametrize(
    ("content", "content_type", "message"),
    [
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "image/png", BAD_FILE),
        (b"PK\x03\x04\x14\x00\x06\x00x@mouse.example", "application/octet-stream", BAD_FILE),
        ("m\xe4kel\xe4@mouse.example\n".encode("latin-1"), "text/csv", BAD_FILE),
        (b"x@mouse.example\n" * 70_000, "text/csv", "The file is too large: at most 1 MB."),
    ],
    ids=["png", "zip", "not-utf8", "too-large"],
)
async def test_a_file_that_is_not_a_small_text_csv_is_refused_and_creates_nothing(
    as_admin, content, content_type, message
):
    payload = await upload(
        as_admin, content, content_type=content_type, emails=["ok@mouse.example"]
    )
    assert payload["errors"] == [{"code": "INVALID_INPUT", "field": "csv", "message": message}]
    assert payload["lines"] == []
    assert await snapshot() == ([], [], [])


async def test_a_string_instead_of_a_file_is_refused(as_admin):
    payload = await invite(as_admin, csv="x@mouse.example")
    assert payload["errors"] == [
        {
            "code": "INVALID_INPUT",
            "field": "csv",
            "message": "Upload the CSV file as a file (GraphQL multipart request).",
        }
    ]
    assert await snapshot() == ([], [], [])


# --- confirming ---------------------------------------------------------------------------


async def test_driver_confirms_once_with_the_mailed_link(client, as_admin):
    await invite(as_admin, emails=["daisy@duckburg.example"])
    token = await token_for("daisy@duckburg.example")

    data = await client(CONFIRM, t=token, f=" Daisy ", l="Duck")
    assert data["confirmDriverAccount"] == {
        "driver": {"email": "daisy@duckburg.example", "firstName": "Daisy", "lastName": "Duck"},
        "errors": [],
    }
    user = await ChargingUser.get(email_key="daisy@duckburg.example")
    assert user.confirmed_at is not None and (user.first_name, user.last_name) == (
        "Daisy",
        "Duck",
    )
    assert (await DriverInvitation.get(user_id=user.id)).accepted_at is not None

    # Single use.
    data = await client(CONFIRM, t=token, f="Someone", l="Else")
    assert data["confirmDriverAccount"] == {"driver": None, "errors": INVALID_TOKEN}
    user = await ChargingUser.get(email_key="daisy@duckburg.example")
    assert (user.first_name, user.last_name) == ("Daisy", "Duck")


async def test_expired_unknown_or_removed_links_are_refused(client, as_admin):
    await invite(as_admin, emails=["old@duckburg.example", "gone@duckburg.example"])
    old, gone = await token_for("old@duckburg.example"), await token_for("gone@duckburg.example")
    old_user = await ChargingUser.get(email_key="old@duckburg.example")
    await DriverInvitation.filter(user_id=old_user.id).update(
        expires_at=datetime.now(UTC) - timedelta(seconds=1)
    )
    await ChargingUser.filter(email_key="gone@duckburg.example").update(
        removed_at=datetime.now(UTC)
    )
    for token in (old, gone, "not-a-token", ""):
        data = await client(CONFIRM, t=token, f="Daisy", l="Duck")
        assert data["confirmDriverAccount"] == {"driver": None, "errors": INVALID_TOKEN}
    assert await ChargingUser.filter(confirmed_at__not_isnull=True).count() == 0
    assert await DriverInvitation.filter(accepted_at__not_isnull=True).count() == 0


async def test_confirmation_needs_names_and_keeps_the_link_usable(client, as_admin):
    await invite(as_admin, emails=["daisy@duckburg.example"])
    token = await token_for("daisy@duckburg.example")
    data = await client(CONFIRM, t=token, f="  ", l="Duck")
    assert data["confirmDriverAccount"] == {
        "driver": None,
        "errors": [
            {"code": "REQUIRED", "field": "firstName", "message": "First name is required."}
        ],
    }
    assert (await ChargingUser.get(email_key="daisy@duckburg.example")).confirmed_at is None
    data = await client(CONFIRM, t=token, f="Daisy", l="Duck")
    assert data["confirmDriverAccount"]["errors"] == []


async def test_a_basic_operator_cannot_place_csv_drivers_in_a_user_group(as_basic, world):
    """Seed 003: basic operators may not add or edit charging user groups; an invitation is
    one more way into one (the same rule as createChargingUser's userGroupId)."""
    user_group = await factories.user_group(world.g1)
    before = await snapshot()
    payload = await upload(as_basic, b"placed@example.com\n", userGroupId=str(user_group.id))
    assert payload["errors"] == [
        {"code": "ACCESS_DENIED", "field": "userGroupId", "message": "Access denied."}
    ]
    assert await snapshot() == before
