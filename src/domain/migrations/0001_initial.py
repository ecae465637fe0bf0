from uuid import uuid4

from tortoise import fields, migrations
from tortoise.fields.base import OnDelete
from tortoise.migrations import operations as ops

from domain.mail.models import MailStatus
from domain.operators.models import LinkPurpose, OperatorRole, OperatorStatus


class Migration(migrations.Migration):
    initial = True

    operations = [
        ops.CreateModel(
            name="Organisation",
            fields=[
                (
                    "id",
                    fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True),
                ),
                ("name", fields.CharField(max_length=100)),
                ("slug", fields.CharField(unique=True, max_length=50)),
                ("timezone", fields.CharField(default="UTC", max_length=64)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={
                "table": "organisation",
                "app": "evcms",
                "pk_attr": "id",
                "table_description": "A tenant; nothing crosses between organisations.",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="ChargingGroup",
            fields=[
                (
                    "id",
                    fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True),
                ),
                (
                    "organisation",
                    fields.ForeignKeyField(
                        "evcms.Organisation",
                        source_field="organisation_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="groups",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                (
                    "parent",
                    fields.ForeignKeyField(
                        "evcms.ChargingGroup",
                        source_field="parent_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="children",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                ("name", fields.CharField(max_length=100)),
                ("path", fields.CharField(db_index=True, max_length=2000)),
                ("version", fields.IntField(default=1)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ("updated_at", fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={
                "table": "charging_group",
                "app": "evcms",
                "unique_together": (("organisation", "path"),),
                "pk_attr": "id",
                "table_description": "A node of an organisation's group tree, with a materialised path.",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="ChargingStation",
            fields=[
                (
                    "id",
                    fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True),
                ),
                (
                    "organisation",
                    fields.ForeignKeyField(
                        "evcms.Organisation",
                        source_field="organisation_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="stations",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                (
                    "group",
                    fields.ForeignKeyField(
                        "evcms.ChargingGroup",
                        source_field="group_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="stations",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                ("name", fields.CharField(max_length=100)),
                ("identifier", fields.CharField(max_length=64)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={
                "table": "charging_station",
                "app": "evcms",
                "pk_attr": "id",
                "table_description": "A physical device. Only what groups need so far; the infrastructure issue adds the rest.",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="Operator",
            fields=[
                (
                    "id",
                    fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True),
                ),
                (
                    "organisation",
                    fields.ForeignKeyField(
                        "evcms.Organisation",
                        source_field="organisation_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="operators",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                (
                    "base_group",
                    fields.ForeignKeyField(
                        "evcms.ChargingGroup",
                        source_field="base_group_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="operators",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                ("username", fields.CharField(unique=True, max_length=64)),
                ("email", fields.CharField(max_length=254)),
                ("first_name", fields.CharField(default="", max_length=100)),
                ("last_name", fields.CharField(default="", max_length=100)),
                (
                    "role",
                    fields.CharEnumField(
                        description="ADMIN: admin\nBASIC: basic",
                        enum_type=OperatorRole,
                        max_length=16,
                    ),
                ),
                (
                    "status",
                    fields.CharEnumField(
                        default=OperatorStatus.INVITED,
                        description="INVITED: invited\nACTIVE: active\nINACTIVE: inactive",
                        enum_type=OperatorStatus,
                        max_length=16,
                    ),
                ),
                ("password_hash", fields.CharField(null=True, max_length=255)),
                ("version", fields.IntField(default=1)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ("updated_at", fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={
                "table": "operator",
                "app": "evcms",
                "pk_attr": "id",
                "table_description": "A person managing the system, confined to the subtree under their base group.",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="OperatorLink",
            fields=[
                (
                    "id",
                    fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True),
                ),
                (
                    "operator",
                    fields.ForeignKeyField(
                        "evcms.Operator",
                        source_field="operator_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="links",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                (
                    "purpose",
                    fields.CharEnumField(
                        description="INVITATION: invitation\nPASSWORD_RESET: password_reset",
                        enum_type=LinkPurpose,
                        max_length=32,
                    ),
                ),
                ("token_hash", fields.CharField(unique=True, max_length=64)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ("expires_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ("used_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={
                "table": "operator_link",
                "app": "evcms",
                "pk_attr": "id",
                "table_description": "A single-use e-mailed link token (invitation or password reset); only its hash is kept.",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="OperatorSession",
            fields=[
                (
                    "id",
                    fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True),
                ),
                (
                    "operator",
                    fields.ForeignKeyField(
                        "evcms.Operator",
                        source_field="operator_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="sessions",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                ("token_hash", fields.CharField(unique=True, max_length=64)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ("expires_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ("revoked_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={
                "table": "operator_session",
                "app": "evcms",
                "pk_attr": "id",
                "table_description": "A login; valid until `expires_at` (at most 2 hours after login) unless revoked.",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="OutboxMessage",
            fields=[
                (
                    "id",
                    fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True),
                ),
                (
                    "organisation",
                    fields.ForeignKeyField(
                        "evcms.Organisation",
                        source_field="organisation_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="mail",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                ("recipient", fields.CharField(max_length=254)),
                ("subject", fields.CharField(max_length=200)),
                ("body", fields.TextField(unique=False)),
                (
                    "status",
                    fields.CharEnumField(
                        default=MailStatus.QUEUED,
                        description="QUEUED: queued\nSENT: sent\nOUTBOX: outbox\nFAILED: failed",
                        enum_type=MailStatus,
                        max_length=16,
                    ),
                ),
                ("attempts", fields.IntField(default=0)),
                ("last_error", fields.TextField(null=True, unique=False)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ("sent_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={
                "table": "outbox_message",
                "app": "evcms",
                "pk_attr": "id",
                "table_description": "Every e-mail the system sends, written in the same transaction as its cause.",
            },
            bases=["Model"],
        ),
    ]
