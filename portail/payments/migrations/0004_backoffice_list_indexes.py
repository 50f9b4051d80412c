"""Indexes for the back office's payment list and a household's latest payments.

The list reads payments newest first (``received_on DESC, id DESC``, the model's ordering): an
index in that order makes a page a short index scan instead of a sort of every payment; one
per household does the same for the household's page. The search looks for a whole receipt
number or bank reference, case-insensitively (``UPPER(col::text) = UPPER('…')``): on
PostgreSQL an index on that expression answers it. Created with SQL (the models do not
declare them), as the households' search indexes."""

from django.db import migrations

LIST_ORDER = "payment_list_order"
# A household's page lists its latest payments (household_billing_panel).
HOUSEHOLD_LATEST = "payment_household_latest"
SEARCHED_COLUMNS = ["receipt_number", "bank_reference"]


def create_indexes(apps, schema_editor):
    schema_editor.execute(
        f'CREATE INDEX IF NOT EXISTS "{LIST_ORDER}" '
        'ON "payments_payment" ("received_on" DESC, "id" DESC)'
    )
    schema_editor.execute(
        f'CREATE INDEX IF NOT EXISTS "{HOUSEHOLD_LATEST}" '
        'ON "payments_payment" ("household_id", "received_on" DESC, "id" DESC)'
    )
    if schema_editor.connection.vendor != "postgresql":
        return
    for column in SEARCHED_COLUMNS:
        schema_editor.execute(
            f'CREATE INDEX IF NOT EXISTS "payments_payment_{column}_search" '
            f'ON "payments_payment" (UPPER("{column}"::text) text_pattern_ops)'
        )


def drop_indexes(apps, schema_editor):
    schema_editor.execute(f'DROP INDEX IF EXISTS "{LIST_ORDER}"')
    schema_editor.execute(f'DROP INDEX IF EXISTS "{HOUSEHOLD_LATEST}"')
    if schema_editor.connection.vendor != "postgresql":
        return
    for column in SEARCHED_COLUMNS:
        schema_editor.execute(f'DROP INDEX IF EXISTS "payments_payment_{column}_search"')


class Migration(migrations.Migration):
    dependencies = [
        ("payments", "0003_onlinepayment_provider"),
    ]

    operations = [
        migrations.RunPython(create_indexes, drop_indexes, elidable=False),
    ]
