"""The database cache's table (settings.CACHES, shared by every web node when Redis is not
used) is created by `migrate`, so that a deployment needs no extra step. Nothing is created
when the cache is Redis; `createcachetable` skips a table that already exists."""

from django.core.management import call_command
from django.db import migrations


def create_cache_table(apps, schema_editor):
    call_command("createcachetable", database=schema_editor.connection.alias, verbosity=0)


class Migration(migrations.Migration):
    dependencies = [("jobs", "0002_periodic_job_run")]

    operations = [migrations.RunPython(create_cache_table, migrations.RunPython.noop)]
