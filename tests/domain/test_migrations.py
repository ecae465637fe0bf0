"""The checked-in migrations and the models must describe the same schema."""

from tortoise import Tortoise
from tortoise.migrations.autodetector import MigrationAutodetector

from evcms.db import APP, tortoise_config


async def test_models_and_migrations_agree(database_url):
    config = tortoise_config(database_url)
    apps = config["apps"]
    autodetector = MigrationAutodetector(Tortoise.apps, apps)
    writers = await autodetector.changes()
    assert not writers, (
        f"models changed without a migration: run `evcms makemigrations` ({APP}: "
        f"{[w.name for w in writers]})"
    )
