"""An index for the back office's queue of requests (/gestion/outils/demandes/).

The queue lists the open requests (sent or in progress), oldest first: a partial index on
``(submitted_at, id)`` of the open requests only reads the page, and stays small however many
decided requests accumulate. Created with SQL (the model does not declare it)."""

from django.db import migrations

INDEX = "request_open_queue"


def create_index(apps, schema_editor):
    schema_editor.execute(
        f'CREATE INDEX IF NOT EXISTS "{INDEX}" ON "households_request" ("submitted_at", "id") '
        "WHERE \"status\" IN ('sent', 'in_progress')"
    )


def drop_index(apps, schema_editor):
    schema_editor.execute(f'DROP INDEX IF EXISTS "{INDEX}"')


class Migration(migrations.Migration):
    dependencies = [
        ("households", "0004_list_and_search_indexes"),
    ]

    operations = [
        migrations.RunPython(create_index, drop_index, elidable=False),
    ]
