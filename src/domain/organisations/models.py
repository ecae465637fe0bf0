from __future__ import annotations

from tortoise import fields
from tortoise.models import Model


class Organisation(Model):
    """A tenant; nothing crosses between organisations."""

    id = fields.UUIDField(primary_key=True)
    name = fields.CharField(max_length=100)
    # Path segment of station URLs: /ocpp/{slug}/{identifier}
    slug = fields.CharField(max_length=50, unique=True)
    timezone = fields.CharField(max_length=64, default="UTC")
    # Stations without an OCPP password may connect (security profile 0). Off: refused.
    allow_unauthenticated_stations = fields.BooleanField(default=False)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "organisation"
