"""Indexes for the back office's invoice search (InvoiceAdmin.get_search_results) and a
household's latest invoices.

A whole invoice number or billing software reference is searched case-insensitively
(``UPPER(col::text) = UPPER('…')``): on PostgreSQL an index on that very expression answers it
instead of reading a million invoices. SQLite keeps its plain scans (a small town's data).
Created with SQL, as the households' search indexes (households 0004): the models do not
declare them, so that they stay PostgreSQL-only."""

from django.db import migrations

SEARCHED_COLUMNS = [
    ("billing_invoice", "number"),
    ("billing_invoice", "external_reference"),
]


def index_name(table: str, column: str) -> str:
    return f"{table}_{column}_search"


# A household's page lists its latest invoices (household_billing_panel): read from this
# index, not by walking the whole list's index for that household's rows.
HOUSEHOLD_LATEST = "invoice_household_latest"


def create_search_indexes(apps, schema_editor):
    schema_editor.execute(
        f'CREATE INDEX IF NOT EXISTS "{HOUSEHOLD_LATEST}" '
        'ON "billing_invoice" ("household_id", "period_on" DESC, "id" DESC)'
    )
    if schema_editor.connection.vendor != "postgresql":
        return
    for table, column in SEARCHED_COLUMNS:
        schema_editor.execute(
            f'CREATE INDEX IF NOT EXISTS "{index_name(table, column)}" '
            f'ON "{table}" (UPPER("{column}"::text) text_pattern_ops)'
        )


def drop_search_indexes(apps, schema_editor):
    schema_editor.execute(f'DROP INDEX IF EXISTS "{HOUSEHOLD_LATEST}"')
    if schema_editor.connection.vendor != "postgresql":
        return
    for table, column in SEARCHED_COLUMNS:
        schema_editor.execute(f'DROP INDEX IF EXISTS "{index_name(table, column)}"')


class Migration(migrations.Migration):
    dependencies = [
        ("billing", "0005_invoice_list_order"),
    ]

    operations = [
        migrations.RunPython(create_search_indexes, drop_search_indexes, elidable=False),
    ]
