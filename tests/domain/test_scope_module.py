"""Tenant scope lives in one package: no module of the domain outside `domain/scope/` filters
rows by organisation or by group path, or decides "based at the root group" itself.

The check reads the source with `ast`: a call of `.filter`, `.get_or_none`, `.get`,
`.exclude` or `Q` with a keyword naming the organisation (`organisation_id`,
`organisation__id`, `user__organisation_id`, ...) or a path prefix (`...path__startswith`),
and any `base_path.count(...)` or `....startswith(...base_path)`, is a leak.
Organisation-internal lookups (what a station knows, organisation-wide uniqueness checks)
go through `scope.organisation_rows`, so that every such filter can be found in one place.
"""

from __future__ import annotations

import ast
import re
import uuid
from pathlib import Path

from tenancy.actor import Actor, ActorKind

DOMAIN = Path(__file__).resolve().parents[2] / "src" / "domain"
SCOPE = DOMAIN / "scope"

QUERY_METHODS = {"filter", "get_or_none", "get", "exclude"}
SCOPE_KEYWORD = re.compile(r"(^|__)organisation(_id|__id)$|path__startswith")

# Modules (relative to src/domain) allowed to filter by organisation or path themselves,
# each with the reason. Keep it empty: add a helper to domain/scope instead.
ALLOWED: dict[str, str] = {}


def _callee(node: ast.Call) -> str | None:
    if isinstance(node.func, ast.Attribute):
        return node.func.attr
    if isinstance(node.func, ast.Name):
        return node.func.id
    return None


def _names_base_path(node: ast.AST) -> bool:
    return any(isinstance(n, ast.Attribute) and n.attr == "base_path" for n in ast.walk(node))


def leaks(source: str) -> list[str]:
    """The scope filters written in `source`, as "line: what"."""
    found: list[str] = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call):
            continue
        callee = _callee(node)
        if callee in QUERY_METHODS or callee == "Q":
            for keyword in node.keywords:
                if keyword.arg is not None and SCOPE_KEYWORD.search(keyword.arg):
                    found.append(f"{node.lineno}: {callee}({keyword.arg}=...)")
        func = node.func
        if isinstance(func, ast.Attribute):
            if func.attr == "count" and _names_base_path(func.value):
                found.append(f"{node.lineno}: base_path.count(...)")
            if func.attr == "startswith" and any(_names_base_path(a) for a in node.args):
                found.append(f"{node.lineno}: startswith(base_path)")
    return found


def _modules() -> list[Path]:
    return sorted(p for p in DOMAIN.rglob("*.py") if SCOPE not in p.parents)


def test_no_module_outside_scope_filters_by_organisation_or_path() -> None:
    offenders = {}
    for path in _modules():
        name = str(path.relative_to(DOMAIN))
        found = leaks(path.read_text())
        if found and name not in ALLOWED:
            offenders[name] = found
    assert offenders == {}, (
        f"scope filters outside domain/scope (move them into a domain/scope helper): {offenders}"
    )


def test_allow_list_is_not_stale() -> None:
    for name in ALLOWED:
        assert leaks((DOMAIN / name).read_text()), f"{name} no longer needs its allowance"


def test_the_check_finds_leaks() -> None:
    assert leaks("Station.filter(organisation_id=org)")
    assert leaks("Token.filter(user__organisation_id=org, deleted_at=None)")
    assert leaks("q.get_or_none(id=1, organisation__id=org)")
    assert leaks("q.exclude(group__path__startswith=p)")
    assert leaks("Q(station__group__path__startswith=p)")
    assert leaks("ok = principal.base_path.count('/') == 2")
    assert leaks("hidden = not g.path.startswith(principal.base_path)")
    assert not leaks("Station.create(organisation_id=org, name='x')")
    assert not leaks("organisation_rows(Station, org).filter(identifier=i)")


def test_the_scope_package_is_where_the_filters_are() -> None:
    assert any(leaks(p.read_text()) for p in SCOPE.rglob("*.py"))


def test_actor_at_root() -> None:
    root = uuid.uuid4()
    org = uuid.uuid4()

    def actor(path: str) -> Actor:
        return Actor(kind=ActorKind.OPERATOR, organisation_id=org, role="basic", base_path=path)

    assert actor(f"/{root}/").at_root
    assert not actor(f"/{root}/{uuid.uuid4()}/").at_root
    assert not actor("").at_root
