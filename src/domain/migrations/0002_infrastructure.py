from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from domain.groups.models import AccessPolicy
from domain.history.models import RecordOutcome
from domain.pricing.models import ExceptionKind
from domain.stations.models import PowerType, SocketFormat, SocketType, StationState
from domain.users.models import TokenStatus
from json import dumps, loads
from tortoise.fields.base import OnDelete
from uuid import uuid4
from tortoise import fields
from tortoise.migrations.constraints import UniqueConstraint

class Migration(migrations.Migration):
    dependencies = [('evcms', '0001_initial')]

    initial = False

    operations = [
        ops.CreateModel(
            name='ChargingPoint',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('station', fields.ForeignKeyField('evcms.ChargingStation', source_field='station_id', db_constraint=True, to_field='id', related_name='points', on_delete=OnDelete.CASCADE)),
                ('number', fields.IntField()),
                ('evse_id', fields.CharField(null=True, unique=True, max_length=48)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'charging_point', 'app': 'evcms', 'unique_together': (('station', 'number'),), 'pk_attr': 'id', 'table_description': 'One charging position of a station (OCPP 1.6 connectorId, 2.0.1 EVSE), from 1.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='EvseId',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('organisation', fields.ForeignKeyField('evcms.Organisation', source_field='organisation_id', db_constraint=True, to_field='id', related_name='evse_ids', on_delete=OnDelete.CASCADE)),
                ('value', fields.CharField(unique=True, max_length=48)),
                ('point', fields.ForeignKeyField('evcms.ChargingPoint', source_field='point_id', null=True, db_constraint=True, to_field='id', related_name='pooled_evse_id', on_delete=OnDelete.SET_NULL)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'evse_id', 'app': 'evcms', 'pk_attr': 'id', 'table_description': "An EVSE id of the organisation's pool (eMI3 form, e.g. FI*ABC*E000123)."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='ManagementRecord',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('organisation', fields.ForeignKeyField('evcms.Organisation', source_field='organisation_id', db_constraint=True, to_field='id', related_name='management_records', on_delete=OnDelete.CASCADE)),
                ('operator', fields.ForeignKeyField('evcms.Operator', source_field='operator_id', null=True, db_constraint=True, to_field='id', related_name='management_records', on_delete=OnDelete.SET_NULL)),
                ('actor_name', fields.CharField(max_length=100)),
                ('action', fields.CharField(max_length=64)),
                ('summary', fields.TextField(unique=False)),
                ('details', fields.JSONField(default=dict, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('station_ids', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('outcome', fields.CharEnumField(description='SUCCEEDED: succeeded\nPARTIAL: partial\nFAILED: failed', enum_type=RecordOutcome, max_length=16)),
                ('created_at', fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'management_record', 'app': 'evcms', 'pk_attr': 'id', 'table_description': 'The management history: who did what, when, on which stations, with what outcome.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Socket',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('point', fields.ForeignKeyField('evcms.ChargingPoint', source_field='point_id', db_constraint=True, to_field='id', related_name='sockets', on_delete=OnDelete.CASCADE)),
                ('number', fields.IntField()),
                ('type', fields.CharEnumField(description='TYPE_1: type_1\nTYPE_2: type_2\nTYPE_3: type_3\nSCHUKO: schuko\nCHADEMO: chademo\nCCS1: ccs1\nCCS2: ccs2\nGBT_AC: gbt_ac\nGBT_DC: gbt_dc\nTESLA: tesla\nNACS: nacs\nCEE_BLUE: cee_blue\nCEE_RED: cee_red\nOTHER: other', enum_type=SocketType, max_length=16)),
                ('format', fields.CharEnumField(default=SocketFormat.SOCKET, description='SOCKET: socket\nCABLE: cable', enum_type=SocketFormat, max_length=16)),
                ('power_type', fields.CharEnumField(description='AC_1_PHASE: ac_1_phase\nAC_3_PHASE: ac_3_phase\nDC: dc', enum_type=PowerType, max_length=16)),
                ('max_power_kw', fields.DecimalField(max_digits=7, decimal_places=2)),
                ('max_voltage', fields.IntField()),
                ('max_amperage', fields.IntField()),
            ],
            options={'table': 'socket', 'app': 'evcms', 'unique_together': (('point', 'number'),), 'pk_attr': 'id', 'table_description': 'A physical outlet or cable of a charging point; at most 4 per point.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Tariff',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('organisation', fields.ForeignKeyField('evcms.Organisation', source_field='organisation_id', db_constraint=True, to_field='id', related_name='tariffs', on_delete=OnDelete.RESTRICT)),
                ('group', fields.ForeignKeyField('evcms.ChargingGroup', source_field='group_id', db_constraint=True, to_field='id', related_name='owned_tariffs', on_delete=OnDelete.RESTRICT)),
                ('name', fields.CharField(max_length=100)),
                ('price_per_kwh', fields.DecimalField(default=0, max_digits=12, decimal_places=4)),
                ('price_per_session', fields.DecimalField(default=0, max_digits=12, decimal_places=4)),
                ('price_per_hour', fields.DecimalField(default=0, max_digits=12, decimal_places=4)),
                ('vat_rate', fields.DecimalField(default=0, max_digits=5, decimal_places=2)),
                ('currency', fields.CharField(default='EUR', max_length=3)),
                ('prices_include_vat', fields.BooleanField(default=False)),
                ('version', fields.IntField(default=1)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'tariff', 'app': 'evcms', 'pk_attr': 'id', 'table_description': 'Prices per kWh, per session and per hour, with VAT rate and currency.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='UserGroup',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('organisation', fields.ForeignKeyField('evcms.Organisation', source_field='organisation_id', db_constraint=True, to_field='id', related_name='user_groups', on_delete=OnDelete.RESTRICT)),
                ('group', fields.ForeignKeyField('evcms.ChargingGroup', source_field='group_id', db_constraint=True, to_field='id', related_name='user_groups', on_delete=OnDelete.RESTRICT)),
                ('name', fields.CharField(max_length=100)),
                ('active', fields.BooleanField(default=True)),
                ('ac_tariff', fields.ForeignKeyField('evcms.Tariff', source_field='ac_tariff_id', null=True, db_constraint=True, to_field='id', related_name='ac_user_groups', on_delete=OnDelete.RESTRICT)),
                ('dc_tariff', fields.ForeignKeyField('evcms.Tariff', source_field='dc_tariff_id', null=True, db_constraint=True, to_field='id', related_name='dc_user_groups', on_delete=OnDelete.RESTRICT)),
                ('version', fields.IntField(default=1)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'user_group', 'app': 'evcms', 'pk_attr': 'id', 'table_description': "A charging user group (seed 000's driver group): members, active flag, group fees."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='ChargingUser',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('organisation', fields.ForeignKeyField('evcms.Organisation', source_field='organisation_id', db_constraint=True, to_field='id', related_name='charging_users', on_delete=OnDelete.RESTRICT)),
                ('group', fields.ForeignKeyField('evcms.ChargingGroup', source_field='group_id', db_constraint=True, to_field='id', related_name='charging_users', on_delete=OnDelete.RESTRICT)),
                ('user_group', fields.ForeignKeyField('evcms.UserGroup', source_field='user_group_id', null=True, db_constraint=True, to_field='id', related_name='members', on_delete=OnDelete.SET_NULL)),
                ('first_name', fields.CharField(default='', max_length=100)),
                ('last_name', fields.CharField(default='', max_length=100)),
                ('email', fields.CharField(max_length=254)),
                ('email_key', fields.CharField(max_length=254)),
                ('active', fields.BooleanField(default=True)),
                ('confirmed_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('version', fields.IntField(default=1)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('removed_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'charging_user', 'app': 'evcms', 'pk_attr': 'id', 'table_description': 'A driver. Removing one keeps the row (and the charging history) with `removed_at`.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='AccessRight',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('user', fields.ForeignKeyField('evcms.ChargingUser', source_field='user_id', db_constraint=True, to_field='id', related_name='access_rights', on_delete=OnDelete.CASCADE)),
                ('group', fields.ForeignKeyField('evcms.ChargingGroup', source_field='group_id', null=True, db_constraint=True, to_field='id', related_name='access_rights', on_delete=OnDelete.CASCADE)),
                ('station', fields.ForeignKeyField('evcms.ChargingStation', source_field='station_id', null=True, db_constraint=True, to_field='id', related_name='access_rights', on_delete=OnDelete.CASCADE)),
            ],
            options={'table': 'access_right', 'app': 'evcms', 'pk_attr': 'id', 'table_description': 'A user may charge at every station below `group`, or at `station`.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='DriverInvitation',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('user', fields.ForeignKeyField('evcms.ChargingUser', source_field='user_id', db_constraint=True, to_field='id', related_name='invitations', on_delete=OnDelete.CASCADE)),
                ('token_hash', fields.CharField(unique=True, max_length=64)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('expires_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('accepted_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'driver_invitation', 'app': 'evcms', 'pk_attr': 'id', 'table_description': 'An e-mail invitation for a driver to confirm their account (seed 000).'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='PriceException',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('user', fields.ForeignKeyField('evcms.ChargingUser', source_field='user_id', db_constraint=True, to_field='id', related_name='price_exceptions', on_delete=OnDelete.CASCADE)),
                ('group', fields.ForeignKeyField('evcms.ChargingGroup', source_field='group_id', null=True, db_constraint=True, to_field='id', related_name='price_exceptions', on_delete=OnDelete.CASCADE)),
                ('station', fields.ForeignKeyField('evcms.ChargingStation', source_field='station_id', null=True, db_constraint=True, to_field='id', related_name='price_exceptions', on_delete=OnDelete.CASCADE)),
                ('kind', fields.CharEnumField(description='FREE: free\nTARIFF: tariff', enum_type=ExceptionKind, max_length=16)),
                ('tariff', fields.ForeignKeyField('evcms.Tariff', source_field='tariff_id', null=True, db_constraint=True, to_field='id', related_name='price_exceptions', on_delete=OnDelete.RESTRICT)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'price_exception', 'app': 'evcms', 'pk_attr': 'id', 'table_description': 'A customer exception (seed 002): a user charges free or at a tariff on a group/station.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Token',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('organisation', fields.ForeignKeyField('evcms.Organisation', source_field='organisation_id', db_constraint=True, to_field='id', related_name='tokens', on_delete=OnDelete.RESTRICT)),
                ('user', fields.ForeignKeyField('evcms.ChargingUser', source_field='user_id', db_constraint=True, to_field='id', related_name='tokens', on_delete=OnDelete.RESTRICT)),
                ('uid', fields.CharField(max_length=36)),
                ('uid_key', fields.CharField(max_length=36)),
                ('name', fields.CharField(default='', max_length=100)),
                ('status', fields.CharEnumField(default=TokenStatus.ACTIVE, description='ACTIVE: active\nINACTIVE: inactive\nBLOCKED: blocked', enum_type=TokenStatus, max_length=16)),
                ('valid_from', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('valid_to', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('deleted_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'token', 'app': 'evcms', 'pk_attr': 'id', 'table_description': 'An RFID token (OCPP idTag) of a charging user; its id is never edited.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='UserGroupApplication',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('user_group', fields.ForeignKeyField('evcms.UserGroup', source_field='user_group_id', db_constraint=True, to_field='id', related_name='applications', on_delete=OnDelete.CASCADE)),
                ('station', fields.ForeignKeyField('evcms.ChargingStation', source_field='station_id', db_constraint=True, to_field='id', related_name='user_group_applications', on_delete=OnDelete.CASCADE)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'user_group_application', 'app': 'evcms', 'unique_together': (('user_group', 'station'),), 'pk_attr': 'id', 'table_description': "A user group applied to a station: its members' access and group fees hold there."},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='ChargingGroup',
            name='access_policy',
            field=fields.CharEnumField(null=True, description='OPEN: open\nRESTRICTED: restricted', enum_type=AccessPolicy, max_length=16),
        ),
        ops.AddField(
            model_name='ChargingGroup',
            name='allow_roaming',
            field=fields.BooleanField(null=True),
        ),
        ops.AddField(
            model_name='ChargingGroup',
            name='tariff',
            field=fields.ForeignKeyField('evcms.Tariff', source_field='tariff_id', null=True, db_constraint=True, to_field='id', related_name='groups', on_delete=OnDelete.RESTRICT),
        ),
        ops.AlterModelOptions(
            name='ChargingStation',
            options={'table': 'charging_station', 'app': 'evcms', 'constraints': [UniqueConstraint(fields=('organisation_id', 'identifier'), name='uq_station_identifier_live', condition="state <> 'orphan'")], 'pk_attr': 'id', 'table_description': 'A physical device, linked to the real one by its immutable identifier.'},
        ),
        ops.AddField(
            model_name='ChargingStation',
            name='access_policy',
            field=fields.CharEnumField(null=True, description='OPEN: open\nRESTRICTED: restricted', enum_type=AccessPolicy, max_length=16),
        ),
        ops.AddField(
            model_name='ChargingStation',
            name='address',
            field=fields.CharField(default='', max_length=300),
        ),
        ops.AddField(
            model_name='ChargingStation',
            name='allow_roaming',
            field=fields.BooleanField(default=False),
        ),
        ops.AddField(
            model_name='ChargingStation',
            name='deleted_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='ChargingStation',
            name='disabled',
            field=fields.BooleanField(default=False),
        ),
        ops.AddField(
            model_name='ChargingStation',
            name='firmware_version',
            field=fields.CharField(default='', max_length=50),
        ),
        ops.AddField(
            model_name='ChargingStation',
            name='free_charging',
            field=fields.BooleanField(default=False),
        ),
        ops.AddField(
            model_name='ChargingStation',
            name='last_seen_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='ChargingStation',
            name='latitude',
            field=fields.DecimalField(null=True, max_digits=9, decimal_places=6),
        ),
        ops.AddField(
            model_name='ChargingStation',
            name='longitude',
            field=fields.DecimalField(null=True, max_digits=9, decimal_places=6),
        ),
        ops.AddField(
            model_name='ChargingStation',
            name='model',
            field=fields.CharField(default='', max_length=50),
        ),
        ops.AddField(
            model_name='ChargingStation',
            name='ocpp_password_hash',
            field=fields.CharField(null=True, max_length=255),
        ),
        ops.AddField(
            model_name='ChargingStation',
            name='owner_account',
            field=fields.CharField(default='', max_length=100),
        ),
        ops.AddField(
            model_name='ChargingStation',
            name='serial_number',
            field=fields.CharField(default='', max_length=50),
        ),
        ops.AddField(
            model_name='ChargingStation',
            name='state',
            field=fields.CharEnumField(default=StationState.ACTIVE, description='ACTIVE: active\nDISCOVERED: discovered\nORPHAN: orphan', enum_type=StationState, max_length=16),
        ),
        ops.AddField(
            model_name='ChargingStation',
            name='tariff',
            field=fields.ForeignKeyField('evcms.Tariff', source_field='tariff_id', null=True, db_constraint=True, to_field='id', related_name='stations', on_delete=OnDelete.RESTRICT),
        ),
        ops.AddField(
            model_name='ChargingStation',
            name='updated_at',
            field=fields.DatetimeField(auto_now=True, auto_now_add=False),
        ),
        ops.AddField(
            model_name='ChargingStation',
            name='vendor',
            field=fields.CharField(default='', max_length=50),
        ),
        ops.AddField(
            model_name='ChargingStation',
            name='version',
            field=fields.IntField(default=1),
        ),
        ops.AddConstraint(
            model_name='ChargingStation',
            constraint=UniqueConstraint(fields=('organisation_id', 'identifier'), name='uq_station_identifier_live', condition="state <> 'orphan'"),
        ),
        # Tortoise 1.1 does not create constraints given in CreateModel options: add them here.
        ops.AddConstraint(
            model_name='ChargingUser',
            constraint=UniqueConstraint(fields=('organisation_id', 'email_key'), name='uq_charging_user_email_live', condition='removed_at IS NULL'),
        ),
        ops.AddConstraint(
            model_name='Token',
            constraint=UniqueConstraint(fields=('organisation_id', 'uid_key'), name='uq_token_uid_live', condition='deleted_at IS NULL'),
        ),
    ]
