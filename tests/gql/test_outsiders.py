"""Outsiders (DESIGN.md, Authorization): "Cross-tenant and out-of-subtree access answers
exactly like a missing object."

Every root field that takes an id is called, with ids of objects the caller must not reach,
by (a) omega, the admin of a second organisation, with ids from the first; (b) gamma, a
basic operator at g2, with ids from outside g2's subtree (g1, g1a, beta, ...); (c) kappa, an
admin at g2, the same: a basic operator is mostly stopped by the policy before any lookup,
an admin is stopped only by the scope. Each answer must equal the answer to the same call
with a random id that exists nowhere, and nothing may change in the database or Redis.
Lists called by the outsiders contain nothing beyond their scope.

The calls are built from the schema (tests/gql/test_choke_point.py), so a new root field is
covered without touching this file. Public mutations (login, acceptInvitation,
requestPasswordReset, resetPassword, confirmDriverAccount) are left out: they take no ids,
only credentials or e-mailed link tokens, and act for no signed-in operator.
"""

from __future__ import annotations

import asyncio
import itertools
import uuid
from dataclasses import dataclass, field
from typing import Any

import pytest
from graphql import get_named_type
from redis.asyncio import Redis

from domain.history.models import ManagementRecord, RecordOutcome
from domain.mail import service as mail
from domain.pricing.models import ExceptionKind, PriceException
from domain.stations.models import Socket, StationState
from gql.policy import PUBLIC
from tests import factories
from tests.conftest import login
from tests.gql.test_choke_point import (
    ROOT_FIELDS,
    Call,
    RootField,
    call,
    diff,
    error_codes,
    is_required,
    iter_ids,
    normalise,
    reference_paths,
    required_enum_paths,
    snapshot,
)
from tests.gqlclient import GraphQLClient

# What an id argument refers to, guessed from its name (or, for a bare `id`, from the root
# field's name): the first keyword found wins. A name that matches nothing is tried with
# every kind of object.
KINDS: list[tuple[str, str]] = [
    ("usergroup", "user_group"),
    ("priceexception", "price_exception"),
    ("socket", "socket"),
    ("point", "point"),
    ("token", "token"),
    ("station", "station"),
    ("tariff", "tariff"),
    ("member", "user"),
    ("user", "user"),
    ("parent", "group"),
    ("group", "group"),
    ("operator", "operator"),
    ("invitation", "operator"),
    ("passwordreset", "operator"),
]
ALL_KINDS = sorted({kind for _, kind in KINDS})

# Foreign objects tried at each id argument: of its kind, from different parts of the tree.
TARGETS = 3

# Optional inputs without which a call fails before it reads any id. (Checked by hand: with
# these, every id argument of every root field answers differently for an object in scope
# than for a missing one, so the comparison below would see a leak.)
FILLED: dict[tuple[str, ...], Any] = {("input", "emails"): "x@example.com"}


def kind_of(root: RootField, path: tuple[str, ...]) -> str | None:
    name = path[-1].lower()
    if name.endswith("uid"):
        return "token_uid"
    stem = name.removesuffix("ids").removesuffix("id")
    text = stem or root.name.lower()
    return next((kind for word, kind in KINDS if word in text), None)


@dataclass
class Objects:
    """Ids by kind: what a caller owns (fills the other id arguments) or must not reach."""

    by_kind: dict[str, list[str]] = field(default_factory=dict)

    def add(self, kind: str, *rows: Any) -> None:
        self.by_kind.setdefault(kind, []).extend(str(row.id) for row in rows)

    def of(self, kind: str | None) -> list[str]:
        if kind is None:
            return [i for k in ALL_KINDS for i in self.by_kind.get(k, [])]
        return self.by_kind.get(kind, [])

    def all(self) -> set[str]:
        return {i for ids in self.by_kind.values() for i in ids}


async def estate(group: Any, objects: Objects, *, label: str) -> None:
    """A station with a point and a socket, a user (with a token, an access right and a
    price exception) in a user group, a tariff and a management record, all in `group`."""
    station = await factories.station(group, points=1, identifier=f"{label}-EVSE")
    point = (await station.points.all())[0]  # type: ignore[attr-defined]
    socket = await Socket.get(point=point)
    tariff = await factories.tariff(group, name=f"{label} tariff")
    user_group = await factories.user_group(group, name=f"{label} user group")
    user = await factories.charging_user(group, member_of=user_group)
    token = await factories.token(user, f"{label}-TAG".upper())
    exception = await PriceException.create(user=user, group=group, kind=ExceptionKind.FREE)
    await factories.access_right(user, group=group)
    record = await ManagementRecord.create(
        organisation_id=group.organisation_id,
        actor_name=label,
        action="station.update",
        summary=f"{label} station edited",
        station_ids=[str(station.id)],
        outcome=RecordOutcome.SUCCEEDED,
    )
    objects.add("record", record)
    objects.add("station", station)
    objects.add("point", point)
    objects.add("socket", socket)
    objects.add("tariff", tariff)
    objects.add("user_group", user_group)
    objects.add("user", user)
    objects.add("token", token)
    objects.by_kind.setdefault("token_uid", []).append(token.uid)
    objects.add("price_exception", exception)


def interleave(*parts: Objects) -> Objects:
    """The parts' objects by kind, taking one from each part in turn: the first few of a
    kind come from different parts of the tree."""
    out = Objects()
    for kind in sorted({k for part in parts for k in part.by_kind}):
        columns = [part.by_kind.get(kind, []) for part in parts]
        rows = itertools.zip_longest(*columns)
        out.by_kind[kind] = [i for row in rows for i in row if i is not None]
    return out


@dataclass
class Outsider:
    username: str
    own: Objects  # reachable: fills the id arguments other than the one under test
    foreign: Objects  # must look missing


async def build(world: Any) -> dict[str, Outsider]:
    """Around the world fixture: in A, estates under g1 (with g1a and beta) and under root,
    and under g2 (with g2a, gamma and kappa, an admin at g2); in B, b1 and omega2 and an
    estate. Every id is tagged with whose it is."""
    a_g1, a_root, a_g2, b = Objects(), Objects(), Objects(), Objects()
    g2a = await factories.group(world.g2, "Birch Mall roof")
    kappa = await factories.operator(world.g2, "admin", username="kappa")
    b1 = await factories.group(world.root_b, "Other Org garage")
    omega2 = await factories.operator(b1, "basic", username="omega2")
    a_root.add("group", world.root)
    a_root.add("operator", world.admin)
    a_g1.add("group", world.g1, world.g1a)
    a_g1.add("operator", world.basic)
    # Own objects first in each kind: a child group and another operator come first, so a
    # filled-in id is not the caller's own base group or the caller themselves.
    a_g2.add("group", g2a, world.g2)
    a_g2.add("operator", world.basic_g2, kappa)
    b.add("group", b1, world.root_b)
    b.add("operator", omega2, world.admin_b)
    await estate(world.root, a_root, label="root")
    await estate(world.g1a, a_g1, label="pine")
    await estate(g2a, a_g2, label="birch")
    await estate(b1, b, label="other")
    # Stations that connected with unknown identifiers: only an operator at the root sees them.
    a_root.add(
        "station", await factories.station(None, world.org.id, state=StationState.DISCOVERED)
    )
    b.add("station", await factories.station(None, world.org_b.id, state=StationState.DISCOVERED))
    for recipient in (world.admin.email, world.basic.email, world.basic_g2.email):
        await mail.compose(
            organisation_id=world.org.id, recipient=recipient, subject="Hello", body="secret"
        )
    outside_g2 = interleave(a_root, a_g1)
    org_a = interleave(a_root, a_g1, a_g2)
    # gamma owns only himself among operators; kappa (admin) may act on gamma.
    gamma_own = Objects({**a_g2.by_kind, "operator": [str(world.basic_g2.id)]})
    kappa_own = Objects({**a_g2.by_kind, "operator": [str(world.basic_g2.id), str(kappa.id)]})
    return {
        "omega": Outsider("omega", b, org_a),
        "gamma": Outsider("gamma", gamma_own, outside_g2),
        "kappa": Outsider("kappa", kappa_own, outside_g2),
    }


@dataclass(frozen=True)
class Probe:
    """One root field with one id argument left open, the others given."""

    root: RootField
    path: tuple[str, ...]
    given: dict[tuple[str, ...], Any]
    enums: dict[tuple[str, ...], int]

    def with_id(self, value: str) -> Call:
        return call(self.root, {**self.given, self.path: value}, self.enums)


def probes(root: RootField, path: tuple[str, ...], own: Objects) -> list[Probe]:
    """The other id arguments: required ones filled with each of (up to two of) the
    caller's own objects of their kind; optional ones left out, or one at a time filled.
    Required enums: each of their first three values (in step, not every combination)."""
    others = [p for p in reference_paths(root) if p != path]
    required = [p for p in others if is_required_path(root, p)]
    optional = [p for p in others if p not in required]
    choices = [own.of(kind_of(root, p))[:2] for p in required]
    bases = [dict(zip(required, ids, strict=True)) for ids in itertools.product(*choices)]
    fills = [
        fill
        for base in bases
        for fill in [base] + [{**base, p: first(own.of(kind_of(root, p)))} for p in optional]
    ]
    enum_sizes = required_enum_paths(root)
    steps = max([min(n, 3) for n in enum_sizes.values()], default=1)
    enum_choices = [{p: k % n for p, n in enum_sizes.items()} for k in range(steps)]
    return [
        Probe(root, path, {**FILLED, **given}, enums)
        for given, enums in itertools.product(fills, enum_choices)
        if all(v is not None for v in given.values())
    ]


def first(ids: list[str]) -> str | None:
    return ids[0] if ids else None


def is_required_path(root: RootField, path: tuple[str, ...]) -> bool:
    """Whether every step down to `path` is a required argument or input field."""
    arg = root.field.args[path[0]]
    if not is_required(arg.type, arg.default_value):
        return False
    type_: Any = get_named_type(arg.type)
    for name in path[1:]:
        field_ = type_.fields[name]
        if not is_required(field_.type, field_.default_value):
            return False
        type_ = get_named_type(field_.type)
    return True


ID_FIELDS = [
    r for r in ROOT_FIELDS if r.action != PUBLIC and reference_paths(r)
]  # public fields take no ids (see the module's docstring)


def uid_paths(root: RootField) -> list[tuple[str, ...]]:
    """String arguments naming a token by its uid (`tokenUid`): a token of a driver the
    operator cannot see (another organisation's, or outside the operator's subtree) is
    unknown to the operator. (A station's Authorize still knows every token of its
    organisation: a driver of g1 may charge at g2's stations.)"""
    return [
        (name,)
        for name, arg in root.field.args.items()
        if name.lower().endswith("uid") and get_named_type(arg.type).name == "String"
    ]


UID_FIELDS = [r for r in ROOT_FIELDS if r.action != PUBLIC and uid_paths(r) and r not in ID_FIELDS]


def test_outsiders_have_something_to_call() -> None:
    assert ID_FIELDS
    assert any(uid_paths(r) for r in ROOT_FIELDS)
    assert {"operators", "chargingGroups", "outboxMessages"} <= {r.name for r in list_fields()}


def list_fields() -> list[RootField]:
    """Queries that need no argument: lists, `me`, and the like."""
    return [
        r
        for r in ROOT_FIELDS
        if r.operation == "query"
        and not any(is_required(a.type, a.default_value) for a in r.field.args.values())
    ]


@pytest.mark.parametrize("who", ["omega", "gamma", "kappa"])
async def test_outsider_answers_are_those_of_missing_objects(
    client: GraphQLClient, world: Any, redis: Redis, who: str
) -> None:
    outsider = (await build(world))[who]
    caller = client.as_token(await login(client, outsider.username))
    failures: list[str] = []
    calls = 0
    for root in ID_FIELDS + UID_FIELDS:
        for path in reference_paths(root) + uid_paths(root):
            targets = outsider.foreign.of(kind_of(root, path))[:TARGETS]
            assert targets, f"{root} {path}: no foreign object of kind {kind_of(root, path)}"
            before = await snapshot(redis)
            for probe in probes(root, path, outsider.own):
                # The same call with a random id, and with each foreign id, side by side.
                missing = str(uuid.uuid4())
                ids = [missing, *targets]
                sent = [probe.with_id(i) for i in ids]
                answers = await asyncio.gather(*(caller.raw(c.query, c.variables) for c in sent))
                calls += len(sent)
                expected = answers[0]
                if "INTERNAL_SERVER_ERROR" in error_codes(expected):
                    failures.append(f"{sent[0]}: {expected}")
                expected_text = normalise(expected, {missing: "<ID>"})
                for target, probe_call, answer in zip(ids[1:], sent[1:], answers[1:], strict=True):
                    if normalise(answer, {target: "<ID>"}) != expected_text:
                        failures.append(
                            f"{probe_call}\n    answer:  {answer}\n    missing: {expected}"
                        )
            changed = diff(before, await snapshot(redis))
            if changed:
                failures.append(f"{root} {'.'.join(path)}: changed {changed}")
    assert calls > len(ID_FIELDS)
    assert failures == [], "\n".join(failures)


@pytest.mark.parametrize("who", ["omega", "gamma", "kappa"])
async def test_lists_show_outsiders_nothing_beyond_their_scope(
    client: GraphQLClient, world: Any, redis: Redis, who: str
) -> None:
    outsider = (await build(world))[who]
    foreign = outsider.foreign.all()
    caller = client.as_token(await login(client, outsider.username))
    before = await snapshot(redis)
    failures = []
    for root in list_fields():
        generated = call(root, depth=4)
        body = await caller.raw(generated.query, generated.variables)
        if "INTERNAL_SERVER_ERROR" in error_codes(body):
            failures.append(f"{root}: {body}")
        data = (body.get("data") or {}).get(root.name)
        leaked = sorted(set(iter_ids(data)) & foreign)
        if leaked:
            failures.append(f"{root}: shows {leaked}")
        page = data if isinstance(data, dict) and "items" in data else {}
        if page.get("totalCount", len(page.get("items", []))) != len(page.get("items", [])):
            failures.append(f"{root}: totalCount {data['totalCount']} for {data['items']}")
    assert failures == [], "\n".join(failures)
    assert diff(before, await snapshot(redis)) == []


async def test_outboxes_are_the_callers_own(client: GraphQLClient, world: Any) -> None:
    """The organisation's mail (with its links) is for an admin of its root group only."""
    await build(world)
    query = "{ outboxMessages { totalCount items { recipient } } }"
    alpha = client.as_token(await login(client, "alpha"))
    assert (await alpha(query))["outboxMessages"]["totalCount"] == 3
    for who in ("omega", "kappa"):
        caller = client.as_token(await login(client, who))
        assert (await caller(query))["outboxMessages"] == {"totalCount": 0, "items": []}, who
