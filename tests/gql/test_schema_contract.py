"""schema.graphql is the contract with every client: it must match the code."""

from pathlib import Path

from gql.policy import declared_actions, missing_policies
from gql.schema import ALL_ROOTS, sdl
from tenancy.policy import ACTIONS

SCHEMA_FILE = Path(__file__).resolve().parents[2] / "schema.graphql"


def test_exported_schema_matches_code():
    assert SCHEMA_FILE.read_text() == sdl(), (
        "schema.graphql drifted from the code: run `evcms export-schema > schema.graphql` "
        "and review the change as a change to the client contract"
    )


def test_every_root_field_declares_a_policy():
    """Queries, mutations and subscriptions alike."""
    assert {r.__name__ for r in ALL_ROOTS} >= {"LiveSubscription", "EventQuery"}
    assert missing_policies(*ALL_ROOTS) == []


def test_every_declared_action_is_a_known_action():
    special = {"public", "signed-in"}
    unknown = {
        field: action
        for field, action in declared_actions(*ALL_ROOTS).items()
        if action not in ACTIONS and action not in special
    }
    assert unknown == {}
