"""The `evcms` command: help, bootstrap, set-password, export-schema, and the README."""

from __future__ import annotations

import asyncio
import os
import re
import sys
from pathlib import Path

import pytest

from domain.errors import DomainError, ErrorCode
from domain.groups.models import ChargingGroup
from domain.operators.models import Operator, OperatorRole, OperatorStatus
from domain.organisations import service as organisations
from domain.organisations.models import Organisation
from evcms import cli
from evcms.settings import Settings, get_settings
from gql.schema import sdl
from tests.conftest import ROOT, login
from tests.factories import PASSWORD
from tests.gqlclient import GraphQLClient

COMMANDS = (
    "serve",
    "worker",
    "migrate",
    "bootstrap",
    "set-password",
    "export-schema",
    "makemigrations",
    "simulate",
)
PRINTED_PASSWORD = re.compile(r"^  password: (\S+)$", re.MULTILINE)


def evcms_command() -> list[str]:
    """The virtualenv's `evcms` script (or the module when it is not installed as one)."""
    script = Path(sys.executable).with_name("evcms")
    return [str(script)] if script.exists() else [sys.executable, "-m", "evcms.cli"]


async def run_evcms(
    *args: str, database_url: str, cwd: Path, seconds: float = 120
) -> tuple[int, str, str]:
    """Run `evcms ARGS` in a subprocess against `database_url`."""
    env = {k: v for k, v in os.environ.items() if k not in {"REDIS_URL", "SMTP_URL"}}
    env["DATABASE_URL"] = database_url
    process = await asyncio.create_subprocess_exec(
        *evcms_command(),
        *args,
        env=env,
        cwd=cwd,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), seconds)
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


def bootstrap_args(
    slug: str = "voltage", username: str = "volta", *extra: str, organisation: str = "Voltage Ltd"
) -> list[str]:
    return [
        "bootstrap",
        "--organisation",
        organisation,
        "--slug",
        slug,
        "--username",
        username,
        "--email",
        f"{username}@example.com",
        *extra,
    ]


# --- help and in-process commands ----------------------------------------------------------


def test_help_lists_and_explains_every_subcommand(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        cli.main(["--help"])
    assert exited.value.code == 0
    out = capsys.readouterr().out
    for command in COMMANDS:
        line = re.search(rf"^ {{4}}{re.escape(command)}\b(.*)$", out, re.MULTILINE)
        assert line, f"{command} is not in evcms --help:\n{out}"
    for command in COMMANDS:
        with pytest.raises(SystemExit) as exited:
            cli.main([command, "--help"])
        assert exited.value.code == 0
        assert f"usage: evcms {command}" in capsys.readouterr().out


def test_parser_has_exactly_the_documented_subcommands() -> None:
    parser = cli.build_parser()
    actions = [a for a in parser._actions if a.dest == "command"]
    assert set(actions[0].choices or {}) == set(COMMANDS)


def test_without_a_command_prints_help_and_fails(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main([]) == 2
    assert "usage: evcms" in capsys.readouterr().out


def test_export_schema_prints_the_sdl(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["export-schema"]) == 0
    assert capsys.readouterr().out == sdl()


def test_worker_refuses_to_start_without_postgres_and_redis(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)  # no .env
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.delenv("REDIS_URL", raising=False)
    get_settings.cache_clear()
    try:
        assert cli.main(["worker"]) == 2
    finally:
        get_settings.cache_clear()
    err = capsys.readouterr().err
    assert "DATABASE_URL and REDIS_URL" in err


def test_readme_table_lists_every_setting() -> None:
    readme = (ROOT / "README.md").read_text()
    documented = set(re.findall(r"^\| `([A-Z0-9_]+)` \|", readme, re.MULTILINE))
    settings = {name.upper() for name in Settings.model_fields}
    assert not settings - documented, f"settings missing from README: {settings - documented}"
    assert not documented - settings, f"README documents unknown settings: {documented - settings}"


def test_readme_quick_start_has_the_two_commands() -> None:
    readme = (ROOT / "README.md").read_text()
    quick_start = readme.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    commands = re.findall(r"```sh\n(.*?)\n```", quick_start, re.DOTALL)
    assert commands == ["./scripts/serve", "./scripts/test"]
    for script in ("serve", "test"):
        assert os.access(ROOT / "scripts" / script, os.X_OK)


# --- bootstrap ------------------------------------------------------------------------------


async def test_bootstrap_creates_an_organisation_whose_admin_can_log_in(
    client: GraphQLClient, database_url: str, tmp_path: Path
) -> None:
    status, out, err = await run_evcms(*bootstrap_args(), database_url=database_url, cwd=tmp_path)
    assert status == 0, err
    match = PRINTED_PASSWORD.search(out)
    assert match, out
    password = match.group(1)
    assert "login(" in out and "Authorization: Bearer" in out

    organisation = await Organisation.get(slug="voltage")
    assert organisation.name == "Voltage Ltd"
    root = await ChargingGroup.get(organisation_id=organisation.id)
    assert root.parent_id is None and root.path == f"/{root.id}/"
    admin = await Operator.get(username="volta")
    assert admin.organisation_id == organisation.id
    assert admin.base_group_id == root.id
    assert (admin.role, admin.status) == (OperatorRole.ADMIN, OperatorStatus.ACTIVE)

    token = await login(client, "volta", password)
    data = await client.as_token(token)("{ me { username role baseGroup { name } } }")
    assert data["me"] == {
        "username": "volta",
        "role": "ADMIN",
        "baseGroup": {"name": "Voltage Ltd"},
    }


async def test_bootstrap_refuses_an_existing_slug_or_username_and_writes_nothing(
    client: GraphQLClient, database_url: str, tmp_path: Path
) -> None:
    status, out, err = await run_evcms(
        *bootstrap_args("voltage", "volta", "--password", PASSWORD),
        database_url=database_url,
        cwd=tmp_path,
    )
    assert status == 0, err
    assert not PRINTED_PASSWORD.search(out), "a given password must not be printed"

    async def snapshot() -> tuple[list[str], list[str], int]:
        orgs = await Organisation.all().order_by("slug").values_list("slug", flat=True)
        users = await Operator.all().order_by("username").values_list("username", flat=True)
        return list(orgs), list(users), await ChargingGroup.all().count()  # type: ignore[arg-type]

    before = await snapshot()
    assert before == (["voltage"], ["volta"], 1)

    status, _, err = await run_evcms(
        *bootstrap_args("voltage", "someone-else", organisation="Other"),
        database_url=database_url,
        cwd=tmp_path,
    )
    assert status != 0
    assert "already exists" in err and "Nothing was created" in err
    assert await snapshot() == before

    status, _, err = await run_evcms(
        *bootstrap_args("other-org", "VOLTA", organisation="Other"),
        database_url=database_url,
        cwd=tmp_path,
    )
    assert status != 0
    assert "Username already exists." in err
    assert await snapshot() == before

    # The first admin is untouched: the original password still works.
    await login(client, "volta", PASSWORD)


async def test_set_password_prints_a_new_password_and_ends_sessions(
    client: GraphQLClient, database_url: str, tmp_path: Path
) -> None:
    status, _, err = await run_evcms(
        *bootstrap_args("voltage", "volta", "--password", PASSWORD),
        database_url=database_url,
        cwd=tmp_path,
    )
    assert status == 0, err
    old_session = client.as_token(await login(client, "volta", PASSWORD))

    status, out, err = await run_evcms(
        "set-password", "volta", database_url=database_url, cwd=tmp_path
    )
    assert status == 0, err
    match = PRINTED_PASSWORD.search(out)
    assert match, out
    await login(client, "volta", match.group(1))
    assert (await old_session.raw("{ me { username } }"))["data"]["me"] is None

    status, _, err = await run_evcms(
        "set-password", "nobody", database_url=database_url, cwd=tmp_path
    )
    assert status != 0 and "Operator not found." in err


@pytest.mark.parametrize("slug", ["", "Upper", "under_score", "sp ace", "x" * 51, "ä"])
async def test_bootstrap_service_refuses_a_bad_slug(client: GraphQLClient, slug: str) -> None:
    with pytest.raises(DomainError) as refused:
        await organisations.bootstrap(
            name="Org", slug=slug, username="someone", email="a@example.com", password=PASSWORD
        )
    assert (refused.value.code, refused.value.field) == (ErrorCode.INVALID_INPUT, "slug")
    assert not await Organisation.exists()


async def test_bootstrap_service_checks_everything_before_writing(client: GraphQLClient) -> None:
    with pytest.raises(DomainError) as refused:
        await organisations.bootstrap(
            name="Org", slug="org", username="someone", email="a@example.com", password="weak"
        )
    assert refused.value.code == ErrorCode.PASSWORD_POLICY
    with pytest.raises(DomainError) as refused:
        await organisations.bootstrap(
            name="Org", slug="org", username="someone", email="no-at-sign", password=PASSWORD
        )
    assert refused.value.code == ErrorCode.INVALID_EMAIL
    assert not await Organisation.exists()
