"""Every setting has one name, read from the environment (and an optional `.env`)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit, urlunsplit

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

SECRET_FIELDS = {"database_url", "redis_url", "smtp_url"}


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    environment: Literal["development", "production"] = Field(
        "development", description="production turns off GraphiQL and introspection"
    )
    database_url: str | None = Field(
        None, description="postgres://user:pass@host:5432/db; unset starts an embedded PostgreSQL"
    )
    redis_url: str | None = Field(
        None,
        description="redis://host:6379/0; unset starts an embedded Redis and in-process worker",
    )
    smtp_url: str | None = Field(
        None,
        description="smtp://user:pass@host:587?starttls=true; unset keeps mail in the outbox",
    )
    mail_from: str = Field("evcms <no-reply@localhost>", description="sender of every e-mail")
    public_url: str = Field(
        "http://127.0.0.1:8000", description="base URL used in links sent by e-mail"
    )
    data_dir: Path = Field(Path("var"), description="where embedded services keep their data")
    graphql_introspection: bool | None = Field(
        None, description="allow schema introspection (default: on unless production)"
    )
    graphql_max_depth: int = Field(12, description="deepest allowed query")
    graphql_max_tokens: int = Field(4000, description="most tokens in one query document")
    graphql_max_aliases: int = Field(30, description="most aliases in one query document")
    graphql_max_body_bytes: int = Field(
        2_000_000, ge=10_000, description="largest request body /graphql accepts (413 past it)"
    )
    session_ttl_minutes: int = Field(
        120, ge=1, le=120, description="login lifetime; never more than 2 hours"
    )
    login_max_failures: int = Field(5, ge=1, description="failed login attempts before throttling")
    login_lockout_seconds: int = Field(900, ge=1, description="throttle window per username")
    log_level: str = Field("INFO", description="logging level")
    node_name: str | None = Field(
        None, description="this server node's name in the cluster (default: host-pid-random)"
    )
    node_lease_seconds: float = Field(
        15, ge=0.5, le=300, description="how soon other nodes notice this node has stopped"
    )
    ocpp_command_timeout_seconds: float = Field(
        30, gt=0, le=600, description="how long a remote command waits for the station"
    )
    ocpp_max_frame_bytes: int = Field(
        1_000_000, ge=65_536, description="largest websocket frame a station may send"
    )

    @property
    def introspection_enabled(self) -> bool:
        if self.graphql_introspection is not None:
            return self.graphql_introspection
        return self.environment != "production"

    def masked(self) -> dict[str, str]:
        """All settings as environment names and printable values, secrets masked."""
        out: dict[str, str] = {}
        for name in type(self).model_fields:
            value = getattr(self, name)
            text = "" if value is None else str(value)
            if name in SECRET_FIELDS and value:
                text = mask_url(text)
            out[name.upper()] = text
        return out


def mask_url(url: str) -> str:
    """Hide the password of a URL."""
    parts = urlsplit(url)
    if parts.password:
        netloc = parts.netloc.replace(f":{parts.password}@", ":***@")
        return urlunsplit(parts._replace(netloc=netloc))
    return url


@lru_cache
def get_settings() -> Settings:
    return Settings()
