"""Indexes for the back office's household list and search.

The list reads households in name order. The search (HouseholdAdmin.get_search_results) looks
for each word at the start of names (``UPPER(col::text) LIKE 'WORD%'``) and as a whole family
code or e-mail (``UPPER(col::text) = 'WORD'``): on PostgreSQL, an index on that very expression
with ``text_pattern_ops`` answers both whatever the database's collation. SQLite has no such
operator class and keeps its plain scans (a small town's data)."""

from django.db import migrations, models

# (table, column) searched by the back office.
SEARCHED_COLUMNS = [
    ("households_household", "name"),
    ("households_household", "external_code"),
    ("households_guardian", "first_name"),
    ("households_guardian", "last_name"),
    ("households_guardian", "email"),
    ("households_child", "first_name"),
    ("households_child", "last_name"),
]


def index_name(table: str, column: str) -> str:
    return f"{table}_{column}_search"


def create_search_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table, column in SEARCHED_COLUMNS:
        schema_editor.execute(
            f'CREATE INDEX IF NOT EXISTS "{index_name(table, column)}" '
            f'ON "{table}" (UPPER("{column}"::text) text_pattern_ops)'
        )


def drop_search_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table, column in SEARCHED_COLUMNS:
        schema_editor.execute(f'DROP INDEX IF EXISTS "{index_name(table, column)}"')


class Migration(migrations.Migration):
    dependencies = [
        ("households", "0003_requests_health_history"),
        ("nurseries", "0001_initial"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="household",
            index=models.Index(fields=["name", "-id"], name="household_list_order"),
        ),
        migrations.RunPython(create_search_indexes, drop_search_indexes, elidable=False),
    ]
