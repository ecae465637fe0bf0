from tortoise import migrations
from tortoise.migrations import operations as ops
from domain.commands.models import ApplicationStatus
from domain.events.models import EventKind
from tortoise.fields.base import OnDelete
from uuid import uuid4
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('evcms', '0004_ocpp_sessions_commands')]

    initial = False

    operations = [
        ops.CreateModel(
            name='ConfigurationApplication',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('station', fields.ForeignKeyField('evcms.ChargingStation', source_field='station_id', db_constraint=True, to_field='id', related_name='configuration_applications', on_delete=OnDelete.CASCADE)),
                ('key', fields.CharField(max_length=50)),
                ('value', fields.CharField(max_length=500)),
                ('status', fields.CharEnumField(description='PENDING: pending\nAPPLIED: applied\nREBOOT_REQUIRED: reboot_required\nFAILED: failed', enum_type=ApplicationStatus, max_length=16)),
                ('detail', fields.CharField(default='', max_length=200)),
                ('command', fields.ForeignKeyField('evcms.RemoteCommand', source_field='command_id', null=True, db_constraint=True, to_field='id', related_name='configuration_applications', on_delete=OnDelete.SET_NULL)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'configuration_application', 'app': 'evcms', 'unique_together': (('station', 'key'),), 'pk_attr': 'id', 'table_description': 'Where applying one required key to one station stands (auto configuration).'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='ConfigurationRequirement',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('organisation', fields.ForeignKeyField('evcms.Organisation', source_field='organisation_id', db_constraint=True, to_field='id', related_name='configuration_requirements', on_delete=OnDelete.CASCADE)),
                ('key', fields.CharField(max_length=50)),
                ('value', fields.CharField(max_length=500)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'configuration_requirement', 'app': 'evcms', 'unique_together': (('organisation', 'key'),), 'pk_attr': 'id', 'table_description': "A configuration key and value the organisation requires of its stations (seed 004's"},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='DataTransferRecord',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('station', fields.ForeignKeyField('evcms.ChargingStation', source_field='station_id', db_constraint=True, to_field='id', related_name='data_transfers', on_delete=OnDelete.CASCADE)),
                ('vendor_id', fields.CharField(max_length=255)),
                ('message_id', fields.CharField(null=True, max_length=50)),
                ('data', fields.TextField(null=True, unique=False)),
                ('status', fields.CharField(max_length=32)),
                ('received_at', fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'data_transfer', 'app': 'evcms', 'pk_attr': 'id', 'table_description': 'A DataTransfer a station sent, with how it was answered.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='LocalListEntry',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('station', fields.ForeignKeyField('evcms.ChargingStation', source_field='station_id', db_constraint=True, to_field='id', related_name='local_list', on_delete=OnDelete.CASCADE)),
                ('id_tag', fields.CharField(max_length=20)),
                ('status', fields.CharField(max_length=32)),
                ('expiry_date', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('parent_id_tag', fields.CharField(null=True, max_length=20)),
            ],
            options={'table': 'local_list_entry', 'app': 'evcms', 'unique_together': (('station', 'id_tag'),), 'pk_attr': 'id', 'table_description': 'One idTag of the local authorization list as the station holds it after the last'},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='ChargingStation',
            name='connected_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='ChargingStation',
            name='connected_node',
            field=fields.CharField(null=True, max_length=64),
        ),
        ops.AddField(
            model_name='ChargingStation',
            name='diagnostics_status',
            field=fields.CharField(default='', max_length=32),
        ),
        ops.AddField(
            model_name='ChargingStation',
            name='firmware_status',
            field=fields.CharField(default='', max_length=32),
        ),
        ops.AddField(
            model_name='ChargingStation',
            name='local_list_version',
            field=fields.IntField(default=0),
        ),
        ops.AddField(
            model_name='Organisation',
            name='allow_unauthenticated_stations',
            field=fields.BooleanField(default=False),
        ),
        ops.AddField(
            model_name='RemoteCommand',
            name='node',
            field=fields.CharField(null=True, max_length=64),
        ),
        ops.AddField(
            model_name='RemoteCommand',
            name='progress',
            field=fields.CharField(null=True, max_length=32),
        ),
        ops.AddField(
            model_name='RemoteCommand',
            name='progress_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='StationEvent',
            name='kind',
            field=fields.CharEnumField(default=EventKind.STATUS, description='STATUS: status\nFIRMWARE: firmware\nDIAGNOSTICS: diagnostics', enum_type=EventKind, max_length=16),
        ),
        ops.AddIndex(
            model_name='StationEvent',
            index=Index(fields=['station_id', 'occurred_at']),
        ),
    ]
