from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields

# meter_sample is the table that grows with every MeterValues message, five rows or more
# each. Its two foreign-key checks were half the cost of storing a batch (each row locks its
# station and session row FOR KEY SHARE); the rows they guarded cannot dangle: station_id is
# the authenticated connection's station, session_id comes from a join on charging_session in
# the same INSERT, and stations and sessions are never deleted (a deleted station is an
# orphan that keeps its history).
STATION = "meter_sample_station_id_fkey"
SESSION = "meter_sample_session_id_fkey"


class Migration(migrations.Migration):
    dependencies = [('evcms', '0006_meter_sample_session_index')]

    initial = False

    operations = [
        ops.AlterField(
            model_name='MeterSample',
            name='session',
            field=fields.ForeignKeyField('evcms.ChargingSession', source_field='session_id', null=True, db_constraint=False, to_field='id', related_name='samples', on_delete=OnDelete.NO_ACTION),
        ),
        ops.AlterField(
            model_name='MeterSample',
            name='station',
            field=fields.ForeignKeyField('evcms.ChargingStation', source_field='station_id', db_constraint=False, to_field='id', related_name='meter_samples', on_delete=OnDelete.NO_ACTION),
        ),
        ops.RunSQL(
            [
                f"ALTER TABLE meter_sample DROP CONSTRAINT IF EXISTS {STATION}",
                f"ALTER TABLE meter_sample DROP CONSTRAINT IF EXISTS {SESSION}",
            ],
            reverse_sql=[
                f"ALTER TABLE meter_sample ADD CONSTRAINT {STATION} FOREIGN KEY (station_id)"
                " REFERENCES charging_station (id) ON DELETE CASCADE",
                f"ALTER TABLE meter_sample ADD CONSTRAINT {SESSION} FOREIGN KEY (session_id)"
                " REFERENCES charging_session (id) ON DELETE CASCADE",
            ],
        ),
    ]
