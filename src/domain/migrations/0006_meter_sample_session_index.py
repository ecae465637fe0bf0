from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('evcms', '0005_ocpp_operations')]

    initial = False

    operations = [
        ops.AddIndex(
            model_name='MeterSample',
            index=Index(fields=['session_id', 'sampled_at']),
        ),
    ]
