from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields
from tortoise.indexes import Index
from tortoise.migrations.constraints import UniqueConstraint

# OCPP transaction ids become random and unique per organisation (domain.charging.service):
# the system-wide sequence told each tenant the platform's volume.

class Migration(migrations.Migration):
    dependencies = [('evcms', '0007_meter_sample_unconstrained')]

    initial = False

    operations = [
        ops.AlterField(
            model_name='ChargingSession',
            name='transaction_id',
            field=fields.BigIntField(),
        ),
        ops.AddIndex(
            model_name='ChargingSession',
            index=Index(fields=['station_id', 'transaction_id']),
        ),
        ops.AddConstraint(
            model_name='ChargingSession',
            constraint=UniqueConstraint(fields=('organisation', 'transaction_id'), name=None),
        ),
        ops.RunSQL(
            "DROP SEQUENCE IF EXISTS ocpp_transaction_id_seq",
            reverse_sql="CREATE SEQUENCE IF NOT EXISTS ocpp_transaction_id_seq START 1",
        ),
    ]
