"""Every GraphQL document the README quotes is valid against the checked-in schema.graphql:
a client developer who copies one gets an answer, not a validation error."""

from __future__ import annotations

import json
import re
from pathlib import Path

from graphql import build_schema, parse, validate

ROOT = Path(__file__).resolve().parents[2]
FENCED = re.compile(r"```graphql\n(.*?)```", re.DOTALL)
IN_CURL = re.compile(r"-d '(\{\"query\".*?\})'")


def documents(readme: str) -> list[str]:
    """The ```graphql blocks and the queries of the curl examples."""
    found = [block.strip() for block in FENCED.findall(readme)]
    found += [json.loads(body)["query"] for body in IN_CURL.findall(readme)]
    return found


def test_the_readme_quotes_graphql() -> None:
    assert len(documents((ROOT / "README.md").read_text())) >= 3


def test_every_quoted_document_is_valid_against_the_schema() -> None:
    schema = build_schema((ROOT / "schema.graphql").read_text())
    for document in documents((ROOT / "README.md").read_text()):
        errors = validate(schema, parse(document))
        assert not errors, f"{document}\n{[e.message for e in errors]}"


def test_an_invalid_document_is_caught() -> None:
    schema = build_schema((ROOT / "schema.graphql").read_text())
    assert validate(schema, parse("{ me { noSuchField } }"))
