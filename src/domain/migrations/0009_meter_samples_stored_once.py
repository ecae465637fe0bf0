from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.migrations.constraints import UniqueConstraint

# Readings stored twice before (a resent MeterValues) are removed first, keeping the one
# received first, so that the unique constraint can be built.
DEDUPLICATE = """
DELETE FROM meter_sample a USING meter_sample b
WHERE a.station_id = b.station_id AND a.connector_id = b.connector_id
  AND a.sampled_at = b.sampled_at AND a.measurand = b.measurand AND a.phase = b.phase
  AND a.location = b.location AND a.context = b.context
  AND (a.received_at, a.id) > (b.received_at, b.id)
"""


class Migration(migrations.Migration):
    dependencies = [('evcms', '0008_transaction_ids_per_organisation')]

    initial = False

    operations = [
        ops.RunSQL(DEDUPLICATE, reverse_sql="SELECT 1"),
        ops.AddConstraint(
            model_name='MeterSample',
            constraint=UniqueConstraint(fields=('station', 'connector_id', 'sampled_at', 'measurand', 'phase', 'location', 'context'), name=None),
        ),
    ]
