from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from domain.commands.models import CommandState
from domain.charging.models import SessionState
from json import dumps, loads
from tortoise.fields.base import OnDelete
from uuid import uuid4
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('evcms', '0003_ocpp_events')]

    initial = False

    operations = [
        ops.CreateModel(
            name='ConfigurationKey',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('station', fields.ForeignKeyField('evcms.ChargingStation', source_field='station_id', db_constraint=True, to_field='id', related_name='configuration', on_delete=OnDelete.CASCADE)),
                ('key', fields.CharField(max_length=50)),
                ('value', fields.CharField(null=True, max_length=500)),
                ('readonly', fields.BooleanField(default=False)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'configuration_key', 'app': 'evcms', 'unique_together': (('station', 'key'),), 'pk_attr': 'id', 'table_description': 'A configuration key as the station last reported it (GetConfiguration).'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='RemoteCommand',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('organisation', fields.ForeignKeyField('evcms.Organisation', source_field='organisation_id', db_constraint=True, to_field='id', related_name='remote_commands', on_delete=OnDelete.CASCADE)),
                ('station', fields.ForeignKeyField('evcms.ChargingStation', source_field='station_id', db_constraint=True, to_field='id', related_name='remote_commands', on_delete=OnDelete.CASCADE)),
                ('operator', fields.ForeignKeyField('evcms.Operator', source_field='operator_id', null=True, db_constraint=True, to_field='id', related_name='remote_commands', on_delete=OnDelete.SET_NULL)),
                ('issued_by', fields.CharField(max_length=100)),
                ('action', fields.CharField(max_length=64)),
                ('payload', fields.JSONField(default=dict, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('state', fields.CharEnumField(default=CommandState.QUEUED, description='QUEUED: queued\nSENT: sent\nACCEPTED: accepted\nREJECTED: rejected\nFAILED: failed\nTIMED_OUT: timed_out', enum_type=CommandState, max_length=16)),
                ('response', fields.JSONField(null=True, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('error', fields.TextField(null=True, unique=False)),
                ('created_at', fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=True)),
                ('sent_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('completed_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'remote_command', 'app': 'evcms', 'pk_attr': 'id', 'table_description': "An operator's or a schedule's command to a station, with its outcome."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='ChargingSession',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('organisation', fields.ForeignKeyField('evcms.Organisation', source_field='organisation_id', db_constraint=True, to_field='id', related_name='charging_sessions', on_delete=OnDelete.RESTRICT)),
                ('station', fields.ForeignKeyField('evcms.ChargingStation', source_field='station_id', db_constraint=True, to_field='id', related_name='charging_sessions', on_delete=OnDelete.RESTRICT)),
                ('point', fields.ForeignKeyField('evcms.ChargingPoint', source_field='point_id', null=True, db_constraint=True, to_field='id', related_name='charging_sessions', on_delete=OnDelete.SET_NULL)),
                ('connector_id', fields.IntField()),
                ('transaction_id', fields.BigIntField(unique=True)),
                ('start_key', fields.CharField(unique=True, max_length=200)),
                ('token_uid', fields.CharField(max_length=36)),
                ('user', fields.ForeignKeyField('evcms.ChargingUser', source_field='user_id', null=True, db_constraint=True, to_field='id', related_name='charging_sessions', on_delete=OnDelete.RESTRICT)),
                ('authorization_status', fields.CharField(max_length=32)),
                ('state', fields.CharEnumField(default=SessionState.ACTIVE, description='ACTIVE: active\nCOMPLETED: completed\nCLOSED: closed', enum_type=SessionState, max_length=16)),
                ('meter_start_wh', fields.BigIntField()),
                ('meter_stop_wh', fields.BigIntField(null=True)),
                ('energy_wh', fields.BigIntField(null=True)),
                ('started_at', fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=False)),
                ('stopped_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('stop_reason', fields.CharField(null=True, max_length=64)),
                ('stop_token_uid', fields.CharField(null=True, max_length=36)),
                ('cost', fields.DecimalField(null=True, max_digits=12, decimal_places=2)),
                ('currency', fields.CharField(null=True, max_length=3)),
                ('price_reason', fields.CharField(null=True, max_length=64)),
                ('tariff_snapshot', fields.JSONField(null=True, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('remote_command', fields.ForeignKeyField('evcms.RemoteCommand', source_field='remote_command_id', null=True, db_constraint=True, to_field='id', related_name='started_sessions', on_delete=OnDelete.SET_NULL)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'charging_session', 'app': 'evcms', 'pk_attr': 'id', 'table_description': 'One OCPP transaction with its priced cost; the tariff is snapshotted when priced.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='MeterSample',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('station', fields.ForeignKeyField('evcms.ChargingStation', source_field='station_id', db_constraint=True, to_field='id', related_name='meter_samples', on_delete=OnDelete.CASCADE)),
                ('session', fields.ForeignKeyField('evcms.ChargingSession', source_field='session_id', null=True, db_constraint=True, to_field='id', related_name='samples', on_delete=OnDelete.CASCADE)),
                ('connector_id', fields.IntField()),
                ('sampled_at', fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=False)),
                ('measurand', fields.CharField(max_length=64)),
                ('value', fields.DecimalField(max_digits=20, decimal_places=6)),
                ('unit', fields.CharField(default='', max_length=16)),
                ('context', fields.CharField(default='', max_length=32)),
                ('phase', fields.CharField(default='', max_length=8)),
                ('location', fields.CharField(default='', max_length=16)),
                ('received_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'meter_sample', 'app': 'evcms', 'pk_attr': 'id', 'table_description': 'One sampled value as the station sent it (MeterValues or transactionData).'},
            bases=['Model'],
        ),
        # OCPP 1.6 transaction ids are integers handed out by the CSMS (domain.charging.service).
        ops.RunSQL(
            "CREATE SEQUENCE IF NOT EXISTS ocpp_transaction_id_seq START 1",
            reverse_sql="DROP SEQUENCE IF EXISTS ocpp_transaction_id_seq",
        ),
    ]
