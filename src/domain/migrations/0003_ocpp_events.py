from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from uuid import uuid4
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('evcms', '0002_infrastructure')]

    initial = False

    operations = [
        ops.CreateModel(
            name='PointStatus',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('point', fields.OneToOneField('evcms.ChargingPoint', source_field='point_id', db_constraint=True, to_field='id', related_name='live_status', on_delete=OnDelete.CASCADE)),
                ('status', fields.CharField(max_length=32)),
                ('error_code', fields.CharField(max_length=32)),
                ('updated_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'point_status', 'app': 'evcms', 'pk_attr': 'id', 'table_description': 'The latest status a charging point reported (the newest by its own timestamp).'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='StationEvent',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('station', fields.ForeignKeyField('evcms.ChargingStation', source_field='station_id', db_constraint=True, to_field='id', related_name='events', on_delete=OnDelete.CASCADE)),
                ('connector_id', fields.IntField()),
                ('status', fields.CharField(max_length=32)),
                ('error_code', fields.CharField(max_length=32)),
                ('info', fields.CharField(default='', max_length=50)),
                ('vendor_id', fields.CharField(default='', max_length=255)),
                ('vendor_error_code', fields.CharField(default='', max_length=50)),
                ('occurred_at', fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=False)),
                ('received_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'station_event', 'app': 'evcms', 'pk_attr': 'id', 'table_description': 'A status report of a station (connector 0) or one of its points: the event feed.'},
            bases=['Model'],
        ),
    ]
